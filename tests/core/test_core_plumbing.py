"""The plumbing every agent shares (issue 12): resource-scoped node
attributes with a per-call error policy, the stop-path policy, mandatory
actions checked when the class is created, one /proc/PID/stat reader."""

import os
import subprocess

import pytest

from core_helpers import run_agent
from core_sample_agents import Idle
from ocfpy import codes, process
from ocfpy.agent import Action, Agent
from ocfpy.crm import CrmError, ResourceAttributes
from ocfpy.testing.fake import MemoryCrm
from ocfpy.errors import OCFError
from ocfpy.log import Log
from ocfpy.parameters import Path, String


class FailingCrm(MemoryCrm):
    def get_attr(self, *args, **kwargs):
        raise CrmError(["crm_attribute"], 102, "no cluster")

    set_attr = delete_attr = get_attr


def test_attributes_are_named_after_the_resource():
    crm = MemoryCrm(resource="galera")
    attrs = ResourceAttributes(crm, "galera")
    attrs.set("last-committed", 42)
    assert crm.get_attr("galera-last-committed") == "42"
    assert attrs.get("last-committed") == "42"
    attrs.delete("last-committed")
    assert attrs.get("last-committed") is None


def test_a_failing_read_is_tolerated_and_logged_unless_required(tmp_path):
    log = Log("t", logfile=str(tmp_path / "log"))
    attrs = ResourceAttributes(FailingCrm(), "galera", log)
    assert attrs.get("uuid", node="node2") is None
    assert "cannot read galera-uuid of node2" in (tmp_path / "log").read_text()
    with pytest.raises(OCFError) as err:
        attrs.get("uuid", required=True)
    assert err.value.code == codes.ERR_GENERIC


def test_a_failing_write_ends_the_action_by_default_and_can_be_tolerated():
    attrs = ResourceAttributes(FailingCrm(), "vip")
    with pytest.raises(OCFError):
        attrs.set("gw-ok", 1)
    assert attrs.set("gw-ok", 1, required=False) is False
    assert attrs.delete("gw-ok") is False


def test_an_agent_without_stop_is_refused_when_its_class_is_created():
    with pytest.raises(TypeError, match="stop"):
        class NoStop(Agent):     # noqa: F841 - the class statement is the test
            name = "nostop"
            actions = (Action("start"), Action("monitor", interval=10))

            def start(self):
                pass

            def monitor(self):
                return codes.NOT_RUNNING


def test_a_declared_action_without_its_method_is_refused():
    with pytest.raises(TypeError, match="promote"):
        class NoPromote(Idle):  # noqa: F841
            name = "nopromote"
            actions = (Action("start"), Action("stop"), Action("monitor"), Action("promote"))


class Leftover(Idle):
    """Its configuration no longer validates, but a daemon of it may still run."""

    name = "leftover"
    actions = (Action("start"), Action("stop"), Action("monitor", interval=10))
    marker = Path("marker", required=True)
    mode = String("mode", required=True)
    stopped = []

    def stop_unvalidated(self, error):
        Leftover.stopped.append((self.values.get("marker"), error.reason))


def test_stop_with_a_broken_configuration_still_stops_what_runs_then_answers_0(tmp_path):
    Leftover.stopped.clear()
    res = run_agent(Leftover, "stop", params={"marker": tmp_path / "m"})   # mode missing
    assert res.rc == 0 and len(res.reasons) == 1
    assert Leftover.stopped and "mode" in Leftover.stopped[0][1]


def test_the_agent_knows_its_node_from_pacemaker_or_crm_node():
    inv_env = {"OCF_RESKEY_CRM_meta_on_node": "ctl2"}
    res = run_agent(Leftover, "monitor", params={"marker": "/x", "mode": "a"}, meta={"interval": 0})
    assert res.rc == codes.NOT_RUNNING
    from ocfpy.environment import Invocation
    agent = Leftover(Invocation("monitor", inv_env), crm=MemoryCrm(node="other"))
    assert agent.node == "ctl2"
    agent = Leftover(Invocation("monitor", {}), crm=MemoryCrm(node="ctl3"))
    assert agent.node == "ctl3"


