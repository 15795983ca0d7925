"""The fake cluster's state store and its fake Pacemaker command line tools.

Everything here is shared by the two faces of the fake cluster:

- :class:`ocfpy.testing.fake.FakeCluster` (the Python API) reads and writes
  the state through :func:`locked`;
- the fake executables (``crm_attribute``, ``crm_master``, ``crm_node``,
  ``attrd_updater``, ``crm_mon``, ``cibadmin -Q``) that :func:`install_tools`
  writes into a bin directory are three-line Python scripts calling :func:`main`.

Resources have no scheduler here: whoever drives the agents (the
:class:`~ocfpy.testing.scheduler.CloneScheduler`) records each instance's
role with :func:`set_role`, and ``crm_mon`` / ``cibadmin -Q`` show it, as
agents such as resource-agents' galera read "is an instance Promoted?"
from ``crm_mon`` output.

The state is one JSON file (``state.json``) in a state directory, guarded by
``fcntl.flock`` on ``state.lock``: an agent run as a subprocess and the test
that drives it see the same attributes. The tools find the state directory
in ``OCFPY_FAKE_STATE`` and the node they "run on" in ``OCFPY_FAKE_NODE``.

Imports are stdlib-light on purpose: every fake tool call starts a Python.

Example::

    init_state("/tmp/st", ["node1", "node2"])
    # an agent running with OCFPY_FAKE_STATE=/tmp/st OCFPY_FAKE_NODE=node1 and
    # the bin dir first on PATH calls `crm_attribute --promotion -v 5`, then:
    with locked("/tmp/st") as st:
        st["attrs"]["node1"]["reboot"]["master-rsc"]    # "5"
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys

__all__ = ["STATE_ENV", "NODE_ENV", "STATE_FILE", "LOCK_FILE", "TOOLS", "PACEMAKER_VERSION",
           "EX_OK", "EX_ERROR", "EX_USAGE", "EX_DISCONNECT", "EX_NOSUCH", "CLUSTER_SECTIONS",
           "empty_state", "init_state", "locked", "read_state", "node_entry", "strip_clone",
           "set_role", "record", "UsageError", "parse", "CRM_ATTRIBUTE", "CRM_MASTER",
           "CRM_NODE", "ATTRD_UPDATER", "CRM_MON", "Ctx", "crm_attribute", "crm_master",
           "crm_node", "attrd_updater", "crm_mon_xml", "crm_mon", "CIBADMIN", "cib_xml",
           "cibadmin", "run_tool", "main", "install_tools"]


STATE_ENV = "OCFPY_FAKE_STATE"
NODE_ENV = "OCFPY_FAKE_NODE"
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
TOOLS = ("crm_attribute", "crm_master", "crm_node", "attrd_updater", "crm_mon", "cibadmin")
PACEMAKER_VERSION = "2.1.5"

# exit codes of Pacemaker's tools (include/crm/common/results.h)
EX_OK = 0
EX_ERROR = 1
EX_USAGE = 64
EX_DISCONNECT = 102
EX_NOSUCH = 105
REBOOT, FOREVER = "reboot", "forever"
CLUSTER_SECTIONS = ("crm_config", "rsc_defaults", "op_defaults", "tickets")


# ------------------------------------------------------------------ state
def empty_state(nodes) -> dict:
    """A new cluster state: ``nodes`` online, no attributes, no history."""
    return {
        "nodes": [{"name": n, "id": i, "online": True} for i, n in enumerate(nodes, 1)],
        "attrs": {n: {REBOOT: {}, FOREVER: {}} for n in nodes},
        "cluster": {s: {} for s in CLUSTER_SECTIONS},
        "history": [],
    }


def init_state(state_dir, nodes) -> None:
    """Create (or reset) the state directory for a cluster of ``nodes``."""
    os.makedirs(state_dir, exist_ok=True)
    with locked(state_dir, create=True) as st:
        st.clear()
        st.update(empty_state(nodes))


@contextlib.contextmanager
def locked(state_dir, create: bool = False):
    """The state dict under an exclusive lock; written back when the block ends
    without an exception (atomically: temp file then rename)."""
    lock_path = os.path.join(state_dir, LOCK_FILE)
    path = os.path.join(state_dir, STATE_FILE)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with open(path) as fh:
                state = json.load(fh)
        except FileNotFoundError:
            if not create:
                raise
            state = {}
        yield state
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    finally:
        os.close(fd)   # releases the flock


def read_state(state_dir) -> dict:
    """A snapshot of the state (shared lock, nothing written)."""
    fd = os.open(os.path.join(state_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        with open(os.path.join(state_dir, STATE_FILE)) as fh:
            return json.load(fh)
    finally:
        os.close(fd)


def node_entry(state, name):
    for node in state["nodes"]:
        if node["name"] == name:
            return node
    return None


def strip_clone(resource: str) -> str:
    base, sep, number = resource.rpartition(":")
    return base if sep and number.isdigit() else resource


def set_role(state, resource, node, role, failed=False, clone=None, agent="",
             promotable=False) -> None:
    """Record the role of ``resource``'s instance on ``node`` ("Started",
    "Promoted", "Unpromoted", "Stopped"); ``clone`` is the clone's id (None:
    a primitive), ``agent`` its ``ocf:provider:type``. A failed instance keeps
    its role with ``failed`` set, as crm_mon shows it until it is recovered."""
    rsc = state.setdefault("resources", {}).setdefault(
        strip_clone(resource), {"clone": clone, "agent": agent, "promotable": promotable,
                                "instances": {}})
    rsc.update(clone=clone, agent=agent or rsc.get("agent", ""), promotable=promotable)
    rsc["instances"][node] = {"role": role, "failed": bool(failed)}


def record(state, **entry) -> None:
    """Append one call to the history (``seq`` numbers calls in order)."""
    entry["seq"] = len(state["history"]) + 1
    state["history"].append(entry)


# ---------------------------------------------------------- option parsing
class UsageError(Exception):
    pass


def parse(argv, spec):
    """Parse GLib-style options. ``spec`` maps every spelling ("-n", "--name")
    to (key, arity) where arity is 0 (flag), 1 (needs a value) or "?" (optional
    value, only attached: ``--promotion=rsc`` or ``-prsc``). Returns (opts, rest)."""
    opts, rest = {}, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            rest.append(arg)
            continue
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=")
            key, arity = _option(spec, name)
            opts[key], i = _option_value(name, arity, attached if eq else None, argv, i)
            continue
        # short options, possibly grouped: -qG, -nNAME, -n NAME
        j = 1
        while j < len(arg):
            name = "-" + arg[j]
            key, arity = _option(spec, name)
            j += 1
            opts[key], i = _option_value(name, arity, arg[j:] or None, argv, i)
            if arity != 0:
                break      # the rest of the word was this option's value
    return opts, rest


def _option(spec, name):
    if name not in spec:
        raise UsageError(f"Unknown option {name}")
    return spec[name]


def _option_value(name, arity, attached, argv, i):
    """(value, index of the next word) of option ``name``: True for a flag,
    else the value ``attached`` to it (``--name=x``, ``-nx``; None when
    none), else, unless optional, the next word ``argv[i]``."""
    if arity == 0:
        return True, i
    if attached is not None:
        return attached, i
    if arity == "?":
        return True, i
    if i >= len(argv):
        raise UsageError(f"Missing argument for {name}")
    return argv[i], i + 1


def _spec(*entries):
    spec = {}
    for short, long, key, arity in entries:
        if short:
            spec[short] = (key, arity)
        if long:
            spec[long] = (key, arity)
    return spec


_COMMON = (("-V", "--verbose", "verbose", 0), ("-$", "--version", "version", 0),
           ("-h", "--help", "help", 0), (None, "--help-all", "help", 0),
           (None, "--output-as", "output_as", 1), (None, "--output-to", "output_to", 1))

CRM_ATTRIBUTE = _spec(
    ("-n", "--name", "name", 1), ("-P", "--pattern", "pattern", 1),
    ("-p", "--promotion", "promotion", "?"), ("-i", "--id", "id", 1),
    ("-s", "--set-name", "set", 1), ("-D", "--delete", "delete", 0),
    ("-G", "--query", "query", 0), ("-v", "--update", "update", 1),
    ("-d", "--default", "default", 1), ("-l", "--lifetime", "lifetime", 1),
    ("-N", "--node", "node", 1), ("-t", "--type", "type", 1),
    ("-z", "--utilization", "utilization", 0), ("-q", "--quiet", "quiet", 0),
    # legacy spellings still accepted by 2.1
    ("-U", "--uname", "node", 1), (None, "--get-value", "query", 0),
    (None, "--delete-attr", "delete", 0), (None, "--attr-value", "update", 1),
    *_COMMON)

CRM_MASTER = _spec(
    ("-q", "--quiet", "quiet", 0), ("-G", "--query", "query", 0),
    ("-v", "--update", "update", 1), ("-D", "--delete", "delete", 0),
    ("-N", "--node", "node", 1), ("-l", "--lifetime", "lifetime", 1),
    ("-i", "--id", "id", 1), ("-r", "--resource", "resource", 1),
    ("-Q", "--get-value", "query", 0), (None, "--delete-attr", "delete", 0),
    ("-U", "--uname", "node", 1), (None, "--attr-value", "update", 1),
    *_COMMON)

CRM_NODE = _spec(
    ("-i", "--cluster-id", "id", 0), ("-l", "--list", "list", 0),
    ("-n", "--name", "name", 0), ("-p", "--partition", "partition", 0),
    ("-q", "--quorum", "quorum", 0), ("-N", "--name-for-id", "name_for_id", 1),
    ("-R", "--remove", "remove", 1), ("-f", "--force", "force", 0),
    ("-Q", "--quiet", "quiet", 0), *_COMMON)

ATTRD_UPDATER = _spec(
    ("-n", "--name", "name", 1), ("-U", "--update", "update", 1),
    ("-B", "--update-both", "update", 1), ("-Y", "--update-delay", "delay_only", 0),
    ("-Q", "--query", "query", 0), ("-D", "--delete", "delete", 0),
    ("-R", "--refresh", "refresh", 0), ("-d", "--delay", "delay", 1),
    ("-s", "--set", "set", 1), ("-N", "--node", "node", 1),
    ("-A", "--all", "all", 0), ("-l", "--lifetime", "lifetime", 1),
    ("-p", "--private", "private", 0), *_COMMON)

CRM_MON = _spec(
    ("-1", "--one-shot", "one_shot", 0), ("-r", "--inactive", "inactive", 0),
    ("-A", "--show-node-attributes", "attrs", 0), ("-f", "--failcounts", "fail", 0),
    ("-n", "--group-by-node", "by_node", 0), ("-X", "--as-xml", "as_xml", 0),
    ("-Q", "--quiet", "quiet", 0), ("-s", "--simple-status", "simple", 0),
    ("-R", "--show-detail", "detail", 0), (None, "--include", "include", 1),
    (None, "--exclude", "exclude", 1), ("-b", "--brief", "brief", 0),
    ("-t", "--timing-details", "timing", 0), ("-o", "--operations", "ops", 0),
    ("-m", "--neg-locations", "neg", "?"), *_COMMON)


# ------------------------------------------------------------------- tools
class Ctx:
    """One tool call: its name, argv, environment and output streams."""

    def __init__(self, tool, argv, environ, out, err):
        self.tool = tool
        self.argv = list(argv)
        self.env = environ
        self.out = out
        self.err = err
        self.node = environ.get(NODE_ENV, "")

    def fail(self, rc, message):
        self.err.write(f"{self.tool}: {message}\n")
        return rc


def _version(ctx):
    ctx.out.write(f"Pacemaker {PACEMAKER_VERSION}\n"
                  "Written by Andrew Beekhof and the Pacemaker project contributors\n"
                  "(fake tool of ocfpy.testing)\n")
    return EX_OK


def _node_attr_op(ctx, st, opts, target, lifetime, name):
    """query/update/delete of one node attribute; returns rc."""
    scope = "status" if lifetime == REBOOT else "nodes"
    if node_entry(st, target) is None:
        rc = ctx.fail(EX_NOSUCH, f"Could not map name={target} to a UUID")
        record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="error", target=target,
               lifetime=lifetime, name=name, rc=rc)
        return rc
    store = st["attrs"].setdefault(target, {REBOOT: {}, FOREVER: {}})[lifetime]
    op, value, rc = _store_op(ctx, opts, store, name, scope)
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op=op, target=target,
           lifetime=lifetime, name=name, value=value, rc=rc)
    return rc


def _store_op(ctx, opts, store, name, scope):
    """Set (-v), delete (-D) or query ``name`` in ``store``, one scope's
    attributes or options, as crm_attribute does; (op, value, rc)."""
    if "update" in opts:
        store[name] = str(opts["update"])
        return "set", store[name], EX_OK
    if "delete" in opts:
        store.pop(name, None)
        return "delete", None, EX_OK
    value = store.get(name)
    if value is None:
        value = opts.get("default")
    if value is None:
        return "get", None, ctx.fail(EX_NOSUCH, "Error performing operation: No such device or address")
    ctx.out.write(f"{value}\n" if opts.get("quiet") else f"scope={scope}  name={name} value={value}\n")
    return "get", value, EX_OK


def _connected(ctx, st):
    """The calling node must be an online cluster member, as with the real tools."""
    me = node_entry(st, ctx.node)
    return me is not None and me["online"]


def _disconnected(ctx, st, what="Could not connect to the CIB: Transport endpoint is not connected"):
    rc = ctx.fail(EX_DISCONNECT, what)
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="error", rc=rc)
    return rc


def crm_attribute(ctx, st):
    opts, _ = parse(ctx.argv, CRM_ATTRIBUTE)
    if opts.get("version"):
        return _version(ctx)
    if not _connected(ctx, st):
        return _disconnected(ctx, st)
    name = opts.get("name")
    if "promotion" in opts:
        resource = opts["promotion"] if opts["promotion"] is not True else \
            ctx.env.get("OCF_RESOURCE_INSTANCE", "")
        if not resource:
            return ctx.fail(EX_USAGE, "Resource not specified (use --promotion=RESOURCE "
                                      "or set OCF_RESOURCE_INSTANCE)")
        name = "master-" + strip_clone(resource)
        opts.setdefault("lifetime", REBOOT)
    section = opts.get("type")
    if section in ("nodes", "status"):
        opts.setdefault("lifetime", FOREVER if section == "nodes" else REBOOT)
        section = None
    if not name and ("update" in opts or "delete" in opts or "query" in opts):
        return ctx.fail(EX_USAGE, "Error: must specify attribute name or pattern to query or modify")
    node_attr = "node" in opts or "lifetime" in opts or "utilization" in opts
    if section is not None and section not in CLUSTER_SECTIONS:
        return ctx.fail(EX_USAGE, f"Invalid value '{section}' for -t/--type")
    if node_attr and section is None:
        lifetime = opts.get("lifetime", FOREVER)
        if lifetime not in (REBOOT, FOREVER):
            return ctx.fail(EX_USAGE, f"Invalid lifetime '{lifetime}' (use reboot or forever)")
        target = opts.get("node") or ctx.node
        return _node_attr_op(ctx, st, opts, target, lifetime, name)
    # a cluster option (crm_config unless -t says otherwise)
    section = section or "crm_config"
    op, value, rc = _store_op(ctx, opts, st["cluster"].setdefault(section, {}), name, section)
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op=op, target=section,
           lifetime=None, name=name, value=value, rc=rc)
    return rc


def crm_master(ctx, st):
    try:
        opts, _ = parse(ctx.argv, CRM_MASTER)
    except UsageError as exc:   # crm_master is a shell script: usage errors exit 1
        ctx.err.write(f"error: {exc}\n")
        return EX_ERROR
    if opts.get("version"):
        return _version(ctx)
    resource = opts.get("resource") or ctx.env.get("OCF_RESOURCE_INSTANCE", "")
    if not resource:
        ctx.err.write("error: No resource specified\n")
        return EX_ERROR
    if not _connected(ctx, st):
        return _disconnected(ctx, st)
    lifetime = opts.get("lifetime", FOREVER)
    if lifetime not in (REBOOT, FOREVER):
        return ctx.fail(EX_USAGE, f"Invalid lifetime '{lifetime}'")
    return _node_attr_op(ctx, st, opts, opts.get("node") or ctx.node, lifetime,
                         "master-" + strip_clone(resource))


def crm_node(ctx, st):
    opts, _ = parse(ctx.argv, CRM_NODE)
    if opts.get("version"):
        return _version(ctx)
    me = node_entry(st, ctx.node)
    if me is None or not me["online"]:
        return ctx.fail(EX_DISCONNECT, "Could not connect to controller: Connection refused")
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="query", rc=EX_OK)
    if opts.get("name"):
        ctx.out.write(f"{me['name']}\n")
    elif opts.get("id"):
        ctx.out.write(f"{me['id']}\n")
    elif "name_for_id" in opts:
        for node in st["nodes"]:
            if str(node["id"]) == str(opts["name_for_id"]):
                ctx.out.write(f"{node['name']}\n")
                break
        else:
            return ctx.fail(EX_NOSUCH, f"Could not find node with id {opts['name_for_id']}")
    elif opts.get("list"):
        for node in st["nodes"]:
            state = "member" if node["online"] else "lost"
            ctx.out.write(f"{node['id']} {node['name']} {state}\n")
    elif opts.get("partition"):
        ctx.out.write(" ".join(n["name"] for n in st["nodes"] if n["online"]) + "\n")
    elif opts.get("quorum"):
        online = sum(1 for n in st["nodes"] if n["online"])
        ctx.out.write("1\n" if online * 2 > len(st["nodes"]) else "0\n")
    else:
        return ctx.fail(EX_USAGE, "No command specified")
    return EX_OK


def attrd_updater(ctx, st):
    opts, _ = parse(ctx.argv, ATTRD_UPDATER)
    if opts.get("version"):
        return _version(ctx)
    if not _connected(ctx, st):
        return _disconnected(ctx, st, "Could not connect to attrd: Connection refused")
    name = opts.get("name")
    if not name:
        return ctx.fail(EX_USAGE, "-n/--name is required")
    if opts.get("query"):
        nodes = [n["name"] for n in st["nodes"]] if opts.get("all") else \
            [opts.get("node") or ctx.node]
        found = False
        for node in nodes:
            value = st["attrs"].get(node, {}).get(REBOOT, {}).get(name)
            if value is not None:
                found = True
                ctx.out.write(f'name="{name}" host="{node}" value="{value}"\n')
        rc = EX_OK if found else ctx.fail(
            EX_NOSUCH, f"Could not query value of {name}: attribute does not exist")
        record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="get",
               target=",".join(nodes), lifetime=REBOOT, name=name, rc=rc)
        return rc
    target = opts.get("node") or ctx.node
    if node_entry(st, target) is None:
        return ctx.fail(EX_NOSUCH, f"Could not map name={target} to a UUID")
    store = st["attrs"].setdefault(target, {REBOOT: {}, FOREVER: {}})[REBOOT]
    if "update" in opts:
        store[name] = str(opts["update"])
        op, value = "set", store[name]
    elif opts.get("delete"):
        store.pop(name, None)
        op, value = "delete", None
    elif opts.get("refresh") or opts.get("delay_only"):
        op, value = "refresh", None
    else:
        return ctx.fail(EX_USAGE, "Command required (one of -U, -B, -Y, -Q, -D, -R)")
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op=op, target=target,
           lifetime=REBOOT, name=name, value=value, rc=EX_OK)
    return EX_OK


def _instance_count(st) -> int:
    return sum(len(r["instances"]) for r in st.get("resources", {}).values())


def _running_on(st, node) -> int:
    return sum(1 for r in st.get("resources", {}).values()
               if r["instances"].get(node, {}).get("role") in ("Started", "Promoted", "Unpromoted"))


def _xml_attr(value) -> str:
    return (str(value).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def crm_mon_xml(st, node="") -> str:
    """What ``crm_mon --output-as=xml`` shows of the fake: nodes and their
    transient attributes (no resources: the fake has no scheduler state)."""
    online = [n for n in st["nodes"] if n["online"]]
    dc = online[0]["name"] if online else ""
    lines = ['<?xml version="1.0"?>',
             f'<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml">',
             "  <summary>",
             f'    <stack type="corosync"/>',
             f'    <current_dc present="{"true" if dc else "false"}" version="{PACEMAKER_VERSION}"'
             f' name="{_xml_attr(dc)}" id="{next((n["id"] for n in online), "")}"'
             f' with_quorum="{"true" if len(online) * 2 > len(st["nodes"]) else "false"}"/>',
             f'    <nodes_configured number="{len(st["nodes"])}"/>',
             f'    <resources_configured number="{_instance_count(st)}" disabled="0" blocked="0"/>',
             "  </summary>", "  <nodes>"]
    for n in st["nodes"]:
        lines.append(f'    <node name="{_xml_attr(n["name"])}" id="{n["id"]}"'
                     f' online="{"true" if n["online"] else "false"}" standby="false"'
                     ' standby_onfail="false" maintenance="false" pending="false"'
                     f' unclean="false" shutdown="false" expected_up="true"'
                     f' is_dc="{"true" if n["name"] == dc else "false"}"'
                     f' resources_running="{_running_on(st, n["name"])}" type="member"/>')
    lines += ["  </nodes>", "  <node_attributes>"]
    for n in st["nodes"]:
        if not n["online"]:
            continue
        attrs = st["attrs"].get(n["name"], {}).get(REBOOT, {})
        lines.append(f'    <node name="{_xml_attr(n["name"])}">')
        for key in sorted(attrs):
            lines.append(f'      <attribute name="{_xml_attr(key)}" value="{_xml_attr(attrs[key])}"/>')
        lines.append("    </node>")
    lines += ["  </node_attributes>"]
    lines += _resources_xml(st) or ["  <resources/>"]
    lines += ['  <status code="0" message="OK"/>', "</pacemaker-result>"]
    return "\n".join(lines) + "\n"


_ACTIVE_ROLES = ("Started", "Promoted", "Unpromoted")


def _instance_xml(st, rid, rsc, node, inst, indent) -> list:
    role = inst["role"]
    active = role in _ACTIVE_ROLES
    failed = "true" if inst.get("failed") else "false"
    head = (f'{indent}<resource id="{_xml_attr(rid)}" resource_agent="{_xml_attr(rsc.get("agent", ""))}"'
            f' role="{role}" active="{"true" if active else "false"}" orphaned="false"'
            f' blocked="false" maintenance="false" managed="true" failed="{failed}"'
            f' failure_ignored="false" nodes_running_on="{1 if active else 0}"')
    if not active:
        return [head + "/>"]
    entry = node_entry(st, node) or {"id": ""}
    return [head + ">", f'{indent}  <node name="{_xml_attr(node)}" id="{entry["id"]}" cached="true"/>',
            f"{indent}</resource>"]


def _resources_xml(st) -> list:
    """crm_mon's <resources> for the roles recorded with set_role (one line
    per <resource>, attributes in crm_mon's order, as agents grep them)."""
    lines = []
    for rid, rsc in sorted(st.get("resources", {}).items()):
        instances = rsc["instances"]
        if rsc.get("clone"):
            failed = "true" if any(i.get("failed") for i in instances.values()) else "false"
            lines.append(f'    <clone id="{_xml_attr(rsc["clone"])}"'
                         f' multi_state="{"true" if rsc.get("promotable") else "false"}"'
                         ' unique="false" maintenance="false" managed="true" disabled="false"'
                         f' failed="{failed}" failure_ignored="false">')
            for node in sorted(instances, key=lambda n: (node_entry(st, n) or {"id": 0})["id"]):
                lines += _instance_xml(st, rid, rsc, node, instances[node], "      ")
            lines.append("    </clone>")
        else:
            for node, inst in sorted(instances.items()):
                lines += _instance_xml(st, rid, rsc, node, inst, "    ")
    return ["  <resources>", *lines, "  </resources>"] if lines else []


