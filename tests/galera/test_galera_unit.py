"""Fast tests of the galera logic: ocfpy_agents.galera.wsrep's pure functions, the
clustercheck verdicts, and ocf:ocfpy:galera on a fake cluster without any
mariadbd (datadirs hold hand-written grastate.dat files; the binary is
/bin/true, which start never runs when grastate.dat has a seqno)."""

import os
import pwd
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocfpy import codes
from ocfpy_agents.galera import server, wsrep
from ocfpy_agents.galera.clustercheck import NOT_SYNCED, READ_ONLY, SYNCED, evaluate
from ocfpy_agents.galera.wsrep import Candidate, Member
from ocfpy.testing.driver import Driver
from ocfpy.testing.fake import FakeCluster

sys.path.insert(0, str(Path(__file__).resolve().parent))
from galera_bed import free_ports  # noqa: E402

# --- grastate.dat and --wsrep-recover ---------------------------------------------------------

GRASTATE = """# GALERA saved state
version: 2.1
uuid:    6d2c4a0e-e5cc-11f1-b0a1-06200d0f7db3
seqno:   -1
safe_to_bootstrap: 0
"""


def test_grastate_after_a_crash_has_an_unknown_seqno():
    st = wsrep.parse_grastate(GRASTATE)
    assert (st.uuid, st.seqno, st.safe_to_bootstrap) == (
        "6d2c4a0e-e5cc-11f1-b0a1-06200d0f7db3", -1, False)


def test_grastate_of_the_last_node_down_is_safe_to_bootstrap():
    st = wsrep.parse_grastate(GRASTATE.replace("-1", "42").replace("bootstrap: 0", "bootstrap: 1"))
    assert (st.seqno, st.safe_to_bootstrap) == (42, True)


def test_garbled_or_empty_grastate_reads_as_unknown():
    assert wsrep.parse_grastate("seqno: lots\n") == wsrep.GraState()
    assert wsrep.parse_grastate("") == wsrep.GraState()


def test_set_safe_to_bootstrap_changes_only_that_line():
    text = wsrep.set_safe_to_bootstrap(GRASTATE, True)
    assert "safe_to_bootstrap: 1" in text
    assert text.replace("safe_to_bootstrap: 1", "safe_to_bootstrap: 0") == GRASTATE


def test_set_safe_to_bootstrap_adds_a_missing_line():
    assert wsrep.parse_grastate(wsrep.set_safe_to_bootstrap("seqno: 3\n")).safe_to_bootstrap


def test_recovered_position_is_the_last_one_logged():
    log = ("2026-11-21 [Note] WSREP: Recovered position: aaaa-1:5\n"
           "noise\n2026-11-21 [Note] WSREP: Recovered position: bbbb-2:17\n")
    assert wsrep.parse_recovered_position(log) == ("bbbb-2", 17)


def test_recover_log_without_a_position_gives_none():
    assert wsrep.parse_recovered_position("[Note] WSREP: Recovered position: garbage\n") is None
    assert wsrep.parse_recovered_position("") is None


# --- the sandbox's reading of a joiner's error log (the chaos lab's IST/SST verdict) ----------

_START = "2026-12-02 16:18:39 0 [Note] Starting MariaDB 10.11.19-MariaDB as process {}\n"
_ASKED = ("2026-12-02 16:18:40 2 [Note] WSREP: State transfer required:\n"
          "WSREP_SST: [INFO] rsync SST started on joiner\n"
          "2026-12-02 16:18:40 2 [Note] WSREP: ####### IST uuid:da806b40-ee6b-11f1 f: 1305, l: 1380\n")
_INCREMENTAL = ("2026-12-02 16:18:40 2 [Note] WSREP: Requesting state transfer: success, donor: 0\n"
                "WSREP_SST: [INFO] rsync IST completed on joiner\n"
                "2026-12-02 16:18:42 2 [Note] WSREP: Synchronized with group, ready for connections\n")
_FULL = ("2026-12-02 16:19:01 2 [Note] WSREP: Requesting state transfer: success, donor: 0\n"
         "WSREP_SST: [INFO] rsync SST completed on joiner\n"
         "2026-12-02 16:19:03 2 [Note] WSREP: Synchronized with group, ready for connections\n")


def test_a_log_is_cut_into_one_text_per_server_start():
    from ocfpy.sandbox.mariadb import server_runs
    runs = server_runs("tail of an earlier run\n" + _START.format(7) + "a\n" + _START.format(8) + "b\n")
    assert [r.splitlines()[-1] for r in runs] == ["tail of an earlier run", "a", "b"]


def test_a_joiner_whose_donor_died_before_its_request_was_logged_was_cut_short():
    # the request goes round the group before "Requesting state transfer" is
    # written: a donor that dies first leaves only "State transfer required"
    from ocfpy.sandbox.mariadb import ist_or_sst, transfer_cut_short
    log = _START.format(1) + _ASKED + _START.format(2) + _FULL
    assert ist_or_sst(log) == "SST"
    assert transfer_cut_short(log)


def test_a_synced_joiner_was_not_cut_short():
    from ocfpy.sandbox.mariadb import transfer_cut_short
    assert not transfer_cut_short(_START.format(1) + _ASKED + _INCREMENTAL)
    assert not transfer_cut_short(_START.format(1) + "no state asked for\n" + _START.format(2) + _FULL)


def test_a_joiner_that_asked_for_a_full_transfer_itself_is_not_excused():
    from ocfpy.sandbox.mariadb import transfer_cut_short
    full_request = _ASKED.replace("da806b40-ee6b-11f1", "00000000-0000-0000-0000-000000000000")
    assert not transfer_cut_short(_START.format(1) + full_request + _START.format(2) + _FULL)


# --- addresses and names ---------------------------------------------------------------------------

def test_gcomm_entries_may_carry_ports_and_ipv6():
    members = wsrep.parse_gcomm("gcomm://ctl1,10.0.0.2:4577,[fd00::3]:4567?pc.wait_prim=no")
    assert members == [Member("ctl1"), Member("10.0.0.2", 4577), Member("fd00::3", 4567)]


def test_bare_gcomm_is_an_empty_member_list():
    assert wsrep.parse_gcomm("gcomm://") == []


@pytest.mark.parametrize("bad", ["ctl1,ctl2", "gcomm://a,a", "gcomm://a:99999", "gcomm://[fd00::1"])
def test_malformed_gcomm_is_refused(bad):
    with pytest.raises(ValueError):
        wsrep.parse_gcomm(bad)


