"""The sandbox's OpenStack demo: what ``up --demo`` refuses and why, the
configuration crm_snippets/demo.py and demo.yaml build (the HA guide's
topology, the same CIB on every machine), the files each node gets, and the
whole demo under real Pacemaker: every API answers through the VIP from
every node, HAProxy sends Galera's connections to one writer (and to its
first backup without it), a node powered off and on gets nothing of the
demo until ``demo rejoin`` prepares it, and ``down`` leaves nothing.

Run: .venv/bin/python -m pytest tests/testing/test_sandbox_demo.py -v
(the real demo: ~3-4 minutes on a loaded 2-core machine, as root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocfpy.sandbox import demo
from ocfpy.sandbox.cluster import missing_requirements as cluster_missing

SNIPPETS = Path(__file__).resolve().parents[2] / "crm_snippets"
APIS = ("keystone-clone", "glance-api-clone", "cinder-api-clone", "manila-api-clone")
NODES = ("node1", "node2", "node3")


# --------------------------------------------------------- requirements
def test_openstack_demo_without_the_openstack_venv_names_it_and_the_setup_command(
        tmp_path, monkeypatch):
    monkeypatch.setenv("OCFPY_OPENSTACK_VENV", str(tmp_path / "no-venv"))
    reason = demo.missing_requirements("openstack", nodes=3)
    assert ("OpenStack venv absent at %s" % (tmp_path / "no-venv") in reason,
            "bash .ci/setup" in reason) == (True, True), reason


def test_openstack_demo_on_one_node_is_refused_with_the_alternative():
    reason = demo.missing_requirements("openstack", nodes=1)
    assert "needs 3 nodes" in reason and "--demo basic" in reason


def test_basic_demo_needs_nothing_more():
    assert demo.missing_requirements("basic", nodes=1) is None


def test_up_demo_without_mariadbd_says_so_and_starts_nothing(tmp_path, monkeypatch):
    reason = cluster_missing()
    if reason:
        pytest.skip(reason)     # the cluster's own requirements are checked first
    from ocfpy.sandbox import mariadb
    from ocfpy.sandbox.cli import sandbox

    monkeypatch.setenv("OCFPY_SANDBOX_DIR", str(tmp_path / "sbx"))
    monkeypatch.setattr(mariadb, "find_binary", lambda: None)
    result = CliRunner().invoke(sandbox, ["up", "--demo"])
    assert (result.exit_code, "mariadbd not installed" in result.output,
            "bash .ci/setup" in result.output) == (1, True, True), result.output
    assert not (tmp_path / "sbx").exists()


# -------------------------------------------------------- configuration
def _spec(fmt="py"):
    from ocfpy.cib.spec import load_spec

    return load_spec(str(demo.demo_spec_path("openstack", fmt)))


def test_demo_yaml_renders_the_same_cib_as_demo_py():
    from ocfpy.cib.canonical import canonical, explain_difference
    from ocfpy.cib.render_xml import render_xml

    py, yaml = render_xml(_spec("py")), render_xml(_spec("yaml"))
    assert canonical(py) == canonical(yaml), explain_difference(py, yaml)


def test_the_cib_is_the_same_on_every_machine(tmp_path, monkeypatch):
    """Only node-side paths (/run/ocfpy-demo) and fixed addresses: neither the
    sandbox directory nor the checkout or the OpenStack venv shows."""
    from ocfpy.cib.render_xml import render_xml

    first = render_xml(_spec())
    monkeypatch.setenv("OCFPY_SANDBOX_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("OCFPY_OPENSTACK_VENV", str(tmp_path / "venv"))
    assert render_xml(_spec()) == first
    paths = set(re.findall(r'value="(/[^" ]*)', first)) | set(re.findall(r" (/[^\" ]+)", first))
    assert paths and all(p.startswith("/run/ocfpy-demo/") for p in paths), sorted(paths)


def test_demo_topology_is_the_guides_on_ocfpys_agents():
    from ocfpy.cib.model import Clone

    cfg = _spec()
    kinds = {r.id: (r.child.agent, r.promotable) if isinstance(r, Clone) else (r.agent, None)
             for r in cfg.resources}
    assert kinds == {
        "vip": ("ocf:ocfpy:vip", None),
        "haproxy-clone": ("ocf:ocfpy:haproxy", False),
        "clustercheck-clone": ("ocf:heartbeat:anything", False),
        "galera-clone": ("ocf:ocfpy:galera", True),
        "keystone-clone": ("ocf:openstack:keystone", False),
        "glance-api-clone": ("ocf:openstack:glance-api", False),
        "cinder-api-clone": ("ocf:openstack:cinder-api", False),
        "manila-api-clone": ("ocf:openstack:manila-api", False)}
    ids = cfg.top_ids()
    assert ids["galera-clone"].meta["promoted-max"] == "3"
    assert all(ids[c].meta.get("interleave") == "true" for c in APIS)
    assert "--bind 0.0.0.0 --port 9200 --credentials /run/ocfpy-demo/clustercheck.cnf" in \
        ids["clustercheck-clone"].child.params["cmdline_options"]
    assert ids["vip"].params["ip"] == demo.VIP == "10.213.0.100"


def test_demo_constraints_are_the_guides():
    """VIP with HAProxy, HAProxy after the VIP (Optional: haproxy.py); the
    APIs after Keystone (the guide's cinder order, for glance and manila
    too); Keystone after Galera is promoted. The orders behind the VIP are
    Optional: the services reach Keystone and the database through it, so
    a recovery on one node restarts nothing else there."""
    from ocfpy.cib.model import Colocation, Order

    cfg = _spec()
    orders = {(c.first, c.first_action, c.then, c.then_action, c.kind)
              for c in cfg.constraints if isinstance(c, Order)}
    colocations = {(c.follower, c.leader, c.leader_role)
                   for c in cfg.constraints if isinstance(c, Colocation)}
    assert orders == {("vip", None, "haproxy-clone", None, "Optional"),
                      ("galera-clone", "promote", "keystone-clone", "start", "Optional"),
                      ("keystone-clone", None, "glance-api-clone", None, "Optional"),
                      ("keystone-clone", None, "cinder-api-clone", None, "Optional"),
                      ("keystone-clone", None, "manila-api-clone", None, "Optional")}
    assert colocations == {("vip", "haproxy-clone", None)}


def test_the_sandbox_keeps_every_demo_resource_off_unprepared_nodes():
    cfg = demo.OpenStackDemo(_Nodes()).config(held=("keystone-clone",))
    guards = {c.resource: c for c in cfg.constraints if getattr(c, "rules", None)}
    assert set(guards) == {r.id for r in cfg.resources}
    for c in guards.values():
        (rule,) = c.rules
        assert (rule.score, [(e.attribute, e.operation) for e in rule.expressions],
                c.resource_discovery) == ("-INFINITY", [("ocfpy-demo-node", "not_defined")],
                                          "never")
    assert cfg.top_ids()["keystone-clone"].meta["target-role"] == "Stopped"


def test_demo_services_read_their_credentials_from_the_nodes_root_only_file():
    ids = _spec().top_ids()
    for clone in APIS:
        params = ids[clone].child.params
        assert (params["os_credentials_file"], "os_password" in params, params["user"],
                params["os_auth_url"]) == ("/run/ocfpy-demo/admin-openrc", False, "ocfpy-os",
                                           "http://10.213.0.100:5000/v3"), clone


def test_haproxy_cfg_is_the_guides_with_one_galera_writer():
    text = demo.haproxy_cfg()
    sections = dict(re.findall(r"(?ms)^listen (\S+)\n(.*?)(?=^listen |\Z)", text))
    assert set(sections) == {"galera_cluster", "keystone_public_internal_cluster",
                             "glance_api_cluster", "cinder_api_cluster", "manila_api_cluster"}
    galera = sections["galera_cluster"]
    assert "bind 10.213.0.100:3306" in galera and "option httpchk\n" in galera
    assert re.findall(r"server (\S+) (\S+)( backup)? check port 9200", galera) == [
        ("node1", "10.213.0.1:3306", ""), ("node2", "10.213.0.2:3306", " backup"),
        ("node3", "10.213.0.3:3306", " backup")]
    for name, port in (("keystone_public_internal_cluster", 5000), ("glance_api_cluster", 9292),
                       ("cinder_api_cluster", 8776), ("manila_api_cluster", 8786)):
        body = sections[name]
        assert ("bind 10.213.0.100:%d" % port in body, "option httpchk GET /healthcheck" in body,
                re.findall(r"server (\S+) (\S+) check", body)) == (
            True, True, [(n, "10.213.0.%d:%d" % (i, port)) for i, n in enumerate(NODES, 1)]), name
    if shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        cfg = Path("/tmp/ocfpy-demo-haproxy-%d.cfg" % os.getpid())
        try:
            cfg.write_text(text)
            res = subprocess.run([shutil.which("haproxy", path="/usr/sbin:/usr/bin"), "-c",
                                  "-f", str(cfg)], capture_output=True, text=True)
            assert res.returncode == 0, res.stdout + res.stderr
        finally:
            cfg.unlink()


class _Nodes:
    node_names = list(NODES)


def test_each_node_listens_on_its_own_address_and_reaches_the_databases_through_the_vip():
    d = demo.OpenStackDemo(_Nodes())
    for i, node in enumerate(NODES, 1):
        files = d.node_files(node)
        for ini, port in (("keystone-uwsgi.ini", 5000), ("glance-uwsgi.ini", 9292),
                          ("cinder-uwsgi.ini", 8776), ("manila-uwsgi.ini", 8786)):
            assert re.findall(r"http-socket = (\S+)", files[ini][0]) == [
                "10.213.0.%d:%d" % (i, port), "127.0.0.1:%d" % port], (node, ini)
        for conf in ("keystone.conf", "glance-api.conf", "cinder.conf", "manila.conf"):
            url = re.search(r"connection = (\S+)", files[conf][0]).group(1)
            assert re.match(r"mysql\+pymysql://\w+:\w+@10\.213\.0\.100:3306/\w+", url), url
            assert files[conf][1] == 0o640, conf
        assert (files["admin-openrc"][1], files["clustercheck.cnf"][1]) == (0o600, 0o600)
        assert "[client]\nuser = clustercheck\n" in files["clustercheck.cnf"][0]


# ------------------------------------------------------- the real demo
def _ocfpy(*args, env, timeout=120, cwd=None):
    return subprocess.run([sys.executable, "-c", "from ocfpy.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)


def _programs(netns_inodes: set) -> dict:
    """{program name: [pids]} of the live processes in the nodes."""
    from test_real_cluster import _live_pids_in

    found: dict = {}
    for pid in _live_pids_in(netns_inodes):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        name = os.path.basename(argv[0].decode())
        if b"clustercheck" in argv:
            name = "clustercheck"
        found.setdefault(name, []).append(pid)
    return found


def _roles(mon_xml: str) -> dict:
    """{(resource id, node): role} from crm_mon xml."""
    import xml.etree.ElementTree as ET

    return {(r.get("id"), n.get("name")): r.get("role")
            for r in ET.fromstring(mon_xml).iter("resource") for n in r.findall("node")}


@pytest.fixture
def service_reachable_dir():
    """A fresh directory the demo's service user can traverse for the whole
    test: not below pytest's /tmp/pytest-of-root, which every new pytest
    session (other runs on the machine) resets to 0700."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="ocfpy-sbx-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


