"""The installed ocf:ocfpy:haproxy: the script `ocfpy install` writes runs
the whole life cycle with `python -IS` (no site-packages), its hot paths
import nothing heavy (no subprocess on a monitor either), and pcs takes it
without --force."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from haproxy_bed import get
from ocfpy.testing import importcost
from ocfpy.testing.driver import Driver

OCF_ROOT = Path("/usr/lib/ocf")
PCS_OCF_RNG = Path("/usr/share/pcs/data/ocf-1.1.rng")


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    from ocfpy.install import install

    root = tmp_path_factory.mktemp("ocfroot")
    (path,) = install(root, names=["haproxy"])
    return path


def test_the_installed_script_runs_the_life_cycle(bed, script):
    bed.write_config(servers=[bed.backend().port])
    d = Driver(str(script), resource=bed.resource, params={"conffile": str(bed.conffile),
                                                           "min_healthy": "be:1"},
               workdir=bed.dir / "wd")
    for action, interval, rc in (("monitor", 0, 7), ("start", 0, 0), ("monitor", 10, 0),
                                 ("reload", 0, 0), ("reload-agent", 0, 0), ("monitor", 10, 0),
                                 ("stop", 0, 0), ("monitor", 0, 7)):
        r = d.run(action, interval=interval)
        assert r.rc == rc, (action, r.rc, r.exit_reason, r.stderr[-1500:])
    assert bed.processes() == [] and os.listdir(bed.run_dir) == []


def hot_env(bed, **params) -> dict:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_RESOURCE_INSTANCE": bed.resource,
           "HA_VARRUN": str(bed.run_dir) + "/", "OCF_ROOT": str(OCF_ROOT)}
    env.update({f"OCF_RESKEY_{k}": str(v) for k, v in params.items()})
    return env


def test_hot_paths_import_nothing_heavy_and_no_subprocess(bed, script):
    bed.write_config(servers=[bed.backend().port])
    conf = {"conffile": str(bed.conffile)}
    python = importcost.script_python(script)
    bed.run_dir.mkdir(parents=True)
    paths = {"meta-data": ("meta-data", hot_env(bed)),
             "probe": ("monitor", hot_env(bed, **conf))}
    for label, (action, env) in paths.items():
        modules = importcost.imported_modules(python, script, action, env)
        assert "ocfpy.agent" in modules, label
        assert importcost.heavy_in(modules) == [] and "subprocess" not in modules, (label, modules)
    d = Driver(str(script), resource=bed.resource, params=conf, workdir=bed.dir / "wd")
    assert d.run("start").rc == 0
    try:
        env = hot_env(bed, min_healthy="be:1", CRM_meta_interval="10000", **conf)
        modules = importcost.imported_modules(python, script, "monitor", env)
        assert "ocfpy_agents.haproxy.master" in modules and "ocfpy_agents.haproxy.health" in modules
        assert importcost.heavy_in(modules) == [], modules
        for costly in ("subprocess", "socket", "shlex", "tempfile", "signal", "enum"):
            assert costly not in modules, costly
        run = subprocess.run([str(script), "monitor"], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    finally:
        assert d.run("stop").rc == 0


def installed_in_ocf_root():
    path = OCF_ROOT / "resource.d" / "ocfpy" / "haproxy"
    if shutil.which("pcs") is None or shutil.which("cibadmin") is None:
        pytest.skip("pcs or cibadmin is not installed")
    if not path.exists():
        pytest.skip(f"{path} is not installed: run .venv/bin/ocfpy install --ocf-root {OCF_ROOT}")
    return path


def test_pcs_describes_it():
    installed_in_ocf_root()
    p = subprocess.run(["pcs", "resource", "describe", "ocf:ocfpy:haproxy"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0 and "Warning" not in p.stderr, p.stderr
    assert p.stdout.startswith("ocf:ocfpy:haproxy - HAProxy in master-worker mode")
    for name in ("conffile", "binary", "master_socket", "pid", "extra_args", "run_dir",
                 "min_healthy", "stop_grace"):
        assert f"\n  {name}" in p.stdout, name


def test_pcs_creates_it_without_force_and_refuses_a_typo(tmp_path):
    installed_in_ocf_root()
    cib = tmp_path / "cib.xml"
    cib.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                  check=True).stdout)
    p = subprocess.run(["pcs", "-f", str(cib), "resource", "create", "lb", "ocf:ocfpy:haproxy",
                        "conffile=/etc/haproxy/haproxy.cfg", "min_healthy=galera:1,1",
                        "op", "monitor", "interval=10s"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    text = cib.read_text()
    assert 'type="haproxy"' in text and 'name="min_healthy" value="galera:1,1"' in text
    assert 'name="reload-agent"' in text
    p = subprocess.run(["pcs", "-f", str(cib), "resource", "create", "lb2", "ocf:ocfpy:haproxy",
                        "conf_file=/etc/haproxy/haproxy.cfg"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode != 0 and "conf_file" in p.stderr


def test_meta_data_is_valid_against_the_ocf_1_1_schema_pcs_uses():
    if not PCS_OCF_RNG.exists():
        pytest.skip(f"{PCS_OCF_RNG} is not installed")
    from lxml import etree

    from ocfpy_agents.haproxy.agent import Haproxy

    rng = etree.RelaxNG(etree.parse(str(PCS_OCF_RNG)))
    doc = etree.fromstring(Haproxy.metadata().encode())
    assert rng.validate(doc), [e.message for e in rng.error_log]


def test_crm_resource_runs_the_installed_agent(bed):
    # Pacemaker's own tool runs the agent from /usr/lib/ocf, as the cluster would
    installed_in_ocf_root()
    if shutil.which("crm_resource") is None:
        pytest.skip("crm_resource is not installed")
    bed.write_config(servers=[bed.backend().port])
    sock = bed.dir / "m.sock"
    base = ["crm_resource", "--class", "ocf", "--provider", "ocfpy", "--agent", "haproxy",
            "--option", f"conffile={bed.conffile}", "--option", f"master_socket={sock}",
            "--option", f"pid={bed.dir / 'h.pid'}"]
    try:
        r = subprocess.run([*base, "--force-start"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert get(bed.http_port).startswith(b"ok ")
        r = subprocess.run([*base, "--force-check"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        r = subprocess.run([*base, "--force-stop"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not sock.exists() and not (bed.dir / "h.pid").exists()
