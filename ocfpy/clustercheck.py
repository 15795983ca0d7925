"""A clustercheck-compatible HTTP health responder for HAProxy's ``option httpchk``.

Replaces the HA guide's xinetd service + ``/usr/bin/clustercheck`` script:
one small threaded HTTP server answers every request (any method, any path)
with the state of the local Galera node, queried over its unix socket:

- ``200 Galera cluster node is synced.`` when the node is in the Primary
  Component, Synced (``wsrep_local_state`` 4) and writable (``read_only``
  OFF);
- ``503 Galera cluster node is not synced.`` otherwise (a donor/desynced
  node, a non-Primary node, no answer), or ``503 Galera cluster node is
  read-only.``.

``--available-when-donor`` also accepts a Primary donor/desynced node (state 2);
``--available-when-readonly`` accepts ``read_only`` ON, as the script's
AVAILABLE_WHEN_DONOR / AVAILABLE_WHEN_READONLY did.

Credentials come from a file (see :func:`ocfpy.mysql.read_credentials`: a
my.cnf ``[client]`` file, the guide's ``/etc/sysconfig/clustercheck``, or a
plain password file), never from the command line.

Example (what ``ocfpy clustercheck`` runs)::

    server = make_server(CheckConfig(socket="/run/mysqld/mysqld.sock",
                                     credentials="/etc/sysconfig/clustercheck"),
                         port=9200, bind="0.0.0.0")
    server.serve_forever()

and in haproxy.cfg, as in the guide: ``option httpchk`` and
``server controller1 10.0.0.12:3306 check port 9200 inter 2000 rise 2 fall 5``.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import click

from ocfpy import mysql

__all__ = ["CheckConfig", "evaluate", "check", "make_server", "clustercheck",
           "SYNCED", "NOT_SYNCED", "READ_ONLY"]

SYNCED = "Galera cluster node is synced."
NOT_SYNCED = "Galera cluster node is not synced."
READ_ONLY = "Galera cluster node is read-only."


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


def evaluate(status: Optional[dict], available_when_donor: bool = False,
             available_when_readonly: bool = False) -> tuple:
    """``(http_status, text)`` for a node's status (None: no answer).

    >>> evaluate({"wsrep_cluster_status": "Primary", "wsrep_local_state": "4",
    ...           "read_only": "OFF"})
    (200, 'Galera cluster node is synced.')
    """
    if not status or not mysql.is_primary(status):
        return 503, NOT_SYNCED
    state = status.get("wsrep_local_state")
    if not (state == "4" or (state == "2" and available_when_donor)):
        return 503, NOT_SYNCED
    if status.get("read_only", "OFF").upper() == "ON" and not available_when_readonly:
        return 503, READ_ONLY
    return 200, SYNCED


def check(cfg: CheckConfig) -> tuple:
    """Query the node and evaluate; any query failure is "not synced"."""
    user, password = cfg.user, ""
    if cfg.credentials:
        file_user, password = mysql.read_credentials(cfg.credentials)
        user = file_user or user
    try:
        status = mysql.query_status(cfg.socket, user, password, timeout=cfg.timeout)
    except mysql.MysqlError:
        status = None
    return evaluate(status, cfg.available_when_donor, cfg.available_when_readonly)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ocfpy-clustercheck"
    protocol_version = "HTTP/1.0"

    def _answer(self, body: bool = True):
        try:
            code, text = check(self.server.check_config)
        except OSError as exc:          # credentials file unreadable
            code, text = 503, f"{NOT_SYNCED} ({exc.strerror or 'credentials unreadable'})"
        payload = (text + "\r\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._answer()

    do_POST = do_OPTIONS = do_GET

    def do_HEAD(self):  # noqa: N802
        self._answer(body=False)

    def log_message(self, fmt, *args):  # HAProxy checks every 2 s: no access log
        pass


def make_server(cfg: CheckConfig, port: int = 9200, bind: str = "0.0.0.0") -> ThreadingHTTPServer:
    """A ready-to-serve HTTP server (call ``serve_forever()``; ``server_address``
    has the bound port when ``port`` is 0)."""
    cls = ThreadingHTTPServer
    if ":" in bind:
        import socket

        cls = type("ThreadingHTTPServer6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = cls((bind, port), _Handler)
    server.daemon_threads = True
    server.check_config = cfg
    return server


# --- the `ocfpy clustercheck` command (registered in ocfpy/cli.py) ---

@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=9200, show_default=True,
              help="TCP port (HAProxy's `check port`).")
@click.option("--bind", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--credentials", type=click.Path(dir_okay=False), default=None,
              help="Credentials file: my.cnf [client], /etc/sysconfig/clustercheck style, "
                   "or a plain password file (default: root, no password).")
@click.option("--socket", "socket_path", default="/run/mysqld/mysqld.sock", show_default=True,
              help="The server's unix socket.")
@click.option("--available-when-donor", is_flag=True, help="A Primary donor/desynced node is available.")
@click.option("--available-when-readonly", is_flag=True, help="A read_only node is available.")
def clustercheck(port, bind, credentials, socket_path, available_when_donor, available_when_readonly):
    """HTTP health check of the local Galera node for HAProxy (200 synced, 503 not)."""
    if credentials:
        try:
            open(credentials).close()
        except OSError as exc:
            raise click.ClickException(f"cannot read {credentials}: {exc.strerror}") from None
    cfg = CheckConfig(socket=socket_path, credentials=credentials,
                      available_when_donor=available_when_donor,
                      available_when_readonly=available_when_readonly)
    try:
        server = make_server(cfg, port=port, bind=bind)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {bind}:{port}: {exc.strerror}") from None
    click.echo(f"clustercheck listening on {bind}:{server.server_address[1]}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
