"""A clustercheck-compatible HTTP health responder for HAProxy's ``option httpchk``.

Replaces the HA guide's xinetd service + ``/usr/bin/clustercheck`` script:
one small threaded server answers every HTTP request (any method, any path)
with the state of the local Galera node, queried over its unix socket:

- ``200 Galera cluster node is synced.`` when the node is in the Primary
  Component, Synced (``wsrep_local_state`` 4) and writable (``read_only``
  OFF);
- ``503 Galera cluster node is not synced.`` otherwise (a donor/desynced
  node, a non-Primary node, no answer, unusable credentials), or
  ``503 Galera cluster node is read-only.``.

``--available-when-donor`` also accepts a Primary donor/desynced node (state 2);
``--available-when-readonly`` accepts ``read_only`` ON, as the script's
AVAILABLE_WHEN_DONOR / AVAILABLE_WHEN_READONLY did.

Where it listens: ``--bind ADDRESS`` and ``--port PORT`` (default
``127.0.0.1:9200``). The default is loopback only, so that an unconfigured
check is not reachable from every network; HAProxy on another host checks
``server ... check port 9200`` at the node's own address, so give that
address (the internal/management one, never a public one)::

    ocfpy clustercheck --bind 10.0.0.12 --port 9200 --credentials /etc/mysql/ocfpy-check.cnf

and in haproxy.cfg, as in the guide: ``option httpchk`` and
``server controller1 10.0.0.12:3306 check port 9200 inter 2000 rise 2 fall 5``.
An IPv6 address (``--bind ::1``) listens on IPv6.

Robustness (anyone who can reach the port can connect):

- a client must send its whole request head (at most 8 KiB) within
  ``--request-timeout`` seconds (default 2) or it is dropped, whether idle
  or trickling bytes;
- at most ``--max-connections`` connections (default 32, fewer when the
  descriptor limit is low: the limit minus 16) are held at once; beyond
  that a new connection is answered ``503`` at once and closed, and the
  check answers normally again as soon as the held ones go;
- the node's status is queried at most once per ``--cache-interval``
  seconds (default 1; 0: every request, one query at a time), whatever
  the number of requests, so checks never load the database;
- the ``Server`` header is the constant ``ocfpy-clustercheck``.

Credentials come from a file (see :func:`ocfpy.server.read_credentials`: a
my.cnf ``[client]`` file, the guide's ``/etc/sysconfig/clustercheck``, or a
plain password file), never from the command line. The file is read again at
each status query (so it can be rotated). A file that cannot be read or is
not UTF-8, a password the client library cannot send (pymysql alone sends a
password as Latin-1), or any other failed query makes the check answer 503
and writes one line to stderr naming the file and the problem, without any
byte of the file's content and never a traceback; the line is written when
the problem appears or changes and every five minutes while it lasts.

Example (what ``ocfpy clustercheck`` runs)::

    server = make_server(CheckConfig(socket="/run/mysqld/mysqld.sock",
                                     credentials="/etc/sysconfig/clustercheck"),
                         port=9200, bind="10.0.0.12")
    server.serve_forever()
"""

from __future__ import annotations

import errno
import re
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

import click

from ocfpy_agents.galera import server, wsrep

__all__ = ["CheckConfig", "CredentialsProblem", "evaluate", "check", "diagnose", "StatusCache",
           "CheckServer", "make_server", "clustercheck", "SYNCED", "NOT_SYNCED", "READ_ONLY",
           "BUSY", "SERVER", "DEFAULT_BIND", "DEFAULT_PORT"]

SYNCED = "Galera cluster node is synced."
NOT_SYNCED = "Galera cluster node is not synced."
READ_ONLY = "Galera cluster node is read-only."
BUSY = "clustercheck is busy: too many connections."
SERVER = "ocfpy-clustercheck"           # the Server header: no version of anything

DEFAULT_BIND = "127.0.0.1"
DEFAULT_PORT = 9200
DEFAULT_MAX_CONNECTIONS = 32
DEFAULT_REQUEST_TIMEOUT = 2.0
DEFAULT_CACHE_INTERVAL = 1.0
FD_HEADROOM = 16        # descriptors kept free beyond the held connections (std streams,
                        # the listening socket, the database socket, imports, one rejection)