_DISABLE_NODE1 = r"""
import sys
from ocfpy_agents.haproxy import master
sock = "/run/ocfpy-demo/haproxy-master.sock"
worker = master.parse_proc(master.query(sock, "show proc", 5)).current_worker
print(master.query(sock, "@!%d %s server galera_cluster/node1" % (worker, sys.argv[1]), 5))
"""


def _files_of(*roots: str) -> dict:
    """{path: (size, mtime_ns)} below ``roots``: the host's own MariaDB files."""
    found = {}
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            for name in [""] + names:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


def _node2_count(mon_xml: str) -> tuple:
    """(all running, demo instances active on node2, node2's resource history entries)."""
    import xml.etree.ElementTree as ET

    mon = ET.fromstring(mon_xml)
    active = sum(1 for r in mon.iter("resource") if r.get("id") != "fence-nodes"
                 and any(n.get("name") == "node2" for n in r.findall("node")))
    history = [r.get("id") for n in mon.iter("node") if n.get("name") == "node2"
               for r in n.findall("resource_history") if r.get("id") != "fence-nodes"]
    return demo.all_running(mon), active, history


@pytest.mark.real_cluster
@pytest.mark.netns
def test_every_api_answers_through_the_vip_from_every_node_and_galera_has_one_writer(
        service_reachable_dir):
    reason = cluster_missing() or demo.missing_requirements("openstack", 3)
    if reason:
        pytest.skip(reason)
    from ocfpy.sandbox.cluster import process_alive
    from test_real_cluster import _assert_nothing_left, _facts_from_state, _host_snapshot, sandbox_env

    tmp_path = service_reachable_dir
    env = sandbox_env(tmp_path)
    before = _host_snapshot()
    host_mariadb = _files_of("/etc/mysql", "/var/lib/mysql")
    t0 = time.monotonic()
    up = _ocfpy("sandbox", "up", "--demo", env=env, timeout=600)
    up_seconds = time.monotonic() - t0
    programs: dict = {}
    checks: dict = {}
    try:
        assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-6000:]
        facts = _facts_from_state(tmp_path / "sbx" / "state.json")
        programs = _programs(facts["netns"])
        first_programs = {k: list(v) for k, v in programs.items()}
        mon = _ocfpy("sandbox", "exec", "node1", "--", "crm_mon", "-1", "--output-as=xml",
                     env=env)
        roles = _roles(mon.stdout)
        for node in NODES:
            res = _ocfpy("sandbox", "exec", node, "--", sys.executable, "-m",
                         "ocfpy.sandbox.demo", "check", "--json", env=env)
            checks[node] = json.loads(res.stdout) if res.stdout.startswith("{") else {
                "ok": False, "lines": [res.stdout + res.stderr]}
        # HAProxy on the VIP's node takes node1 out: the first backup writes
        vip_node = [n for (rsc, n) in roles if rsc == "vip"][0]
        disable = _ocfpy("sandbox", "exec", vip_node, "--", sys.executable, "-c",
                         _DISABLE_NODE1, "disable", env=env)
        failover = _ocfpy("sandbox", "exec", "node3", "--", sys.executable, "-c",
                          "from ocfpy.sandbox.demo import galera_writers as w; print(w())",
                          env=env)
        _ocfpy("sandbox", "exec", vip_node, "--", sys.executable, "-c", _DISABLE_NODE1,
               "enable", env=env)
        status = _ocfpy("sandbox", "status", env=env)
        # node2 powered off and on (as a fence does): it comes back without
        # the demo's mounts, and nothing of the demo runs or is probed there
        # (the host's own /etc/mysql and /var/lib/mysql stay untouched) until
        # `demo rejoin` prepares it again
        t2 = time.monotonic()
        _ocfpy("sandbox", "power", "off", "node2", env=env)
        power_on = _ocfpy("sandbox", "power", "on", "node2", env=env)
        time.sleep(5)
        after_boot = _node2_count(_ocfpy("sandbox", "exec", "node1", "--", "crm_mon", "-1",
                                         "--output-as=xml", env=env).stdout)
        rejoin = _ocfpy("sandbox", "exec", "node2", "--", sys.executable, "-m",
                        "ocfpy.sandbox.demo", "rejoin", env=env)
        deadline = time.monotonic() + 180
        while True:
            rejoined = _node2_count(_ocfpy("sandbox", "exec", "node1", "--", "crm_mon", "-1",
                                           "--output-as=xml", env=env).stdout)
            if rejoined[:2] == (True, 7) or time.monotonic() > deadline:
                break
            time.sleep(2)
        rejoin_seconds = time.monotonic() - t2
        # node2's new namespaces and processes must go with down too
        again = _facts_from_state(tmp_path / "sbx" / "state.json")
        facts = {"pids": sorted(set(facts["pids"]) | set(again["pids"])),
                 "netns": facts["netns"] | again["netns"], "tag": facts["tag"],
                 "workdir": facts["workdir"]}
        for name, pids in _programs(facts["netns"]).items():
            programs[name] = sorted(set(programs.get(name, [])) | set(pids))
        res = _ocfpy("sandbox", "exec", "node2", "--", sys.executable, "-m",
                     "ocfpy.sandbox.demo", "check", "--json", env=env)
        after_rejoin = json.loads(res.stdout) if res.stdout.startswith("{") else {
            "ok": False, "lines": [res.stdout + res.stderr]}
    finally:
        t1 = time.monotonic()
        down = _ocfpy("sandbox", "down", env=env, timeout=300)
        down_seconds = time.monotonic() - t1
    print("\nopenstack demo: up in %.1f s, node2 off, on and rejoined in %.1f s, down in %.1f s"
          "\n%s" % (up_seconds, rejoin_seconds, down_seconds,
                    "\n".join(checks.get("node2", {}).get("lines", []))))
    # the topology: HAProxy, clustercheck and every API on every node, the VIP on one
    roles = {k: v for k, v in roles.items() if k[0] != "fence-nodes"}   # the sandbox's
    assert roles == {("vip", vip_node): "Started",
                     **{("galera", n): "Promoted" for n in NODES},
                     **{(rsc, n): "Started" for n in NODES
                        for rsc in ("haproxy", "clustercheck", "p_keystone", "p_glance-api",
                                    "p_cinder-api", "p_manila-api")}}, roles
    assert {k: len(first_programs.get(k, [])) for k in ("mariadbd", "uwsgi", "clustercheck")} \
        == {"mariadbd": 3, "uwsgi": 12, "clustercheck": 3}, first_programs
    assert len(first_programs.get("haproxy", [])) >= 6, first_programs   # a master, a worker a node
    # up ends with what the check sees through the VIP
    for text in ("token ", "image list: %s" % demo.DEMO_IMAGE, "volume types: __DEFAULT__",
                 "share types: default", "written by node1"):
        assert text in up.stdout, (text, up.stdout[-3000:])
    # from every node, every API through the VIP; one Galera writer
    for node, check in checks.items():
        assert check["ok"], (node, check["lines"])
        assert (check["validated"], check["glance-api"], check["cinder-api"],
                check["manila-api"], check["writers"]) == (
            {n: 200 for n in NODES},
            {"status": 200, "names": [demo.DEMO_IMAGE]},
            {"status": 200, "names": ["__DEFAULT__"]},
            {"status": 200, "names": ["default"]},
            ["node1", "node1", "node1"]), (node, check["lines"])
        galera = {s: (st.split()[0], backup) for s, st, backup in check["haproxy"]["galera_cluster"]}
        assert galera == {"node1": ("UP", False), "node2": ("UP", True),
                          "node3": ("UP", True)}, (node, galera)
    assert disable.returncode == 0 and failover.stdout.strip() == "['node2', 'node2', 'node2']", \
        disable.stdout + disable.stderr + failover.stdout + failover.stderr
    assert status.returncode == 0 and "demo check from node1: token" in status.stdout
    assert (power_on.returncode, after_boot[1:]) == (0, (0, [])), (power_on.stdout, after_boot)
    assert rejoin.returncode == 0 and rejoined[:2] == (True, 7), (rejoin.stdout + rejoin.stderr,
                                                                  rejoined)
    assert after_rejoin["ok"], after_rejoin["lines"]
    assert _files_of("/etc/mysql", "/var/lib/mysql") == host_mariadb, "the host's MariaDB files changed"
    # down leaves nothing
    assert down.returncode == 0, down.stdout + down.stderr
    survivors = [p for pids in programs.values() for p in pids if process_alive(p)]
    assert not survivors, "processes survived down: %s" % survivors
    _assert_nothing_left(before, facts)
    assert not (tmp_path / "sbx").exists()
