"""What an API client sees through the demo's VIP while a controller fails
(issue 15): a client that calls every API without pause, faults to inflict
on the running demo (``ocfpy sandbox up --demo``), the figures of what the
client saw, and the CPU the agents' monitors cost.

The client runs in a namespace of its own on the cluster's bridge
(:class:`~ocfpy.sandbox.client.ClientNamespace`, 10.213.0.200), so it
survives the loss of any node. Per API it starts a call every ``period``
seconds (each on its own connection, 10 s timeout, at most 32 in flight),
whatever the previous calls are doing, and records each call's start, end
and outcome (monotonic clock, the host's: comparable with the fault's time)::

    token        POST /v3/auth/tokens (password, the demo's admin)  keystone
    image-list   GET  /v2/images                                    glance-api
    volume-type  GET  /v3/<project>/types                           cinder-api
    share-type   GET  /v2/types                                     manila-api

:func:`figures` reduces the calls of one API around a fault to: failed
calls, the longest run of failures (from the first failed call's start to
the next successful call's start), the longest time without any successful
answer (what a user waits; it includes calls that hang and then succeed),
and the time from the fault until the API answers normally again.

Inside a node, :func:`run_action` runs one resource's action with the CIB's
parameters as Pacemaker would (``python -m ocfpy.sandbox.availability
action RSC reload``: how the benchmark reloads HAProxy after changing its
configuration) and reports each run's CPU time (the agent and every child it
waited for), which is what :func:`monitor_cost` multiplies by the monitors'
rates.

Example (the demo running, as root)::

    from ocfpy.sandbox.availability import ApiClient, figures
    with ClientNamespace(cluster) as ns:
        client = ApiClient(ns, "/tmp/calls.jsonl").start()
        time.sleep(10); t_fault = time.monotonic(); ...   # inflict a fault
        calls = client.stop()
    for api, fig in figures(calls, t_fault).items():
        print(api, fig.failed, fig.longest_failure_run)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ocfpy.sandbox.layout import NODES, SERVICES, VIP, DemoLayout

__all__ = ["APIS", "AGENT_SETS", "CALL_TIMEOUT", "Call", "ApiFigures", "ApiClient", "DemoBed", "figures",
           "resource_env", "run_action", "monitor_ops", "monitor_cost", "MonitorCost", "fence_time"]

#: the client's calls: name -> (service, method, path); ``{project}`` is filled in
APIS = {
    "token": ("keystone", "POST", "/v3/auth/tokens"),
    "image-list": ("glance-api", "GET", "/v2/images"),
    "volume-type": ("cinder-api", "GET", "/v3/{project}/types"),
    "share-type": ("manila-api", "GET", "/v2/types"),
}
_MANILA_VERSION = {"X-OpenStack-Manila-API-Version": "2.0"}
#: a call slower than this is not "normal" (the demo answers in 0.05-0.5 s at load ~10)
SLOW_CALL = 2.0
CALL_TIMEOUT = 10.0
MAX_IN_FLIGHT = 32


@dataclass
class Call:
    """One call: its API, start and end (monotonic s), outcome."""
    api: str
    start: float
    end: float
    ok: bool
    detail: str = ""


@dataclass
class ApiFigures:
    """What one API's client saw around a fault (seconds)."""
    calls: int
    failed: int
    longest_failure_run: float   # first failed call's start -> next good call's start
    longest_without_answer: float    # longest time with no successful answer, from the fault
    back_to_normal: float        # fault -> first good, fast call after the last bad or slow one
    slowest_ok: float

    def line(self) -> str:
        return (f"{self.calls:5d} calls {self.failed:3d} failed, longest failure run "
                f"{self.longest_failure_run:5.2f} s, longest without an answer "
                f"{self.longest_without_answer:5.2f} s, normal again after "
                f"{self.back_to_normal:5.2f} s, slowest good call {self.slowest_ok:5.2f} s")