def _resources_text(st) -> list:
    lines = []
    for rid, rsc in sorted(st.get("resources", {}).items()):
        by_role = {}
        for node, inst in rsc["instances"].items():
            label = inst["role"] + (" (FAILED)" if inst.get("failed") else "")
            by_role.setdefault(label, []).append(node)
        if rsc.get("clone"):
            kind = " (promotable)" if rsc.get("promotable") else ""
            lines.append(f"  * Clone Set: {rsc['clone']} [{rid}]{kind}:")
            for label, nodes in sorted(by_role.items()):
                lines.append(f"    * {label}: [ {' '.join(sorted(nodes))} ]")
        else:
            for label, nodes in sorted(by_role.items()):
                lines.append(f"  * {rid}\t({rsc.get('agent', '')}):\t {label} {' '.join(nodes)}")
    return lines


def crm_mon(ctx, st):
    opts, _ = parse(ctx.argv, CRM_MON)
    if opts.get("version"):
        return _version(ctx)
    if not _connected(ctx, st):
        return _disconnected(ctx, st, "Connection to cluster failed: Transport endpoint is not connected")
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="query", rc=EX_OK)
    if opts.get("output_as") == "xml" or opts.get("as_xml"):
        ctx.out.write(crm_mon_xml(st, ctx.node))
        return EX_OK
    if opts.get("simple"):
        online = sum(1 for n in st["nodes"] if n["online"])
        ctx.out.write(f"CLUSTER OK: {online} nodes online, 0 resource instances configured\n")
        return EX_OK
    ctx.out.write("Cluster Summary:\n  * Stack: corosync (fake)\n\nNode List:\n")
    for state, label in ((True, "Online"), (False, "OFFLINE")):
        names = [n["name"] for n in st["nodes"] if n["online"] is state]
        if names:
            ctx.out.write(f"  * {label}: [ {' '.join(names)} ]\n")
    if opts.get("attrs"):
        ctx.out.write("\nNode Attributes:\n")
        for n in st["nodes"]:
            if n["online"]:
                ctx.out.write(f"  * Node: {n['name']}:\n")
                for key, value in sorted(st["attrs"].get(n["name"], {}).get(REBOOT, {}).items()):
                    ctx.out.write(f"    * {key:<32}: {value}\n")
    resources = _resources_text(st) or ["  * No resources"]
    ctx.out.write("\nFull List of Resources:\n" + "\n".join(resources) + "\n")
    return EX_OK