MAX_HEAD = 8192         # bytes of request line + headers
RELOG_AFTER = 300.0     # a lasting problem is logged again after this many seconds


@dataclass
class CheckConfig:
    """What to check and how: the server's socket, the credentials file
    (None: user root without a password, e.g. unix_socket authentication as
    root) and the two availability switches."""

    socket: str = "/run/mysqld/mysqld.sock"
    credentials: Optional[str] = None
    user: str = "root"
    available_when_donor: bool = False
    available_when_readonly: bool = False
    timeout: float = 2.0


class CredentialsProblem(Exception):
    """The credentials file cannot be used; the message names the file and the
    problem and holds nothing of the file's content (safe to log)."""


def evaluate(status: Optional[dict], available_when_donor: bool = False,
             available_when_readonly: bool = False) -> tuple:
    """``(http_status, text)`` for a node's status (None: no answer).

    >>> evaluate({"wsrep_cluster_status": "Primary", "wsrep_local_state": "4",
    ...           "read_only": "OFF"})
    (200, 'Galera cluster node is synced.')
    """
    if not status or not server.is_primary(status):
        return 503, NOT_SYNCED
    state = status.get("wsrep_local_state")
    if not (state == "4" or (state == "2" and available_when_donor)):
        return 503, NOT_SYNCED
    if status.get("read_only", "OFF").upper() == "ON" and not available_when_readonly:
        return 503, READ_ONLY
    return 200, SYNCED


