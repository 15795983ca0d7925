"""Files that an agent running as root creates or opens in directories that
another user owns (a datadir, /var/log/keystone, /run/keystone).

Such a user can plant a symlink or a hard link where root is about to write,
and turn root's write into a write to any file on the system. Every helper
here therefore opens the directory without following a symlink, creates with
``O_EXCL | O_NOFOLLOW`` relative to that directory's descriptor, and changes
owner and mode through the file descriptor (``fchown``/``fchmod``), never by
path.

Example::

    replace_file("/var/lib/mysql/grastate.dat", text, uid=mysql_uid, gid=mysql_gid, mode=0o660)
    fd = open_append("/var/log/keystone/uwsgi.log", uid=ks_uid, gid=ks_gid)
    os.write(fd, b"started\\n"); os.close(fd)
"""

import os
import stat

__all__ = ["UnsafeFileError", "replace_file", "open_append", "open_directory"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeFileError(OSError):
    """A path that root must not write through (a symlink, a hard link, a
    special file, or a file another user owns)."""


def open_directory(path: str) -> int:
    """A descriptor of the directory ``path`` itself; refuses a symlink in the
    last component (a planted link would redirect every later operation)."""
    try:
        return os.open(path, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno in (40, 20):   # ELOOP: a symlink; ENOTDIR: not a directory
            raise UnsafeFileError(exc.errno, f"{path} is not a plain directory") from None
        raise


def replace_file(path: str, data, *, mode: int = 0o600, uid: int = -1, gid: int = -1) -> None:
    """Atomically replace ``path`` with ``data`` (str or bytes), owned by
    ``uid``:``gid`` (-1 keeps root's) with ``mode``.

    A symlink at ``path`` is replaced, never followed; the temporary file is
    created exclusively, so nothing planted under its name is written through.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory, name = os.path.split(os.path.abspath(path))
    dir_fd = open_directory(directory)
    tmp = f".{name}.ocfpy-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=dir_fd)
        try:
            if uid != -1 or gid != -1:
                os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    finally:
        os.close(dir_fd)


def open_append(path: str, *, uid: int = -1, gid: int = -1, mode: int = 0o640) -> int:
    """A write-only, append-mode descriptor of ``path`` to hand to a service
    running as ``uid`` (its log file), created with ``mode`` when absent.

    An existing file is used only when it is a regular file with one link,
    owned by ``uid`` -- or by root in a directory that only root can write;
    anything else (a symlink, a hard link to another file, a FIFO, a file of
    another user) raises UnsafeFileError.
    """
    directory, name = os.path.split(os.path.abspath(path))
    dir_fd = open_directory(directory)
    try:
        try:
            fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, mode, dir_fd=dir_fd)
        except FileExistsError:
            fd = _open_existing(path, name, dir_fd, uid)
        else:
            try:
                if uid != -1 or gid != -1:
                    os.fchown(fd, uid, gid)
                os.fchmod(fd, mode)
            except BaseException:
                os.close(fd)
                raise
        return fd
    finally:
        os.close(dir_fd)


def _open_existing(path: str, name: str, dir_fd: int, uid: int) -> int:
    try:
        # O_NONBLOCK: a FIFO planted here must not hang the agent
        fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (40, 6):   # ELOOP: a symlink; ENXIO: a FIFO without a reader
            raise UnsafeFileError(exc.errno, f"{path} is a symlink or a special file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(1, f"{path} is not a regular file")
        if st.st_nlink != 1:
            raise UnsafeFileError(1, f"{path} has {st.st_nlink} hard links")
        wanted = os.geteuid() if uid == -1 else uid
        if st.st_uid != wanted and not (st.st_uid == 0 and _only_root_writes(dir_fd)):
            raise UnsafeFileError(1, f"{path} belongs to uid {st.st_uid}, not {wanted}")
        # clear O_NONBLOCK again: a regular file ignores it, but the service inherits the flags
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _only_root_writes(dir_fd: int) -> bool:
    st = os.fstat(dir_fd)
    return st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