@pytest.mark.parametrize("text", ["ctl1:10.0.0.1;ctl2:10.0.0.2", "ctl1:10.0.0.1, ctl2:10.0.0.2",
                                  "ctl1:10.0.0.1 ctl2:10.0.0.2", "ctl1:10.0.0.1;ctl2:10.0.0.2;"])
def test_host_map_accepts_every_separator_seen_in_the_wild(text):
    assert wsrep.parse_host_map(text) == {"ctl1": Member("10.0.0.1"), "ctl2": Member("10.0.0.2")}


def test_host_map_entries_may_carry_ports():
    assert wsrep.parse_host_map("n1:127.0.0.1:4567")["n1"] == Member("127.0.0.1", 4567)


@pytest.mark.parametrize("bad", ["ctl1", "ctl1:", "ctl1:a;ctl1:b"])
def test_malformed_host_map_is_refused(bad):
    with pytest.raises(ValueError):
        wsrep.parse_host_map(bad)


def test_ctl1_never_matches_ctl10():
    members = wsrep.parse_gcomm("gcomm://ctl10,ctl1")
    assert wsrep.member_of_node("ctl1", members, {}) == 1
    assert wsrep.member_of_node("ctl10", members, {}) == 0
    assert wsrep.member_of_node("ctl", members, {}) is None


def test_short_node_name_does_not_match_an_fqdn_entry():
    members = wsrep.parse_gcomm("gcomm://ctl1.example.com")
    assert wsrep.member_of_node("ctl1", members, {}) is None


def test_node_names_match_hosts_case_insensitively():
    assert wsrep.member_of_node("CTL1", wsrep.parse_gcomm("gcomm://ctl1:4567"), {}) == 0


def test_host_port_entries_on_one_host_are_told_apart_by_port():
    members = wsrep.parse_gcomm("gcomm://127.0.0.1:4567,127.0.0.1:4577")
    hmap = wsrep.parse_host_map("n1:127.0.0.1:4567;n2:127.0.0.1:4577")
    assert [wsrep.member_of_node(n, members, hmap) for n in ("n1", "n2")] == [0, 1]
    assert wsrep.member_nodes(members, hmap) == ["n1", "n2"]


def test_a_map_without_port_on_a_shared_host_is_ambiguous():
    members = wsrep.parse_gcomm("gcomm://127.0.0.1:4567,127.0.0.1:4577")
    with pytest.raises(ValueError):
        wsrep.member_of_node("n1", members, wsrep.parse_host_map("n1:127.0.0.1"))


def test_default_port_matches_an_entry_without_port():
    members = wsrep.parse_gcomm("gcomm://10.0.0.1")
    assert wsrep.member_of_node("n1", members, wsrep.parse_host_map("n1:10.0.0.1:4567")) == 0


def test_unmapped_members_are_named_by_their_host():
    members = wsrep.parse_gcomm("gcomm://10.0.0.1,ctl2:4567")
    assert wsrep.member_nodes(members, wsrep.parse_host_map("ctl1:10.0.0.1")) == ["ctl1", "ctl2"]


# --- the election -----------------------------------------------------------------------------------

def test_safe_to_bootstrap_wins_before_the_others_publish():
    assert wsrep.elect([Candidate("a", None), Candidate("b", 3, safe=True), Candidate("c", None)]) \
        == ("b", "safe_to_bootstrap")


def test_several_safe_nodes_go_to_the_first_listed():
    assert wsrep.elect([Candidate("a", 1), Candidate("b", 9, safe=True), Candidate("c", 9, safe=True)])[0] == "b"


def test_nobody_wins_while_a_member_has_not_published():
    winner, why = wsrep.elect([Candidate("a", 5), Candidate("b", None)])
    assert winner is None and "b" in why


def test_highest_seqno_wins_over_list_order():
    assert wsrep.elect([Candidate("a", 5), Candidate("b", 9), Candidate("c", 7)])[0] == "b"


def test_ties_go_to_the_first_listed():
    assert wsrep.elect([Candidate("a", 5), Candidate("b", 9), Candidate("c", 9)])[0] == "b"


def test_unknown_seqno_counts_as_zero():
    assert wsrep.elect([Candidate("a", -1), Candidate("b", 0)])[0] == "a"
    assert wsrep.elect([Candidate("a", -1), Candidate("b", 1)])[0] == "b"


# --- credentials and clustercheck verdicts ------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("s3cret pass\n", (None, "s3cret pass")),
    ("[mysqld]\nuser=x\n[client]\nuser = check\npassword = \"p w\"\n", ("check", "p w")),
    ('MYSQL_USERNAME="clustercheck_user"\nMYSQL_PASSWORD="my pw"\n', ("clustercheck_user", "my pw")),
])
def test_credentials_files_in_three_formats(tmp_path, text, expected):
    path = tmp_path / "cred"
    path.write_text(text)
    assert server.read_credentials(str(path)) == expected


def _st(cluster="Primary", state="4", read_only="OFF"):
    return {"wsrep_cluster_status": cluster, "wsrep_local_state": state, "read_only": read_only}


@pytest.mark.parametrize("status,flags,expected", [
    (_st(), {}, (200, SYNCED)),
    (_st(state="2"), {}, (503, NOT_SYNCED)),
    (_st(state="2"), {"available_when_donor": True}, (200, SYNCED)),
    (_st(state="1"), {"available_when_donor": True}, (503, NOT_SYNCED)),
    (_st(cluster="non-Primary"), {"available_when_donor": True}, (503, NOT_SYNCED)),
    (_st(read_only="ON"), {}, (503, READ_ONLY)),
    (_st(read_only="ON"), {"available_when_readonly": True}, (200, SYNCED)),
    (None, {}, (503, NOT_SYNCED)),
])
def test_clustercheck_verdicts(status, flags, expected):
    assert evaluate(status, **flags) == expected


# --- the agent on a fake cluster ----------------------------------------------------------------------

def _bed_user() -> str:
    """Who owns the fake beds' datadirs and "runs" mariadbd: mysql when we
    are root and it exists (as on a real node), else whoever runs the tests
    -- no test of the agent's logic needs root or a mysql user."""
    if os.geteuid() == 0 and any(p.pw_name == "mysql" for p in pwd.getpwall()):
        return "mysql"
    return pwd.getpwuid(os.geteuid()).pw_name


BED_USER = _bed_user()
BED_PW = pwd.getpwnam(BED_USER)


def _bed_owned(path: Path, mode=0o750):
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, BED_PW.pw_uid, BED_PW.pw_gid)
    os.chmod(path, mode)


def _bed_user_params() -> dict:
    if BED_USER == "mysql":
        return {}                                # the agent's defaults
    import grp

    return {"user": BED_USER, "group": grp.getgrgid(BED_PW.pw_gid).gr_name}