def test_one_stat_reader_sees_a_childs_parent_state_and_start_time():
    child = subprocess.Popen(["sleep", "5"])
    try:
        st = process.read_stat(child.pid)
        assert (st.ppid, st.state in "RS", st.start_time > 0) == (os.getpid(), True, True)
        assert process.descendants(os.getpid()).count(child.pid) == 1
    finally:
        child.kill()
        child.wait()
    assert process.read_stat(child.pid) is None and not process.alive(child.pid)


def test_a_command_name_with_a_parenthesis_and_spaces_is_parsed(tmp_path):
    script = tmp_path / "a) b"
    script.write_text("#!/bin/sh\nsleep 5\n")
    script.chmod(0o755)
    child = subprocess.Popen([str(script)])
    try:
        assert process.read_stat(child.pid).ppid == os.getpid()
    finally:
        child.kill()
        child.wait()


def test_a_child_run_as_a_user_gets_all_its_groups_and_none_of_roots():
    if os.geteuid() != 0:
        pytest.skip("needs root to run a child as another user")
    import pwd
    user = pwd.getpwnam("nobody")
    out = subprocess.run(["id", "-G"], capture_output=True, text=True,
                         **process.as_user_kwargs("nobody")).stdout.split()
    assert "0" not in out and str(user.pw_gid) in out


def test_a_child_run_with_run_as_kwargs_gets_the_users_identity_and_only_the_given_environment():
    if os.geteuid() != 0:
        assert process.run_as_kwargs("nobody", {"PATH": "/bin"}) == {"env": {"PATH": "/bin"}}
        return
    import pwd
    user = pwd.getpwnam("nobody")
    out = subprocess.run(["sh", "-c", 'id -u; echo "$HOME $USER $LOGNAME $OCF_RESKEY_x"'],
                         capture_output=True, text=True,
                         **process.run_as_kwargs("nobody", {"PATH": "/bin:/usr/bin"})).stdout.split("\n")
    assert out[:2] == [str(user.pw_uid), f"{user.pw_dir} nobody nobody "]


def test_the_proc_reader_agrees_with_psutil_on_every_process_here():
    # the monitor path reads /proc itself (psutil costs ~30 ms to import);
    # psutil, used off that path, is the reference it is checked against
    import psutil

    compared = 0
    for proc in psutil.process_iter(["pid", "ppid", "create_time", "uids"]):
        st = process.read_stat(proc.info["pid"])
        if st is None:        # gone in between
            continue
        assert st.ppid == proc.info["ppid"]
        boot = psutil.boot_time()
        ticks = os.sysconf("SC_CLK_TCK")
        assert abs(boot + st.start_time / ticks - proc.info["create_time"]) < 1.0
        name = process.owner(proc.info["pid"])
        if name is not None:
            import pwd
            try:
                expected = pwd.getpwuid(proc.info["uids"].real).pw_name
            except KeyError:
                expected = str(proc.info["uids"].real)
            assert name == expected
        compared += 1
    assert compared > 5


def test_a_process_record_names_one_process_and_survives_a_parameter_change(tmp_path):
    child = subprocess.Popen(["sleep", "30"])
    try:
        path = str(tmp_path / "r.process")
        process.ProcessRecord.write(path, child.pid, ["sleep", "30"], pidfile="/run/x.pid")
        rec = process.ProcessRecord.read(path)
        assert rec.same_process() and rec.runs_as_recorded() and rec.pidfile == "/run/x.pid"
        assert not rec.runs_as_recorded(lambda actual, recorded: actual == ["sleep", "31"])
    finally:
        child.kill()
        child.wait()
    assert not rec.same_process()


def test_a_record_others_could_write_or_reached_through_a_link_is_ignored(tmp_path):
    path = tmp_path / "r.process"
    process.ProcessRecord.write(str(path), os.getpid(), ["python"])
    os.chmod(path, 0o666)
    assert process.ProcessRecord.read(str(path)) is None
    os.chmod(path, 0o600)
    (tmp_path / "link").symlink_to(path)
    assert process.ProcessRecord.read(str(tmp_path / "link")) is None
    assert process.ProcessRecord.read(str(path)).pid == os.getpid()
