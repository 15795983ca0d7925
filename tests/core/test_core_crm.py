"""crm helpers: MemoryCrm, and ToolsCrm against fake crm_attribute/crm_master/crm_node
scripts that record the exact argv they were run with."""

import os
import time

import pytest

from core_helpers import clean_environ, run_agent
from ocfpy.crm import FOREVER, REBOOT, CrmError, ToolsCrm, promotion_attribute
from ocfpy.testing.fake import MemoryCrm
from ocfpy.deadline import Deadline
from ocfpy_agents.stateful import Stateful

SEP = "\x1f"

FAKE = r"""#!/bin/sh
# records its argv, then behaves as OCFPY_FAKE_* variables say (the crm backend passes those on)
{ printf '%s' "$(basename "$0")"; for a in "$@"; do printf '\037%s' "$a"; done; printf '\n'; } >> "$OCFPY_FAKE_LOG"
name=$(basename "$0")
if [ "$name" = crm_attribute ] && [ -n "$OCFPY_FAKE_NO_PROMOTION" ]; then
    for a in "$@"; do
        if [ "$a" = --promotion ]; then
            echo "crm_attribute: unrecognized option '--promotion'" >&2
            exit 64
        fi
    done
fi
if [ -n "$OCFPY_FAKE_SLEEP" ]; then sleep "$OCFPY_FAKE_SLEEP"; fi
if [ "$name" = crm_node ]; then echo "${OCFPY_FAKE_NODE:-node1}"; exit 0; fi
if [ -n "$OCFPY_FAKE_STDOUT" ]; then echo "$OCFPY_FAKE_STDOUT"; fi
if [ -n "$OCFPY_FAKE_STDERR" ]; then echo "$OCFPY_FAKE_STDERR" >&2; fi
exit "${OCFPY_FAKE_RC:-0}"
"""


class FakeTools:
    def __init__(self, tmp_path):
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.log = tmp_path / "calls.log"
        for name in ("crm_attribute", "crm_master", "crm_node"):
            path = self.bin / name
            path.write_text(FAKE)
            path.chmod(0o755)
        self.env = clean_environ(PATH=f"{self.bin}:/usr/bin:/bin", OCFPY_FAKE_LOG=self.log)

    def crm(self, resource="rsc", node="node1", **fake):
        env = dict(self.env)
        env.update({f"OCFPY_FAKE_{k.upper()}": str(v) for k, v in fake.items()})
        return ToolsCrm(resource=resource, node=node, environ=env)

    @property
    def calls(self):
        if not self.log.exists():
            return []
        return [line.split(SEP) for line in self.log.read_text().splitlines()]


@pytest.fixture
def tools(tmp_path):
    return FakeTools(tmp_path)


def test_get_attr_runs_crm_attribute_query_for_the_node(tools):
    crm = tools.crm(stdout="42")
    assert crm.get_attr("last-committed") == "42"
    assert tools.calls == [["crm_attribute", "-N", "node1", "-l", "reboot", "-n", "last-committed",
                            "-G", "-q"]]


def test_get_attr_of_another_node_and_permanent_lifetime(tools):
    tools.crm(stdout="x").get_attr("a", node="node3", lifetime=FOREVER)
    assert tools.calls == [["crm_attribute", "-N", "node3", "-l", "forever", "-n", "a", "-G", "-q"]]


@pytest.mark.parametrize("rc", [6, 105])
def test_get_attr_of_a_missing_attribute_is_none(tools, rc):
    assert tools.crm(rc=rc, stderr="not found").get_attr("a") is None


def test_get_attr_printing_null_is_none(tools):
    assert tools.crm(stdout="(null)").get_attr("a") is None


def test_set_attr_argv(tools):
    tools.crm().set_attr("a", 7, lifetime=REBOOT)
    assert tools.calls == [["crm_attribute", "-N", "node1", "-l", "reboot", "-n", "a", "-v", "7"]]


