"""Test bed for the OpenStack API agents' unit tests: a fake Keystone in a
thread, and a fake service process (fake_openstack.py) that the agent under
test starts through start_command. Every process started is stopped by pid.

Fixtures: ``keystone`` (a running fake Keystone), ``bed_factory`` (makes a
:class:`Bed` for an agent class; cleans its service up afterwards).
"""

import itertools
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

import fake_openstack
from ocfpy.process import alive
from ocfpy.testing.beds import ending_all
from ocfpy.testing.driver import Driver

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_openstack.py"
PASSWORD = next(iter(fake_openstack.USERS.values()))
APP_ID, APP_SECRET = next(iter(fake_openstack.APP_CREDS.items()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeKeystone:
    """fake_openstack's keystone role served from a thread on 127.0.0.1."""

    def __init__(self):
        self.state = fake_openstack.State(role="keystone")
        self.server = fake_openstack.serve(self.state)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.up = True

    def down(self):
        """Stop answering: connections are refused from now on."""
        if self.up:
            self.server.shutdown()
            self.server.server_close()
            self.up = False

    def revoke_all(self):
        with self.state.lock:
            self.state.tokens.clear()


@pytest.fixture
def keystone():
    ks = FakeKeystone()
    yield ks
    ks.down()


class Bed:
    """One agent (class) with its own fake service, files and Driver."""

    def __init__(self, tmp: Path, agent_cls, role="service", keystone_url="http://127.0.0.1:1",
                 service_args=(), params=None, program=None, extra_env=None):
        self.tmp = tmp
        self.agent_cls = agent_cls
        self.port = free_port()
        self.config = tmp / "service.conf"
        self.config.write_text("[DEFAULT]\n")
        self.log = tmp / "service.log"
        self.pid_file = tmp / "service.pid"
        self.disable_file = tmp / "healthcheck_disable"
        self.fail_file = tmp / "healthcheck_fail"
        self.api_fail_file = tmp / "api_fail"
        self.token_fail_file = tmp / "token_fail"
        self.agent_log = tmp / "agent.log"
        self.debug_log = tmp / "agent-debug.log"
        argv = [program or sys.executable, str(FAKE), "--role", role, "--port", str(self.port),
                "--config", str(self.config), "--keystone", keystone_url,
                "--disable-file", str(self.disable_file), "--fail-file", str(self.fail_file),
                "--api-fail-file", str(self.api_fail_file),
                "--token-fail-file", str(self.token_fail_file), "--log-requests", *service_args]
        self.params = {
            "start_command": " ".join(argv), "config": str(self.config),
            "url": f"http://127.0.0.1:{self.port}/", "user": "", "log_file": str(self.log),
            "pid": str(self.pid_file), **(params or {}),
        }
        env = {"HA_debug": "1", "HA_LOGFILE": str(self.agent_log),
               "HA_DEBUGLOG": str(self.debug_log), **(extra_env or {})}
        self.run_dir = tmp / "work"
        self.driver = Driver(agent_cls, resource=f"p_{agent_cls.name}", params=self.params,
                             workdir=self.run_dir, extra_env=env)
        self.results = []

    def run(self, action, **kw):
        result = self.driver.run(action, **kw)
        self.results.append(result)
        return result

    def monitor(self, deep=False, **kw):
        kw.setdefault("interval", 60 if deep else 30)
        if deep:
            kw.setdefault("check_level", 10)
        return self.run("monitor", **kw)

    def service_pid(self):
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def ours(self, pid) -> bool:
        """Is ``pid`` this bed's fake service (its port on its command line)?"""
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(FAKE).encode() in args and str(self.port).encode() in args

    def requests_seen(self) -> list:
        """Request lines the service printed to its log."""
        if not self.log.exists():
            return []
        return [l[len("request "):] for l in self.log.read_text().splitlines() if l.startswith("request ")]

    def leftovers(self) -> list:
        """Pids of this bed's fake services still alive, wherever their pid
        file is (an `ocfpy check` run keeps its own)."""
        return [int(n) for n in os.listdir("/proc")
                if n.isdigit() and self.ours(int(n)) and alive(int(n))]

    def cleanup(self):
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.05)




@pytest.fixture
def bed_factory(tmp_path):
    numbers = itertools.count()

    def new_bed(agent_cls, **kw):
        sub = tmp_path / f"bed{next(numbers)}"
        sub.mkdir()
        return Bed(sub, agent_cls, **kw)

    with ending_all(new_bed, Bed.cleanup) as make:
        yield make
