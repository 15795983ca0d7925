"""ocf:ocfpy:galera against a real MariaDB Galera (three mariadbd on 127.0.0.1,
free ports, pc.recovery=FALSE), driven by the fake-cluster scheduler.

Each test builds its own cluster (tests/galera/galera_bed.py); the agent
starts every mariadbd, the tests only crash them (kill -9) and observe:
roles, wsrep status, grastate.dat, the agent's log (one line per decision)
and each mariadbd's error log (IST vs SST).
"""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from ocfpy import codes
from ocfpy.sandbox import mariadb

from galera_bed import Writer

PROMOTED = "Promoted"
OCFPY = os.path.join(os.path.dirname(sys.executable), "ocfpy")


def all_promoted(bed):
    return bed.sched.roles() == {c.name: PROMOTED for c in bed.cfgs}


def make_table(bed, node="node1"):
    bed.sql(node, "CREATE DATABASE IF NOT EXISTS t")
    bed.sql(node, "CREATE TABLE IF NOT EXISTS t.rows (id INT PRIMARY KEY)")


def published_seqnos(bed, since):
    """{node: seqno} from the last "published position uuid:seqno" line of each node."""
    out = {}
    for node, msg in bed.agent_lines(since):
        if msg.startswith("published position "):
            out[node] = int(msg.split()[2].rpartition(":")[2])
    return out


# --- life cycle -------------------------------------------------------------------------

def test_cold_start_gives_one_bootstrap_two_joins_and_three_synced_nodes(galera_bed):
    bed = galera_bed(3)
    seconds = bed.up()
    print(f"\ncold start to 3 Synced nodes (incl. mariadb-install-db on each): {seconds:.1f}s")
    assert all_promoted(bed), bed.sched.roles()
    assert len(bed.bootstraps()) == 1
    assert sorted(bed.joins()) == sorted(set(bed.by_name) - set(bed.bootstraps()))
    for node in bed.by_name:
        st = bed.status(node)
        assert (st["wsrep_cluster_size"], st["wsrep_cluster_status"], st["wsrep_local_state"]) == \
            ("3", "Primary", "4"), node


def test_mariadbd_runs_as_the_mysql_user(galera_bed):
    bed = galera_bed(1)
    bed.up()
    pid = bed.pid("node1")
    with open(f"/proc/{pid}/status") as fh:
        uids = next(line for line in fh if line.startswith("Uid:")).split()[1:]
    import pwd

    assert set(uids) == {str(pwd.getpwnam("mysql").pw_uid)}


def test_a_running_mariadbd_holds_neither_the_check_password_nor_any_parameter_in_its_environment(galera_bed):
    secret = "s3cret-in-the-cib-42"
    bed = galera_bed(1, params={"check_passwd": secret})   # root authenticates by unix_socket
    bed.up()
    assert all_promoted(bed), bed.sched.roles()
    with open(f"/proc/{bed.pid('node1')}/environ", "rb") as fh:
        environ = fh.read()
    assert secret.encode() not in environ
    assert b"OCF_RESKEY_" not in environ
    assert b"PATH=" in environ


def test_clean_stop_of_all_then_start_bootstraps_from_the_last_node_down(galera_bed):
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    bed.write_rows("node2", range(10))
    bed.sched.parallel = False            # demote node1, node2, node3 in that order
    bed.sched.stop_all()
    assert bed.grastate("node3")["safe_to_bootstrap"] == "1"
    assert {bed.grastate(n)["safe_to_bootstrap"] for n in ("node1", "node2")} == {"0"}
    bed.sched.parallel = True
    mark = bed.log_mark()
    bed.up()
    assert all_promoted(bed), bed.sched.roles()
    assert bed.bootstraps(mark) == ["node3"]
    assert bed.election_views(mark).get("node3") == {"node3"}
    for node in ("node1", "node2"):
        assert bed.transfer(node, mark) == "IST", node
        assert bed.count(node) == 10


