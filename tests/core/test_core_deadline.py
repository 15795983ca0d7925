"""The deadline: derived from CRM_meta_timeout with a margin; no helper outlives it.

These are correctness bounds (a helper that overruns gets the agent SIGKILLed),
asserted with a tolerance for a loaded machine.
"""

import time

import pytest

from core_helpers import run_agent, run_sample
from core_sample_agents import Waiter
from ocfpy.deadline import Deadline, margin_for
from ocfpy.environment import Invocation

TOLERANCE = 0.25   # seconds a helper may overrun the deadline on a busy machine


@pytest.mark.parametrize("timeout, margin", [(1, 0.5), (5, 0.5), (20, 2.0), (30, 3.0),
                                             (50, 5.0), (600, 5.0)])
def test_margin_is_10_percent_between_half_a_second_and_5s(timeout, margin):
    assert margin_for(timeout) == pytest.approx(margin)


def test_from_timeout_keeps_the_margin():
    d = Deadline.from_timeout(20.0, start=100.0)
    assert d.end == pytest.approx(118.0)


def test_from_timeout_with_explicit_margin():
    assert Deadline.from_timeout(10.0, margin=1.0, start=0.0).end == pytest.approx(9.0)


def test_a_timeout_smaller_than_its_margin_gives_an_expired_deadline():
    d = Deadline.from_timeout(0.2)
    assert d.expired and d.remaining() == 0.0


def test_remaining_never_goes_negative():
    assert Deadline.after(-5).remaining() == 0.0


def test_wait_for_returns_at_once_when_the_predicate_is_true():
    calls = []
    value = Deadline.after(5).wait_for(lambda: calls.append(1) or "ready")
    assert (value, len(calls)) == ("ready", 1)


def test_wait_for_gives_up_at_the_deadline_and_returns_falsy():
    d = Deadline.after(0.6)
    t0 = time.monotonic()
    value = d.wait_for(lambda: False, interval=0.05, max_interval=10)
    elapsed = time.monotonic() - t0
    assert value is False
    assert time.monotonic() <= d.end + TOLERANCE
    assert elapsed >= 0.55


def test_wait_for_with_a_long_interval_does_not_sleep_past_the_deadline():
    d = Deadline.after(0.3)
    d.wait_for(lambda: None, interval=30, max_interval=30)
    assert time.monotonic() <= d.end + TOLERANCE


def test_sleep_is_cut_at_the_deadline_and_says_it_passed():
    d = Deadline.after(0.3)
    assert d.sleep(30) is False
    assert time.monotonic() <= d.end + TOLERANCE


def test_sleep_shorter_than_the_deadline_sleeps_it_and_returns_true():
    d = Deadline.after(5)
    t0 = time.monotonic()
    assert d.sleep(0.1) is True
    assert time.monotonic() - t0 >= 0.09


def test_retry_returns_the_first_success():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("not yet")
        return "up"

    assert Deadline.after(5).retry(flaky, (ConnectionError,), interval=0.01) == "up"
    assert len(attempts) == 3


def test_retry_reraises_the_last_error_at_the_deadline():
    d = Deadline.after(0.5)

    def never():
        raise ConnectionError("down")

    with pytest.raises(ConnectionError, match="down"):
        d.retry(never, (ConnectionError,), interval=10, max_interval=10)
    assert time.monotonic() <= d.end + TOLERANCE


def test_retry_does_not_swallow_unexpected_exceptions():
    with pytest.raises(KeyError):
        Deadline.after(5).retry(lambda: {}["x"], (ConnectionError,))


def test_fraction_and_cap_are_sub_deadlines_inside_the_deadline():
    d = Deadline.after(10)
    half = d.fraction(0.5)
    assert half.end <= d.end and half.remaining() == pytest.approx(5, abs=0.1)
    assert d.cap(1).remaining() == pytest.approx(1, abs=0.1)
    assert d.cap(100).end == d.end


def test_agent_deadline_in_a_fresh_process_comes_from_crm_meta_timeout():
    # Waiter.start waits for a predicate that is never true: it must return
    # when its deadline (3 s timeout - 0.5 s margin) passes, before Pacemaker's timeout.
    t0 = time.monotonic()
    res = run_sample("Waiter", "start", meta={"timeout": "3000"})
    elapsed = time.monotonic() - t0
    assert res.rc == 1
    assert elapsed < 3.0, f"the agent outlived its operation timeout: {elapsed:.2f}s"
    assert elapsed >= 2.0, f"the agent gave up far too early: {elapsed:.2f}s"


def test_agent_deadline_is_measured_from_the_start_of_the_invocation():
    # In a long-lived process (tests, the testing toolkit) an agent built now
    # must get the whole budget, not a budget that started when ocfpy.agent was imported.
    time.sleep(0.3)
    agent = Waiter(Invocation("start", {"OCF_RESKEY_CRM_meta_timeout": "2000"}))
    assert agent.deadline.remaining() == pytest.approx(1.5, abs=0.15)


def test_in_process_agent_wait_obeys_the_deadline():
    t0 = time.monotonic()
    res = run_agent(Waiter, "start", meta={"timeout": "1000"})
    assert res.rc == 1
    assert time.monotonic() - t0 <= 0.5 + TOLERANCE
