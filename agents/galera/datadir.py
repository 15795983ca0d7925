"""The files of the mysql user that root, running the galera agent, reads and
writes: the datadir (grastate.dat, the --wsrep-recover log) and the
directories mariadbd needs.

The mysql user owns the datadir and could plant a symlink, a hard link or a
FIFO where root reads or writes: nothing below the datadir is followed
(ocfpy.files), and owner and mode go on descriptors, never on paths.
Failures raise OCFError with the action's exit code and reason.

Example::

    found = read_file("/var/lib/mysql", "grastate.dat", "mysql")   # (text, stat) or None
    prepare_dirs("/var/lib/mysql", "mysql", "mysql", ["/run/mysqld/mysqld.pid"])
    mark_safe_to_bootstrap("/var/lib/mysql", "mysql", log)
"""

import os

from ocfpy import codes
from ocfpy.errors import OCFError
from ocfpy_agents.galera import wsrep

__all__ = ["real_path", "user_can_use", "read_file", "make_user_dir", "prepare_dirs",
           "mark_safe_to_bootstrap"]


def real_path(datadir: str) -> str:
    """The datadir with its symlinks resolved."""
    # the administrator may reach the datadir through a symlink; below it nothing is followed
    return os.path.realpath(datadir)


def user_can_use(user: str, path: str) -> bool:
    """``user`` may read, write and enter the directory ``path`` (its owner,
    group or other bits; every group of the user counts; root may)."""
    from ocfpy.process import user_groups

    st = os.stat(path)
    try:
        entry, gids = user_groups(user)
    except KeyError:
        return False
    if entry.pw_uid == 0:
        return True
    bits = (st.st_mode >> 6 if st.st_uid == entry.pw_uid else
            st.st_mode >> 3 if st.st_gid in gids else st.st_mode)
    return bits & 0o7 == 0o7


def read_file(datadir: str, name: str, user: str, limit: int = 1 << 20):
    """``(text, stat)`` of ``name`` in the datadir, or None when absent.

    A symlink, a hard link, a FIFO or a file of a third user is refused
    (OCFError ERR_GENERIC), never read through (ocfpy.files.read_owned).
    At most the last ``limit`` bytes are read; bytes that are not UTF-8
    are replaced."""
    from ocfpy.files import UnsafeFileError, read_owned
    from ocfpy.process import user_groups

    path = os.path.join(real_path(datadir), name)
    try:
        data, st = read_owned(path, (user_groups(user)[0].pw_uid, 0, os.geteuid()),
                              limit, tail=True)
    except FileNotFoundError:
        return None
    except UnsafeFileError as exc:
        raise OCFError(codes.ERR_GENERIC, f"{path} {exc.strerror}: refusing to use it")
    except OSError as exc:
        raise OCFError(codes.ERR_GENERIC, f"cannot read {path}: {exc.strerror or exc}")
    return data.decode("utf-8", "replace"), st


def make_user_dir(path: str, mode: int, uid: int, gid: int) -> None:
    """Create ``path`` for the mysql user, walked from / without following
    a link anyone but root could plant (ocfpy.files.open_directory); owner
    and mode are set on the new directory's descriptor."""
    from ocfpy.files import open_directory

    try:
        fd = open_directory(path, create=True)
        try:
            if os.fstat(fd).st_uid != os.geteuid():
                raise OCFError(codes.ERR_GENERIC, f"{path} was replaced while being created")
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OCFError(codes.ERR_GENERIC, f"cannot create {path}: {exc.strerror or exc}")


def prepare_dirs(datadir: str, user: str, group: str, run_files) -> None:
    """Create the directories of ``run_files`` (the pid file, the socket;
    0755) and the datadir (0750) when absent, owned by ``user``:``group``."""
    import grp
    import pwd

    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    for path in {os.path.dirname(f) for f in run_files}:
        if path and not os.path.isdir(path):
            make_user_dir(path, 0o755, uid, gid)
    if not os.path.isdir(datadir):
        make_user_dir(datadir, 0o750, uid, gid)


def mark_safe_to_bootstrap(datadir: str, user: str, log) -> None:
    """Set ``safe_to_bootstrap: 1`` in grastate.dat (nothing when it is
    absent or already set), keeping the file's owner and mode: root neither
    reads nor writes through anything planted there, and owner and mode go
    on the new file's descriptor, never on a path (ocfpy.files.replace_file)."""
    from ocfpy.files import replace_file

    found = read_file(datadir, "grastate.dat", user)
    if found is None:
        return
    text, st = found
    if wsrep.parse_grastate(text).safe_to_bootstrap:
        return
    path = os.path.join(real_path(datadir), "grastate.dat")
    try:
        replace_file(path, wsrep.set_safe_to_bootstrap(text, True), uid=st.st_uid,
                     gid=st.st_gid, mode=st.st_mode & 0o666)
    except OSError as exc:
        raise OCFError(codes.ERR_GENERIC, f"cannot set safe_to_bootstrap in {path}: "
                                          f"{exc.strerror or exc}")
    log.info("set safe_to_bootstrap: 1 in %s", path)