class FakeBed:
    """Three nodes with hand-written grastate.dat files and no server."""

    def __init__(self, tmp_path, seqnos=(None, None, None), safe=(0, 0, 0), nodes=3, **params):
        self.tmp = tmp_path
        self.cluster = FakeCluster.create(tmp_path / "fake", nodes)
        self.names = self.cluster.nodes()
        self.ports = free_ports(len(self.names))
        config = tmp_path / "my.cnf"
        config.write_text("[mysqld]\n")
        node_params = {}
        for i, name in enumerate(self.names):
            datadir = tmp_path / name / "data"
            _bed_owned(datadir)
            if i < len(seqnos) and seqnos[i] is not None:
                (datadir / "grastate.dat").write_text(
                    f"version: 2.1\nuuid: 11111111-2222-3333-4444-555555555555\n"
                    f"seqno: {seqnos[i]}\nsafe_to_bootstrap: {safe[i]}\n")
            node_params[name] = {"datadir": str(datadir), "pid": str(tmp_path / name / "m.pid"),
                                 "socket": str(tmp_path / name / "m.sock")}
        self.gcomm = "gcomm://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)
        self.log = tmp_path / "agent.log"
        base = {"wsrep_cluster_address": self.gcomm, "binary": "/bin/true", "config": str(config),
                "cluster_host_map": ";".join(f"{n}:127.0.0.1:{p}" for n, p in zip(self.names, self.ports)),
                **_bed_user_params()}
        base.update(params)
        self.driver = Driver("galera", cluster=self.cluster, resource="galera", params=base,
                             workdir=tmp_path / "work", node_params=node_params, inprocess=True,
                             extra_env={"HA_LOGFILE": str(self.log)})

    def run(self, action, node="node1", **kw):
        return self.driver.run(action, node, **kw)

    def scores(self):
        return self.cluster.promotion_scores("galera")

    def attr(self, node, what):
        return self.cluster.get_attr(node, f"galera-{what}")

    def views(self):
        import re

        out = {}
        for line in self.log.read_text().splitlines() if self.log.exists() else []:
            m = re.search(r"galera\(galera:(\d+)\).*bootstrap election: (\S+) wins", line)
            if m:
                out.setdefault(self.names[int(m.group(1))], set()).add(m.group(2))
        return out


def _start_all(bed, order):
    for node in order:
        res = bed.run("start", node, instance=bed.names.index(node))
        assert res.rc == 0, res.stderr
    for node in bed.names:       # an unpromoted monitor on every node: each computes its view
        res = bed.run("monitor", node, interval=30, meta={"role": "Unpromoted"},
                      instance=bed.names.index(node))
        assert res.rc == 0, res.stderr


def test_equal_seqnos_give_one_bootstrap_node_in_every_view(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(7, 7, 7))
    _start_all(bed, ["node3", "node2", "node1"])
    assert bed.scores() == {"node1": 100}
    assert [bed.attr(n, "bootstrap") for n in bed.names] == ["true", None, None]
    assert bed.views() == {"node1": {"node1"}, "node2": {"node1"}, "node3": {"node1"}}


def test_the_highest_seqno_is_elected_and_published_by_every_node(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(5, 9, 7))
    _start_all(bed, ["node1", "node2", "node3"])
    assert bed.scores() == {"node2": 100}
    assert [bed.attr(n, "last-committed") for n in bed.names] == ["5", "9", "7"]
    assert set(map(frozenset, bed.views().values())) == {frozenset({"node2"})}


def test_safe_to_bootstrap_node_is_elected_at_its_own_start(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3), safe=(0, 0, 1))
    assert bed.run("start", "node3", instance=2).rc == 0
    assert bed.scores() == {"node3": 100}


def test_no_node_is_elected_until_every_member_published(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 4, 5))
    assert bed.run("start", "node1", instance=0).rc == 0
    assert bed.run("start", "node2", instance=1).rc == 0
    assert bed.scores() == {}
    assert "waiting for the position of node3" in bed.log.read_text()


def test_empty_datadirs_publish_unknown_positions_and_elect_the_first_listed(tmp_path):
    bed = FakeBed(tmp_path)
    _start_all(bed, ["node2", "node3", "node1"])
    assert [bed.attr(n, "last-committed") for n in bed.names] == ["-1", "-1", "-1"]
    assert [bed.attr(n, "no-grastate") for n in bed.names] == ["true"] * 3
    assert bed.scores() == {"node1": 100}


def test_a_stale_primary_attribute_of_a_dead_peer_is_not_joined(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 4, None))
    bed.cluster.set_attr("node2", "galera-primary", "some-uuid")      # node2's port is closed
    assert bed.run("start", "node1", instance=0).rc == 0
    assert bed.scores() == {}
    assert "asking to join" not in bed.log.read_text()


def test_a_reachable_primary_peer_is_joined(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 4, None))
    bed.cluster.set_attr("node2", "galera-primary", "some-uuid")
    with socket.create_server(("127.0.0.1", bed.ports[1])):       # node2's gcomm port answers
        assert bed.run("start", "node1", instance=0).rc == 0
    assert bed.scores() == {"node1": 100}


def test_promote_that_can_neither_join_nor_bootstrap_fails_fast_and_withdraws_the_score(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 4, None))
    assert bed.run("start", "node1", instance=0).rc == 0
    bed.cluster.set_promotion("node1", "galera", 100)              # a stale score
    res = bed.run("promote", "node1", instance=0, timeout=20)
    assert res.rc == codes.ERR_GENERIC
    assert res.exit_reason.startswith("no Primary Component to join")
    assert res.duration < 10
    assert bed.scores() == {}


# a mariadbd that starts and never becomes Synced (no socket): a join that waits.
# exec -a keeps argv[0] and --datadir, so the agent recognises it as its mariadbd
JOINING_MARIADBD = """#!/bin/bash
exec -a "$0" /usr/bin/python3 -c "import time; time.sleep(300)" "$@"
"""