CIBADMIN = _spec(("-Q", "--query", "query", 0), ("-o", "--scope", "scope", 1),
                 ("-l", "--local", "local", 0), ("-s", "--sync-call", "sync", 0),
                 *_COMMON)


def cib_xml(st, scope=None) -> str:
    """What ``cibadmin -Q`` shows of the fake: nodes, clone/primitive skeletons
    of the resources set_role recorded, and every node's attributes."""
    node_xml = "".join(
        f'      <node id="{n["id"]}" uname="{_xml_attr(n["name"])}">'
        + _nvpairs(f'nodes-{n["id"]}', st["attrs"].get(n["name"], {}).get(FOREVER, {}),
                   "instance_attributes") + "</node>\n"
        for n in st["nodes"])
    rsc_xml = ""
    for rid, rsc in sorted(st.get("resources", {}).items()):
        agent = rsc.get("agent") or ""
        _, provider, kind = agent.split(":") if agent.count(":") == 2 else ("", "unknown", "unknown")
        prim = f'<primitive id="{_xml_attr(rid)}" class="ocf" provider="{_xml_attr(provider)}" type="{_xml_attr(kind)}"/>'
        if rsc.get("clone"):
            meta = (f'<meta_attributes id="{_xml_attr(rsc["clone"])}-meta_attributes">'
                    f'<nvpair id="{_xml_attr(rsc["clone"])}-meta_attributes-promotable" name="promotable"'
                    f' value="{"true" if rsc.get("promotable") else "false"}"/></meta_attributes>')
            prim = f'<clone id="{_xml_attr(rsc["clone"])}">{prim}{meta}</clone>'
        rsc_xml += "      " + prim + "\n"
    crm_config = "".join(_nvpairs(f"cib-{section}", values, "cluster_property_set")
                         for section, values in sorted(st["cluster"].items()) if section == "crm_config")
    status = "".join(
        f'    <node_state id="{n["id"]}" uname="{_xml_attr(n["name"])}" in_ccm="{"true" if n["online"] else "false"}"'
        f' crmd="{"online" if n["online"] else "offline"}" join="member" expected="member">'
        f'<transient_attributes id="{n["id"]}">'
        + _nvpairs(f'status-{n["id"]}', st["attrs"].get(n["name"], {}).get(REBOOT, {}),
                   "instance_attributes") + "</transient_attributes></node_state>\n"
        for n in st["nodes"] if n["online"])
    sections = {
        "crm_config": f"    <crm_config>{crm_config}</crm_config>\n",
        "nodes": f"    <nodes>\n{node_xml}    </nodes>\n",
        "resources": f"    <resources>\n{rsc_xml}    </resources>\n",
        "constraints": "    <constraints/>\n",
    }
    if scope in sections:
        return sections[scope].strip() + "\n"
    if scope == "status":
        return f"<status>\n{status}</status>\n"
    if scope == "configuration":
        return "<configuration>\n" + "".join(sections.values()) + "</configuration>\n"
    return (f'<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0"'
            f' admin_epoch="0" have-quorum="1">\n  <configuration>\n'
            + "".join(sections.values())
            + f"  </configuration>\n  <status>\n{status}  </status>\n</cib>\n")