def test_delete_attr_argv_and_missing_is_fine(tools):
    tools.crm(rc=105).delete_attr("a", node="n2", lifetime=FOREVER)
    assert tools.calls == [["crm_attribute", "-N", "n2", "-l", "forever", "-n", "a", "-D"]]


def test_a_failing_tool_raises_crm_error_with_code_and_stderr(tools):
    with pytest.raises(CrmError) as info:
        tools.crm(rc=102, stderr="Could not connect to the CIB").set_attr("a", 1)
    assert info.value.returncode == 102
    assert "Could not connect" in info.value.stderr
    assert info.value.argv[0] == "crm_attribute"


def test_a_missing_tool_raises_crm_error_127(tmp_path):
    crm = ToolsCrm(resource="r", node="n1", environ=clean_environ(PATH=str(tmp_path)))
    with pytest.raises(CrmError) as info:
        crm.set_attr("a", 1)
    assert info.value.returncode == 127


def test_node_name_asks_crm_node_once(tools):
    crm = ToolsCrm(resource="rsc", environ={**tools.env, "OCFPY_FAKE_NODE": "nodeX"})
    assert crm.node_name() == "nodeX"
    crm.set_attr("a", 1)
    assert tools.calls == [["crm_node", "-n"],
                           ["crm_attribute", "-N", "nodeX", "-l", "reboot", "-n", "a", "-v", "1"]]


def test_set_promotion_uses_crm_attribute_promotion(tools):
    tools.crm().set_promotion(10)
    assert tools.calls == [["crm_attribute", "--promotion", "-N", "node1", "-v", "10"]]


def test_get_and_delete_promotion_argv(tools):
    crm = tools.crm(stdout="5")
    assert crm.get_promotion() == 5
    crm.delete_promotion()
    assert tools.calls == [["crm_attribute", "--promotion", "-N", "node1", "-G", "-q"],
                           ["crm_attribute", "--promotion", "-N", "node1", "-D"]]


def test_promotion_falls_back_to_crm_master_when_promotion_is_unknown(tools):
    crm = tools.crm(no_promotion=1)
    crm.set_promotion(10)
    assert tools.calls == [["crm_attribute", "--promotion", "-N", "node1", "-v", "10"],
                           ["crm_master", "-l", "reboot", "-N", "node1", "-v", "10"]]


def test_after_one_fallback_crm_master_is_used_directly(tools):
    crm = tools.crm(no_promotion=1)
    crm.set_promotion(10)
    crm.delete_promotion()
    assert tools.calls[2:] == [["crm_master", "-l", "reboot", "-N", "node1", "-D"]]


def test_tools_get_the_resource_instance_in_their_environment(tools, tmp_path):
    out = tmp_path / "env.txt"
    script = tools.bin / "crm_attribute"
    script.write_text(f'#!/bin/sh\necho "$OCF_RESOURCE_INSTANCE" > {out}\n')
    tools.crm(resource="p_db").set_promotion(1)
    assert out.read_text().strip() == "p_db"


def test_a_hanging_tool_is_stopped_at_the_deadline(tools):
    crm = tools.crm(sleep=30)
    crm.deadline = Deadline.after(0.5)
    t0 = time.monotonic()
    with pytest.raises(CrmError) as info:
        crm.set_attr("a", 1)
    assert time.monotonic() - t0 < 0.5 + 1.0
    assert info.value.returncode == -9


@pytest.mark.parametrize("resource, attribute", [("p_db", "master-p_db"),
                                                 ("p_db:2", "master-p_db"),
                                                 ("a:b", "master-a:b")])
def test_promotion_attribute_drops_the_clone_suffix(resource, attribute):
    assert promotion_attribute(resource) == attribute


