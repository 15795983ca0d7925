"""YAML and JSON specs: linux-system-roles ``ha_cluster`` variables <-> Config.

A YAML (``.yml``/``.yaml``) or JSON (``.json``) spec holds the CIB part of the
``ha_cluster`` role's variables, in the role's shapes, so an existing
playbook's variables file can be rendered, verified, diffed and applied by
``ocfpy cib``, and ``ocfpy cib import`` writes one from a live cluster:

=========================================  ====================================
``ha_cluster_cluster_properties``          ``- attrs: [{name, value}]`` (one set)
``ha_cluster_resource_primitives``         ``id``, ``agent`` (full name; a fence
                                           device is ``stonith:<type>``),
                                           ``instance_attrs``, ``meta_attrs``,
                                           ``utilization`` (one set each),
                                           ``operations: [{action, attrs}]``
                                           (``interval``, ``timeout``, ``role``,
                                           ``on-fail``, ``OCF_CHECK_LEVEL``,
                                           other op attributes)
``ha_cluster_resource_groups``             ``id``, ``resource_ids``, ``meta_attrs``
``ha_cluster_resource_clones``             ``resource_id``, ``id`` (default
                                           ``<resource_id>-clone``),
                                           ``promotable``, ``meta_attrs``
``ha_cluster_resource_defaults``,          ``meta_attrs: [{attrs}]`` (one set,
``ha_cluster_resource_operation_defaults`` no rule)
``ha_cluster_stonith_levels``              ``level``, ``target``, ``resource_ids``
``ha_cluster_constraints_location``        ``resource: {id, role}``, ``node`` or
                                           ``rule`` (pcs rule syntax), ``id``,
                                           ``options`` (``score`` default
                                           INFINITY, ``resource-discovery``)
``ha_cluster_constraints_colocation``      ``resource_follower``/``resource_leader``
                                           ``{id, role}`` or ``resource_sets``
                                           (``resource_ids``, ``options``:
                                           sequential, require-all, role); ``id``,
                                           ``options`` (``score``)
``ha_cluster_constraints_order``           ``resource_first``/``resource_then``
                                           ``{id, action}`` or ``resource_sets``
                                           (options: sequential, require-all,
                                           action, role); ``id``, ``options``
                                           (``kind``, ``symmetrical``)
``ha_cluster_node_options``                ``node_name``, ``attributes``,
                                           ``utilization`` (one set each)
=========================================  ====================================

Sets of resources are listed as pcs and the role write them (the CIB's
order: in a colocation the LAST set is placed first). The role's other
variables (cluster name, transport, passwords, SBD, node addresses,
``pcs_address``...) configure the cluster, not the CIB: they are accepted and
ignored. CIB variables the model does not cover (bundles, ticket
constraints, ACLs, alerts, resource patterns, date rules, rule-based default
sets) are refused with the line that uses them. ocfpy additions, all
optional: ``ocfpy_fencing_disabled_reason`` (the acknowledgement
``Config.disable_fencing`` records: sets ``stonith-enabled=false``),
``node_id`` in a node's options, and ``rules`` in a location (several rules,
each ``{rule, score, role}``).

Differences from the role: ocfpy never copies an agent's default operations
(list them; ``copy_operations_from_agent: true`` is refused, and exported
files say ``false`` so the role reads them the same way), and more than one
attribute set where the role uses only the first is an error, not ignored.

Every mistake raises :class:`~ocfpy.cib.spec.SpecError` naming the file and
line: YAML or JSON syntax, unknown keys, missing keys, bad values.

Example::

    from ocfpy.cib.data import load_data_spec, dump_yaml
    cfg = load_data_spec("crm_snippets/openstack.yaml")
    print(dump_yaml(cfg))
"""

from __future__ import annotations

import json
import shlex
from typing import Any, Dict, List, Optional, Tuple

from ocfpy.cib.model import (
    Clone, Colocation, ColocationSet, Config, Expression, FencingDevice, FencingLevel,
    Group, Location, Node, Op, Order, OrderSet, Primitive, ResourceSet, Rule,
)
from ocfpy.cib.errors import SpecError

__all__ = ["load_data_spec", "parse_data", "config_to_data", "dump_yaml", "dump_json",
           "parse_rule", "rule_to_text"]

CIB_KEYS = (
    "ha_cluster_cluster_properties", "ha_cluster_node_options",
    "ha_cluster_resource_primitives", "ha_cluster_resource_groups",
    "ha_cluster_resource_clones", "ha_cluster_resource_defaults",
    "ha_cluster_resource_operation_defaults", "ha_cluster_stonith_levels",
    "ha_cluster_constraints_location", "ha_cluster_constraints_colocation",
    "ha_cluster_constraints_order",
)
#: CIB variables of the role that the model does not cover: refused when not empty
UNSUPPORTED_KEYS = ("ha_cluster_resource_bundles", "ha_cluster_constraints_ticket",
                    "ha_cluster_acls", "ha_cluster_alerts")