def _nvpairs(prefix, values, tag) -> str:
    if not values:
        return ""
    pairs = "".join(f'<nvpair id="{_xml_attr(prefix)}-{_xml_attr(k)}" name="{_xml_attr(k)}"'
                    f' value="{_xml_attr(v)}"/>' for k, v in sorted(values.items()))
    return f'<{tag} id="{_xml_attr(prefix)}">{pairs}</{tag}>'


def cibadmin(ctx, st):
    """Only ``cibadmin -Q [-o SECTION]``: agents read the CIB, they do not write it."""
    opts, _ = parse(ctx.argv, CIBADMIN)
    if opts.get("version"):
        return _version(ctx)
    if not opts.get("query"):
        return ctx.fail(EX_USAGE, "only -Q/--query is supported by the fake cibadmin")
    if not _connected(ctx, st):
        return _disconnected(ctx, st)
    scope = opts.get("scope")
    if scope not in (None, "configuration", "status", "crm_config", "nodes", "resources",
                     "constraints"):
        return ctx.fail(EX_NOSUCH, f"Section {scope} not found")
    record(st, tool=ctx.tool, argv=ctx.argv, node=ctx.node, op="query", rc=EX_OK)
    ctx.out.write(cib_xml(st, scope))
    return EX_OK


_TOOLS = {"crm_attribute": crm_attribute, "crm_master": crm_master, "crm_node": crm_node,
          "attrd_updater": attrd_updater, "crm_mon": crm_mon, "cibadmin": cibadmin}


