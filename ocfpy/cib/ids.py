"""Deterministic, unique CIB ids.

Generated ids are derived from content (``order-vip-haproxy-clone``), never
from counters over the whole configuration, so adding one constraint does not
rename the others; that keeps :mod:`ocfpy.cib.apply` patches small.

Example::

    alloc = IdAllocator({"vip"})
    alloc.new("vip")        # 'vip-1' (taken)
    alloc.new("a b")        # 'a_b'
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List

from ocfpy.cib.model import CONSTRAINT_KINDS, Config, check_id, constraint_ends

__all__ = ["sanitize", "IdAllocator", "user_ids", "assign_ids", "ResolvedIds"]


_BAD = re.compile(r"[^A-Za-z0-9_.-]")


def sanitize(text: str) -> str:
    """Make ``text`` usable as (part of) an id."""
    text = _BAD.sub("_", text)
    if not text or not (text[0].isalpha() or text[0] == "_"):
        text = "_" + text
    return text


class IdAllocator:
    """Hands out ids not yet used; collisions get ``-1``, ``-2``... suffixes."""

    def __init__(self, used: Iterable[str] = ()):
        self.used = set(used)

    def new(self, base: str) -> str:
        base = sanitize(base)
        cand, n = base, 0
        while cand in self.used:
            n += 1
            cand = f"{base}-{n}"
        self.used.add(cand)
        return cand

    def claim(self, user_id: str, what: str) -> str:
        """Reserve a user-given id; raise ValueError if it is taken."""
        check_id(user_id, what)
        if user_id in self.used:
            raise ValueError(f"{what} {user_id!r} is used twice: ids must be unique in the CIB")
        self.used.add(user_id)
        return user_id


def user_ids(config: Config) -> List[str]:
    """Every id the user chose, checked for validity and uniqueness."""
    seen: Dict[str, str] = {}

    def take(i, what):
        check_id(i, what)
        if i in seen:
            raise ValueError(f"id {i!r} is used by both a {seen[i]} and a {what}: "
                             f"ids must be unique in the CIB")
        seen[i] = what

    for prim, _ in config.iter_primitives():
        take(prim.id, "primitive")
    for res in config.resources:
        if hasattr(res, "members"):
            take(res.id, "group")
        elif hasattr(res, "child"):
            take(res.id, "clone")
            if hasattr(res.child, "members"):
                take(res.child.id, "group")
    for c in config.constraints:
        if c.id:
            take(c.id, "constraint")
    for lvl in config.fencing_levels:
        if lvl.id:
            take(lvl.id, "fencing level")
    return list(seen)


def _base(c) -> str:
    """``order-db-app``, ``colocation-set-vip-db``, ``location-vip-rule``, ..."""
    first, second = constraint_ends(c)
    return "-".join((CONSTRAINT_KINDS[type(c)].replace(" ", "-"), first, second or "rule"))


def assign_ids(config: Config) -> "ResolvedIds":
    """Ids of constraints and fencing levels (user-given or generated)."""
    alloc = IdAllocator(user_ids(config))
    cons = [c.id if c.id else alloc.new(_base(c)) for c in config.constraints]
    levels = [lv.id if lv.id else alloc.new(f"fl-{lv.target}-{lv.index}")
              for lv in config.fencing_levels]
    return ResolvedIds(alloc, cons, levels)


class ResolvedIds:
    """Result of :func:`assign_ids`; ``alloc`` continues for nested ids."""

    def __init__(self, alloc: IdAllocator, constraints: List[str], levels: List[str]):
        self.alloc = alloc
        self.constraints = constraints
        self.levels = levels
