"""Our own checks, with messages that name the element and say what to do.

The schemas and crm_verify catch some of these with poor messages ("Expecting
an element meta_attributes, got nothing") or not at all (contradictions).

Example::

    from ocfpy.cib.lint import lint, errors
    for f in lint(cfg):
        print(f)                 # "error: primitive 'db': two monitor ... "
    assert not errors(cfg)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

from ocfpy.cib.model import (
    CONSTRAINT_KINDS, Clone, Colocation, ColocationSet, Config, Location, Order, OrderSet,
    constraint_resources, interval_seconds, normalize_score,
)

__all__ = ["Finding", "lint", "errors"]



@dataclass(frozen=True)
class Finding:
    """One lint result. ``level`` is ``error`` or ``warning``."""

    level: str
    element: str
    message: str

    def __str__(self):
        return f"{self.level}: {self.element}: {self.message}"


def _cname(c, cid=None) -> str:
    kind = CONSTRAINT_KINDS[type(c)]
    if c.id or cid:
        return f"{kind} {c.id or cid!r}"
    if isinstance(c, Order):
        return f"order {c.first}->{c.then}"
    if isinstance(c, Colocation):
        return f"colocation {c.follower} with {c.leader}"
    if isinstance(c, Location):
        return f"location of {c.resource}"
    return kind


def _is_true(v) -> bool:
    return str(v).lower() in ("true", "1", "yes", "on", "y")


def _score_ok(score) -> bool:
    try:
        normalize_score(score)
        return True
    except ValueError:
        return False


def lint(config: Config) -> List[Finding]:
    """All findings for ``config`` (errors first)."""
    out: List[Finding] = []
    add = out.append
    all_ids = config.all_resource_ids()
    top = config.top_ids()

    # --- ids unique across the CIB ---
    try:
        from ocfpy.cib.ids import user_ids
        user_ids(config)
    except ValueError as e:
        add(Finding("error", "configuration", str(e)))

    # --- operations ---
    for prim, _parent in config.iter_primitives():
        seen: Dict[Tuple[str, float], str] = {}
        has_monitor = False
        for op in prim.ops:
            if op.name != "monitor":
                continue
            has_monitor = True
            secs = interval_seconds(op.interval)
            if secs == 0:
                add(Finding("error", f"primitive {prim.id!r}",
                            "monitor with interval 0: give it a recurring interval such as 30s"))
                continue
            if ("monitor", secs) in seen:
                add(Finding("error", f"primitive {prim.id!r}",
                            f"two monitor operations with interval {op.interval} "
                            f"(also {seen[('monitor', secs)]}): Pacemaker identifies "
                            f"operations by name+interval; give each role a distinct "
                            f"interval, e.g. 10s and 11s"))
            seen[("monitor", secs)] = op.interval
        if not has_monitor:
            add(Finding("warning", f"primitive {prim.id!r}",
                        "no monitor operation: failures go unnoticed (and pcs would add "
                        "one of its own); add Op('monitor', '30s')"))

    # --- references ---
    for c in config.constraints:
        for ref in constraint_resources(c):
            if ref not in all_ids:
                add(Finding("error", _cname(c), f"references {ref!r}, which is not a "
                            f"resource: define it or fix the name"))
            elif all_ids[ref] is not None and isinstance(top.get(all_ids[ref]), Clone):
                add(Finding("error", _cname(c), f"references {ref!r} inside clone "
                            f"{all_ids[ref]!r}: constrain the clone {all_ids[ref]!r} instead"))
    fencing_devices = {p.id for p, _ in config.iter_primitives() if p.klass == "stonith"}
    for lv in config.fencing_levels:
        for d in lv.devices:
            if d not in fencing_devices:
                add(Finding("error", f"fencing level {lv.target}/{lv.index}",
                            f"device {d!r} is not a fencing device: add "
                            f"FencingDevice({d!r}, ...) or fix the name"))

    # --- scores ---
    for c in config.constraints:
        scores = []
        if isinstance(c, (Colocation, ColocationSet)):
            scores = [c.score]
        elif isinstance(c, Location):
            scores = ([c.score] if c.node is not None else []) + [r.score for r in c.rules]
        for s in scores:
            if not _score_ok(s):
                add(Finding("error", _cname(c), f"bad score {s!r}: use an integer, "
                            f"INFINITY or -INFINITY"))

    # --- colocations that contradict each other ---
    pair_scores: Dict[frozenset, List[Tuple[str, str]]] = {}
    for c in config.constraints:
        if isinstance(c, Colocation) and _score_ok(c.score) and c.follower != c.leader:
            pair_scores.setdefault(frozenset((c.follower, c.leader)), []).append(
                (normalize_score(c.score), _cname(c)))
    for pair, items in pair_scores.items():
        signs = {("-" if s.startswith("-") else "+") for s, _ in items if s != "0"}
        if len(signs) > 1:
            add(Finding("error", " and ".join(n for _, n in items),
                        f"colocations between {' and '.join(sorted(pair))} both attract "
                        f"and repel: keep one of them"))
        elif len(items) > 1 and all(s == "INFINITY" for s, _ in items):
            add(Finding("warning", " and ".join(n for _, n in items),
                        f"{' and '.join(sorted(pair))} are colocated with each other twice: "
                        f"keep one colocation and name the leader once"))

    # --- mandatory orderings that form a cycle, and orders against colocation ---
    edges: Dict[str, Set[str]] = {}
    for c in config.constraints:
        if isinstance(c, Order) and c.kind == "Mandatory":
            edges.setdefault(c.first, set()).add(c.then)
        elif isinstance(c, OrderSet) and c.kind == "Mandatory":
            prev: List[str] = []
            for s in c.sets:
                if s.sequential is not False:
                    for a, b in zip(s.resources, s.resources[1:]):
                        edges.setdefault(a, set()).add(b)
                for p in prev:
                    for r in s.resources:
                        edges.setdefault(p, set()).add(r)
                prev = s.resources
    cycle = _find_cycle(edges)
    if cycle:
        add(Finding("error", "orderings " + " -> ".join(cycle),
                    "mandatory orderings form a cycle, so none of these can start: "
                    "make one of them kind='Optional' or remove it"))
    repel = {}
    for other in config.constraints:
        if (isinstance(other, Colocation) and _score_ok(other.score)
                and normalize_score(other.score) == "-INFINITY"):
            repel.setdefault(frozenset((other.follower, other.leader)), []).append(other)
    for c in config.constraints:
        if isinstance(c, Order) and c.kind == "Mandatory":
            for other in repel.get(frozenset((c.first, c.then)), ()):
                add(Finding("warning", f"{_cname(c)} and {_cname(other)}",
                            f"{c.then!r} must start after {c.first!r} but may never "
                            f"run with it: fine only if both can run; consider "
                            f"kind='Optional'"))

    # --- clone-to-clone ordering without interleave ---
    for c in config.constraints:
        if isinstance(c, Order):
            a, b = top.get(c.first), top.get(c.then)
            if isinstance(a, Clone) and isinstance(b, Clone) and not _is_true(
                    b.meta.get("interleave", "false")):
                add(Finding("warning", _cname(c),
                            f"clone {b.id!r} is ordered after clone {a.id!r} without "
                            f"interleave: one failed {a.id!r} instance restarts every "
                            f"{b.id!r} instance; set meta interleave='true' on {b.id!r}"))

    # --- fencing ---
    stonith = str(config.properties.get("stonith-enabled", "true")).lower()
    if stonith in ("false", "0", "no", "off", "n"):
        if not config.fencing_off_acknowledged:
            add(Finding("error", "property stonith-enabled",
                        "fencing is disabled without acknowledgement: configure fencing "
                        "devices, or call Config.disable_fencing(reason) to make it an "
                        "explicit (demo/test) choice"))
    elif not fencing_devices:
        add(Finding("warning", "fencing",
                    "fencing is enabled but no fencing device is configured: Pacemaker "
                    "will not start resources; add FencingDevice(...) and FencingLevel(...)"))

    out.sort(key=lambda f: 0 if f.level == "error" else 1)
    return out


def errors(config: Config) -> List[Finding]:
    """Only the error findings."""
    return [f for f in lint(config) if f.level == "error"]


def _find_cycle(edges: Dict[str, Set[str]]):
    color: Dict[str, int] = {}
    stack: List[str] = []

    def visit(n):
        color[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if color.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not color.get(m):
                found = visit(m)
                if found:
                    return found
        stack.pop()
        color[n] = 2
        return None

    for n in sorted(edges):
        if not color.get(n):
            found = visit(n)
            if found:
                return found
    return None