#: the role's variables that configure the cluster, not the CIB: ignored
IGNORED_KEYS = (
    "ha_cluster_export_configuration", "ha_cluster_enable_repos",
    "ha_cluster_enable_repos_resilient_storage", "ha_cluster_manage_firewall",
    "ha_cluster_manage_selinux", "ha_cluster_cluster_present", "ha_cluster_start_on_boot",
    "ha_cluster_install_cloud_agents", "ha_cluster_fence_agent_packages",
    "ha_cluster_extra_packages", "ha_cluster_zypper_patterns",
    "ha_cluster_use_latest_packages", "ha_cluster_hacluster_password",
    "ha_cluster_hacluster_qdevice_password", "ha_cluster_corosync_key_src",
    "ha_cluster_pacemaker_key_src", "ha_cluster_fence_virt_key_src",
    "ha_cluster_pcsd_public_key_src", "ha_cluster_pcsd_private_key_src",
    "ha_cluster_pcsd_certificates", "ha_cluster_regenerate_keys",
    "ha_cluster_pcs_permission_list", "ha_cluster_cluster_name", "ha_cluster_transport",
    "ha_cluster_totem", "ha_cluster_quorum", "ha_cluster_sbd_enabled",
    "ha_cluster_sbd_options", "ha_cluster_qnetd", "ha_cluster_node_name",
    "ha_cluster_corosync_addresses", "ha_cluster_pcs_address", "ha_cluster",
    "ha_cluster_deploy_firewall",
)
OCFPY_KEYS = ("ocfpy_fencing_disabled_reason",)
_NODE_IGNORED = ("pcs_address", "corosync_addresses", "sbd_watchdog_modules",
                 "sbd_watchdog_modules_blocklist", "sbd_watchdog", "sbd_devices")
_OP_STD = ("interval", "timeout", "role", "on-fail", "OCF_CHECK_LEVEL")
_YAML_TRUE = {"yes", "true", "on"}
_EXPR_OPS = ("lt", "gt", "lte", "gte", "eq", "ne")
_EXPR_TYPES = ("integer", "number", "string", "version")


# ------------------------------------------------------------- located values
class LDict(dict):
    """A mapping that remembers its line and each key's line."""

    line: Optional[int] = None
    lines: Dict[str, int]


class YBool(str):
    """A YAML 1.1 boolean (true, yes, on...) as written; ``bool()`` is its truth."""

    def __bool__(self):
        return self.lower() in _YAML_TRUE


class LList(list):
    """A sequence that remembers its line and each item's line."""

    line: Optional[int] = None
    lines: List[int]