def test_kill_of_all_three_bootstraps_from_the_highest_recovered_seqno_and_others_join_by_ist(galera_bed):
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    uuid = bed.status("node1")["wsrep_cluster_state_uuid"]
    bed.write_rows("node1", range(5))
    for node in ("node2", "node3"):
        bed.wait_rows(node, 5)
    bed.kill("node1")                      # node1 falls behind: the first listed must NOT win
    bed.wait_cluster_size("node2", 2)
    bed.write_rows("node2", range(5, 20))
    bed.wait_rows("node3", 20)             # node2 and node3 end equal
    bed.kill("node2")
    bed.kill("node3")
    assert {bed.grastate(n)["seqno"] for n in bed.by_name} == {"-1"}
    assert bed.sched.monitor_all() == {"node1": 7, "node2": 7, "node3": 7}
    mark = bed.log_mark()
    assert bed.sched.settle()
    assert all_promoted(bed), bed.sched.roles()
    seqnos = published_seqnos(bed, mark)
    assert seqnos["node1"] < seqnos["node2"] == seqnos["node3"], seqnos
    assert bed.bootstraps(mark) == ["node2"]          # highest; tie with node3 -> listed first
    assert bed.status("node2")["wsrep_cluster_state_uuid"] == uuid   # history kept
    assert bed.transfer("node1", mark) == "IST"
    assert bed.transfer("node3", mark) in ("IST", None)   # nothing missing: IST or no transfer
    assert [bed.count(n) for n in bed.by_name] == [20, 20, 20]


def test_equal_seqnos_elect_one_bootstrap_node_the_same_in_every_view(galera_bed):
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    bed.write_rows("node1", range(3))
    for node in ("node2", "node3"):        # quiet: every node applied everything
        bed.wait_rows(node, 3)
    for node in ("node3", "node2", "node1"):
        bed.kill(node)
    bed.sched.monitor_all()
    mark = bed.log_mark()
    assert bed.sched.settle()
    assert all_promoted(bed), bed.sched.roles()
    seqnos = published_seqnos(bed, mark)
    assert len(set(seqnos.values())) == 1, seqnos
    views = bed.election_views(mark)
    assert set(views) == {"node1", "node2", "node3"}, views      # every node computed it
    assert all(v == {"node1"} for v in views.values()), views  # tie: first listed
    assert bed.bootstraps(mark) == ["node1"]
    assert sorted(bed.joins(mark)) == ["node2", "node3"]


def test_a_killed_joiner_rejoins_by_ist(galera_bed):
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    joiner = bed.joins()[0]
    other = next(n for n in bed.by_name if n != joiner)
    bed.write_rows(other, range(10))
    # a node that has committed nothing since its SST has no position to resume from
    bed.wait_rows(joiner, 10)
    bed.kill(joiner)
    bed.wait_cluster_size(other, 2)
    bed.write_rows(other, range(10, 50))
    mark = bed.log_mark()
    t0 = time.monotonic()
    bed.sched.monitor_all()
    assert bed.sched.settle()
    print(f"\nkilled joiner Promoted again after {time.monotonic() - t0:.1f}s "
          f"({bed.transfer(joiner, mark)})")
    assert all_promoted(bed)
    assert bed.transfer(joiner, mark) == "IST"
    assert bed.bootstraps(mark) == []
    assert bed.count(joiner) == 50


def test_stale_promoted_peers_after_a_whole_cluster_crash_are_not_joined(galera_bed):
    """The reference agent's failure: right after a whole-cluster crash the
    first node recovered still sees its peers Promoted and tries to join a
    cluster that no longer exists (mariadbd gives up after ~33 s). Here node1
    is recovered at once from that stale snapshot -- peers Promoted, its own
    score still set -- so a promote is scheduled: it must not join, and must
    fail fast so that the next transition can run the election."""
    bed = galera_bed(3)
    bed.up()
    for node in bed.by_name:
        bed.kill(node)
    mark = bed.log_mark()
    t0 = time.monotonic()
    bed.sched.fail("node1", rc=codes.NOT_RUNNING)
    took = time.monotonic() - t0
    promote = [op for op in bed.sched.ops if op.node == "node1" and op.action == "promote"][-1]
    assert bed.joins(mark) == []
    assert promote.rc == codes.ERR_GENERIC
    assert "no Primary Component to join" in promote.exit_reason
    assert took < 45, took
    bed.sched.monitor_all()
    assert bed.sched.settle()
    assert all_promoted(bed), bed.sched.roles()
    assert len(bed.bootstraps(mark)) == 1


