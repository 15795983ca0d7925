"""What the galera agent and ``ocfpy clustercheck`` ask the server: the
check credentials (:func:`read_credentials`: a my.cnf ``[client]`` section,
the guide's /etc/sysconfig/clustercheck, or a file holding the password;
:func:`check_credentials`: the agent's check parameters), the wsrep status
over the unix socket (:func:`query_status`; pymysql, imported only when a
query is due) and what the agent reads in it (:func:`is_synced`,
:func:`is_healthy`, :func:`describe`), a lone node's ``pc.bootstrap``
(:func:`bootstrap_primary`), and whether a peer's gcomm port answers
(:func:`port_open`).

Example::

    user, password = read_credentials("/etc/mysql/ocfpy-check.cnf", hide=log.hide)
    status = query_status("/run/mysqld/mysqld.sock", user, password)
    is_primary(status) and is_synced(status)
    describe(status)    # "wsrep_cluster_status=Primary, wsrep_local_state_comment=Synced"
"""

import os

__all__ = ["MysqlError", "CredentialsError", "UnreachableError", "read_credentials", "check_credentials",
           "connect", "query_status", "bootstrap_primary", "port_open", "is_primary", "is_synced", "is_healthy", "describe"]


class MysqlError(Exception):
    """A status query failed; ``code`` is the server's error number (0: other)."""

    def __init__(self, message, code=0):
        super().__init__(message)
        self.code = code


class CredentialsError(MysqlError):
    """The server refused the check user (error 1045/1698)."""


class UnreachableError(MysqlError):
    """Nothing answers on the socket (not running, or still starting)."""


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


#: a credentials file larger than this is refused (it cannot be one)
CREDENTIALS_MAX = 64 * 1024