def figures(calls, fault: float, until: Optional[float] = None) -> dict:
    """{api: :class:`ApiFigures`} of ``calls`` still running at ``fault`` or
    started after it (until ``until``); the time without an answer counts
    from the fault.

    >>> calls = [Call("token", t, t + .1, not 2 <= t < 4) for t in (0, 1, 2, 3, 4, 5)]
    >>> f = figures(calls, 1.5)["token"]
    >>> (f.calls, f.failed, f.longest_failure_run, round(f.longest_without_answer, 1))
    (4, 2, 2, 2.6)
    >>> round(f.back_to_normal, 1)
    2.5
    >>> figures([Call("token", 0, 3, False), Call("token", 3, 3.1, True)], 1)["token"].failed
    1
    """
    out = {}
    for api in sorted({c.api for c in calls}):
        mine = sorted((c for c in calls if c.api == api), key=lambda c: c.start)
        window = [c for c in mine if c.end >= fault and (until is None or c.start <= until)]
        if not window:
            continue
        answers = sorted(c.end for c in mine if c.ok and c.end >= fault)
        gaps, prev = [], fault
        for t in answers:
            gaps.append(t - prev)
            prev = t
        end = until if until is not None else window[-1].end
        gaps.append(max(0.0, end - prev))
        longest_run, run_start = 0.0, None
        for c in window:
            if not c.ok and run_start is None:
                run_start = c.start
            elif c.ok and run_start is not None:
                longest_run = max(longest_run, c.start - run_start)
                run_start = None
        if run_start is not None:
            longest_run = max(longest_run, window[-1].end - run_start)
        bad = [c for c in window if not c.ok or c.end - c.start > SLOW_CALL]
        normal = 0.0
        if bad:
            last_bad = max(c.start for c in bad)
            after = [c.start for c in window if c.start > last_bad]
            normal = (after[0] if after else window[-1].end) - fault
        out[api] = ApiFigures(
            calls=len(window), failed=sum(not c.ok for c in window),
            longest_failure_run=longest_run, longest_without_answer=max(gaps),
            back_to_normal=max(0.0, normal),
            slowest_ok=max((c.end - c.start for c in window if c.ok), default=0.0))
    return out


