"""`ocfpy cib import` turns a CIB into a YAML, JSON or Python spec; rendering
that spec gives the same configuration again (compared by meaning), for every
shipped spec, for CIBs built by pcs commands and for a live cluster."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from ocfpy.cib.canonical import canonical, explain_difference
from ocfpy.cib.importer import NOT_IMPORTED, import_cib
from ocfpy.cib.render_xml import render_xml
from ocfpy.cib.spec import SpecError, load_spec

from cibtools import cli, empty_cib, load_snippet, need, spec_name, spec_paths

FORMATS = {"yaml": ".yaml", "json": ".json", "python": ".py"}


def without_cluster_owned(xml) -> bytes:
    """The CIB minus what import leaves out (properties Pacemaker writes)."""
    root = etree.fromstring(xml if isinstance(xml, bytes) else xml.encode())
    for p in list(root.iterfind("configuration/crm_config//nvpair")):
        if p.get("name") in NOT_IMPORTED:
            p.getparent().remove(p)
    return etree.tostring(root)


def round_trip(xml, tmp_path: Path, fmt: str):
    text = import_cib(xml, fmt, source="test")
    spec = tmp_path / f"imported_{fmt}{FORMATS[fmt]}"
    spec.write_text(text)
    again = render_xml(load_spec(str(spec)))
    want = without_cluster_owned(xml)
    assert canonical(again) == canonical(want), explain_difference(want, again)
    return text


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("path", spec_paths(), ids=spec_name)
def test_import_of_every_shipped_spec_renders_the_same_configuration(tmp_path, path, fmt):
    round_trip(render_xml(load_spec(str(path))), tmp_path, fmt)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", ["openstack", "demo", "generated"])
def test_import_of_cibs_built_by_pcs_from_our_scripts(built, tmp_path, name, fmt):
    round_trip(built[name]["pcs"].read_bytes(), tmp_path, fmt)


PCS_COMMANDS = [
    "property set cluster-recheck-interval=5min pe-warn-series-max=1000",
    "resource create d1 ocf:ocfpy:dummy state=/run/ocfpy-test/d1 op monitor interval=10s",
    "resource create s1 ocf:ocfpy:stateful state=/run/ocfpy-test/s1 promotable promoted-max=1",
    "resource create g1 ocf:heartbeat:Dummy --group grp",
    "resource create g2 ocf:heartbeat:Dummy op monitor interval=20s timeout=30s --group grp",
    "resource meta grp target-role=Started",
    "resource clone grp interleave=true",
    "resource create vip ocf:ocfpy:vip ip=10.0.0.11 cidr_netmask=24 meta resource-stickiness=200",
    "constraint order promote s1-clone then start d1",
    "constraint colocation add d1 with Promoted s1-clone",
    "constraint location vip prefers n1=100",
    "constraint location vip avoids n3",
    "constraint location d1 rule score=-INFINITY not_defined pingd or pingd lte integer 0",
    "constraint colocation set vip d1 setoptions score=50",
    "constraint order set vip d1 sequential=false set grp-clone setoptions kind=Optional",
    "stonith create f1 fence_dummy pcmk_host_list=n1",
    "stonith level add 1 n1 f1",
    "resource defaults update resource-stickiness=100",
    "resource op defaults update timeout=90s",
    "node attribute n1 rack=1",
    "node utilization n2 cpu=4",
]


def test_import_of_a_cib_built_by_pcs_commands(tmp_path):
    need("pcs", "cibadmin")
    cib = empty_cib(tmp_path / "pcs.xml", ("n1", "n2", "n3"))
    for cmd in PCS_COMMANDS:
        argv = cmd.split()
        if argv[:2] == ["stonith", "create"] and not os.path.exists("/usr/sbin/fence_dummy"):
            argv.append("--force")
        p = subprocess.run(["pcs", "-f", str(cib), *argv], capture_output=True, text=True)
        assert p.returncode == 0, f"pcs {cmd}: {p.stderr}"
    xml = cib.read_bytes()
    for fmt in FORMATS:
        text = round_trip(xml, tmp_path, fmt)
    assert "d1-monitor-interval-10s" not in text  # nested ids are the renderers' business
    spec = load_spec(str(tmp_path / "imported_yaml.yaml"))
    assert [r.id for r in spec.resources] == ["d1", "s1-clone", "grp-clone", "vip", "f1"]


def test_import_cli_writes_each_format_and_refuses_what_the_model_lacks(tmp_path):
    need("cibadmin")
    cib = tmp_path / "cib.xml"
    cib.write_text(render_xml(load_snippet("haproxy")))
    for fmt, suffix in FORMATS.items():
        out = tmp_path / f"out{suffix}"
        p = cli("import", cib, "--format", fmt, "-o", out)
        assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
        assert canonical(render_xml(load_spec(str(out)))) == canonical(cib.read_text())
    root = etree.parse(str(cib)).getroot()
    etree.SubElement(root.find("configuration/resources"), "bundle", id="b1")
    cib.write_bytes(etree.tostring(root))
    p = cli("import", cib)
    assert (p.returncode, p.stderr) == (2, f"ocfpy: {cib}: <bundle id='b1'> is not covered by "
                                           f"the ocfpy model: manage it outside ocfpy.cib or "
                                           f"pass strict=False\n")
    p = cli("import", cib, "--skip-unsupported")
    assert p.returncode == 0 and p.stderr == ("ocfpy: left out (not covered by the model): "
                                              "<bundle id='b1'>\n")
    assert "ha_cluster_resource_primitives" in p.stdout


def test_import_acknowledges_a_cluster_without_fencing():
    text = import_cib(render_xml(load_snippet("vip")), "yaml", source="node1")
    assert "ocfpy_fencing_disabled_reason: imported from node1, where stonith-enabled=false" \
        in text


def test_import_of_broken_xml_names_the_line():
    with pytest.raises(SpecError, match=r"^cib.xml:2: XML: "):
        import_cib(b"<cib>\n<configuration></cib>", path="cib.xml")


@pytest.mark.real_cluster
def test_live_import_round_trip(real_cluster_clean, tmp_path):
    from ocfpy.cib.apply import apply_config
    c = real_cluster_clean

    def runner(argv, input=None):
        return c.run(list(argv), input=input, check=False)

    cfg = load_snippet("demo_basic")
    cfg.properties.pop("stonith-enabled")        # the cluster has fencing: keep it
    cfg.fencing_off_acknowledged = None
    apply_config(cfg, runner)
    ocfpy = str(Path(sys.executable).with_name("ocfpy"))
    p = c.run([ocfpy, "cib", "import", "--live"], check=False)
    assert p.returncode == 0, p.stderr
    spec = tmp_path / "live.yaml"
    spec.write_text(p.stdout)
    live = c.run(["cibadmin", "--query"]).stdout
    again = render_xml(load_spec(str(spec)))
    want = without_cluster_owned(live)
    assert canonical(again) == canonical(want), explain_difference(want, again)
    # and applying the imported spec to the cluster changes nothing
    assert apply_config(load_spec(str(spec)), runner).changed is False