def test_a_join_whose_primary_component_crashes_ends_within_seconds_and_the_cluster_recovers(galera_bed):
    """Issue 14, the staggered crash: node1's mariadbd crashes; while it is
    being recovered (promote: joining node2 and node3), those two crash too.
    The promote must see that the Primary Component it joins is gone, stop
    mariadbd, publish node1's position and end within seconds -- not wait out
    its 300 s timeout -- so that the election can run; then all three come
    back Promoted with every row."""
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    bed.write_rows("node2", range(20))
    for node in ("node1", "node3"):
        bed.wait_rows(node, 20)
    bed.kill("node1")
    bed.wait_cluster_size("node2", 2)
    bed.write_rows("node2", range(20, 40))        # node1 misses these: its join needs IST
    mark = bed.log_mark()
    first = len(bed.driver.results)
    recovery = threading.Thread(target=bed.sched.fail, args=("node1", codes.NOT_RUNNING), daemon=True)
    recovery.start()
    end = time.monotonic() + 120
    while not bed.joins(mark) and time.monotonic() < end:
        time.sleep(0.05)
    assert bed.joins(mark) == ["node1"], bed.agent_lines(mark)
    bed.kill("node2")
    bed.kill("node3")
    killed = time.monotonic()

    def promote_of_node1():
        return next((r for r in bed.driver.results[first:] if r.node == "node1" and r.action == "promote"),
                    None)

    while promote_of_node1() is None and time.monotonic() < killed + 120:
        time.sleep(0.05)
    ended = time.monotonic() - killed
    res = promote_of_node1()
    recovery.join(120)
    print(f"\njoin whose Primary Component crashed: promote ended {ended:.1f}s after the crash "
          f"({res.duration:.1f}s in all): {res.exit_reason}")
    assert res.rc == codes.ERR_GENERIC, res.stderr
    assert res.exit_reason.startswith(("the Primary Component being joined is gone",
                                       "mariadbd exited while joining and no Primary Component")), \
        res.exit_reason
    assert ended < 15, ended
    assert bed.pid("node1") is None
    seqnos = published_seqnos(bed, mark)
    assert "node1" in seqnos, bed.agent_lines(mark)
    # the election runs: node2 and node3 hold the last 20 rows, one of them bootstraps
    t0 = time.monotonic()
    bed.sched.monitor_all()
    assert bed.sched.settle(), bed.sched.roles()
    print(f"all three Promoted again {time.monotonic() - t0:.1f}s after the recovery began")
    assert all_promoted(bed), bed.sched.roles()
    assert bed.bootstraps(mark) in (["node2"], ["node3"])
    assert [bed.count(n) for n in bed.by_name] == [40, 40, 40]


def test_two_node_mode_lets_the_survivor_of_a_two_node_cluster_regain_primary(galera_bed):
    bed = galera_bed(2, params={"two_node_mode": "true"})
    bed.up()
    bed.kill("node2")                 # as if Pacemaker had fenced node2
    end = time.monotonic() + 30
    while time.monotonic() < end and bed.status("node1")["wsrep_cluster_status"] == "Primary":
        time.sleep(0.2)
    assert bed.status("node1")["wsrep_cluster_status"] == "non-Primary"
    res = bed.driver.run("monitor", "node1", interval=10, timeout=30, instance=0,
                         meta={"role": "Promoted", **bed.sched.meta})
    assert res.rc == codes.RUNNING_PROMOTED, res.stderr
    st = bed.status("node1")
    assert (st["wsrep_cluster_status"], st["wsrep_cluster_size"]) == ("Primary", "1")


def test_without_two_node_mode_a_non_primary_survivor_fails_its_promoted_monitor(galera_bed):
    bed = galera_bed(2)
    bed.up()
    bed.kill("node2")
    end = time.monotonic() + 30
    while time.monotonic() < end and bed.status("node1")["wsrep_cluster_status"] == "Primary":
        time.sleep(0.2)
    res = bed.driver.run("monitor", "node1", interval=10, timeout=30, instance=0,
                         meta={"role": "Promoted", **bed.sched.meta})
    assert res.rc == codes.FAILED_PROMOTED
    assert "wsrep_cluster_status=non-Primary" in res.exit_reason
    assert bed.cluster.get_attr("node1", "galera-primary") is None


