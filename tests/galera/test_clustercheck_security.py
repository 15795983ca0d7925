"""`ocfpy clustercheck` under attack (security audit, finding 4), against a real
one-node MariaDB Galera on 127.0.0.1 and the real `ocfpy clustercheck` process.

One test per defect:

- the default bind address is loopback, not every interface;
- 65+ idle connections under ``ulimit -n 64`` do not silence it for good;
- an idle or trickling client is dropped after the request timeout;
- at most ``--max-connections`` connections are held, the rest answered 503 at once;
- the Server header is constant (no Python version);
- requests within the cache interval make one database connection;
- credential errors (not UTF-8, password outside Latin-1, unreadable file) are
  answered 503 with one log line and no secret byte, never a traceback.

Ports: 39200-39299 on 127.0.0.1 only.
"""

import functools
import http.client
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import time

import pytest

from ocfpy.sandbox import mariadb
from ocfpy.testing import ports
from ocfpy.testing.beds import ending_all

OCFPY = os.path.join(os.path.dirname(sys.executable), "ocfpy")
HOST = "127.0.0.1"
SYNCED = "Galera cluster node is synced."
NOT_SYNCED = "Galera cluster node is not synced."
USER, PASSWORD = "cc_user", "cc-Pw-7"
_taken: set = set()


def free_port() -> int:
    """A port of 39200-39299 that binds on 127.0.0.1 now (never one handed out before)."""
    return ports.free_port(39200, 39300, HOST, taken=_taken)


@pytest.fixture(scope="module")
def node():
    """A real one-node Galera (Primary, Synced) with a check user; its config."""
    reason = mariadb.missing_requirements(galera=True)
    if reason:
        pytest.skip(f"real MariaDB Galera unavailable: {reason}")
    base = mariadb.make_base_dir("ocfpy-ccsec-")
    port, gport, iport, sport = (free_port() for _ in range(4))
    cfg = mariadb.standalone_config(base, name="cc", host=HOST, port=port, extra={
        "wsrep_on": "ON",
        "wsrep_provider": mariadb.PROVIDER,
        "wsrep_cluster_name": "ocfpy-ccsec",
        "wsrep_cluster_address": "gcomm://",
        "wsrep_node_address": HOST,
        "wsrep_provider_options": f'"base_port={gport};gmcast.listen_addr=tcp://{HOST}:{gport};'
                                  f'ist.recv_addr={HOST}:{iport};gcache.size=16M;pc.recovery=FALSE"',
        "wsrep_sst_method": "rsync",
        "wsrep_sst_receive_address": f"{HOST}:{sport}",
    })
    server = mariadb.MariaDB(cfg)
    try:
        mariadb.install_db(cfg)
        server.start(bootstrap=True)
        server.wait_synced(90)
        mariadb.sql(cfg, "CREATE USER %s@'localhost' IDENTIFIED BY %s", (USER, PASSWORD))
        mariadb.sql(cfg, "GRANT PROCESS ON *.* TO %s@'localhost'", (USER,))
        yield cfg
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def creds(tmp_path):
    path = tmp_path / "clustercheck"
    path.write_text(f'MYSQL_USERNAME="{USER}"\nMYSQL_PASSWORD="{PASSWORD}"\n')
    os.chmod(path, 0o600)
    return path


def connections(cfg) -> int:
    """The server's count of connection attempts (this query's own included)."""
    return int(dict(mariadb.sql(cfg, "SHOW GLOBAL STATUS LIKE 'Connections'"))["Connections"])


