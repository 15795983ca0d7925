"""ocf:ocfpy:haproxy under the real one-node Pacemaker fixture: created with
pcs (no --force), a recurring monitor, recovery after kill -9 of the master,
a reloadable parameter changed through reload-agent (no restart), degraded
(190) when min_healthy is not met (no restart either), and nothing left after
the resource is deleted. The node has its own network namespace, so its
HAProxy's backends (on the host's 127.0.0.1) are unreachable: DOWN."""

import os
import time

import pytest

pytestmark = [pytest.mark.real_cluster]


def masters(conffile) -> list:
    """Host pids of live HAProxy masters running ``conffile`` (workers have the master as parent)."""
    from ocfpy.process import live_processes

    found = {pid: st.ppid for pid, argv, st in live_processes(str(conffile))
             if "-W" in argv and str(conffile) in argv}
    return sorted(p for p, parent in found.items() if parent not in found)


@pytest.fixture
def cluster(real_cluster_clean, bed):
    c = real_cluster_clean
    try:
        yield c
    finally:
        c.run(["pcs", "resource", "delete", "lb", "--force"], check=False, timeout=120)
        deadline = time.monotonic() + 20
        while masters(bed.conffile) and time.monotonic() < deadline:
            time.sleep(0.2)


def test_haproxy_under_a_real_pacemaker(cluster, bed):
    c = cluster
    bed.write_config(servers=[bed.backend().port], check_inter="500ms")
    created = c.run(["pcs", "resource", "create", "lb", "ocf:ocfpy:haproxy",
                     f"conffile={bed.conffile}", "stop_grace=1s",
                     "op", "monitor", "interval=2s"], check=False, timeout=120)
    assert created.returncode == 0, created.stderr + created.stdout
    c.wait_for(lambda mon: c.resource_state("lb", mon)["active"], timeout=30)
    (first,) = masters(bed.conffile)

    os.kill(first, 9)                                   # behind Pacemaker's back
    c.wait_for(lambda mon: c.resource_state("lb", mon)["failed"], timeout=20)
    c.wait_for(lambda mon: c.resource_state("lb", mon)["active"] and masters(bed.conffile),
               timeout=30)
    st = c.resource_state("lb")
    assert [(f["op"], f["rc"]) for f in st["failures"]] == [("monitor", 7)], st
    (second,) = masters(bed.conffile)
    assert second != first

    # a reloadable parameter: reload-agent, the same master keeps running; the
    # only server is DOWN (another network namespace): degraded, not restarted
    c.run(["pcs", "resource", "update", "lb", "min_healthy=be:1"], timeout=120)
    c.wait_for(lambda mon: [f for f in c.resource_state("lb", mon)["failures"] if f["rc"] == 190],
               timeout=30)
    time.sleep(6)                                        # three more monitors
    log = c.run(["grep", "-E", "lb_(start|stop|reload-agent)_0|lb_monitor_2000.*(190|degraded)",
                 "/var/log/pacemaker/pacemaker.log"], check=False).stdout
    assert masters(bed.conffile) == [second], log[-4000:]
    st = c.resource_state("lb")
    assert st["active"], st
    degraded = [f for f in st["failures"] if f["rc"] == 190]
    assert degraded and degraded[0]["exitreason"] == "backend be: 0 of 1 server healthy, needs 1"
    assert "reload-agent" in log, log[-4000:]

    c.run(["pcs", "resource", "delete", "lb"], timeout=120)
    deadline = time.monotonic() + 20
    while masters(bed.conffile) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert masters(bed.conffile) == []