def test_a_healthy_promoted_monitor_asks_attrd_for_its_primary_attribute_once_a_minute(galera_bed):
    bed = galera_bed(2)
    bed.up()

    def monitor():
        return bed.driver.run("monitor", "node1", interval=10, timeout=30, instance=0,
                              meta={"role": "Promoted", **bed.sched.meta})
    assert monitor().rc == codes.RUNNING_PROMOTED            # publishes, notes it
    before = len(bed.cluster.history(node="node1"))
    results = [monitor().rc for _ in range(3)]
    assert (results, len(bed.cluster.history(node="node1"))) == (
        [codes.RUNNING_PROMOTED] * 3, before)
    assert bed.cluster.get_attr("node1", "galera-primary")


# --- load and faults --------------------------------------------------------------------------

class Sampler(threading.Thread):
    """Samples every node's view of its component; flags two Primary
    Components at once (two Primary nodes with disjoint memberships, or
    different cluster state UUIDs)."""

    def __init__(self, bed):
        super().__init__(daemon=True)
        self.bed, self.stop, self.rounds, self.violations = bed, threading.Event(), 0, []

    def run(self):
        port_of = {str(c.port): c.name for c in self.bed.cfgs}
        while not self.stop.is_set():
            primaries = {}
            for node in self.bed.by_name:
                try:
                    st = mariadb.status(self.bed.by_name[node], timeout=1)
                except Exception:  # noqa: BLE001 - down or starting
                    continue
                if st.get("wsrep_cluster_status") == "Primary":
                    members = {port_of.get(a.rpartition(":")[2], a)
                               for a in st.get("wsrep_incoming_addresses", "").split(",") if a}
                    primaries[node] = (st.get("wsrep_cluster_state_uuid"), members | {node},
                                       st.get("wsrep_cluster_conf_id"))
            views = list(primaries.items())
            for i, (a, (uuid_a, mem_a, conf_a)) in enumerate(views):
                for b, (uuid_b, mem_b, conf_b) in views[i + 1:]:
                    if uuid_a != uuid_b or not mem_a & mem_b:
                        self.violations.append((time.monotonic(), a, sorted(mem_a), conf_a,
                                                b, sorted(mem_b), conf_b))
            self.rounds += 1
            time.sleep(0.2)


def recover_after_kill(bed, survivors):
    if survivors:
        bed.wait_cluster_size(survivors[0], len(survivors))
    bed.sched.monitor_all()
    assert bed.sched.settle(), bed.sched.roles()
    assert all_promoted(bed), bed.sched.roles()


def test_write_load_through_kills_loses_no_acknowledged_row_and_never_two_primaries(galera_bed):
    bed = galera_bed(3)
    bed.up()
    make_table(bed)
    first = bed.bootstraps()[0]
    joiner = bed.joins()[0]
    writer = Writer({name: cfg.socket for name, cfg in bed.by_name.items()})
    sampler = Sampler(bed)
    writer.start()
    sampler.start()
    try:
        time.sleep(2)
        bed.kill(joiner)
        recover_after_kill(bed, [n for n in bed.by_name if n != joiner])
        time.sleep(2)
        bed.kill(first)
        recover_after_kill(bed, [n for n in bed.by_name if n != first])
        time.sleep(2)
        for node in bed.by_name:
            bed.kill(node)
        recover_after_kill(bed, [])
        time.sleep(2)
    finally:
        writer.stop.set()
        sampler.stop.set()
        writer.join(30)
        sampler.join(30)
    acked = set(writer.acked)
    print(f"\n{len(acked)} acknowledged writes, {writer.errors} failed attempts, "
          f"{sampler.rounds} sampling rounds")
    assert len(acked) > 100
    assert sampler.rounds > 50
    assert sampler.violations == []
    for node in bed.by_name:
        present = {r[0] for r in bed.sql(node, "SELECT id FROM t.rows")}
        assert acked <= present, f"{node} lost {len(acked - present)} acknowledged rows"


# --- bad input against a running server ------------------------------------------------------