class Check:
    """`ocfpy clustercheck` as a subprocess on 127.0.0.1:<port of 39200-39299>,
    stderr kept in a file, stopped by its pid."""

    def __init__(self, tmp_path, *args, nofile=None, bind=True, argv_prefix=()):
        self.port = free_port()
        self.err_path = tmp_path / f"clustercheck-{self.port}.err"
        argv = [*argv_prefix, OCFPY, "clustercheck", "--port", str(self.port),
                *(["--bind", HOST] if bind else []), *map(str, args)]

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, preexec_fn=limit)

    def wait_listening(self, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"clustercheck exited {self.proc.returncode}: {self.stderr()}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("clustercheck did not listen")

    def request(self, method="GET", timeout=10):
        """(status, Server header, body text) of one real HTTP request."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, "/")
            resp = conn.getresponse()
            return resp.status, resp.getheader("Server"), resp.read().decode().strip()
        finally:
            conn.close()

    def stderr_bytes(self) -> bytes:
        return self.err_path.read_bytes()

    def stderr(self) -> str:
        return self.stderr_bytes().decode("utf-8", "backslashreplace")

    def log_lines(self) -> list:
        """stderr lines but the start-up one ("clustercheck listening on ...")."""
        return [line for line in self.stderr().splitlines() if "listening on" not in line]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start(tmp_path):
    """``start(*args, **kw)`` -> a listening Check; all stopped at the end."""
    with ending_all(functools.partial(Check, tmp_path), Check.close) as make:
        yield lambda *args, **kw: make(*args, **kw).wait_listening()


def eof_within(sock, seconds) -> float:
    """Seconds until the server closes ``sock`` (EOF or reset); AssertionError if it
    did not within ``seconds``. Any data before the close is skipped."""
    t0 = time.monotonic()
    end = t0 + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"connection still open after {seconds}s")
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return time.monotonic() - t0
        except (ConnectionResetError, ConnectionAbortedError):
            return time.monotonic() - t0
        except socket.timeout:
            raise AssertionError(f"connection still open after {seconds}s") from None


# --- the listening address -----------------------------------------------------------------

def _listening(pid, port):
    """[(family, local address hex)] of the LISTEN sockets on ``port`` in pid's network namespace."""
    out = []
    for fam in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{fam}") as fh:
                rows = fh.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            addr, _, hexport = fields[1].partition(":")
            if fields[3] == "0A" and int(hexport, 16) == port:
                out.append((fam, addr))
    return out


def test_default_bind_address_is_loopback_only(tmp_path):
    """Without --bind it must not listen on every interface. Run in a private network
    namespace (unshare -n) so that no test ever listens outside 127.0.0.1 here."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare/ip missing")
    # `sh -c '... exec "$@"'`: the pid stays the clustercheck's, in the new namespace
    cc = Check(tmp_path, bind=False,
               argv_prefix=("unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"))
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end and not _listening(cc.proc.pid, cc.port):
            assert cc.proc.poll() is None, cc.stderr()
            time.sleep(0.1)
        assert _listening(cc.proc.pid, cc.port) == [("tcp", "0100007F")], cc.stderr()
        assert f"127.0.0.1:{cc.port}" in cc.stderr()
    finally:
        cc.close()


def test_help_documents_bind_and_port_for_haproxy():
    out = subprocess.run([OCFPY, "clustercheck", "--help"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    for word in ("--bind", "--port", "check port", "127.0.0.1", "--max-connections",
                 "--request-timeout", "--cache-interval"):
        assert word in out, word


# --- descriptors, idle and slow clients --------------------------------------------------------

def test_65_idle_connections_under_ulimit_64_do_not_silence_it(node, creds, start):
    cc = start("--credentials", creds, "--socket", node.socket, nofile=64)
    assert cc.request()[::2] == (200, SYNCED)
    idle = []
    try:
        for _ in range(70):
            s = socket.socket()
            s.settimeout(1)
            try:
                s.connect((HOST, cc.port))
                idle.append(s)
            except OSError:
                s.close()
        # the idle clients stay connected on their side; a real check still gets
        # its real answer once the server has dropped them (request timeout)
        answer, end = None, time.monotonic() + 15
        while time.monotonic() < end:
            try:
                status, _, body = cc.request(timeout=3)
            except OSError:
                status, body = None, None
            if body == SYNCED:
                answer = status
                break
            time.sleep(0.2)
        assert answer == 200, cc.stderr()
        assert len(idle) >= 65
        for s in idle:
            eof_within(s, 5)
        assert cc.proc.poll() is None
        assert cc.request()[::2] == (200, SYNCED)
        assert "Traceback" not in cc.stderr()
    finally:
        for s in idle:
            s.close()


@pytest.mark.parametrize("trickle", [False, True], ids=["half-request", "trickling"])
def test_idle_or_slow_client_is_dropped_after_the_request_timeout(node, creds, start, trickle):
    cc = start("--credentials", creds, "--socket", node.socket)
    s = socket.create_connection((HOST, cc.port), timeout=5)
    try:
        t0 = time.monotonic()
        if not trickle:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n")       # no blank line: never complete
            took = eof_within(s, 6)
            assert 1.5 <= took <= 4, took
        else:
            # one byte every 0.2 s of a 60-byte request (12 s): each read is quick,
            # but the whole request is not there within the timeout
            request = b"GET / HTTP/1.0\r\nX-Pad: " + b"a" * 34 + b"\r\n\r\n"
            closed = None
            for byte in request:
                try:
                    s.sendall(bytes([byte]))
                except OSError:
                    closed = time.monotonic() - t0
                    break
                readable, _, _ = select.select([s], [], [], 0.2)
                if readable:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    assert data == b"", f"answered a trickled request: {data!r}"
                    closed = time.monotonic() - t0
                    break
            assert closed is not None and closed <= 4, closed
        assert cc.request()[::2] == (200, SYNCED)             # and it still answers
    finally:
        s.close()


def test_connections_beyond_the_cap_are_answered_503_at_once(node, creds, start):
    cc = start("--credentials", creds, "--socket", node.socket, "--max-connections", 4)
    idle = [socket.create_connection((HOST, cc.port), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)                                       # all four accepted and held
        t0 = time.monotonic()
        status, _, body = cc.request(timeout=5)
        assert status == 503 and body != SYNCED and time.monotonic() - t0 < 1
        for s in idle:
            eof_within(s, 4)
        assert cc.request()[::2] == (200, SYNCED)
    finally:
        for s in idle:
            s.close()


# --- headers and the database ------------------------------------------------------------------

def test_server_header_is_constant(node, creds, start):
    cc = start("--credentials", creds, "--socket", node.socket)
    for method in ("GET", "OPTIONS", "HEAD"):               # OPTIONS: HAProxy's default httpchk
        status, server, body = cc.request(method)
        assert (status, server) == (200, "ocfpy-clustercheck"), method
        assert body == ("" if method == "HEAD" else SYNCED)
    with socket.create_connection((HOST, cc.port), timeout=5) as s:      # not HTTP at all
        s.sendall(b"\x16\x03\x01garbage\r\n\r\n")
        with s.makefile("rb") as answer:
            data = answer.read()
    assert b"Python" not in data
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"server:"):
            assert line == b"Server: ocfpy-clustercheck"


def test_requests_within_the_cache_interval_make_one_db_connection(node, creds, start):
    cc = start("--credentials", creds, "--socket", node.socket, "--cache-interval", 4)
    before = connections(node)
    t0 = time.monotonic()
    answers = [cc.request()[::2] for _ in range(10)]
    assert time.monotonic() - t0 < 3.5
    after = connections(node)
    assert answers == [(200, SYNCED)] * 10
    assert after - before == 2          # clustercheck's one + this count's own
    time.sleep(4.2)                     # the cached status expires
    assert cc.request()[::2] == (200, SYNCED)
    assert connections(node) - after == 2


def test_default_cache_interval_is_short(node, creds, start):
    """Without the option: one DB connection for a burst, a fresh status a second later."""
    cc = start("--credentials", creds, "--socket", node.socket)
    before = connections(node)
    t0 = time.monotonic()
    assert [cc.request()[0] for _ in range(5)] == [200] * 5
    assert time.monotonic() - t0 < 0.9, "too slow a machine for a 1 s window"
    mid = connections(node)
    assert mid - before == 2
    time.sleep(1.3)
    cc.request()
    assert connections(node) - mid == 2


# --- credential errors ---------------------------------------------------------------------------

def _assert_one_line_no_secret(cc, secret_parts, *words):
    lines = cc.log_lines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    raw = cc.stderr_bytes()
    assert b"Traceback" not in raw
    for part in secret_parts:
        assert part not in raw, part


def test_non_utf8_credentials_file_answers_503_with_one_log_line(node, tmp_path, start):
    path = tmp_path / "bad-creds"
    path.write_bytes(b'MYSQL_USERNAME="cc_user"\nMYSQL_PASSWORD="Zq\xe9Xw\xffVv"\n')
    cc = start("--credentials", path, "--socket", node.socket)
    assert cc.request()[::2] == (503, NOT_SYNCED)
    time.sleep(1.3)
    assert cc.request()[::2] == (503, NOT_SYNCED)          # a persistent problem: no flood
    _assert_one_line_no_secret(cc, [b"Zq", b"Xw", b"Vv", b"\xe9", b"\xff", b"0xe9", b"\\xe9",
                                    b"0xff", b"\\xff", b"position"],
                               str(path), "UTF-8")


def test_password_outside_latin1_answers_503_with_one_log_line(node, tmp_path, start):
    path = tmp_path / "euro-creds"
    path.write_text('[client]\nuser = cc_user\npassword = "Zq\u20acXw"\n', encoding="utf-8")
    cc = start("--credentials", path, "--socket", node.socket)
    assert cc.request()[::2] == (503, NOT_SYNCED)
    time.sleep(1.3)
    assert cc.request()[::2] == (503, NOT_SYNCED)
    _assert_one_line_no_secret(cc, [b"Zq", b"Xw", "\u20ac".encode(), b"20ac", b"20AC", b"position"])
    # pymysql alone sends a password as Latin-1 (and fails); sent as UTF-8, this wrong one is refused
    line = cc.log_lines()[0]
    assert (str(path) in line and "Latin-1" in line) or "access denied" in line, line


def test_unreadable_credentials_file_answers_503_with_one_log_line(node, creds, start):
    cc = start("--credentials", creds, "--socket", node.socket)
    assert cc.request()[::2] == (200, SYNCED)
    saved = creds.read_bytes()
    creds.unlink()
    creds.mkdir()                                          # root reads any file: a directory can't be
    try:
        time.sleep(1.3)                                    # the cached 200 expires
        assert cc.request()[::2] == (503, NOT_SYNCED)
        time.sleep(1.3)
        assert cc.request()[::2] == (503, NOT_SYNCED)
        _assert_one_line_no_secret(cc, [PASSWORD.encode()], str(creds), "cannot read")
    finally:
        creds.rmdir()
        creds.write_bytes(saved)
    time.sleep(1.3)
    assert cc.request()[::2] == (200, SYNCED)              # recovers by itself