def _joining_bed(base):
    binary = base / "sbin" / "joining-mariadbd"
    binary.write_text(JOINING_MARIADBD)
    binary.chmod(0o755)
    bed = FakeBed(base, seqnos=(3, 4, None), binary=str(binary))
    bed.cluster.set_attr("node2", "galera-primary", "some-uuid")
    return bed


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
@pytest.mark.parametrize("on_fail", [None, "block"])
def test_a_join_whose_peers_vanish_ends_within_seconds_with_the_position_published(fake_base, on_fail):
    """Issue 14: node2 (Promoted, port open) is joined; its gcomm port closes
    2 s into the join: the promote stops mariadbd, publishes the position
    and ends ~3 s later, not at its timeout. Under on-fail=block it answers
    0 (a failure would block the instance) and the Promoted monitor reports 7."""
    import threading

    bed = _joining_bed(fake_base)
    peer = socket.create_server(("127.0.0.1", bed.ports[1]))       # node2's gcomm port answers
    try:
        assert bed.run("start", "node1", instance=0).rc == 0
        assert bed.scores() == {"node1": 100}
        threading.Timer(2.0, peer.close).start()
        meta = {"on_fail": on_fail} if on_fail else {}
        res = bed.run("promote", "node1", instance=0, timeout=120, meta=meta)
    finally:
        peer.close()
    assert "starting mariadbd (join)" in bed.log.read_text()
    assert res.rc == (codes.SUCCESS if on_fail else codes.ERR_GENERIC), res.stderr
    assert _one_reason(res).startswith("the Primary Component being joined is gone")
    assert 5 <= res.duration < 15, res.duration
    assert bed.attr("node1", "last-committed") == "3"
    assert bed.scores() == {}
    mon = bed.run("monitor", "node1", instance=0, interval=20, meta={"role": "Promoted"})
    assert mon.rc == codes.NOT_RUNNING          # nothing left running: Pacemaker recovers


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs /usr/bin/python3")
def test_a_join_keeps_waiting_while_a_peer_stays_a_live_primary(fake_base):
    bed = _joining_bed(fake_base)
    with socket.create_server(("127.0.0.1", bed.ports[1])):
        assert bed.run("start", "node1", instance=0).rc == 0
        res = bed.run("promote", "node1", instance=0, timeout=12)
    assert res.rc == codes.ERR_GENERIC
    assert res.exit_reason.startswith("not Primary and Synced before the promote timeout while joining")


def test_stop_clears_every_attribute_and_the_score(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3), safe=(1, 0, 0))
    assert bed.run("start", "node1", instance=0).rc == 0
    assert bed.scores() == {"node1": 100}
    assert bed.run("stop", "node1", instance=0).rc == 0
    assert bed.cluster.attributes()["node1"] == {}
    assert bed.run("monitor", "node1", instance=0).rc == codes.NOT_RUNNING


# --- bad input ------------------------------------------------------------------------------------------

def _one_reason(res):
    assert "Traceback" not in res.stderr
    assert res.stderr.count("ocf-exit-reason:") == 1, res.stderr
    return res.exit_reason


# (case, parameters, node, start's code, a piece of its exit reason); the
# datadir case chmods node1's datadir to 000
BAD_INPUT = [
    ("missing wsrep_cluster_address", {"wsrep_cluster_address": ""}, "node1",
     codes.ERR_CONFIGURED, "required parameter wsrep_cluster_address is not set"),
    ("wsrep_cluster_address without gcomm://", {"wsrep_cluster_address": "ctl1,ctl2"}, "node1",
     codes.ERR_CONFIGURED, "must start with gcomm://"),
    ("node not in wsrep_cluster_address",
     {"cluster_host_map": "", "wsrep_cluster_address": "gcomm://node1,node2,node30"}, "node3",
     codes.ERR_ARGS, "node node3 is not in wsrep_cluster_address"),
    ("cluster_host_map entry outside the address", {"cluster_host_map": "node1:10.9.9.9"}, "node1",
     codes.ERR_CONFIGURED, "parameter cluster_host_map: node1:10.9.9.9 is not in"),
    ("unreadable datadir", {}, "node1", codes.ERR_PERM, f"is not readable and writable by user {BED_USER}"),
    ("missing check_passwd_file", {"check_passwd_file": "/nonexistent/pw"}, "node1",
     codes.ERR_INSTALLED, "check_passwd_file /nonexistent/pw does not exist"),
    ("binary not installed", {"binary": "/nonexistent/sbin/mariadbd"}, "node1",
     codes.ERR_INSTALLED, "program /nonexistent/sbin/mariadbd not found"),
]
IDS = [case[0] for case in BAD_INPUT]


def _bad_bed(tmp_path, case, params):
    if case == "unreadable datadir" and BED_USER == "root":
        pytest.skip("root without a mysql user: every datadir is usable by the bed's user")
    bed = FakeBed(tmp_path, seqnos=(1, 1, 1), **params)
    if case == "unreadable datadir":
        os.chmod(tmp_path / "node1" / "data", 0)
    return bed


@pytest.mark.parametrize("case,params,node,code,reason", BAD_INPUT, ids=IDS)
def test_bad_input_fails_start_with_its_code_and_one_exit_reason(tmp_path, case, params, node, code, reason):
    res = _bad_bed(tmp_path, case, params).run("start", node, instance=int(node[-1]) - 1)
    assert (res.rc, reason in _one_reason(res)) == (code, True), res.exit_reason


@pytest.mark.parametrize("case,params,node,code,reason", BAD_INPUT, ids=IDS)
def test_bad_input_probe_reports_not_running_or_misconfigured(tmp_path, case, params, node, code, reason):
    res = _bad_bed(tmp_path, case, params).run("monitor", node, instance=int(node[-1]) - 1)
    # a value that can never be valid fails the probe (6); anything missing here is "not running"
    expected = codes.ERR_CONFIGURED if code == codes.ERR_CONFIGURED and "required" not in reason \
        else codes.NOT_RUNNING
    assert res.rc == expected, res.stderr
    _one_reason(res)


@pytest.mark.parametrize("case,params,node,code,reason", BAD_INPUT, ids=IDS)
def test_bad_input_stop_succeeds(tmp_path, case, params, node, code, reason):
    res = _bad_bed(tmp_path, case, params).run("stop", node, instance=int(node[-1]) - 1)
    assert res.rc == codes.SUCCESS, res.stderr
    _one_reason(res)


def test_probe_on_a_node_without_mariadb_installed(tmp_path):
    res = FakeBed(tmp_path, seqnos=(1, 1, 1), binary="/nonexistent/sbin/mariadbd").run("monitor")
    assert res.rc == codes.NOT_RUNNING
    assert "not found" in _one_reason(res)


def test_probe_with_mariadbd_absent_from_path(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(1, 1, 1), binary="mariadbd")
    bed.driver.extra_env["PATH"] = f"{bed.cluster.bin_dir}:/nonexistent/bin"
    bed.driver.inprocess = False            # the agent's own PATH decides
    res = bed.run("monitor")
    assert res.rc == codes.NOT_RUNNING
    assert "mariadbd" in _one_reason(res)


# --- speed: what meta-data and monitor import ----------------------------------------------------------