def test_wrong_check_credentials_make_monitor_fail_configured_without_showing_the_password(galera_bed, tmp_path):
    bed = galera_bed(1)
    bed.up()
    bed.sql("node1", "CREATE USER 'check'@'localhost' IDENTIFIED BY 'right-pw-123'")
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("right-pw-123\n")
    bad.write_text("[client]\nuser = check\npassword = wrong-pw-456\n")
    ok = bed.driver.run("monitor", "node1", interval=10, meta={"role": "Promoted"},
                        params={"check_user": "check", "check_passwd_file": str(good)})
    assert ok.rc == codes.RUNNING_PROMOTED, ok.stderr
    res = bed.driver.run("monitor", "node1", interval=10, meta={"role": "Promoted"},
                         params={"check_user": "check", "check_passwd_file": str(bad)})
    assert res.rc == codes.ERR_CONFIGURED
    assert res.stderr.count("ocf-exit-reason:") == 1
    assert "access denied" in res.exit_reason
    assert "wrong-pw-456" not in res.stderr + bed.agent_log.read_text()
    res = bed.driver.run("monitor", "node1", interval=10, meta={"role": "Promoted"},
                         params={"check_user": "check", "check_passwd": "wrong-pw-789"})
    assert res.rc == codes.ERR_CONFIGURED
    assert "wrong-pw-789" not in res.stderr + bed.agent_log.read_text()


def test_a_check_password_outside_latin1_is_accepted_by_the_server(galera_bed, tmp_path):
    password = "pässwörd-€-密码"
    bed = galera_bed(1)
    bed.up()
    bed.sql("node1", "CREATE USER 'check'@'localhost' IDENTIFIED BY %s", (password,))
    pwfile = tmp_path / "check.cnf"
    pwfile.write_text(f"[client]\nuser = check\npassword = {password}\n", encoding="utf-8")
    for params in ({"check_user": "check", "check_passwd": password},
                   {"check_passwd_file": str(pwfile)}):
        res = bed.driver.run("monitor", "node1", interval=10, meta={"role": "Promoted"}, params=params)
        assert res.rc == codes.RUNNING_PROMOTED, res.stderr
    res = bed.driver.run("monitor", "node1", interval=10, meta={"role": "Promoted"},
                         params={"check_user": "check", "check_passwd": password[:-1] + "x"})
    assert res.rc == codes.ERR_CONFIGURED and "access denied" in res.exit_reason, res.stderr


def test_start_refuses_a_configuration_without_galera(mdb_base, tmp_path):
    from ocfpy.testing.driver import Driver
    from ocfpy.testing.fake import FakeCluster

    cfg = mariadb.standalone_config(mdb_base)           # a plain server: wsrep disabled
    mariadb.install_db(cfg)
    params = cfg.agent_params()
    params.update(wsrep_cluster_address="gcomm://127.0.0.1:4567",
                  cluster_host_map="node1:127.0.0.1:4567")
    driver = Driver("galera", cluster=FakeCluster.create(tmp_path / "fake", 1), resource="galera",
                    params=params, workdir=tmp_path / "work")
    res = driver.run("start", "node1")
    assert res.rc == codes.ERR_INSTALLED
    assert res.stderr.count("ocf-exit-reason:") == 1
    assert "does not enable Galera" in res.exit_reason
    assert not (cfg.datadir / "ocfpy-wsrep-recover.log").exists()


def test_ocfpy_check_passes_on_a_one_node_galera(mdb_base):
    from ocfpy.testing.check import check_agent

    cfg = mariadb.galera_configs(mdb_base, 1)[0]
    params = cfg.agent_params()
    del params["log"]          # the error log is kept on purpose: the leftover scan would flag it
    report = check_agent("galera", options={
        "wsrep_cluster_address": cfg.gcomm_address, "cluster_host_map": f"node1:{cfg.gcomm_entry}",
        "enable_creation": "true", **params})
    assert report.ok, report.text()


# --- clustercheck ------------------------------------------------------------------------------