def _located(node, path: str):
    import yaml

    line = node.start_mark.line + 1 if node.start_mark is not None else None
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.lines = line, {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise SpecError(path, k.start_mark.line + 1, "a mapping key must be a plain name")
            key = k.value
            if key in out:
                raise SpecError(path, k.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _located(v, path)
            out.lines[key] = k.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LList(_located(v, path) for v in node.value)
        out.line = line
        out.lines = [v.start_mark.line + 1 for v in node.value]
        return out
    tag = node.tag or ""
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return YBool(node.value)
    return node.value  # str, int, float: the text as written ("0600" stays "0600")


def _load_tree(path: str):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise SpecError(path, None, e.strerror or str(e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(path, raw[:e.start].count(b"\n") + 1, "not UTF-8 text") from None
    if path.lower().endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(path, e.lineno, f"JSON: {e.msg} (column {e.colno})") from None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(str(e.problem or e.context or e).split())
        raise SpecError(path, mark.line + 1 if mark else None, f"YAML: {what}") from None
    except yaml.YAMLError as e:
        raise SpecError(path, None, f"YAML: {' '.join(str(e).split())}") from None
    if node is None:
        return LDict()
    return _located(node, path)


# ------------------------------------------------------------------ reading
class _Reader:
    def __init__(self, path: str):
        self.path = path

    def err(self, line, message) -> SpecError:
        return SpecError(self.path, line, message)

    @staticmethod
    def line_of(container, key=None):
        if key is not None and isinstance(container, LDict) and key in container.lines:
            return container.lines[key]
        if key is not None and isinstance(container, LList) and isinstance(key, int) \
                and key < len(container.lines):
            return container.lines[key]
        return getattr(container, "line", None)

    def mapping(self, value, what, line=None) -> LDict:
        if not isinstance(value, dict):
            raise self.err(getattr(value, "line", line),
                           f"{what}: expected a mapping, got {_kind(value)}")
        return value

    def seq(self, value, what, line=None) -> LList:
        if value is None:
            out = LList()
            out.line, out.lines = line, []
            return out
        if not isinstance(value, list):
            raise self.err(getattr(value, "line", line),
                           f"{what}: expected a list, got {_kind(value)}")
        return value

    def entries(self, root: LDict, key: str):
        """(mapping, "KEY item N") for each item of the list ``root[key]``
        (nothing when the key is absent)."""
        items = self.seq(root.get(key), key, root.lines.get(key))
        for i, item in enumerate(items):
            what = f"{key} item {i + 1}"
            yield self.mapping(item, what, items.lines[i]), what

    def keys(self, d: LDict, what: str, allowed, required=(), ignored=()):
        for k in d:
            if k not in allowed and k not in ignored:
                raise self.err(d.lines.get(k, d.line),
                               f"unknown key {k!r} in {what}: expected "
                               f"{', '.join(allowed)}")
        for k in required:
            if d.get(k) is None:
                raise self.err(d.line, f"{what}: {k!r} is missing")

    def text(self, d, key, what, default=None, raw=True) -> Optional[str]:
        """The scalar at ``key`` as text; YAML booleans as written unless
        ``raw=False`` (attribute values: "true"/"false", Pacemaker's words)."""
        v = d.get(key, default) if isinstance(d, dict) else d
        if v is None:
            return default
        if isinstance(v, YBool) and not raw:
            return "true" if v else "false"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (dict, list)):
            raise self.err(self.line_of(d, key), f"{what}: {key!r} must be a single value, "
                                                 f"got {_kind(v)}")
        return str(v)

    def boolean(self, d, key, what) -> Optional[bool]:
        v = self.text(d, key, what)
        if v is None:
            return None
        low = v.lower()
        if low in ("true", "yes", "on", "1", "y"):
            return True
        if low in ("false", "no", "off", "0", "n"):
            return False
        raise self.err(self.line_of(d, key), f"{what}: {key!r} must be true or false, not {v!r}")

    def name_values(self, value, what, line=None) -> Tuple[Dict[str, str], Dict[str, int]]:
        """``[{name, value}]`` -> dict (and each name's line)."""
        out: Dict[str, str] = {}
        lines: Dict[str, int] = {}
        items = self.seq(value, what, line)
        for i, item in enumerate(items):
            item = self.mapping(item, f"{what} item {i + 1}", items.lines[i])
            self.keys(item, f"{what} item {i + 1}", ("name", "value"), ("name",))
            name = self.text(item, "name", what)
            if name in out:
                raise self.err(item.line, f"{what}: {name!r} given twice")
            val = self.text(item, "value", f"{what} {name!r}", raw=False)
            if val is None:
                raise self.err(item.line, f"{what}: {name!r} has no value")
            out[name], lines[name] = val, item.line
        return out, lines

    def one_set(self, value, what, line=None, allowed=("attrs",)) -> Dict[str, str]:
        """``[{attrs: [...]}]`` -> dict; the role uses only the first set."""
        sets = self.seq(value, what, line)
        if len(sets) > 1:
            raise self.err(sets.lines[1], f"{what}: only one set is supported (the "
                                          f"ha_cluster role ignores the others): merge them")
        if not sets:
            return {}
        s = self.mapping(sets[0], what, sets.lines[0])
        self.keys(s, what, allowed)
        for k in ("rule", "score"):
            if s.get(k) is not None:
                raise self.err(s.lines[k], f"{what}: a set with a {k} is not supported by "
                                           f"ocfpy's model")
        return self.name_values(s.get("attrs"), f"{what} attrs", s.line)[0]

    def model(self, line, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except (ValueError, TypeError) as e:
            raise self.err(line, " ".join(str(e).split())) from None

    # -------------------------------------------------------------- sections
    def read(self, tree) -> Config:
        if tree is None:
            tree = LDict()
        root = self.mapping(tree, "the spec", 1)
        allowed = CIB_KEYS + UNSUPPORTED_KEYS + OCFPY_KEYS
        for k in root:
            if k in allowed or k in IGNORED_KEYS:
                continue
            raise self.err(root.lines.get(k), f"unknown key {k!r}: a spec holds "
                                              f"linux-system-roles ha_cluster variables "
                                              f"({', '.join(CIB_KEYS)}) and {OCFPY_KEYS[0]}")
        for k in UNSUPPORTED_KEYS:
            if root.get(k):
                raise self.err(root.lines[k], f"{k} is not supported by ocfpy's model: "
                                              f"manage it with pcs or crmsh")
        cfg = Config()
        sets = root.get("ha_cluster_cluster_properties")
        cfg.properties = self.one_set(sets, "ha_cluster_cluster_properties",
                                      root.lines.get("ha_cluster_cluster_properties"))
        for key, attr in (("ha_cluster_resource_defaults", "rsc_defaults"),
                          ("ha_cluster_resource_operation_defaults", "op_defaults")):
            if root.get(key) is not None:
                d = self.mapping(root[key], key, root.lines[key])
                self.keys(d, key, ("meta_attrs",))
                setattr(cfg, attr, self.one_set(d.get("meta_attrs"), f"{key} meta_attrs",
                                                d.line, allowed=("id", "rule", "score", "attrs")))
        reason = root.get("ocfpy_fencing_disabled_reason")
        if reason is not None:
            reason = self.text(root, "ocfpy_fencing_disabled_reason", "the spec")
            stonith = cfg.properties.get("stonith-enabled", "false").lower()
            if stonith not in ("false", "0", "no", "off", "n"):
                raise self.err(root.lines["ocfpy_fencing_disabled_reason"],
                               "ocfpy_fencing_disabled_reason is given but the cluster "
                               "properties set stonith-enabled to "
                               f"{cfg.properties['stonith-enabled']!r}")
            self.model(root.lines["ocfpy_fencing_disabled_reason"], cfg.disable_fencing, reason)
        self.nodes(root, cfg)
        self.resources(root, cfg)
        self.levels(root, cfg)
        for key in root:
            handler = {"ha_cluster_constraints_location": self.location,
                       "ha_cluster_constraints_colocation": self.colocation,
                       "ha_cluster_constraints_order": self.order}.get(key)
            if handler is None:
                continue
            for item, what in self.entries(root, key):
                cfg.add(handler(item, what))
        return cfg

    def nodes(self, root, cfg: Config):
        for item, what in self.entries(root, "ha_cluster_node_options"):
            self.keys(item, what, ("node_name", "attributes", "utilization", "node_id"),
                      ("node_name",), _NODE_IGNORED)
            name = self.text(item, "node_name", what)
            attrs = self.one_set(item.get("attributes"), f"node {name!r} attributes", item.line)
            util = self.one_set(item.get("utilization"), f"node {name!r} utilization", item.line)
            cfg.add(Node(name, attrs, util, id=self.text(item, "node_id", what)))

    def primitive(self, item, what) -> Primitive:
        self.keys(item, what, ("id", "agent", "instance_attrs", "meta_attrs", "operations",
                               "utilization", "copy_operations_from_agent"), ("id", "agent"))
        rid = self.text(item, "id", what)
        what = f"primitive {rid!r}"
        agent = self.text(item, "agent", what)
        if self.boolean(item, "copy_operations_from_agent", what):
            raise self.err(item.lines["copy_operations_from_agent"],
                           f"{what}: ocfpy does not copy an agent's default operations: list "
                           f"them under operations and set copy_operations_from_agent: false")
        if agent.count(":") == 0:
            raise self.err(item.lines["agent"], f"{what}: give the agent's full name "
                                                f"(ocf:<provider>:{agent}, systemd:{agent}, "
                                                f"stonith:{agent}...)")
        ops = []
        op_items = self.seq(item.get("operations"), f"{what} operations", item.line)
        for j, op in enumerate(op_items):
            owhat = f"{what} operation {j + 1}"
            op = self.mapping(op, owhat, op_items.lines[j])
            self.keys(op, owhat, ("action", "attrs"), ("action",))
            attrs, lines = self.name_values(op.get("attrs"), f"{owhat} attrs", op.line)
            depth = attrs.pop("OCF_CHECK_LEVEL", None)
            if depth is not None and not depth.lstrip("-").isdigit():
                raise self.err(lines["OCF_CHECK_LEVEL"], f"{owhat}: OCF_CHECK_LEVEL must be "
                                                         f"an integer, not {depth!r}")
            ops.append(self.model(op.line, Op, self.text(op, "action", owhat),
                                  attrs.pop("interval", "0s"), timeout=attrs.pop("timeout", None),
                                  role=attrs.pop("role", None), on_fail=attrs.pop("on-fail", None),
                                  depth=int(depth) if depth is not None else None,
                                  options=attrs))
        kw = dict(params=self.one_set(item.get("instance_attrs"), f"{what} instance_attrs",
                                      item.line),
                  meta=self.one_set(item.get("meta_attrs"), f"{what} meta_attrs", item.line),
                  utilization=self.one_set(item.get("utilization"), f"{what} utilization",
                                           item.line),
                  ops=ops)
        cls = FencingDevice if agent.startswith("stonith:") else Primitive
        return self.model(item.line, cls, rid, agent, **kw)

    def resources(self, root, cfg: Config):
        prims: Dict[str, Primitive] = {}
        order: List[str] = []
        for item, what in self.entries(root, "ha_cluster_resource_primitives"):
            p = self.primitive(item, what)
            if p.id in prims:
                raise self.err(item.line, f"primitive {p.id!r} is defined twice")
            prims[p.id] = p
            order.append(p.id)
        groups: Dict[str, Group] = {}
        parent: Dict[str, str] = {}
        for item, what in self.entries(root, "ha_cluster_resource_groups"):
            self.keys(item, what, ("id", "resource_ids", "meta_attrs"), ("id", "resource_ids"))
            gid = self.text(item, "id", what)
            members = []
            ids = self.seq(item.get("resource_ids"), f"group {gid!r} resource_ids", item.line)
            for j, rid in enumerate(ids):
                rid = self.text(rid, None, f"group {gid!r}")
                line = ids.lines[j]
                if rid not in prims:
                    raise self.err(line, f"group {gid!r}: {rid!r} is not in "
                                         f"ha_cluster_resource_primitives")
                if rid in parent:
                    raise self.err(line, f"group {gid!r}: {rid!r} is already in {parent[rid]!r}")
                parent[rid] = gid
                members.append(prims[rid])
            if gid in groups or gid in prims:
                raise self.err(item.line, f"group id {gid!r} is used twice")
            groups[gid] = self.model(item.line, Group, gid, members, meta=self.one_set(
                item.get("meta_attrs"), f"group {gid!r} meta_attrs", item.line))
        clones: Dict[str, Clone] = {}
        for item, what in self.entries(root, "ha_cluster_resource_clones"):
            self.keys(item, what, ("resource_id", "id", "promotable", "meta_attrs"),
                      ("resource_id",))
            rid = self.text(item, "resource_id", what)
            child = groups.get(rid) or prims.get(rid)
            line = item.lines["resource_id"]
            if child is None:
                raise self.err(line, f"clone of {rid!r}: not in ha_cluster_resource_primitives "
                                     f"or ha_cluster_resource_groups")
            if rid in parent:
                raise self.err(line, f"clone of {rid!r}: it is in {parent[rid]!r} already")
            cid = self.text(item, "id", what) or f"{rid}-clone"
            parent[rid] = cid
            clones[cid] = self.model(item.line, Clone, cid, child, meta=self.one_set(
                item.get("meta_attrs"), f"clone {cid!r} meta_attrs", item.line),
                promotable=bool(self.boolean(item, "promotable", f"clone {cid!r}")))
        # resources in the order their first primitive was listed
        added = set()
        for rid in order:
            top = rid
            while top in parent:
                top = parent[top]
            if top in added:
                continue
            added.add(top)
            cfg.add(clones.get(top) or groups.get(top) or prims[top])

    def levels(self, root, cfg: Config):
        for item, what in self.entries(root, "ha_cluster_stonith_levels"):
            self.keys(item, what, ("level", "target", "target_pattern", "target_attribute",
                                   "target_value", "resource_ids"), ("level", "resource_ids"))
            for k in ("target_pattern", "target_attribute", "target_value"):
                if item.get(k) is not None:
                    raise self.err(item.lines[k], f"{what}: {k} is not supported by ocfpy's "
                                                  f"model: give the node name as target")
            target = self.text(item, "target", what)
            if target is None:
                raise self.err(item.line, f"{what}: 'target' is missing")
            level = self.text(item, "level", what)
            if not level.isdigit():
                raise self.err(item.lines["level"], f"{what}: level must be 1..9, not {level!r}")
            ids = self.seq(item["resource_ids"], f"{what} resource_ids", item.line)
            devices = [self.text(d, None, what) for d in ids]
            cfg.add(self.model(item.line, FencingLevel, target, int(level), devices))

    def ref(self, item, key, what, extra) -> Tuple[str, Dict[str, Optional[str]]]:
        d = self.mapping(item.get(key), f"{what} {key}", item.lines.get(key, item.line))
        if "pattern" in d:
            raise self.err(d.lines["pattern"], f"{what}: resource patterns are not supported "
                                               f"by ocfpy's model: name the resource (id)")
        self.keys(d, f"{what} {key}", ("id",) + extra, ("id",))
        return self.text(d, "id", what), {k: self.text(d, k, what) for k in extra}

    def options(self, item, what, allowed) -> Dict[str, str]:
        opts, lines = self.name_values(item.get("options"), f"{what} options", item.line)
        for name in opts:
            if name not in allowed:
                raise self.err(lines[name], f"{what}: option {name!r} is not supported "
                                            f"(use {', '.join(allowed)})")
        return opts

    def sets(self, item, what, allowed):
        items = self.seq(item.get("resource_sets"), f"{what} resource_sets", item.line)
        if not items:
            raise self.err(item.line, f"{what}: resource_sets is empty")
        out = []
        for i, s in enumerate(items):
            swhat = f"{what} set {i + 1}"
            s = self.mapping(s, swhat, items.lines[i])
            self.keys(s, swhat, ("resource_ids", "options"), ("resource_ids",))
            ids = self.seq(s["resource_ids"], f"{swhat} resource_ids", s.line)
            opts = self.options(s, swhat, allowed)
            seq = opts.get("sequential")
            req = opts.get("require-all")
            out.append(self.model(s.line, ResourceSet, [self.text(r, None, swhat) for r in ids],
                                  sequential=None if seq is None else _truthy(seq),
                                  require_all=None if req is None else _truthy(req),
                                  role=opts.get("role"), action=opts.get("action")))
        return out

    def location(self, item, what):
        self.keys(item, what, ("resource", "node", "rule", "rules", "id", "options"),
                  ("resource",))
        rid, extra = self.ref(item, "resource", what, ("role",))
        opts = self.options(item, what, ("score", "resource-discovery"))
        cid = self.text(item, "id", what)
        given = [k for k in ("node", "rule", "rules") if item.get(k) is not None]
        if len(given) != 1:
            raise self.err(item.line, f"{what}: give exactly one of node, rule (or rules)")
        score = opts.get("score", "INFINITY")
        disc = opts.get("resource-discovery")
        if given[0] == "node":
            if extra["role"]:
                raise self.err(item.line, f"{what}: a role needs a rule (pcs: rule role=...)")
            return self.model(item.line, Location, rid, node=self.text(item, "node", what),
                              score=score, resource_discovery=disc, id=cid)
        if given[0] == "rule":
            rules = [self.rule(self.text(item, "rule", what), item.lines["rule"], score,
                               extra["role"])]
        else:
            if "score" in opts:
                raise self.err(item.line, f"{what}: with rules, give each rule its score")
            items = self.seq(item["rules"], f"{what} rules", item.lines["rules"])
            rules = []
            for i, r in enumerate(items):
                r = self.mapping(r, f"{what} rule {i + 1}", items.lines[i])
                self.keys(r, f"{what} rule {i + 1}", ("rule", "score", "role"), ("rule",))
                rules.append(self.rule(self.text(r, "rule", what), r.lines["rule"],
                                       self.text(r, "score", what, "INFINITY"),
                                       self.text(r, "role", what) or extra["role"]))
        return self.model(item.line, Location, rid, rules=rules, resource_discovery=disc, id=cid)

    def rule(self, text, line, score, role) -> Rule:
        try:
            exprs, op = parse_rule(text)
            return Rule(exprs, score=score, boolean_op=op, role=role)
        except ValueError as e:
            raise self.err(line, f"rule {text!r}: {e}") from None

    def colocation(self, item, what):
        if "resource_sets" in item:
            self.keys(item, what, ("resource_sets", "id", "options"))
            opts = self.options(item, what, ("score",))
            sets = self.sets(item, what, ("sequential", "require-all", "role"))
            return self.model(item.line, ColocationSet, list(reversed(sets)),
                              score=opts.get("score", "INFINITY"), id=self.text(item, "id", what))
        self.keys(item, what, ("resource_follower", "resource_leader", "id", "options"),
                  ("resource_follower", "resource_leader"))
        follower, f = self.ref(item, "resource_follower", what, ("role",))
        leader, lead = self.ref(item, "resource_leader", what, ("role",))
        opts = self.options(item, what, ("score",))
        return self.model(item.line, Colocation, follower=follower, leader=leader,
                          score=opts.get("score", "INFINITY"), follower_role=f["role"],
                          leader_role=lead["role"], id=self.text(item, "id", what))

    def order(self, item, what):
        if "resource_sets" in item:
            self.keys(item, what, ("resource_sets", "id", "options"))
            opts = self.options(item, what, ("kind", "symmetrical"))
            sets = self.sets(item, what, ("sequential", "require-all", "action", "role"))
            sym = opts.get("symmetrical")
            return self.model(item.line, OrderSet, sets, kind=opts.get("kind", "Mandatory"),
                              symmetrical=None if sym is None else _truthy(sym),
                              id=self.text(item, "id", what))
        self.keys(item, what, ("resource_first", "resource_then", "id", "options"),
                  ("resource_first", "resource_then"))
        first, fa = self.ref(item, "resource_first", what, ("action",))
        then, ta = self.ref(item, "resource_then", what, ("action",))
        opts = self.options(item, what, ("kind", "symmetrical"))
        sym = opts.get("symmetrical")
        return self.model(item.line, Order, first, then, kind=opts.get("kind", "Mandatory"),
                          first_action=fa["action"], then_action=ta["action"],
                          symmetrical=None if sym is None else _truthy(sym),
                          id=self.text(item, "id", what))


def _truthy(v: str) -> bool:
    low = str(v).lower()
    if low in ("true", "yes", "on", "1", "y"):
        return True
    if low in ("false", "no", "off", "0", "n"):
        return False
    raise ValueError(f"{v!r} is not true or false")


def _kind(v) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "nothing"
    return f"{v!r}"


def parse_rule(text: str) -> Tuple[List[Expression], str]:
    """Expressions and boolean operator of a pcs rule (the subset the model has).

    >>> exprs, op = parse_rule("#uname eq node1 and pingd gt integer 0")
    >>> [(e.attribute, e.operation, e.value, e.type) for e in exprs], op
    ([('#uname', 'eq', 'node1', None), ('pingd', 'gt', '0', 'integer')], 'and')
    """
    toks = shlex.split(text)
    if not toks:
        raise ValueError("empty rule")
    exprs: List[Expression] = []
    ops = set()
    i = 0
    while True:
        if i >= len(toks):
            raise ValueError("ends where an expression should start")
        t = toks[i]
        if t in ("(", ")") or t.startswith("(") or t in ("date", "date-spec", "resource",
                                                          "op", "not"):
            raise ValueError(f"{t!r}: only attribute expressions joined by and/or are "
                             f"supported by ocfpy's model")
        if t in ("defined", "not_defined"):
            if i + 1 >= len(toks):
                raise ValueError(f"{t} needs an attribute")
            exprs.append(Expression(toks[i + 1], t))
            i += 2
        else:
            if i + 2 >= len(toks) or toks[i + 1] not in _EXPR_OPS:
                raise ValueError(f"expected '<attribute> <{'|'.join(_EXPR_OPS)}> [type] "
                                 f"<value>' at {' '.join(toks[i:i + 3])!r}")
            typ = None
            j = i + 2
            if toks[j] in _EXPR_TYPES and j + 1 < len(toks) and toks[j + 1] not in ("and", "or"):
                typ, j = toks[j], j + 1
            exprs.append(Expression(t, toks[i + 1], toks[j], type=typ))
            i = j + 1
        if i >= len(toks):
            break
        if toks[i] not in ("and", "or"):
            raise ValueError(f"expected 'and' or 'or', got {toks[i]!r}")
        ops.add(toks[i])
        i += 1
    if len(ops) > 1:
        raise ValueError("mixes 'and' and 'or': the model has one operator per rule; "
                         "use several rules")
    return exprs, (ops.pop() if ops else "and")


def _word(text: str) -> str:
    """A rule token, quoted only when it must be (spaces, quotes, empty)."""
    text = str(text)
    if text and not any(c.isspace() or c in "'\"\\" for c in text):
        return text
    return shlex.quote(text)


def rule_to_text(rule: Rule) -> str:
    """pcs rule text of a model Rule (its score and role are given apart)."""
    parts = []
    for e in rule.expressions:
        if e.operation in ("defined", "not_defined"):
            parts.append(f"{e.operation} {_word(e.attribute)}")
        else:
            bits = [_word(e.attribute), e.operation]
            if e.type:
                bits.append(e.type)
            bits.append(_word(e.value))
            parts.append(" ".join(bits))
    return f" {rule.boolean_op} ".join(parts)


def parse_data(tree, path: str = "<spec>") -> Config:
    """Config from already-loaded ``ha_cluster`` variables (dicts and lists)."""
    return _Reader(path).read(_relocate(tree))


def _relocate(v):
    if isinstance(v, LDict) or isinstance(v, LList):
        return v
    if isinstance(v, dict):
        out = LDict((k, _relocate(x)) for k, x in v.items())
        out.line, out.lines = None, {}
        return out
    if isinstance(v, list):
        out = LList(_relocate(x) for x in v)
        out.line, out.lines = None, [None] * len(out)
        return out
    return v


def load_data_spec(path: str) -> Config:
    """Config of the YAML/JSON spec at ``path`` (SpecError naming file:line)."""
    return _Reader(path).read(_load_tree(path))


# ------------------------------------------------------------------ writing
def _attrs(d: Dict[str, str]) -> List[dict]:
    return [{"name": k, "value": str(v)} for k, v in d.items()]


def _set(d: Dict[str, str]) -> List[dict]:
    return [{"attrs": _attrs(d)}]


def _primitive(p: Primitive) -> dict:
    out: Dict[str, Any] = {"id": p.id, "agent": p.agent}
    if p.params:
        out["instance_attrs"] = _set(p.params)
    if p.meta:
        out["meta_attrs"] = _set(p.meta)
    if p.utilization:
        out["utilization"] = _set(p.utilization)
    out["copy_operations_from_agent"] = False
    if p.ops:
        ops = []
        for op in p.ops:
            attrs = {"interval": op.interval}
            if op.timeout:
                attrs["timeout"] = op.timeout
            if op.role:
                attrs["role"] = op.role
            if op.on_fail:
                attrs["on-fail"] = op.on_fail
            attrs.update({k: str(v) for k, v in op.options.items()})
            if op.depth is not None:
                attrs["OCF_CHECK_LEVEL"] = str(op.depth)
            ops.append({"action": op.name, "attrs": _attrs(attrs)})
        out["operations"] = ops
    return out


def _ref(rid: str, **optional) -> Dict[str, str]:
    """A constraint's reference to a resource: its id, then those of
    ``optional`` (role, action) that are set."""
    return {"id": rid, **{k: v for k, v in optional.items() if v}}


def _with_order_options(d: dict, c) -> dict:
    """``d`` with the options of the order constraint ``c`` (Order or
    OrderSet): kind unless Mandatory, symmetrical when given."""
    opts = {"kind": c.kind} if c.kind != "Mandatory" else {}
    if c.symmetrical is not None:
        opts["symmetrical"] = "true" if c.symmetrical else "false"
    if opts:
        d["options"] = _attrs(opts)
    return d


def _rset(s: ResourceSet, with_action: bool) -> dict:
    out: Dict[str, Any] = {"resource_ids": list(s.resources)}
    opts = {}
    if s.sequential is not None:
        opts["sequential"] = "true" if s.sequential else "false"
    if s.require_all is not None:
        opts["require-all"] = "true" if s.require_all else "false"
    if s.role:
        opts["role"] = s.role
    if with_action and s.action:
        opts["action"] = s.action
    if opts:
        out["options"] = _attrs(opts)
    return out


def config_to_data(cfg: Config) -> Dict[str, Any]:
    """``ha_cluster`` variables (plain dicts and lists) describing ``cfg``.

    Constraint ids are written out (the model's generated ones included), so
    a round trip keeps them.
    """
    from ocfpy.cib.ids import assign_ids
    from ocfpy.cib.model import normalize_score

    out: Dict[str, Any] = {}
    if cfg.fencing_off_acknowledged:
        out["ocfpy_fencing_disabled_reason"] = cfg.fencing_off_acknowledged
    if cfg.properties:
        out["ha_cluster_cluster_properties"] = _set(cfg.properties)
    if cfg.rsc_defaults:
        out["ha_cluster_resource_defaults"] = {"meta_attrs": _set(cfg.rsc_defaults)}
    if cfg.op_defaults:
        out["ha_cluster_resource_operation_defaults"] = {"meta_attrs": _set(cfg.op_defaults)}
    if cfg.nodes:
        nodes = []
        for n in cfg.nodes:
            d: Dict[str, Any] = {"node_name": n.name}
            if n.id and n.id != n.name:
                d["node_id"] = n.id
            if n.attributes:
                d["attributes"] = _set(n.attributes)
            if n.utilization:
                d["utilization"] = _set(n.utilization)
            nodes.append(d)
        out["ha_cluster_node_options"] = nodes
    prims = [_primitive(p) for p, _ in cfg.iter_primitives()]
    if prims:
        out["ha_cluster_resource_primitives"] = prims
    groups, clones = [], []
    for r in cfg.resources:
        g = r.child if isinstance(r, Clone) and isinstance(r.child, Group) else \
            r if isinstance(r, Group) else None
        if g is not None:
            gd: Dict[str, Any] = {"id": g.id, "resource_ids": [m.id for m in g.members]}
            if g.meta:
                gd["meta_attrs"] = _set(g.meta)
            groups.append(gd)
        if isinstance(r, Clone):
            cd: Dict[str, Any] = {"resource_id": r.child.id, "id": r.id}
            if r.promotable:
                cd["promotable"] = True
            if r.meta:
                cd["meta_attrs"] = _set(r.meta)
            clones.append(cd)
    if groups:
        out["ha_cluster_resource_groups"] = groups
    if clones:
        out["ha_cluster_resource_clones"] = clones
    if cfg.fencing_levels:
        out["ha_cluster_stonith_levels"] = [
            {"level": lv.index, "target": lv.target, "resource_ids": list(lv.devices)}
            for lv in cfg.fencing_levels]
    ids = assign_ids(cfg)
    loc, col, order = [], [], []
    for cid, c in zip(ids.constraints, cfg.constraints):
        if isinstance(c, Location):
            d = {"resource": {"id": c.resource}, "id": cid}
            opts: Dict[str, str] = {}
            if c.node is not None:
                d["node"] = c.node
                opts["score"] = normalize_score(c.score)
            elif len(c.rules) == 1:
                r = c.rules[0]
                if r.role:
                    d["resource"]["role"] = r.role
                d["rule"] = rule_to_text(r)
                opts["score"] = normalize_score(r.score)
            else:
                rules = []
                for r in c.rules:
                    rd = {"rule": rule_to_text(r), "score": normalize_score(r.score)}
                    if r.role:
                        rd["role"] = r.role
                    rules.append(rd)
                d["rules"] = rules
            if c.resource_discovery:
                opts["resource-discovery"] = c.resource_discovery
            if opts:
                d["options"] = _attrs(opts)
            loc.append(d)
        elif isinstance(c, Colocation):
            col.append({"resource_follower": _ref(c.follower, role=c.follower_role),
                        "resource_leader": _ref(c.leader, role=c.leader_role), "id": cid,
                        "options": _attrs({"score": normalize_score(c.score)})})
        elif isinstance(c, ColocationSet):
            col.append({"resource_sets": [_rset(s, False) for s in reversed(c.sets)],
                        "id": cid, "options": _attrs({"score": normalize_score(c.score)})})
        elif isinstance(c, Order):
            order.append(_with_order_options({"resource_first": _ref(c.first, action=c.first_action),
                                              "resource_then": _ref(c.then, action=c.then_action),
                                              "id": cid}, c))
        elif isinstance(c, OrderSet):
            order.append(_with_order_options(
                {"resource_sets": [_rset(s, True) for s in c.sets], "id": cid}, c))
    if loc:
        out["ha_cluster_constraints_location"] = loc
    if col:
        out["ha_cluster_constraints_colocation"] = col
    if order:
        out["ha_cluster_constraints_order"] = order
    return out


def dump_yaml(cfg: Config, header: Optional[str] = None) -> str:
    """YAML text of :func:`config_to_data` (``header`` becomes comment lines)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(config_to_data(cfg), Dumper=dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=100)
    if header:
        text = "".join(f"# {ln}\n" if ln else "#\n" for ln in header.splitlines()) + text
    return text


def dump_json(cfg: Config) -> str:
    """JSON text of :func:`config_to_data`."""
    return json.dumps(config_to_data(cfg), indent=2) + "\n"