# ------------------------------------------------------------- the client
class ApiClient:
    """The client process (``python -m ocfpy.sandbox.availability client``)
    in ``namespace``, writing one JSON line per call to ``out``."""

    def __init__(self, namespace, out, openrc: str, period: float = 0.2):
        self.ns, self.out, self.openrc, self.period = namespace, Path(out), openrc, period
        self.proc = None

    def start(self, timeout: float = 60) -> "ApiClient":
        import subprocess

        self.out.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            self.ns.argv([sys.executable, "-m", "ocfpy.sandbox.availability", "client",
                          self.openrc, str(self.out), "--period", str(self.period)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        line = self.proc.stdout.readline()     # READY once it has a token
        if line.strip() != "READY":
            from ocfpy.sandbox.client import stop_child
            stop_child(self.proc, 5)
            raise RuntimeError(f"the API client did not start: {line.strip()} "
                               f"{self.proc.stderr.read().strip()[-2000:]}")
        return self

    def calls(self) -> list:
        """The calls recorded so far."""
        try:
            text = self.out.read_text()
        except FileNotFoundError:
            return []
        return [Call(**json.loads(line)) for line in text.splitlines() if line.endswith("}")]

    def stop(self) -> list:
        from ocfpy.sandbox.client import stop_child

        stop_child(self.proc, CALL_TIMEOUT + 5)
        self.proc = None
        return self.calls()


def _client_main(openrc: str, out: str, period: float) -> int:
    """The client's body: one launcher thread per API, until stdin closes."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    from ocfpy_agents.openstack.auth import parse_openrc, read_secret_file

    creds = parse_openrc(read_secret_file(openrc), openrc)
    body = json.dumps(creds.body()).encode()
    lock = threading.Lock()
    state = {"token": "", "project": ""}
    stop = threading.Event()
    sink = open(out, "a", buffering=1)

    def request(service, method, path, data=None, headers=None):
        conn = http.client.HTTPConnection(VIP, SERVICES[service].port, timeout=CALL_TIMEOUT)
        try:
            hdrs = {"Accept": "application/json", "Connection": "close", **(headers or {})}
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheader("X-Subject-Token"), resp.read()
        finally:
            conn.close()

    def call(api):
        service, method, path = APIS[api]
        t0 = time.monotonic()
        try:
            if api == "token":
                status, token, raw = request(service, method, path, body)
                ok = status == 201 and bool(token)
                if ok:
                    with lock:
                        state["token"] = token
                        state["project"] = json.loads(raw)["token"]["project"]["id"]
            else:
                extra = {"X-Auth-Token": state["token"],
                         **(_MANILA_VERSION if service == "manila-api" else {})}
                status, _t, _raw = request(service, method,
                                           path.format(project=state["project"]),
                                           headers=extra)
                ok = status == 200
            detail = "" if ok else f"HTTP {status}"
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"[:200]
        line = json.dumps({"api": api, "start": t0, "end": time.monotonic(), "ok": ok,
                           "detail": detail})
        with lock:
            sink.write(line + "\n")

    until = time.monotonic() + 60
    while not state["token"]:          # a first token, so the other APIs have one
        try:
            status, token, raw = request("keystone", "POST", APIS["token"][2], body)
            if status == 201:
                state["token"] = token
                state["project"] = json.loads(raw)["token"]["project"]["id"]
                break
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > until:
            print("no token through the VIP within 60 s", flush=True)
            return 1
        time.sleep(0.5)

    pool = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT * len(APIS))
    slots = {api: threading.Semaphore(MAX_IN_FLIGHT) for api in APIS}

    def launcher(api):
        slot = slots[api]
        nxt = time.monotonic()
        while not stop.is_set():
            slot.acquire()

            def one(api=api):
                try:
                    call(api)
                finally:
                    slot.release()
            pool.submit(one)
            nxt += period
            stop.wait(max(0.0, nxt - time.monotonic()))

    threads = [threading.Thread(target=launcher, args=(api,), daemon=True) for api in APIS]
    for t in threads:
        t.start()
    print("READY", flush=True)
    sys.stdin.read()                   # until the bench closes our stdin
    stop.set()
    for t in threads:
        t.join()
    pool.shutdown(wait=True)
    sink.close()
    return 0


# ------------------------------------------- one resource's action, in a node
def _nvpairs(parent, node: str) -> dict:
    """The instance attributes of ``parent`` for ``node``: plain sets, then
    sets whose rule is ``#uname eq node`` (the only rules the demo uses)."""
    values: dict = {}
    for ia in parent.findall("instance_attributes"):
        rule = ia.find("rule")
        if rule is not None:
            exprs = rule.findall("expression")
            if not exprs or not all(e.get("attribute") == "#uname" and e.get("operation") == "eq"
                                    and e.get("value") == node for e in exprs):
                continue
        for nv in ia.findall("nvpair"):
            values[nv.get("name")] = nv.get("value")
    return values


def _ms(text: Optional[str]) -> int:
    """A CIB interval/timeout ("10s", "2min", "500ms", "30") in ms."""
    from ocfpy.parameters import parse_duration

    return round(parse_duration(text or "0") * 1000)


def resource_env(cib_xml: str, rsc: str, node: str, action: str = "monitor",
                 role: Optional[str] = None, interval_ms: Optional[int] = None) -> tuple:
    """(agent path, environment, op interval ms) for ``action`` of primitive
    ``rsc`` on ``node``, as Pacemaker's executor gives it: OCF_* variables,
    the parameters as OCF_RESKEY_*, the operation's interval/timeout and
    depth, the clone's meta attributes.

    >>> cib = ('<cib><configuration><resources><primitive id="v" class="ocf" provider="ocfpy" '
    ...        'type="vip"><instance_attributes id="a"><nvpair id="b" name="ip" value="10.0.0.9"/>'
    ...        '</instance_attributes><operations><op id="m" name="monitor" interval="30s" '
    ...        'timeout="20s"/></operations></primitive></resources></configuration></cib>')
    >>> path, env, interval = resource_env(cib, "v", "node1")
    >>> path, env["OCF_RESKEY_ip"], env["OCF_RESKEY_CRM_meta_interval"], interval
    ('/usr/lib/ocf/resource.d/ocfpy/vip', '10.0.0.9', '30000', 30000)
    """
    import xml.etree.ElementTree as ET

    root = ET.fromstring(cib_xml)
    prim = clone = None
    for parent in root.iter():
        for child in parent:
            if child.tag == "primitive" and child.get("id") == rsc:
                prim, clone = child, parent if parent.tag == "clone" else None
    if prim is None:
        raise KeyError(f"no primitive {rsc} in the CIB")
    ocf_root = os.environ.get("OCF_ROOT", "/usr/lib/ocf")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": ocf_root,
           "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1",
           "OCF_RESOURCE_INSTANCE": rsc, "OCF_RESOURCE_TYPE": prim.get("type"),
           "OCF_RESOURCE_PROVIDER": prim.get("provider"),
           "OCF_RESKEY_CRM_meta_on_node": node}
    for name, value in _nvpairs(prim, node).items():
        env[f"OCF_RESKEY_{name}"] = value
    if clone is not None:
        for meta in clone.findall("meta_attributes"):
            for nv in meta.findall("nvpair"):
                env[f"OCF_RESKEY_CRM_meta_{nv.get('name').replace('-', '_')}"] = nv.get("value")
    interval = 0
    timeout = 20000
    for op in prim.iter("op"):
        if op.get("name") != action or (role and op.get("role") not in (role, None)) \
                or (interval_ms is not None and _ms(op.get("interval")) != interval_ms):
            continue
        interval = _ms(op.get("interval"))
        timeout = _ms(op.get("timeout") or "20s")
        depth = op.get("OCF_CHECK_LEVEL") or _nvpairs(op, node).get("OCF_CHECK_LEVEL")
        if depth:
            env["OCF_CHECK_LEVEL"] = depth
        if op.get("role"):
            env["OCF_RESKEY_CRM_meta_role"] = op.get("role")
        break
    env["OCF_RESKEY_CRM_meta_interval"] = str(interval)
    env["OCF_RESKEY_CRM_meta_timeout"] = str(timeout)
    path = f"{ocf_root}/resource.d/{prim.get('provider')}/{prim.get('type')}"
    return path, env, interval


def run_action(rsc: str, action: str, repeat: int = 1, role: Optional[str] = None,
               interval_ms: Optional[int] = None) -> dict:
    """Run ``action`` of ``rsc`` on this node ``repeat`` times with the live
    CIB's parameters; {"rc": [...], "cpu": [s per run], "interval_ms": N,
    "agent": path}. CPU is the agent's and its waited-for children's
    (``wait4``)."""
    import subprocess

    cib = subprocess.run(["cibadmin", "--query", "--scope", "configuration"],
                         capture_output=True, text=True, check=True).stdout
    path, env, interval = resource_env(f"<cib>{cib}</cib>", rsc, os.uname().nodename,
                                       action, role, interval_ms)
    rcs, cpus = [], []
    for _ in range(repeat):
        pid = os.fork()
        if pid == 0:        # the agent, like the executor's child: own session, no stdio
            try:
                os.setsid()
                fd = os.open(os.devnull, os.O_RDWR)
                for n in (0, 1, 2):
                    os.dup2(fd, n)
                os.execve(path, [path, action], env)
            finally:
                os._exit(127)
        _pid, status, usage = os.wait4(pid, 0)
        rcs.append(os.waitstatus_to_exitcode(status))
        cpus.append(usage.ru_utime + usage.ru_stime)
    return {"rc": rcs, "cpu": cpus, "interval_ms": interval, "agent": path}


@dataclass
class MonitorCost:
    """CPU of one resource's recurring monitor on one node."""
    resource: str
    agent: str
    interval_s: float
    cpu_per_call_ms: float
    cpu_s_per_hour: float
    rc: int


def monitor_ops(cib_xml: str) -> list:
    """(primitive id, interval ms, role or None) of every recurring monitor
    of every OCF primitive in ``cib_xml``."""
    import xml.etree.ElementTree as ET

    ops = []
    for prim in ET.fromstring(cib_xml).iter("primitive"):
        if prim.get("class") != "ocf":
            continue
        for op in prim.iter("op"):
            if op.get("name") == "monitor" and _ms(op.get("interval")) > 0:
                ops.append((prim.get("id"), _ms(op.get("interval")), op.get("role")))
    return ops


def monitor_cost(cluster, node: int | str, ops, repeat: int = 10) -> list:
    """:class:`MonitorCost` of each monitor in ``ops`` ((primitive id,
    interval ms, role) as :func:`monitor_ops` gives them) on ``node``: the
    mean CPU of ``repeat`` runs (as :func:`run_action` runs them), times the
    monitor's rate."""
    out = []
    for rsc, interval_ms, role in ops:
        argv = [sys.executable, "-m", "ocfpy.sandbox.availability", "action", rsc, "monitor",
                "--repeat", str(repeat), "--interval", str(interval_ms)]
        argv += ["--role", role] if role else []
        res = cluster.run(argv, node=node, timeout=600, check=False)
        doc = json.loads(res.stdout)
        per_call = sum(doc["cpu"]) / len(doc["cpu"])
        out.append(MonitorCost(rsc, doc["agent"].split("resource.d/")[-1].replace("/", ":"),
                               interval_ms / 1000, per_call * 1000,
                               per_call * 3600000 / interval_ms,
                               max(doc["rc"], key=doc["rc"].count)))
    return out


def fence_time(text: str) -> Optional[float]:
    """Epoch seconds of a fence history's ``completed`` ("2026-12-02 10:53:16Z",
    "2026-12-02 10:53:16.123 +02:00", "Wed Dec  2 10:53:16 2026"), None when
    unreadable.

    >>> fence_time("1970-01-01 00:01:00Z"), fence_time("1970-01-01 02:01:00.5 +02:00")
    (60.0, 60.0)
    """
    import calendar
    import re

    m = re.match(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s*"
                 r"(Z|[+-]\d\d:?\d\d)?$", text.strip())
    if not m:
        import time

        try:        # older Pacemaker: ctime's form, local time
            return time.mktime(time.strptime(text.strip(), "%a %b %d %H:%M:%S %Y"))
        except ValueError:
            return None
    when = calendar.timegm(tuple(int(g) for g in m.groups()[:6]) + (0, 0, 0))
    zone = m.group(7)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        when -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(when)


# ------------------------------------------------------ the demo, from the host
#: the agents the address and the database run on: ocfpy's, and the
#: reference agents (resource-agents' IPaddr2 and galera) where they can run here
AGENT_SETS = {
    "ocfpy": {"vip": ("ocfpy", "vip"), "galera": ("ocfpy", "galera")},
    "reference": {"vip": ("heartbeat", "IPaddr2"), "galera": ("heartbeat", "galera")},
}


class DemoBed:
    """The running demo of ``cluster`` (``ocfpy sandbox up --demo`` or
    :func:`ocfpy.sandbox.demo.run_demo`), seen and hurt from the host."""

    def __init__(self, cluster, layout: Optional[DemoLayout] = None,
                 say=lambda _m: None):
        self.c = cluster
        self.layout = layout or DemoLayout.default()
        self.say = say
        self.agents = "ocfpy"

    # -- what runs where
    def on_nodes(self) -> list:
        return [n for n, on in self.c.power_states().items() if on]

    def mon(self, timeout: float = 30):
        import xml.etree.ElementTree as ET

        for node in self.on_nodes():
            res = self.c.run(["crm_mon", "-1", "--output-as=xml"], node=node, check=False,
                             timeout=timeout)
            if res.stdout.lstrip().startswith("<"):
                return ET.fromstring(res.stdout)
        raise RuntimeError("no node answers crm_mon")

    def corosync_timings(self) -> dict:
        """{"token": ms, "consensus": ms} as corosync runs them (its runtime
        values: the token grows with the number of nodes)."""
        out = {}
        for key in ("token", "consensus"):
            res = self.c.run(["corosync-cmapctl", "-g", f"runtime.config.totem.{key}"],
                             node=self.on_nodes()[0])
            out[key] = int(res.stdout.rsplit("=", 1)[-1])
        return out

    def vip_node(self, mon=None) -> Optional[str]:
        nodes = self.c.resource_state("vip", mon if mon is not None else self.mon())["nodes"]
        return nodes[0] if nodes else None

    def healthy(self, mon) -> bool:
        """Every node online, every demo resource running on every node (the
        VIP on one), nothing failed or pending."""
        from ocfpy.sandbox.demo import all_running

        online = {n.get("name") for n in mon.iter("node") if n.get("online") == "true"}
        if online != set(NODES) or not all_running(mon):
            return False
        for clone in ("haproxy-clone", "galera-clone", "clustercheck-clone", "keystone-clone",
                      "glance-api-clone", "cinder-api-clone", "manila-api-clone"):
            st = self.c.resource_state(clone, mon)
            if sorted(st["nodes"]) != sorted(NODES) or st["pending"] or not st["active"]:
                return False
        galera = self.c.resource_state("galera-clone", mon)
        return sorted(n for n, r in galera["roles"].items() if r == "Promoted") == sorted(NODES)

    def cleanup(self) -> None:
        """Forget every resource's failures (``crm_resource --cleanup``), as an
        operator does after an incident: a start that failed during the last
        fault must not keep an instance off its node for the next one."""
        self.c.run(["crm_resource", "--cleanup"], node=self.on_nodes()[0], check=False)

    def wait_healthy(self, timeout: float = 300) -> float:
        """Wait until :meth:`healthy` and every HAProxy server UP on the VIP's
        node; the seconds it took. Failures are cleaned up once if it is not
        healthy within a minute."""
        t0 = time.monotonic()
        try:
            self.c.wait_for(self.healthy, min(60, timeout), node=self.on_nodes()[0],
                            interval=1)
        except TimeoutError:
            self.cleanup()
            self.c.wait_for(self.healthy, max(1, timeout - (time.monotonic() - t0)),
                            node=self.on_nodes()[0], interval=1)
        while True:
            view = self.haproxy_view(self.vip_node())
            if view and all(st.startswith("UP") for servers in view.values()
                            for _s, st, _b in servers):
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"HAProxy servers not all UP within {timeout}s: {view}")
            time.sleep(1)

    def in_node(self, node, argv, timeout: float = 120, check: bool = True):
        return self.c.run([sys.executable, *argv], node=node, timeout=timeout, check=check)

    def haproxy_view(self, node) -> dict:
        res = self.in_node(node, ["-m", "ocfpy.sandbox.availability", "haproxy-view"],
                           check=False, timeout=30)
        try:
            return json.loads(res.stdout)
        except ValueError:
            return {}

    def haproxy_sessions(self, node) -> dict:
        """{listen: {server: total sessions}} of ``node``'s HAProxy."""
        res = self.in_node(node, ["-m", "ocfpy.sandbox.availability", "haproxy-sessions"],
                           timeout=30)
        return json.loads(res.stdout)

    def busiest_server(self, listen: str, seconds: float = 3.0) -> str:
        """The server the VIP's HAProxy sends most of ``listen``'s new
        sessions to now (the client's, with ``balance source``)."""
        node = self.vip_node()
        before = self.haproxy_sessions(node).get(listen, {})
        time.sleep(seconds)
        after = self.haproxy_sessions(node).get(listen, {})
        return max(after, key=lambda s: after[s] - before.get(s, 0))

    # -- faults and repairs
    def move_vip(self, node: str, timeout: float = 60) -> None:
        """Put the VIP on ``node`` (a move whose constraint is cleared at once:
        stickiness keeps it there)."""
        if self.vip_node() == node:
            return
        self.c.run(["crm_resource", "--move", "-r", "vip", "-N", node, "--lifetime", "PT5M"],
                   node=self.on_nodes()[0])
        try:
            self.c.wait_for(lambda mon: self.vip_node(mon) == node, timeout,
                            node=self.on_nodes()[0])
        finally:
            self.c.run(["crm_resource", "--clear", "-r", "vip"], node=self.on_nodes()[0])

    def reload_haproxy(self) -> list:
        """Change every node's haproxy.cfg (the APIs' check interval) and
        reload each node's HAProxy through the agent's ``reload``, one node
        after the other; the seconds each reload took."""
        import re

        for node in NODES:
            path = self.layout.node_dir(node) / "haproxy.cfg"
            text = path.read_text()
            inter = "inter 2000" if "inter 2500" in text else "inter 2500"
            text = re.sub(r"inter (2000|2500) ", inter + " ", text)
            tmp = path.with_suffix(".new")
            tmp.write_text(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        took = []
        for node in self.on_nodes():
            t0 = time.monotonic()
            self.in_node(node, ["-m", "ocfpy.sandbox.availability", "action", "haproxy",
                                "reload"], timeout=60)
            took.append(time.monotonic() - t0)
        return took

    def api_pids(self, service: str, node: str) -> list:
        """Pids of ``service``'s uWSGI processes in ``node``."""
        from ocfpy.process import live_processes

        netns = os.readlink(f"/proc/{self.c.holder_pids[NODES.index(node)]}/ns/net")
        pids = []
        for pid, _argv, _st in live_processes(f"{SERVICES[service].name}-uwsgi.ini"):
            try:
                if os.readlink(f"/proc/{pid}/ns/net") == netns:
                    pids.append(pid)
            except OSError:
                continue
        return pids

    def kill_api(self, service: str, node: str) -> list:
        """SIGKILL every process of ``service`` in ``node`` (the service
        crashed); the pids killed."""
        import signal

        pids = self.api_pids(service, node)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def power_off(self, node: str) -> None:
        self.c.power_off(node, hold=True)

    def fenced(self, node: str, since_wall: float) -> bool:
        """Whether Pacemaker has fenced ``node`` successfully since ``since_wall``
        (epoch seconds), from the node's whole fence history."""
        import xml.etree.ElementTree as ET

        others = [n for n in self.on_nodes() if n != node]
        if not others:
            return False
        res = self.c.run(["stonith_admin", "--history", node, "--verbose", "--output-as=xml"],
                         node=others[0], check=False)
        try:
            root = ET.fromstring(res.stdout)
        except ET.ParseError:
            return False
        for ev in root.iter("fence_event"):
            if ev.get("status") != "success" or ev.get("target") != node:
                continue
            done = fence_time(ev.get("completed") or "")
            if done is not None and done >= since_wall - 1:
                return True
        return False

    def repair(self, node: str, timeout: float = 240) -> float:
        """Power ``node`` on (after the cluster fenced it), prepare it again
        (``demo rejoin``), wait for the whole demo; the seconds it took."""
        t0 = time.monotonic()
        if not self.c.power_states()[node]:
            self.c.power_on(node, timeout=120)
        self.in_node(node, ["-m", "ocfpy.sandbox.demo", "rejoin"], timeout=60)
        self.wait_healthy(timeout)
        return time.monotonic() - t0

    # -- the agents
    def use_agents(self, name: str, timeout: float = 300) -> float:
        """Run the address and the database on agent set ``name`` (see
        :data:`AGENT_SETS`): the VIP is replaced at once; Galera is stopped,
        its primitive replaced, and started again. Seconds until healthy."""
        from ocfpy.sandbox.layout import vip_params
        from ocfpy.sandbox.mariadb import find_binary
        from ocfpy.sandbox.node_mariadb import NODE_PATHS, galera_params

        t0 = time.monotonic()
        node = self.on_nodes()[0]
        agents = AGENT_SETS[name]
        galera = galera_params(NODES)
        if name == "reference":
            import shutil
            client = shutil.which("mariadb") or "/usr/bin/mariadb"
            galera.update(binary=find_binary() or "/usr/sbin/mariadbd",
                          config="/etc/mysql/my.cnf", datadir=NODE_PATHS["datadir"],
                          socket=NODE_PATHS["socket"], pid=NODE_PATHS["pid"],
                          log=NODE_PATHS["log_error"],
                          client_binary=f"{client} --socket={NODE_PATHS['socket']}")
        self._set_target_role("galera-clone", "Stopped")
        self.c.wait_for(lambda mon: not self.c.resource_state("galera-clone", mon)["nodes"],
                        timeout, node=node, interval=1)
        for rsc, params in (("vip", vip_params()), ("galera", galera)):
            self._replace_agent(rsc, *agents[rsc], params)
        self._set_target_role("galera-clone", None)
        self.agents = name
        self.wait_healthy(timeout)
        return time.monotonic() - t0

    def _set_target_role(self, rsc: str, role: Optional[str]) -> None:
        argv = ["crm_resource", "--resource", rsc, "--meta"]
        argv += (["--set-parameter", "target-role", "--parameter-value", role] if role
                 else ["--delete-parameter", "target-role"])
        self.c.run(argv, node=self.on_nodes()[0])

    def _replace_agent(self, rsc: str, provider: str, kind: str, params: dict) -> None:
        """Give primitive ``rsc`` another agent and these parameters, keeping
        its id, meta attributes and operations."""
        import xml.etree.ElementTree as ET

        node = self.on_nodes()[0]
        xml = self.c.run(["cibadmin", "--query", "--xpath", f"//primitive[@id='{rsc}']"],
                         node=node).stdout
        prim = ET.fromstring(xml)
        prim.set("provider", provider)
        prim.set("type", kind)
        for ia in prim.findall("instance_attributes"):
            prim.remove(ia)
        ia = ET.Element("instance_attributes", id=f"{rsc}-instance_attributes")
        for key, value in params.items():
            ET.SubElement(ia, "nvpair", id=f"{rsc}-instance_attributes-{key}", name=key,
                          value=value)
        prim.insert(0, ia)
        self.c.run(["cibadmin", "--replace", "--xpath", f"//primitive[@id='{rsc}']",
                    "--xml-text", ET.tostring(prim, encoding="unicode")], node=node)


def _main(argv) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ocfpy.sandbox.availability")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("client", help="call every API through the VIP until stdin closes")
    c.add_argument("openrc")
    c.add_argument("out")
    c.add_argument("--period", type=float, default=0.2)
    a = sub.add_parser("action", help="run a resource's action here with the CIB's parameters")
    a.add_argument("resource")
    a.add_argument("action")
    a.add_argument("--repeat", type=int, default=1)
    a.add_argument("--role")
    a.add_argument("--interval", type=int, help="the operation's interval (ms)")
    sub.add_parser("haproxy-view", help="this node's HAProxy servers and their status (JSON)")
    sub.add_parser("haproxy-sessions", help="this node's HAProxy sessions per server (JSON)")
    args = parser.parse_args(argv)
    if args.command == "haproxy-view":
        from ocfpy.sandbox.demo import haproxy_view
        print(json.dumps(haproxy_view()))
        return 0
    if args.command == "haproxy-sessions":
        from ocfpy.sandbox.demo import haproxy_view
        print(json.dumps(haproxy_view(field="stot")))
        return 0
    if args.command == "client":
        return _client_main(args.openrc, args.out, args.period)
    result = run_action(args.resource, args.action, args.repeat, args.role, args.interval)
    print(json.dumps(result))
    return 0 if all(rc == 0 for rc in result["rc"]) else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