def read_credentials(path: str, hide=None):
    """``(user or None, password)`` from a credentials file, in one of three formats:

    - my.cnf style, told by a ``[client]`` line (usable with
      ``mysql --defaults-extra-file``)::

          [client]
          user = clustercheck
          password = "s3cret"

    - the HA guide's ``/etc/sysconfig/clustercheck``, told by a
      ``MYSQL_USERNAME=`` or ``MYSQL_PASSWORD=`` line::

          MYSQL_USERNAME="clustercheck_user"
          MYSQL_PASSWORD="my_clustercheck_password"

    - otherwise a plain password file: its first line is the password
      (trailing newline dropped), user None.

    ``hide`` (e.g. an agent's ``log.hide``) is called with every value read,
    before it is returned. Raises OSError when unreadable, when larger than
    CREDENTIALS_MAX (errno EFBIG) or when not UTF-8 text (errno EILSEQ); its
    message never holds a byte of the file.
    """
    import errno

    with open(path, "rb") as fh:
        data = fh.read(CREDENTIALS_MAX + 1)
    if len(data) > CREDENTIALS_MAX:
        raise OSError(errno.EFBIG, f"larger than {CREDENTIALS_MAX // 1024} KiB", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # the error would show the offending byte and its position: a piece of the secret
        raise OSError(errno.EILSEQ, "not UTF-8 text", path) from None
    user, password = _parse_credentials(text)
    if hide is not None:
        hide(password)
        if user:
            hide(user)
    return user, password


def check_credentials(user: str, password: str, path=None, hide=None):
    """``(user, password)`` of the galera agent's status queries: ``user`` and
    ``password`` (check_user, check_passwd), or what the file ``path``
    (check_passwd_file) holds, its user replacing ``user``. Every value read
    and the password go through ``hide`` (the agent's ``log.hide``). A file
    that cannot work raises OCFError: ERR_CONFIGURED when it cannot be a
    password file, ERR_PERM when it cannot be read."""
    if path:
        import errno

        from ocfpy import codes
        from ocfpy.errors import OCFError

        try:
            file_user, password = read_credentials(path, hide=hide)
        except OSError as exc:
            if exc.errno in (errno.EILSEQ, errno.EFBIG):
                raise OCFError(codes.ERR_CONFIGURED, f"check_passwd_file {path}: {exc.strerror} "
                                                     "(a password file, or a [client] section)")
            raise OCFError(codes.ERR_PERM, f"cannot read check_passwd_file {path}: "
                                           f"{exc.strerror or exc}")
        user = file_user or user
    if hide is not None:
        hide(password)
    return user, password


def _parse_credentials(text: str):
    lines = text.splitlines()
    stripped = [line.strip() for line in lines]
    if any(s.lower() == "[client]" for s in stripped):
        return _read_client_section(stripped)
    if any(s.startswith(("MYSQL_USERNAME=", "MYSQL_PASSWORD=")) for s in stripped):
        user, password = None, ""
        for s in stripped:
            key, _, value = s.partition("=")
            if key == "MYSQL_USERNAME":
                user = _unquote(value)
            elif key == "MYSQL_PASSWORD":
                password = _unquote(value)
        return user, password
    return None, lines[0] if lines else ""


def _read_client_section(stripped):
    user, password, section = None, "", None
    for s in stripped:
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip().lower()
            continue
        if section != "client":
            continue
        key, sep, value = s.partition("=")
        key = key.strip().lower().replace("-", "_")
        if key == "user" and sep:
            user = _unquote(value)
        elif key in ("password", "pass") and sep:
            password = _unquote(value)
    return user, password


def _wire(text) -> bytes:
    """A user name or password as the server compares it: UTF-8 (what the
    mysql client sends from a UTF-8 terminal); a value that was not UTF-8 to
    begin with (kept by Python as surrogates) goes as its original bytes.
    pymysql itself would encode a str password as Latin-1 and raise on
    anything else, with a message that locates the character."""
    if isinstance(text, bytes):
        return text
    return (text or "").encode("utf-8", "surrogateescape")


def connect(socket_path: str, user: str, password: str = "", timeout: float = 5.0):
    """A pymysql connection over the unix socket (autocommit). Raises
    CredentialsError, UnreachableError or MysqlError; the password goes over
    the socket only (never on a command line)."""
    import pymysql   # ~20 ms: only when a query is due

    try:
        # ssl_disabled: no TLS over a unix socket; pymysql >= 2 otherwise builds a
        # TLS context with the system's CA certificates, 30 ms of every monitor's CPU
        return pymysql.connect(unix_socket=socket_path, user=_wire(user), password=_wire(password),
                               charset="utf8mb4", connect_timeout=timeout, read_timeout=timeout,
                               write_timeout=timeout, autocommit=True, ssl_disabled=True)
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        if code in (1045, 1698):
            raise CredentialsError(f"access denied for user {user}", code) from None
        if code in (2002, 2003, 2013) or not os.path.exists(socket_path):
            raise UnreachableError(f"cannot connect to {socket_path}", code) from None
        raise MysqlError(str(exc.args[-1]) if exc.args else str(exc), code) from None
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        raise MysqlError(str(exc.args[-1]) if exc.args else str(exc), code) from None
    except OSError as exc:
        raise UnreachableError(f"cannot connect to {socket_path}: {exc.strerror or exc}") from None
    except ValueError:
        # UnicodeError and pymysql's own checks: their text may quote the password
        raise MysqlError("cannot connect: the client refused the connection parameters") from None


def query_status(socket_path: str, user: str, password: str = "", timeout: float = 5.0) -> dict:
    """Galera status of the server on ``socket_path``: every ``wsrep%`` status
    variable plus ``read_only`` and ``wsrep_on`` (strings), as {name: value}.

    Raises CredentialsError, UnreachableError or MysqlError. The password goes
    over the socket only (never on a command line).
    """
    import pymysql

    conn = connect(socket_path, user, password, timeout)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep%'")
            out = {str(k).lower(): str(v) for k, v in cur.fetchall()}
            cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'wsrep_on')")
            out.update({str(k).lower(): str(v) for k, v in cur.fetchall()})
        return out
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        raise MysqlError(str(exc.args[-1]) if exc.args else str(exc), code) from None
    finally:
        conn.close()


def bootstrap_primary(socket_path: str, user: str, password: str = "", timeout: float = 5.0) -> None:
    """Make the server on ``socket_path`` a Primary Component on its own
    (``pc.bootstrap=YES``). Raises MysqlError (its text: the error's)."""
    import pymysql

    try:
        conn = connect(socket_path, user, password, timeout=timeout)
        try:
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'")
        finally:
            conn.close()
    except pymysql.err.MySQLError as exc:
        raise MysqlError(str(exc)) from None


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Something accepts TCP connections on ``host``:``port`` (e.g. a peer's gcomm port)."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, UnicodeError):     # idna refuses some names with UnicodeError
        return False


def is_primary(status: dict) -> bool:
    """The node belongs to the Primary Component."""
    return status.get("wsrep_cluster_status") == "Primary"


def is_synced(status: dict) -> bool:
    """Primary and Synced (wsrep_local_state 4): ready for clients and writes."""
    return is_primary(status) and status.get("wsrep_local_state") == "4" \
        and status.get("wsrep_ready", "ON") == "ON"


def is_healthy(status: dict) -> bool:
    """Primary and Synced or a donor: what a monitor accepts."""
    # a donor serves a state transfer: healthy, failing it would kill the transfer
    return is_primary(status) and status.get("wsrep_local_state") in ("2", "4")


def describe(status: dict) -> str:
    """The cluster status and local state, for a log line or an exit reason."""
    return (f"wsrep_cluster_status={status.get('wsrep_cluster_status', '?')}, "
            f"wsrep_local_state_comment={status.get('wsrep_local_state_comment', '?')}")
