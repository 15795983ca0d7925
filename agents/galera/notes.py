"""What the galera agent remembers between actions, in Pacemaker's run
directory (root's, emptied by a reboot): the position start and demote
detected (read by monitor, promote and the election), and the last
publication of ``<rsc>-primary`` (so that a healthy monitor runs no crm tool).

Example::

    save_position("/run/ocfpy-galera-p_galera.state", GraState("6d2c...", 42), False)
    saved_position("/run/ocfpy-galera-p_galera.state")     # (GraState, no_grastate) or None
    if not primary_noted(note, uuid, max_age=60.0):
        ...                                                # ask attrd, then note_primary(note, uuid)
"""

from ocfpy_agents.galera import wsrep

__all__ = ["save_position", "saved_position", "primary_noted", "note_primary"]


def save_position(path: str, state, no_grastate: bool) -> None:
    """Save ``state`` (a wsrep.GraState) and whether grastate.dat was absent."""
    from ocfpy.files import replace_file

    replace_file(path, f"{state.uuid} {state.seqno} {1 if state.safe_to_bootstrap else 0} "
                       f"{1 if no_grastate else 0}\n", mode=0o600)


def saved_position(path: str):
    """``(GraState, no_grastate)`` as saved, or None (none saved, or unreadable)."""
    from ocfpy.files import read_small

    try:
        uuid, seqno, safe, no_gra = read_small(path, 256).decode("utf-8", "replace").split()
        return wsrep.GraState(uuid, int(seqno), safe == "1"), no_gra == "1"
    except (OSError, ValueError):
        return None


def primary_noted(path: str, uuid: str, max_age: float) -> bool:
    """``uuid`` was noted as published less than ``max_age`` seconds ago."""
    import time

    from ocfpy.files import read_small

    try:
        noted, at = read_small(path, 256).decode("ascii").split()
        return noted == uuid and 0 <= time.time() - float(at) < max_age
    except (OSError, ValueError):
        return False


def note_primary(path: str, uuid: str) -> None:
    """Note that ``uuid`` is published now."""
    import time

    from ocfpy.files import replace_file

    replace_file(path, f"{uuid} {time.time():.0f}\n", mode=0o600)