class ClusterCheck:
    """`ocfpy clustercheck` as a subprocess on a free loopback port."""

    def __init__(self, cfg, credentials, *flags):
        self.port = mariadb.free_ports(1)[0]
        self.proc = subprocess.Popen(
            [OCFPY, "clustercheck", "--port", str(self.port),
             "--bind", "127.0.0.1", "--credentials", str(credentials),
             "--socket", str(cfg.socket), *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                self.get()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(self.proc.stderr.read().decode())
                time.sleep(0.1)
        raise AssertionError("clustercheck did not answer")

    def get(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10) as resp:
                return resp.status, resp.read().decode().strip()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode().strip()

    def answer(self, expected, timeout=5.0):
        """The first answer equal to ``expected`` (a (status, text) pair, or a
        status alone), else the last one after ``timeout``: clustercheck
        reuses a verdict for up to --cache-interval (1 s) after the node changed."""
        end = time.monotonic() + timeout
        while True:
            got = self.get()
            if (got[0] if isinstance(expected, int) else got) == expected or time.monotonic() > end:
                return got if not isinstance(expected, int) else got[0]
            time.sleep(0.2)

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def two_nodes(mdb_base):
    """A two-node Galera started by hand, with a clustercheck user."""
    cfgs = mariadb.galera_configs(mdb_base / "db", 2)
    mariadb.install_db(cfgs[0])
    servers = [mariadb.MariaDB(c) for c in cfgs]
    try:
        servers[0].start(bootstrap=True)
        servers[0].wait_synced(60)
        servers[1].start()
        servers[1].wait_synced(120)
        mariadb.sql(cfgs[0], "CREATE USER 'clustercheck_user'@'localhost' IDENTIFIED BY 'cc-pw'")
        mariadb.sql(cfgs[0], "GRANT PROCESS ON *.* TO 'clustercheck_user'@'localhost'")
        creds = mdb_base / "clustercheck"
        creds.write_text('MYSQL_USERNAME="clustercheck_user"\nMYSQL_PASSWORD="cc-pw"\n')
        os.chmod(creds, 0o600)
        yield cfgs, servers, creds
    finally:
        for s in servers:
            s.stop()


def test_clustercheck_answers_200_on_a_synced_node_and_503_when_desynced(two_nodes):
    cfgs, servers, creds = two_nodes
    cc = ClusterCheck(cfgs[1], creds)
    donor_ok = ClusterCheck(cfgs[1], creds, "--available-when-donor")
    try:
        assert cc.get() == (200, "Galera cluster node is synced.")
        mariadb.sql(cfgs[1], "SET GLOBAL wsrep_desync=ON")
        assert mariadb.status(cfgs[1])["wsrep_local_state"] == "2"
        not_synced = (503, "Galera cluster node is not synced.")
        assert cc.answer(not_synced) == not_synced
        assert donor_ok.get()[0] == 200
        mariadb.sql(cfgs[1], "SET GLOBAL wsrep_desync=OFF")
        mariadb.sql(cfgs[1], "SET GLOBAL read_only=ON")
        read_only = (503, "Galera cluster node is read-only.")
        assert cc.answer(read_only) == read_only
        mariadb.sql(cfgs[1], "SET GLOBAL read_only=OFF")
        assert cc.answer(200) == 200
    finally:
        cc.close()
        donor_ok.close()


def test_clustercheck_answers_503_on_a_non_primary_node(two_nodes):
    cfgs, servers, creds = two_nodes
    cc = ClusterCheck(cfgs[1], creds, "--available-when-donor", "--available-when-readonly")
    try:
        assert cc.get()[0] == 200
        servers[0].kill()                     # the survivor holds 1 of 2 votes: non-Primary
        end = time.monotonic() + 30
        while time.monotonic() < end and mariadb.status(cfgs[1])["wsrep_cluster_status"] == "Primary":
            time.sleep(0.2)
        assert mariadb.status(cfgs[1])["wsrep_cluster_status"] == "non-Primary"
        not_synced = (503, "Galera cluster node is not synced.")
        assert cc.answer(not_synced) == not_synced
    finally:
        cc.close()


def test_clustercheck_answers_503_when_the_server_is_down(mdb_base):
    cfg = mariadb.galera_configs(mdb_base, 1)[0]
    creds = mdb_base / "pw"
    creds.write_text("x\n")
    cc = ClusterCheck(cfg, creds)
    try:
        assert cc.get() == (503, "Galera cluster node is not synced.")
    finally:
        cc.close()