def _credentials(cfg: CheckConfig) -> tuple:
    """``(user, password)`` to query with; CredentialsProblem when the file is unusable.
    No message here quotes the file's content or an exception's text (which may)."""
    if not cfg.credentials:
        return cfg.user, ""
    path = cfg.credentials
    try:
        file_user, password = server.read_credentials(path)
    except UnicodeDecodeError:
        raise CredentialsProblem(f"credentials file {path} is not valid UTF-8") from None
    except OSError as exc:
        if exc.errno == errno.EILSEQ:
            raise CredentialsProblem(f"credentials file {path} is not valid UTF-8") from None
        raise CredentialsProblem(f"cannot read credentials file {path}: "
                                 f"{exc.strerror or type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 - a parse error's text may quote the secret
        raise CredentialsProblem(f"cannot parse credentials file {path} ({type(exc).__name__})") from None
    return file_user or cfg.user, password or ""


def diagnose(cfg: CheckConfig) -> tuple:
    """``(http_status, text, problem)``: query the node and evaluate; ``problem``
    is a one-line, secret-free description of why no status could be had (None
    when the query worked). Never raises for a query or credentials failure."""
    try:
        user, password = _credentials(cfg)
    except CredentialsProblem as exc:
        return 503, NOT_SYNCED, str(exc)
    try:
        status = server.query_status(cfg.socket, user, password, timeout=cfg.timeout)
    except server.MysqlError as exc:
        return 503, NOT_SYNCED, f"status query failed: {exc}"
    except UnicodeEncodeError:          # pymysql sends a str password as Latin-1
        return 503, NOT_SYNCED, (f"the password in credentials file {cfg.credentials} has characters "
                                 "outside Latin-1, which the MySQL client library cannot send")
    except Exception as exc:  # noqa: BLE001 - the text of an unexpected error may hold the password
        return 503, NOT_SYNCED, f"status query failed ({type(exc).__name__})"
    return evaluate(status, cfg.available_when_donor, cfg.available_when_readonly) + (None,)


def check(cfg: CheckConfig) -> tuple:
    """Query the node and evaluate: ``(http_status, text)``; any failure is "not synced"."""
    return diagnose(cfg)[:2]


def _stderr_line(text: str) -> None:
    text = text.replace("\r", " ").replace("\n", " ")       # one line, whatever a message holds
    sys.stderr.write(f"clustercheck: {text}\n")
    sys.stderr.flush()


class StatusCache:
    """The node's verdict, queried at most once per ``interval`` seconds.

    Requests that arrive while a query runs wait for it and share its result,
    so the database sees at most one check connection at a time. Problems are
    logged (``log``: one line each) when they appear or change, again every
    RELOG_AFTER seconds while they last, and once when they clear."""

    def __init__(self, cfg: CheckConfig, interval: float = DEFAULT_CACHE_INTERVAL,
                 log: Callable[[str], None] = _stderr_line,
                 query: Callable[[CheckConfig], tuple] = diagnose):
        self.cfg = cfg
        self.interval = interval
        self.log = log
        self._query = query
        self._lock = threading.Lock()
        self._answer: Optional[tuple] = None
        self._at = 0.0
        self._problem: Optional[str] = None
        self._logged_at = 0.0

    def answer(self) -> tuple:
        """``(http_status, text)``, from the cache when fresh enough."""
        line = None
        with self._lock:
            if self._answer is None or time.monotonic() - self._at >= self.interval:
                code, text, problem = self._query(self.cfg)
                self._answer, self._at = (code, text), time.monotonic()
                line = self._note(problem)
            answer = self._answer
        if line:
            self.log(line)          # outside the lock: a slow log never holds up the checks
        return answer

    def _note(self, problem: Optional[str]) -> Optional[str]:
        """The line to log for this query's outcome, if any."""
        now, line = time.monotonic(), None
        if problem is None:
            if self._problem is not None:
                line = "status query works again"
        elif problem != self._problem or now - self._logged_at >= RELOG_AFTER:
            line = f"answering 503: {problem}"
            self._logged_at = now
        self._problem = problem
        return line


# --- HTTP ---------------------------------------------------------------------------------------

_REASONS = {200: "OK", 400: "Bad Request", 503: "Service Unavailable"}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")


def _http_date() -> str:
    t = time.gmtime()
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


def _response(code: int, text: str, body: bool = True) -> bytes:
    payload = (text + "\r\n").encode()
    head = (f"HTTP/1.0 {code} {_REASONS.get(code, 'Error')}\r\n"
            f"Server: {SERVER}\r\n"
            f"Date: {_http_date()}\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    return head + payload if body else head


def _read_head(conn: socket.socket, timeout: float) -> Optional[bytes]:
    """The request head (request line and headers), or None when the client does
    not send all of it within ``timeout`` seconds in total, sends more than
    MAX_HEAD bytes, or closes."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        start = len(buf) - len(buf.lstrip(b"\r\n"))        # empty lines before the request line
        end = _END_OF_HEAD.search(buf, start)
        if end:
            return buf[start:end.start()]
        if len(buf) > MAX_HEAD:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        conn.settimeout(left)
        try:
            chunk = conn.recv(4096)
        except OSError:                                     # timeout, reset
            return None
        if not chunk:
            return None
        buf += chunk


class _Handler(socketserver.BaseRequestHandler):
    """One connection: read the request head within the timeout, answer, close."""

    def handle(self):
        srv = self.server
        conn = self.request
        head = _read_head(conn, srv.request_timeout)
        if head is None:
            return                                          # dropped (shutdown_request closes it)
        words = head.split(b"\n", 1)[0].split()
        if len(words) < 2:
            reply = _response(400, "Bad request.")
        else:
            code, text = srv.status.answer()
            reply = _response(code, text, body=words[0] != b"HEAD")
        conn.settimeout(srv.request_timeout)
        try:
            conn.sendall(reply)
        except OSError:
            pass


class CheckServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """The threaded check server: at most ``max_connections`` connections held
    at once, each for ``request_timeout`` seconds at most, statuses from a
    :class:`StatusCache`."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple, cfg: CheckConfig, *,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 cache_interval: float = DEFAULT_CACHE_INTERVAL,
                 log: Callable[[str], None] = _stderr_line):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.check_config = cfg
        self.request_timeout = request_timeout
        self.max_connections = _connection_cap(max_connections)
        self.status = StatusCache(cfg, cache_interval, log=log)
        self.log = log
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._busy = _response(503, BUSY)
        self._last_error = 0.0
        super().__init__(address, _Handler)

    def get_request(self):
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                time.sleep(0.05)                            # no busy loop while out of descriptors
            raise

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self._reject(request)
            return
        try:
            super().process_request(request, client_address)   # a thread per held connection
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _reject(self, request):
        """Over the cap: answer 503 without waiting for anything, and close."""
        try:
            request.setblocking(False)
            try:
                request.recv(MAX_HEAD)              # what already came, so that close() does not reset
            except OSError:
                pass
            request.send(self._busy)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def handle_error(self, request, client_address):
        """One line, no traceback (a traceback may show local values), at most one a minute."""
        now = time.monotonic()
        if now - self._last_error >= 60:
            self._last_error = now
            exc = sys.exc_info()[1]
            self.log(f"error while serving a request ({type(exc).__name__})")


def _connection_cap(wanted: int) -> int:
    """``wanted``, lowered so that held connections never exhaust the descriptor limit."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return max(1, wanted)
    if soft == resource.RLIM_INFINITY:
        return max(1, wanted)
    return max(1, min(wanted, soft - FD_HEADROOM))


def make_server(cfg: CheckConfig, port: int = DEFAULT_PORT, bind: str = DEFAULT_BIND, *,
                max_connections: int = DEFAULT_MAX_CONNECTIONS,
                request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                cache_interval: float = DEFAULT_CACHE_INTERVAL,
                log: Callable[[str], None] = _stderr_line) -> CheckServer:
    """A ready-to-serve check server (call ``serve_forever()``; ``server_address``
    has the bound port when ``port`` is 0)."""
    return CheckServer((bind, port), cfg, max_connections=max_connections,
                       request_timeout=request_timeout, cache_interval=cache_interval, log=log)


# --- the `ocfpy clustercheck` command (registered in ocfpy/cli.py) ---

@click.command()
@click.option("--bind", default=DEFAULT_BIND, show_default=True, metavar="ADDRESS",
              help="Address to listen on. HAProxy's `check port` connects to the node's own "
                   "address: on a node checked from another host give that (internal) address, "
                   "e.g. --bind 10.0.0.12; the default answers local checks only. "
                   "0.0.0.0 listens on every interface.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port: HAProxy's `check port` (9200 in the HA guide).")
@click.option("--credentials", type=click.Path(dir_okay=False), default=None,
              help="Credentials file: my.cnf [client], /etc/sysconfig/clustercheck style, "
                   "or a plain password file (default: root, no password).")
@click.option("--socket", "socket_path", default="/run/mysqld/mysqld.sock", show_default=True,
              help="The server's unix socket.")
@click.option("--available-when-donor", is_flag=True, help="A Primary donor/desynced node is available.")
@click.option("--available-when-readonly", is_flag=True, help="A read_only node is available.")
@click.option("--max-connections", type=click.IntRange(1, 10000), default=DEFAULT_MAX_CONNECTIONS,
              show_default=True,
              help="Connections held at once (lowered to the descriptor limit minus "
                   f"{FD_HEADROOM}); more are answered 503 at once.")
@click.option("--request-timeout", type=click.FloatRange(0.1, 60), default=DEFAULT_REQUEST_TIMEOUT,
              show_default=True, help="Seconds a client has to send its whole request.")
@click.option("--cache-interval", type=click.FloatRange(0, 60), default=DEFAULT_CACHE_INTERVAL,
              show_default=True,
              help="Seconds a status is reused (0: query for every request).")
def clustercheck(bind, port, credentials, socket_path, available_when_donor, available_when_readonly,
                 max_connections, request_timeout, cache_interval):
    """HTTP health check of the local Galera node for HAProxy (200 synced, 503 not).

    In haproxy.cfg: `option httpchk` and `server NODE ADDRESS:3306 check port PORT`,
    with this command run on each node as `--bind ADDRESS --port PORT`
    (default 127.0.0.1:9200: local checks only).
    """
    if credentials:
        try:
            open(credentials, "rb").close()
        except OSError as exc:
            raise click.ClickException(f"cannot read {credentials}: {exc.strerror}") from None
    cfg = CheckConfig(socket=socket_path, credentials=credentials,
                      available_when_donor=available_when_donor,
                      available_when_readonly=available_when_readonly)
    try:
        server = make_server(cfg, port=port, bind=bind, max_connections=max_connections,
                             request_timeout=request_timeout, cache_interval=cache_interval)
    except (OSError, OverflowError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise click.ClickException(f"cannot listen on {bind}:{port}: {why}") from None
    host = f"[{bind}]" if ":" in bind else bind
    click.echo(f"clustercheck listening on {host}:{server.server_address[1]} "
               f"(at most {server.max_connections} connections, {request_timeout:g}s to send "
               f"a request, status reused for {cache_interval:g}s)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
