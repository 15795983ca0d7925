"""A test bed for the HAProxy agent: backends on 127.0.0.1 (HTTP servers
and a TCP echo server, threads of the test process), free ports in
36000-36999, configuration files, and a Driver that runs the agent as
Pacemaker would (a child process per action, HA_VARRUN private to the bed).

The bed's directory is short (/tmp/ohx-XXXX): a UNIX socket path holds at
most 107 bytes. Closing the bed stops its HAProxy through the agent, then
ends by pid (never by name) any process still running with the bed's master
socket on its command line.
"""

import http.server
import os
import shutil
import socket
import socketserver
import tempfile
import threading
import time
from pathlib import Path

from ocfpy.testing import ports
from ocfpy.testing.driver import Driver

from ocfpy_agents.haproxy.agent import Haproxy

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
PORTS = range(36000, 37000)
_taken = set()


def unavailable():
    """Why the real-HAProxy tests cannot run here, or None."""
    if HAPROXY is None:
        return "haproxy is not installed (apt-get install haproxy)"
    return None


def free_port() -> int:
    """A port of 36000-36999 nobody listens on (nor was handed out before)."""
    return ports.free_port(PORTS.start, PORTS.stop, taken=_taken)


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = f"ok {self.server.name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass        # HAProxy's health checks hang up early: no traceback on stderr


class _Served:
    """A socketserver ``server`` on 127.0.0.1:port run by a daemon thread;
    ``close()`` stops it (both backends are one)."""

    def __init__(self, port: int, server):
        self.port, self.server = port, server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HttpBackend(_Served):
    """An HTTP server answering ``ok NAME`` on 127.0.0.1:port (a thread)."""

    def __init__(self, port: int, name: str = "b"):
        server = _Server(("127.0.0.1", port), _Quiet)
        server.name = name
        super().__init__(port, server)


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class EchoBackend(_Served):
    """A TCP echo server on 127.0.0.1:port (a thread per connection)."""

    def __init__(self, port: int):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Echo)
        server.daemon_threads = True
        super().__init__(port, server)


def config_text(http_port, servers, tcp_port=None, echo_port=None, extra_global="",
                check_inter="200ms") -> str:
    """A configuration: frontend ``fe`` on ``http_port`` to backend ``be``
    with ``servers`` (ports), and with ``tcp_port`` a TCP proxy ``tcp`` to
    the echo server on ``echo_port``."""
    lines = ["global", "    maxconn 200", extra_global,
             "defaults", "    timeout connect 2s", "    timeout client 60s",
             "    timeout server 60s", "    timeout http-keep-alive 1s",
             "frontend fe", "    mode http", f"    bind 127.0.0.1:{http_port}",
             "    default_backend be",
             "backend be", "    mode http", "    option httpchk GET /"]
    for i, port in enumerate(servers, 1):
        lines.append(f"    server s{i} 127.0.0.1:{port} check inter {check_inter} fall 1 rise 1")
    if tcp_port is not None:
        lines += ["listen tcp", "    mode tcp", f"    bind 127.0.0.1:{tcp_port}",
                  f"    server echo 127.0.0.1:{echo_port}"]
    return "\n".join(l for l in lines if l) + "\n"


class Bed:
    """One HAProxy instance's world (see the module docstring)."""

    def __init__(self, resource="lb"):
        self.dir = Path(tempfile.mkdtemp(prefix="ohx-", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.resource = resource
        self.conffile = self.dir / "haproxy.cfg"
        self.backends = []
        self.http_port = free_port()
        self.drivers = []

    # -- world -------------------------------------------------------------------------------
    def backend(self, name="b") -> HttpBackend:
        b = HttpBackend(free_port(), name)
        self.backends.append(b)
        return b

    def echo(self) -> EchoBackend:
        e = EchoBackend(free_port())
        self.backends.append(e)
        return e

    def write_config(self, text=None, **kw) -> Path:
        self.conffile.write_text(text if text is not None else config_text(self.http_port, **kw))
        return self.conffile

    # -- the agent ---------------------------------------------------------------------------
    def driver(self, agent=Haproxy, **params) -> Driver:
        params.setdefault("conffile", str(self.conffile))
        d = Driver(agent, resource=self.resource, params=params, workdir=self.dir / "wd")
        self.drivers.append(d)
        return d

    @property
    def run_dir(self) -> Path:
        return self.dir / "wd" / "run"

    @property
    def socket(self) -> Path:
        return self.run_dir / f"ocfpy-haproxy-{self.resource}.sock"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"ocfpy-haproxy-{self.resource}.pid"

    def master_pid(self) -> int:
        return int(self.pid_file.read_text().split()[0])

    def processes(self) -> list:
        """Pids of live processes with this bed's master socket on their command line."""
        from ocfpy.process import live_processes

        prefix = str(self.socket) + ","
        return [pid for pid, argv, _st in live_processes(prefix)
                if any(a.startswith(prefix) for a in argv)]

    def wait_gone(self, timeout=10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.processes():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        # the record names the master whatever the parameters were
        Driver(Haproxy, resource=self.resource, params={"conffile": str(self.conffile)},
               workdir=self.dir / "wd").run("stop", timeout=30)
        for pid in self.processes():      # by pid, only what still carries our socket
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        self.wait_gone(5)
        for b in self.backends:
            b.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def get(port: int, timeout: float = 2.0) -> bytes:
    """One HTTP/1.0 request on a new connection; the body (raises OSError)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        with s.makefile("rb") as answer:
            data = answer.read()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or head.split()[1] != b"200":
        raise OSError(f"bad answer: {head[:60]!r}")
    return body


def show_proc(sock) -> str:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(3)
        s.connect(str(sock))
        s.sendall(b"show proc\n")
        s.shutdown(socket.SHUT_WR)
        with s.makefile("rb") as answer:
            return answer.read().decode()