def test_memory_crm_shares_a_store_between_nodes():
    store = {}
    a, b = MemoryCrm("node1", "rsc:0", store), MemoryCrm("node2", "rsc:1", store)
    a.set_attr("x", 1)
    b.set_attr("x", 2, lifetime=FOREVER)
    assert b.get_attr("x", node="node1") == "1"
    assert a.get_attr("x", node="node2") is None
    assert a.get_attr("x", node="node2", lifetime=FOREVER) == "2"


def test_memory_crm_promotion_scores_use_the_master_attribute():
    crm = MemoryCrm("node1", "rsc:3")
    crm.set_promotion(100)
    assert crm.store == {("node1", REBOOT, "master-rsc"): "100"}
    assert crm.get_promotion() == 100
    crm.delete_promotion()
    assert crm.get_promotion() is None


def test_memory_crm_records_calls():
    crm = MemoryCrm("n1", "r")
    crm.node_name()
    crm.set_attr("a", "v")
    crm.delete_attr("a")
    assert crm.calls == [("node_name", "n1"), ("set_attr", "n1", REBOOT, "a", "v"),
                         ("delete_attr", "n1", REBOOT, "a")]


def test_stateful_start_sets_the_unpromoted_score(tmp_path):
    crm = MemoryCrm("node1", "st")
    res = run_agent(Stateful, "start", params={"state": tmp_path / "st"}, crm=crm)
    assert res.rc == 0
    assert crm.get_promotion() == 5


def test_stateful_promote_sets_the_promoted_score_and_monitor_answers_8(tmp_path):
    crm = MemoryCrm("node1", "st")
    params = {"state": tmp_path / "st"}
    assert run_agent(Stateful, "start", params=params, crm=crm).rc == 0
    assert run_agent(Stateful, "promote", params=params, crm=crm).rc == 0
    assert crm.get_promotion() == 10
    assert run_agent(Stateful, "monitor", params=params, meta={"interval": "10000"}, crm=crm).rc == 8


def test_stateful_stop_clears_the_score(tmp_path):
    crm = MemoryCrm("node1", "st")
    params = {"state": tmp_path / "st"}
    run_agent(Stateful, "start", params=params, crm=crm)
    assert run_agent(Stateful, "stop", params=params, crm=crm).rc == 0
    assert crm.get_promotion() is None


def test_promotion_failure_outside_a_cluster_is_logged_not_fatal(tools, tmp_path):
    logfile = tmp_path / "ha.log"
    crm = tools.crm(rc=102, stderr="Could not connect to the CIB")
    res = run_agent(Stateful, "start", params={"state": tmp_path / "st"}, crm=crm,
                    env={"HA_LOGFILE": logfile})
    assert res.rc == 0
    assert "could not set the promotion score" in logfile.read_text()


def test_agent_default_crm_runs_the_tools_for_its_resource(tools, tmp_path):
    # no crm given: the agent builds a ToolsCrm itself, found on PATH
    from core_sample_agents import Basic
    from ocfpy.environment import Invocation

    env = {**tools.env, "OCF_RESOURCE_INSTANCE": "p:1", "OCF_RESKEY_CRM_meta_on_node": "nodeA"}
    old = os.environ.copy()
    os.environ.update(env)
    try:
        agent = Basic(Invocation("start", env))
        agent.crm.set_promotion(3)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert tools.calls == [["crm_attribute", "--promotion", "-N", "nodeA", "-v", "3"]]


def test_a_node_attribute_is_set_best_effort(tools, tmp_path):
    from core_sample_agents import Basic
    from ocfpy.environment import Invocation

    agent = Basic(Invocation("start", {"OCF_RESOURCE_INSTANCE": "p"}), crm=MemoryCrm("node1", "p"))
    assert agent.set_node_attribute("p-gw-ok", "1") is True
    assert agent.crm.get_attr("p-gw-ok") == "1"
    failing = Basic(Invocation("start", {"OCF_RESOURCE_INSTANCE": "p"}),
                    crm=tools.crm(rc=102, stderr="Could not connect to the CIB"))
    assert failing.set_node_attribute("p-gw-ok", "1") is False
