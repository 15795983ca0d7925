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

__all__ = ["UnsafeFileError", "replace_file", "open_append", "open_directory", "read_small",
           "read_owned", "read_tail", "unsafe_append_target", "remove_in_dir", "root_only_file"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeFileError(OSError):
    """A path that root must not write through (a symlink, a hard link, a
    special file, or a file another user owns)."""


def _trusted_link(dir_st, link_st) -> bool:
    """A symlink root may follow: root's own, in a directory of root's that
    no other user can change (not group/other-writable, or sticky)."""
    return link_st.st_uid == 0 and dir_st.st_uid == 0 and (
        not dir_st.st_mode & 0o022 or bool(dir_st.st_mode & stat.S_ISVTX))


def open_directory(path: str, create: bool = False, mode: int = 0o755) -> int:
    """A descriptor of the directory ``path``, reached component by component
    from ``/`` without following a symlink another user could have planted
    (root's own links in root's own directories, like /var/run -> /run, are
    followed); missing components are created (root's, ``mode``) when
    ``create``. Raises UnsafeFileError naming the component.

    In /var/log/keystone/a/b the keystone user could turn ``a`` into a link
    to /etc: checking only the last component would not see it.
    """
    parts = [p for p in os.path.abspath(path).split("/") if p]
    done, links = [], 0
    fd = os.open("/", _DIR_FLAGS)
    try:
        while parts:
            name = parts.pop(0)
            here = "/" + "/".join(done + [name])
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(name, mode, dir_fd=fd)
                except FileExistsError:
                    pass
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                if not _trusted_link(os.fstat(fd), st):
                    raise UnsafeFileError(40, f"{here} is a symlink that another user could have planted")
                links += 1
                if links > 40:
                    raise UnsafeFileError(40, f"{path}: too many levels of symlinks")
                target = os.readlink(name, dir_fd=fd)
                resolved = os.path.normpath(os.path.join("/" + "/".join(done), target, *parts))
                parts, done = [p for p in resolved.split("/") if p], []
                os.close(fd)
                fd = -1
                fd = os.open("/", _DIR_FLAGS)
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafeFileError(20, f"{here} is not a directory")
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (40, 20):     # swapped for a link since the stat
                    raise UnsafeFileError(exc.errno, f"{here} changed into a symlink") from None
                raise
            os.close(fd)
            fd = sub
            done.append(name)
        return fd
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise


def read_small(path: str, limit: int = 65536) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``, read without
    following a symlink in any component or blocking on a FIFO (a pid file
    in a service user's directory may have been swapped for either)."""
    directory, name = os.path.split(os.path.abspath(path))
    dir_fd = open_directory(directory)
    try:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == 40:
                raise UnsafeFileError(40, f"{path} is a symlink") from None
            raise
    finally:
        os.close(dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeFileError(1, f"{path} is not a regular file")
        return os.read(fd, limit)
    finally:
        os.close(fd)


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


def unsafe_append_target(dir_fd: int, name: str, uid: int):
    """Why root must not open the existing file ``name`` (in the directory
    ``dir_fd``) for appending on behalf of ``uid`` -- :func:`open_append`'s
    rules, asked before anything is started -- or None (absent or fine)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "is a symlink"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_nlink != 1:
        return f"has {st.st_nlink} hard links"
    if st.st_uid != uid and not (st.st_uid == 0 and _only_root_writes(dir_fd)):
        return f"belongs to uid {st.st_uid}, not {uid}"
    return None


def read_owned(path: str, uids, limit: int = 65536, tail: bool = False):
    """``(data, stat)`` of ``path``, a plain file that one of ``uids`` owns --
    a file a service user writes (its log, its state in its datadir) that
    root reads: the first ``limit`` bytes, or the last ones when ``tail``.

    Read without following a link in any component, nor blocking on a FIFO;
    a symlink, a special file, a file with more than one hard link (a link
    to a file of root's the user cannot read itself) or a file of another
    user raises UnsafeFileError, whose ``strerror`` says why ("is a
    symlink", "has 2 hard links"...). An absent file raises FileNotFoundError.

    Example::

        data, st = read_owned("/var/lib/mysql/grastate.dat", (mysql_uid, 0))
    """
    dir_fd = open_directory(os.path.dirname(os.path.abspath(path)))
    try:
        fd = os.open(os.path.basename(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == 40:
            raise UnsafeFileError(40, "is a symlink", path) from None
        raise
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(1, "is not a regular file", path)
        if st.st_nlink != 1:
            raise UnsafeFileError(1, f"has {st.st_nlink} hard links", path)
        if st.st_uid not in uids:
            raise UnsafeFileError(1, f"belongs to uid {st.st_uid}", path)
        if tail:
            os.lseek(fd, max(0, st.st_size - limit), os.SEEK_SET)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def read_tail(path: str, uid: int, size: int = 4096) -> bytes:
    """The last ``size`` bytes of a service's log, read as root without
    following a link or blocking on a FIFO; OSError (strerror says why) for
    anything but a plain, singly linked file of ``uid`` or root
    (:func:`read_owned`)."""
    return read_owned(path, (uid, 0), size, tail=True)[0]


def remove_in_dir(path) -> None:
    """Unlink ``path`` through its directory reached by :func:`open_directory`:
    a symlink planted higher up in a service user's directory never makes
    root delete a file elsewhere. Absent or unreachable: nothing happens."""
    if not path:
        return
    try:
        fd = open_directory(os.path.dirname(os.path.abspath(path)))
    except (OSError, ValueError):
        return
    try:
        os.unlink(os.path.basename(path), dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def root_only_file(path) -> bool:
    """Is ``path`` a plain file of root's in a directory only root can write
    (so root wrote what it holds, not a service user)?"""
    try:
        fd = open_directory(os.path.dirname(os.path.abspath(path)))
    except (OSError, ValueError):
        return False
    try:
        dir_st = os.fstat(fd)
        st = os.stat(os.path.basename(path), dir_fd=fd, follow_symlinks=False)
    except OSError:
        return False
    finally:
        os.close(fd)
    return (dir_st.st_uid == 0 and not dir_st.st_mode & 0o022 and st.st_uid == 0
            and stat.S_ISREG(st.st_mode))