def _imported(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


HEAVY = ("pymysql", "psutil", "click", "lxml", "pyroute2", "dataclasses", "typing")


def test_meta_data_imports_no_heavy_module():
    mods = _imported("import sys, io; from ocfpy_agents.galera.agent import Galera; "
                     "Galera.run(['galera', 'meta-data'], stdout=io.StringIO()); "
                     f"print(' '.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    assert mods == set()


def test_a_probe_of_a_stopped_node_imports_no_heavy_module(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(1, 1, 1))
    env = bed.driver.environ("monitor", "node1", instance=0)
    code = ("import sys, io; from ocfpy_agents.galera.agent import Galera; "
            f"rc = Galera.run(['galera', 'monitor'], environ={env!r}, stderr=io.StringIO()); "
            "assert rc == 7, rc; "
            f"print(' '.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    assert _imported(code) == set()


# --- the scheduler's extension used here ----------------------------------------------------------------

STATEFUL = Path("/usr/lib/ocf/resource.d/pacemaker/Stateful")


@pytest.mark.skipif(not STATEFUL.exists(), reason="pacemaker's Stateful not installed")
def test_parallel_scheduler_reaches_the_same_roles_as_the_serial_one(tmp_path):
    from ocfpy.testing.scheduler import CloneScheduler

    roles = []
    for parallel in (False, True):
        cluster = FakeCluster.create(tmp_path / f"fake{parallel}", 3)
        driver = Driver(str(STATEFUL), cluster=cluster, resource="st", workdir=tmp_path / f"w{parallel}")
        sched = CloneScheduler(driver, cluster, promotable=True, parallel=parallel)
        sched.start_all()
        assert sched.settle()
        roles.append(sched.roles())
    assert roles[0] == roles[1]
    assert sorted(roles[1].values()) == ["Promoted", "Unpromoted", "Unpromoted"]


# --- a monitor that finds mariadbd dying ------------------------------------------------------

def _galera_agent(action="monitor", timeout_ms="30000"):
    from ocfpy.testing.fake import MemoryCrm
    from ocfpy.environment import Invocation
    from ocfpy_agents.galera.agent import Galera

    env = {"OCF_RESOURCE_INSTANCE": "galera", "OCF_ROOT": "/usr/lib/ocf",
           "OCF_RESKEY_CRM_meta_timeout": timeout_ms, "OCF_RESKEY_CRM_meta_interval": "10000"}
    return Galera(Invocation(action, env, []), crm=MemoryCrm(resource="galera"))


def test_status_query_of_a_dead_mariadbd_stops_waiting_at_once(mocker):
    agent = _galera_agent()
    status = mocker.patch.object(agent, "status", side_effect=server.MysqlError("socket gone"))
    mocker.patch.object(agent, "mysqld_pid", return_value=None)
    assert agent._status_with_grace() == (None, False)
    assert status.call_count == 1      # not retried for MONITOR_GRACE seconds


def test_status_query_of_a_live_but_silent_mariadbd_is_retried(mocker):
    agent = _galera_agent(timeout_ms="4000")   # a short grace keeps the test short
    status = mocker.patch.object(agent, "status", side_effect=server.MysqlError("busy"))
    mocker.patch.object(agent, "mysqld_pid", return_value=4242)
    assert agent._status_with_grace() == (None, False)
    assert status.call_count > 1


# --- files root handles in the mysql user's datadir ------------------------------------------------
# The mysql user owns the datadir: anything it plants there (a symlink, a hard
# link, a FIFO) must not turn the agent's root reads and writes into reads and
# writes of other files.

FAKE_MARIADBD = """#!/bin/sh
# a stand-in for mariadbd: records its environment and groups; --wsrep-recover
# logs a position (or plants a symlink as its log when told to)
for arg in "$@"; do
    case "$arg" in
        --datadir=*) datadir="${arg#--datadir=}" ;;
        --log-error=*) log="${arg#--log-error=}" ;;
        --wsrep-recover) recover=1 ;;
    esac
done
what=start
[ -n "$recover" ] && what=recover
cat /proc/self/environ > "$datadir/env.$what"
id -G > "$datadir/groups.$what"
if [ -n "$recover" ]; then
    if [ -f "$datadir/plant-recover-log" ]; then
        ln -s "$(cat "$datadir/plant-recover-log")" "$log"
    else
        echo "[Note] WSREP: Recovered position: 11111111-2222-3333-4444-555555555555:42" > "$log"
    fi
fi
exit 0
"""

FAKE_INSTALL_DB = """#!/bin/sh
for arg in "$@"; do
    case "$arg" in --datadir=*) datadir="${arg#--datadir=}" ;; esac
done
cat /proc/self/environ > "$datadir/env.install"
mkdir -p "$datadir/mysql"
"""


@pytest.fixture
def fake_base():
    """A base directory other users can traverse (pytest's tmp_path is 0700),
    with a fake mariadbd in sbin/ and a fake mariadb-install-db in bin/."""
    import shutil

    from ocfpy.sandbox.mariadb import make_base_dir

    base = make_base_dir("ocfpy-gfake-")
    for rel, text in (("sbin/mariadbd", FAKE_MARIADBD), ("bin/mariadb-install-db", FAKE_INSTALL_DB)):
        path = base / rel
        path.parent.mkdir(mode=0o755)
        path.write_text(text)
        path.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _root_file(path: Path, text="root only\n") -> Path:
    path.write_text(text)
    os.chown(path, 0, 0)
    os.chmod(path, 0o600)
    return path


def _unchanged(path: Path, text="root only\n"):
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, st.st_mode & 0o7777, path.read_text()) == (0, 0, 0o600, text)


_ROOT_AND_MYSQL = os.geteuid() == 0 and BED_USER == "mysql"
needs_root = pytest.mark.skipif(
    not _ROOT_AND_MYSQL,
    reason="needs root and a mysql user: the attack is the mysql user redirecting root's reads and writes")
needs_root_for_users = pytest.mark.skipif(
    not _ROOT_AND_MYSQL, reason="needs root and a mysql user: runs processes as other users and groups")


@needs_root
def test_a_symlink_planted_as_grastate_dat_ocfpy_does_not_give_the_mysql_user_a_root_file(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(7, 7, 7))
    _start_all(bed, ["node1", "node2", "node3"])
    assert bed.scores() == {"node1": 100}
    datadir = tmp_path / "node1" / "data"
    grastate = datadir / "grastate.dat"
    mysql_pw = pwd.getpwnam("mysql")
    os.chown(grastate, mysql_pw.pw_uid, mysql_pw.pw_gid)        # as mariadbd leaves it
    os.chmod(grastate, 0o660)
    secret = _root_file(tmp_path / "root-secret")
    (datadir / "grastate.dat.ocfpy").symlink_to(secret)      # planted by the mysql user
    bed.run("promote", "node1", instance=0, timeout=20)       # bootstraps; /bin/true exits at once
    assert _unchanged(secret), os.stat(secret)
    st = os.lstat(grastate)
    assert grastate.is_file() and not grastate.is_symlink()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (mysql_pw.pw_uid, mysql_pw.pw_gid, 0o660)
    assert wsrep.parse_grastate(grastate.read_text()).safe_to_bootstrap


ROOT_GRASTATE = "uuid: 99999999-dead-beef-0000-000000000000\nseqno: 9\nsafe_to_bootstrap: 0\n"


def _plant(datadir: Path, kind: str, target: Path):
    grastate = datadir / "grastate.dat"
    grastate.unlink()
    if kind == "symlink":
        grastate.symlink_to(target)
    elif kind == "hard link":
        os.link(target, grastate)
    else:
        os.mkfifo(grastate)


@needs_root
@pytest.mark.parametrize("kind", ["symlink", "hard link", "fifo"])
def test_a_grastate_dat_planted_as_a_link_to_a_root_file_is_refused_by_start(tmp_path, kind):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3))
    bed.driver.inprocess = False                 # a FIFO would hang the test, not just the agent
    secret = _root_file(tmp_path / "root-secret", ROOT_GRASTATE)
    _plant(tmp_path / "node1" / "data", kind, secret)
    res = bed.run("start", "node1", instance=0, timeout=10)
    assert not res.timed_out
    assert res.rc == codes.ERR_GENERIC, res.stderr
    assert "grastate.dat" in _one_reason(res) and "refusing" in res.exit_reason
    assert bed.attr("node1", "uuid") is None              # nothing of the root file published
    assert _unchanged(secret, ROOT_GRASTATE)


