"""Entering an existing named network namespace (``ip netns`` style).

A namespace is never created here: ``enter`` fails when
``/var/run/netns/<name>`` does not exist, unlike pyroute2's ``NetNS``, whose
default flags silently create a missing namespace.

Only the network namespace changes (as with ``ip netns exec`` minus the
/sys remount): callers must read links and addresses over netlink, not /sys.
"""

import os

__all__ = ["NETNS_DIR", "CLONE_NEWNET", "valid_name", "path_of", "exists", "enter"]


NETNS_DIR = "/var/run/netns"
CLONE_NEWNET = 0x40000000


def valid_name(name: str) -> bool:
    """A namespace name as `ip netns` accepts it: one path component that
    fits a file name (255 bytes)."""
    return (bool(name) and "/" not in name and name not in (".", "..") and "\0" not in name
            and len(name.encode("utf-8", "surrogateescape")) <= 255)


def path_of(name: str) -> str:
    return os.path.join(NETNS_DIR, name)


def exists(name: str) -> bool:
    return valid_name(name) and os.path.exists(path_of(name))


def enter(name: str) -> None:
    """Move this process into the network namespace ``name``.

    Raises FileNotFoundError when it does not exist, OSError when setns fails."""
    if not valid_name(name):
        raise FileNotFoundError(f"invalid network namespace name {name!r}")
    fd = os.open(path_of(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if hasattr(os, "setns"):      # Python >= 3.12
            os.setns(fd, CLONE_NEWNET)
            return
        import ctypes                 # 3 ms, paid only when a namespace is used

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)
