"""Helpers for the CIB builder tests: run pcs/crmsh/crm_verify/crm_simulate
on CIB files (never the host's live CIB).

A module of its own (not conftest.py): every test directory has a conftest,
and ``from conftest import`` inside a test body finds whichever was loaded
last."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "crm_snippets"
NODES = ("n1", "n2", "n3")

def need(*tools):
    """Skip the test, naming the tool, if any of ``tools`` is not installed."""
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed")


def empty_cib(path: Path, nodes=()) -> Path:
    """``cibadmin --empty`` with ``nodes`` (as corosync would add them)."""
    text = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                          check=True).stdout
    root = etree.fromstring(text.encode())
    nodes_el = root.find("configuration/nodes")
    for n in nodes:
        etree.SubElement(nodes_el, "node", id=n, uname=n)
    path.write_bytes(etree.tostring(root))
    return path


#: providers of ocfpy's shipped agents
OUR_PROVIDERS = ("ocf:ocfpy:", "ocf:openstack:")


def forced_agents(argv):
    """Agents named in a pcs command that carries --force."""
    return [a for a in argv if ":" in a and a.split(":")[0] in ("ocf", "systemd", "lsb",
                                                                 "service", "stonith")] \
        if "--force" in argv else []


def apply_pcs(cfg, path: Path, nodes=NODES) -> Path:
    """Build ``cfg`` into a fresh CIB file with ``pcs -f`` (--force only for
    agents not installed here, never for ocfpy's own)."""
    from ocfpy.cib.render_pcs import agent_installed, pcs_commands
    empty_cib(path, nodes)
    for argv in pcs_commands(cfg, force="missing"):
        forced = forced_agents(argv)
        assert not any(a.startswith(OUR_PROVIDERS) for a in forced), argv
        assert all(not agent_installed(a) for a in forced), argv
        p = subprocess.run(["pcs", "-f", str(path), *argv], capture_output=True, text=True)
        assert p.returncode == 0, f"pcs {argv}: {p.stderr}"
    return path


def apply_crm(cfg, path: Path, nodes=NODES) -> Path:
    """Build ``cfg`` into a fresh CIB file with ``crm configure load update``."""
    from ocfpy.cib.render_crmsh import render_crmsh
    empty_cib(path, nodes)
    p = subprocess.run(["crm", "-F", "configure", "load", "update", "-"],
                       input=render_crmsh(cfg), capture_output=True, text=True,
                       env={**os.environ, "CIB_file": str(path)})
    assert p.returncode == 0, p.stderr
    return path


def write_ours(cfg, path: Path, nodes=NODES, schema="pacemaker-3.9") -> Path:
    from ocfpy.cib.render_xml import to_cib
    root = to_cib(cfg, schema)
    nodes_el = root.find("configuration/nodes")
    for n in nodes:
        if nodes_el.find(f"node[@uname='{n}']") is None:
            etree.SubElement(nodes_el, "node", id=n, uname=n)
    path.write_bytes(etree.tostring(root))
    return path


def crm_verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["crm_verify", "--xml-file", str(path)], capture_output=True,
                          text=True)


def simulate(path: Path, nodes=NODES, promotion=None):
    """Run the scheduler on ``path`` with ``nodes`` online (and, optionally,
    promotion scores ``{resource: score}``). Returns
    ``{resource_id: sorted [(node, role)]}`` of active instances."""
    def run(*args):
        p = subprocess.run(["crm_simulate", "-x", str(path), *args], capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
    args = ["-X", "--quorum=1"]
    for n in nodes:
        args += ["-u", n]
    run(*args)
    if promotion:
        tree = etree.parse(str(path))
        for ns in tree.getroot().findall("status/node_state"):
            ta = ns.find("transient_attributes")
            if ta is None:
                ta = etree.SubElement(ns, "transient_attributes", id=ns.get("id"))
            ia = ta.find("instance_attributes")
            if ia is None:
                ia = etree.SubElement(ta, "instance_attributes", id=f"status-{ns.get('id')}")
            for rsc, score in promotion.items():
                etree.SubElement(ia, "nvpair", id=f"status-{ns.get('id')}-master-{rsc}",
                                 name=f"master-{rsc}", value=str(score))
        tree.write(str(path))
        run("-X")
    mon = subprocess.run(["crm_mon", "-1", "--output-as=xml"], capture_output=True, text=True,
                         env={**os.environ, "CIB_file": str(path)})
    assert mon.returncode == 0, mon.stderr
    out = {}
    root = etree.fromstring(mon.stdout.encode())
    for r in root.iter("resource"):
        if r.get("active") != "true":
            continue
        parent = r.getparent()
        key = parent.get("id") if parent.tag == "clone" else r.get("id")
        for n in r.findall("node"):
            out.setdefault(key, []).append((n.get("name"), r.get("role")))
    return {k: sorted(v) for k, v in out.items()}


def snippet_paths():
    return sorted(p for p in SNIPPETS.glob("*.py") if not p.name.startswith("_"))


def spec_paths():
    """Every shipped spec: the Python snippets and the YAML guide configuration."""
    return snippet_paths() + sorted(SNIPPETS.glob("*.yaml"))


def spec_name(path: Path) -> str:
    return path.stem if path.suffix == ".py" else f"{path.stem}_{path.suffix[1:]}"


def ours_installed():
    """Skip unless ocfpy's agents are installed in /usr/lib/ocf (``ocfpy install``)."""
    from ocfpy.install import MARKER, discover
    root = Path(os.environ.get("OCF_ROOT", "/usr/lib/ocf")) / "resource.d"
    missing = []
    for info in discover():
        path = root / info.provider / info.name
        try:
            if MARKER not in path.read_text(errors="replace")[:4096]:
                missing.append(str(path))
        except OSError:
            missing.append(str(path))
    if missing:
        pytest.skip(f"ocfpy's agents are not installed here ({missing[0]}...): "
                    f"run .venv/bin/ocfpy install")
    return discover()


def cli(*args, input=None):
    """Run ``ocfpy cib ARGS`` as a separate process (exit code, stdout, stderr)."""
    import sys
    return subprocess.run([sys.executable, "-c", "from ocfpy.cli import main; main(prog_name='ocfpy')", "cib",
                           *map(str, args)], capture_output=True, text=True, input=input,
                          cwd=str(ROOT))


def load_snippet(name: str):
    from ocfpy.cib.spec import load_spec
    return load_spec(str(SNIPPETS / f"{name}.py"))