def run_tool(tool, argv, environ=None, out=None, err=None) -> int:
    """Run one fake tool in-process; returns its exit code."""
    environ = os.environ if environ is None else environ
    ctx = Ctx(tool, argv, environ, out or sys.stdout, err or sys.stderr)
    state_dir = environ.get(STATE_ENV)
    if not state_dir or not os.path.exists(os.path.join(state_dir, STATE_FILE)):
        return ctx.fail(EX_DISCONNECT, f"no fake cluster: {STATE_ENV} is unset or has no state "
                                       "(ocfpy.testing fake tool)")
    try:
        with locked(state_dir) as st:
            return _TOOLS[tool](ctx, st)
    except UsageError as exc:
        return ctx.fail(EX_USAGE, str(exc))


def main(tool) -> None:
    """Entry point of a fake executable."""
    sys.exit(run_tool(tool, sys.argv[1:]))


def install_tools(bin_dir, python=None) -> list:
    """Write the fake executables into ``bin_dir``; returns their paths."""
    import ocfpy

    os.makedirs(bin_dir, exist_ok=True)
    python = python or sys.executable
    root = os.path.dirname(os.path.dirname(os.path.abspath(ocfpy.__file__)))
    paths = []
    for tool in TOOLS:
        path = os.path.join(bin_dir, tool)
        with open(path, "w") as fh:
            fh.write(f"#!{python} -IS\n"
                     "# fake Pacemaker tool written by ocfpy.testing\n"
                     f"import sys; sys.path.insert(0, {root!r})\n"
                     "from ocfpy.testing.fake_tools import main\n"
                     f"main({tool!r})\n")
        os.chmod(path, 0o755)
        paths.append(path)
    return paths