@needs_root
@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_a_grastate_dat_swapped_for_a_link_before_a_bootstrap_is_neither_read_nor_replaced(tmp_path, kind):
    bed = FakeBed(tmp_path, seqnos=(7, 7, 7))
    _start_all(bed, ["node1", "node2", "node3"])
    datadir = tmp_path / "node1" / "data"
    secret = _root_file(tmp_path / "root-secret", ROOT_GRASTATE)
    _plant(datadir, kind, secret)
    res = bed.run("promote", "node1", instance=0, timeout=20)
    assert res.rc == codes.ERR_GENERIC, res.stderr
    assert "grastate.dat" in _one_reason(res) and "refusing" in res.exit_reason
    assert _unchanged(secret, ROOT_GRASTATE)
    grastate = datadir / "grastate.dat"
    if kind == "hard link":
        assert os.lstat(grastate).st_ino == os.stat(secret).st_ino     # not replaced by a copy
    else:
        assert grastate.is_symlink()


@needs_root
def test_a_symlink_planted_as_the_recover_log_is_not_read_as_root(fake_base):
    bed = FakeBed(fake_base, seqnos=(-1, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"))
    datadir = fake_base / "node1" / "data"
    (datadir / "ibdata1").write_bytes(b"")          # data present: the position must be recovered
    secret = _root_file(fake_base / "root-secret",
                        "[Note] WSREP: Recovered position: 99999999-dead-beef-0000-000000000000:99\n")
    (datadir / "plant-recover-log").write_text(str(secret))
    res = bed.run("start", "node1", instance=0)
    assert res.rc == codes.ERR_GENERIC, res.stderr
    assert "ocfpy-wsrep-recover.log is a symlink: refusing" in _one_reason(res)
    assert bed.attr("node1", "last-committed") is None


def test_a_recovered_position_is_read_from_the_log_mariadbd_wrote(fake_base):
    bed = FakeBed(fake_base, seqnos=(-1, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"))
    datadir = fake_base / "node1" / "data"
    (datadir / "ibdata1").write_bytes(b"")
    res = bed.run("start", "node1", instance=0)
    assert res.rc == 0, res.stderr
    assert bed.attr("node1", "last-committed") == "42"
    assert not (datadir / "ocfpy-wsrep-recover.log").exists()


@needs_root
def test_a_new_directory_swapped_for_a_symlink_is_not_handed_to_the_mysql_user(tmp_path, monkeypatch):
    piddir = tmp_path / "node1" / "data" / "run"      # inside a directory the mysql user owns
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3))
    bed.driver.node_params["node1"]["pid"] = str(piddir / "m.pid")
    rootdir = tmp_path / "root-dir"
    rootdir.mkdir(mode=0o700)
    real_mkdir = os.mkdir

    def mkdir_then_swap(path, *args, **kw):
        real_mkdir(path, *args, **kw)
        if os.fspath(path) == piddir.name and not piddir.is_symlink():   # the mysql user wins the race
            os.rename(piddir, tmp_path / "moved-away")
            piddir.symlink_to(rootdir)

    monkeypatch.setattr(os, "mkdir", mkdir_then_swap)
    res = bed.run("start", "node1", instance=0)
    monkeypatch.undo()
    st = os.stat(rootdir)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o700)
    assert res.rc == codes.ERR_GENERIC, res.stderr
    assert "symlink" in _one_reason(res)


# --- what mariadbd and its helpers inherit --------------------------------------------------------

def _environ_of(path: Path) -> dict:
    return dict(item.split("=", 1) for item in path.read_text().split("\0") if "=" in item)


def test_mariadbd_its_recovery_and_install_db_never_see_the_agents_parameters(fake_base):
    """Pacemaker gives the agent every parameter, the check password too, as
    OCF_RESKEY_*; none of it may reach /proc/PID/environ of the children."""
    secret = "s3cret-check-pw"
    bed = FakeBed(fake_base, seqnos=(-1,), nodes=1, binary=str(fake_base / "sbin" / "mariadbd"),
                  enable_creation="true", check_passwd=secret)
    bed.driver.inprocess = False                   # the agent's own environment is Pacemaker's
    datadir = fake_base / "node1" / "data"
    (datadir / "ibdata1").write_bytes(b"")         # data present: --wsrep-recover runs
    assert bed.run("start", "node1", instance=0).rc == 0
    bed.run("promote", "node1", instance=0, timeout=20)   # the fake mariadbd exits: promote fails
    for what in ("install", "recover", "start"):
        path = datadir / f"env.{what}"
        assert path.exists(), f"{what} did not run"
        text = path.read_text()
        env = _environ_of(path)
        assert secret not in text, what
        assert not [k for k in env if k.startswith("OCF_")], (what, sorted(env))
        assert "PATH" in env, what


@needs_root_for_users
def test_mariadbd_recovery_runs_with_every_group_of_the_user(fake_base, monkeypatch):
    import grp

    extra = grp.struct_group(("ocfpy-test-extra", "x", 64999, ["mysql"]))
    real_getgrall = grp.getgrall
    monkeypatch.setattr(grp, "getgrall", lambda: real_getgrall() + [extra])
    bed = FakeBed(fake_base, seqnos=(-1, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"))
    datadir = fake_base / "node1" / "data"
    (datadir / "ibdata1").write_bytes(b"")
    assert bed.run("start", "node1", instance=0).rc == 0
    groups = set(map(int, (datadir / "groups.recover").read_text().split()))
    assert groups == {pwd.getpwnam("mysql").pw_gid, 64999}


# --- the check password --------------------------------------------------------------------------

NON_LATIN1_PW = "pässwörd-€-密码"


def test_a_password_outside_latin1_goes_to_the_server_not_into_an_encoding_error(tmp_path):
    with pytest.raises(server.UnreachableError):           # nothing listens: the client got that far
        server.query_status(str(tmp_path / "no.sock"), "check", NON_LATIN1_PW, timeout=1)


def test_a_password_that_was_not_utf8_goes_as_its_original_bytes():
    raw = b"pw-\xe9\xff"
    assert server._wire(raw.decode("utf-8", "surrogateescape")) == raw
    assert server._wire(NON_LATIN1_PW) == NON_LATIN1_PW.encode("utf-8")


def _running_monitor(bed, mocker, **params):
    """A promoted monitor on node1 that finds "its" mariadbd running (none answers)."""
    from ocfpy_agents.galera.agent import Galera

    mocker.patch.object(Galera, "mysqld_pid", return_value=os.getpid())
    return bed.run("monitor", "node1", instance=0, interval=10, timeout=4,
                   meta={"role": "Promoted"}, params=params)


def _no_piece_of(secret: str, text: str):
    for piece in [secret, *(c for c in secret if not c.isascii()), "\\u20ac", "\\xe4"]:
        assert piece not in text, piece


def test_a_check_password_outside_latin1_never_shows_where_its_odd_character_is(tmp_path, mocker):
    bed = FakeBed(tmp_path, seqnos=(1, 1, 1))
    res = _running_monitor(bed, mocker, check_passwd=NON_LATIN1_PW)
    reason = _one_reason(res)
    assert "Unicode" not in reason and "codec" not in reason and "position" not in reason, reason
    assert reason == "mariadbd does not answer"
    _no_piece_of(NON_LATIN1_PW, res.stderr + bed.log.read_text())


@pytest.mark.parametrize("content,why", [
    (b"p\xe9ss-w\xf6rd\n", "not UTF-8 text"),
    (b"[client]\nuser = check\npassword = \xff\xfe-secret\n", "not UTF-8 text"),
    (b"x" * (64 * 1024 + 1), "larger than 64 KiB"),
], ids=["latin-1 password", "binary in a [client] file", "huge file"])
def test_a_check_passwd_file_that_cannot_be_a_password_file_is_a_configuration_error(
        tmp_path, mocker, content, why):
    pwfile = tmp_path / "check.pw"
    pwfile.write_bytes(content)
    pwfile.chmod(0o600)
    bed = FakeBed(tmp_path, seqnos=(1, 1, 1), check_passwd_file=str(pwfile))
    for res in (_running_monitor(bed, mocker), bed.run("start", "node1", instance=0)):
        assert res.rc == codes.ERR_CONFIGURED, res.stderr
        reason = _one_reason(res)
        assert reason == f"check_passwd_file {pwfile}: {why} (a password file, or a [client] section)"
        for shown in ("0xe9", "xe9", "\\xe9", "0xff", "position", "codec"):
            assert shown not in res.stderr, shown


@pytest.mark.parametrize("text,values", [
    ("plain-pw\n", ["plain-pw"]),
    ("[client]\nuser = chk\npassword = 'q pw'\n", ["q pw", "chk"]),
    ('MYSQL_USERNAME="u1"\nMYSQL_PASSWORD="p1"\n', ["p1", "u1"]),
])
def test_every_value_read_from_a_password_file_is_hidden_before_it_is_returned(tmp_path, text, values):
    path = tmp_path / "pw"
    path.write_text(text)
    seen = []
    assert set(server.read_credentials(str(path), hide=seen.append)) - {None} == set(values)
    assert seen == values


# --- parameters that cannot work, and processes that are not ours ------------------------------------

@pytest.mark.parametrize("value,why", [("--wsrep-sst-method='rsync", "No closing quotation"),
                                       ('--log-bin="x', "No closing quotation"),
                                       ("--x=a\\", "No escaped character")])
def test_additional_parameters_that_do_not_split_fail_validation_not_the_promote(tmp_path, value, why):
    bed = FakeBed(tmp_path, seqnos=(7, 7, 7), additional_parameters=value)
    res = bed.run("validate-all", "node1", instance=0)
    assert res.rc == codes.ERR_CONFIGURED, res.stderr
    assert _one_reason(res) == (f"parameter additional_parameters: {why} "
                                "(the value is split like a shell would)")
    assert bed.run("start", "node1", instance=0).rc == codes.ERR_CONFIGURED


def _impostor(datadir: Path, user="nobody"):
    """A process of ``user`` that looks like mariadbd of ``datadir``: argv[0]
    is "mariadbd" and --datadir= is among its arguments."""
    pw = pwd.getpwnam(user)
    return subprocess.Popen(["mariadbd", "-c", "import time; time.sleep(120)", f"--datadir={datadir}"],
                            executable=os.path.realpath(sys.executable), user=pw.pw_uid,
                            group=pw.pw_gid, extra_groups=[], cwd="/", stdin=subprocess.DEVNULL)


@needs_root_for_users
@pytest.mark.parametrize("action", ["start", "stop"])
def test_a_look_alike_mariadbd_of_another_user_is_neither_refused_nor_signalled(fake_base, action):
    bed = FakeBed(fake_base, seqnos=(3, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"))
    impostor = _impostor(fake_base / "node1" / "data")
    try:
        time.sleep(0.3)
        assert impostor.poll() is None
        (fake_base / "node1" / "m.pid").write_text(f"{impostor.pid}\n")   # the pid file points at it
        res = bed.run(action, "node1", instance=0)
        assert res.rc == codes.SUCCESS, res.exit_reason      # start: not "already running"
        time.sleep(0.3)
        assert impostor.poll() is None, "a process of another user was signalled"
    finally:
        impostor.kill()
        impostor.wait()


@needs_root_for_users
def test_a_mariadbd_of_the_user_on_this_datadir_is_still_recognised(fake_base):
    bed = FakeBed(fake_base, seqnos=(3, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"))
    ours = _impostor(fake_base / "node1" / "data", user="mysql")
    try:
        time.sleep(0.3)
        (fake_base / "node1" / "m.pid").write_text(f"{ours.pid}\n")
        res = bed.run("start", "node1", instance=0)
        assert res.rc == codes.ERR_GENERIC and "already running" in res.exit_reason
        assert bed.run("stop", "node1", instance=0).rc == codes.SUCCESS
        assert ours.wait(timeout=10) is not None
    finally:
        ours.kill()
        ours.wait()


def test_a_pid_file_the_mysql_user_replaced_by_a_fifo_does_not_hang_the_monitor(tmp_path):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3))
    bed.driver.inprocess = False              # a hang must end in the driver's timeout, not the test's
    os.mkfifo(tmp_path / "node1" / "m.pid")   # mariadbd's pid file: in the mysql user's directory
    res = bed.run("monitor", "node1", instance=0, timeout=10)
    assert not res.timed_out
    assert res.rc == codes.NOT_RUNNING, res.stderr


# --- malformed values of any parameter --------------------------------------------------------------

NOT_UTF8 = b"\xe9\xff".decode("utf-8", "surrogateescape")    # what os.environ makes of such bytes
PATH_PARAMS = {"binary", "config", "datadir", "log", "pid", "socket", "check_passwd_file"}
WEIRD = ("not UTF-8", "huge", "empty", "control characters")


def _weird(name, kind):
    lead = "/" if name in PATH_PARAMS else ""
    return {"not UTF-8": f"{lead}v{NOT_UTF8}x", "huge": lead + "x" * 20_000, "empty": "",
            "control characters": f"{lead}a\nb\tc\x01"}[kind]


LIFE_CYCLE = [("validate-all", {}), ("start", {}), ("monitor", {}),
              ("monitor", {"interval": 30, "meta": {"role": "Unpromoted"}}), ("promote", {"timeout": 2}),
              ("monitor", {"interval": 20, "meta": {"role": "Promoted"}}), ("demote", {}), ("stop", {})]


def _galera_parameters():
    from ocfpy_agents.galera.agent import Galera

    return [p.name for p in Galera.parameter_list()]


@pytest.mark.parametrize("kind", WEIRD)
@pytest.mark.parametrize("name", _galera_parameters())
def test_a_malformed_value_of_any_parameter_gives_a_short_reason_never_a_traceback(tmp_path, name, kind):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3), safe=(1, 0, 0))     # node1 bootstraps: mariadbd is started
    for action, kw in LIFE_CYCLE:
        res = bed.run(action, "node1", instance=0, params={name: _weird(name, kind)}, **kw)
        reason = res.exit_reason or ""
        assert "Traceback" not in res.stderr and "unexpected" not in reason, (action, reason)
        assert res.stderr.count("ocf-exit-reason:") <= 1, action
        assert len(reason) < 600, (action, reason[:200])


@pytest.mark.parametrize("host", [f"h{NOT_UTF8}", "x" * 64, "a b"],
                         ids=["not UTF-8", "a 64-character label", "a space"])
def test_a_gcomm_host_no_resolver_takes_is_refused_by_validation_not_by_a_crash(tmp_path, host):
    bed = FakeBed(tmp_path, seqnos=(3, 3, 3))
    p1, p3 = bed.ports[0], bed.ports[2]
    params = {"wsrep_cluster_address": f"gcomm://127.0.0.1:{p1},{host},127.0.0.1:{p3}",
              "cluster_host_map": f"node1:127.0.0.1:{p1};node2:{host};node3:127.0.0.1:{p3}"}
    bed.cluster.set_attr("node2", "galera-primary", "some-uuid")     # start tries to reach node2
    res = bed.run("start", "node1", instance=0, params=params)
    assert res.rc == codes.ERR_CONFIGURED, res.stderr
    assert _one_reason(res).startswith("parameter wsrep_cluster_address:")


@pytest.mark.parametrize("name", ["user", "group", "check_user"])
def test_an_empty_user_group_or_check_user_is_a_configuration_error(tmp_path, name):
    res = FakeBed(tmp_path, seqnos=(3, 3, 3)).run("start", "node1", instance=0, params={name: ""})
    assert res.rc == codes.ERR_CONFIGURED, res.stderr
    assert _one_reason(res) == f"parameter {name}: '' must not be empty"


@pytest.mark.parametrize("name", ["my data", "data*", "d[1]"])
def test_install_db_never_gets_a_datadir_it_would_split_or_glob_as_root(fake_base, name):
    """mariadb-install-db runs "chown $user $dir" unquoted, as root."""
    bed = FakeBed(fake_base, seqnos=(3, 3, 3), binary=str(fake_base / "sbin" / "mariadbd"),
                  enable_creation="true")
    datadir = fake_base / "node1" / name
    _bed_owned(datadir)
    res = bed.run("start", "node1", instance=0, params={"datadir": str(datadir)})
    assert res.rc == codes.ERR_CONFIGURED, res.stderr
    assert "cannot create a datadir whose path holds spaces" in _one_reason(res)
    assert not (datadir / "env.install").exists()


# --- the family's helpers ---------------------------------------------------------------------------

def test_a_saved_position_reads_back_and_a_garbled_one_reads_as_none(tmp_path):
    from ocfpy_agents.galera import notes

    path = str(tmp_path / "g.state")
    notes.save_position(path, wsrep.GraState("u-1", 42, True), False)
    assert notes.saved_position(path) == (wsrep.GraState("u-1", 42, True), False)
    Path(path).write_text("u-1 lots 1 0\n")
    assert notes.saved_position(path) is None


def test_a_primary_note_is_fresh_for_its_uuid_only_and_until_it_is_old(tmp_path):
    from ocfpy_agents.galera import notes

    path = str(tmp_path / "g.primary")
    assert not notes.primary_noted(path, "u-1", 60.0)
    notes.note_primary(path, "u-1")
    assert Path(path).read_text().split()[0] == "u-1"
    Path(path).write_text(f"u-1 {time.time() - 5:.0f}\n")     # whole seconds: may round up
    assert notes.primary_noted(path, "u-1", 60.0)
    assert not notes.primary_noted(path, "u-2", 60.0)
    Path(path).write_text(f"u-1 {time.time() - 120:.0f}\n")
    assert not notes.primary_noted(path, "u-1", 60.0)


def test_a_gcomm_port_answers_only_while_something_listens():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert server.port_open("127.0.0.1", port, timeout=1.0)
    assert not server.port_open("127.0.0.1", port, timeout=1.0)
