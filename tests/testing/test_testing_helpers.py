"""The toolkit's small helpers that test beds and benches share: free ports
(ocfpy.testing.ports), timing (.timing), the bed fixture bodies (.beds)."""

import socket
import sys

import pytest

from ocfpy.testing.beds import bed_or_skip, ending_all
from ocfpy.testing.ports import bindable, free_port, free_ports
from ocfpy.testing.timing import quantile_ms, spawn_wait


def test_free_ports_are_distinct_bindable_and_never_handed_out_twice():
    taken = set()
    first = free_ports(3, 36500, 36600, taken=taken)
    assert len(set(first)) == 3 and all(36500 <= p < 36600 for p in first)
    assert all(bindable("127.0.0.1", p) for p in first)
    assert free_port(36500, 36600, taken=taken) not in first


def test_a_port_in_use_is_not_free_and_an_exhausted_range_says_so():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not bindable("127.0.0.1", port)
        with pytest.raises(RuntimeError, match=f"no free port in {port}-{port}"):
            free_port(port, port + 1)


def test_spawn_wait_times_a_child_and_gives_its_exit_code():
    seconds, rc = spawn_wait([sys.executable, "-c", "raise SystemExit(3)"], {})
    assert rc == 3 and seconds > 0


def test_quantile_ms_is_the_nearest_rank_in_milliseconds():
    times = [0.004, 0.001, 0.003, 0.002]
    assert quantile_ms(times, 0) == 1.0 and quantile_ms(times, 1) == 4.0
    assert quantile_ms(times, 0.9) == 4.0


class Bed:
    opened = closed = 0

    def __enter__(self):
        Bed.opened += 1
        return self

    def __exit__(self, *exc):
        Bed.closed += 1


def test_a_bed_is_closed_after_the_test_and_an_unavailable_one_skips():
    body = bed_or_skip(lambda: None, Bed)
    assert isinstance(next(body), Bed) and (Bed.opened, Bed.closed) == (1, 0)
    with pytest.raises(StopIteration):
        next(body)
    assert Bed.closed == 1
    with pytest.raises(pytest.skip.Exception, match="no bridge here"):
        next(bed_or_skip(lambda: "no bridge here", Bed))
    assert Bed.opened == 1


def test_everything_a_factory_made_is_ended_last_first_even_when_one_end_fails():
    ended = []

    def end(name):
        ended.append(name)
        if name == "B":
            raise OSError("b will not end")

    with pytest.raises(OSError, match="b will not end"):
        with ending_all(str.upper, end) as make:
            assert [make("a"), make("b"), make("c")] == ["A", "B", "C"]
            assert ended == []
    assert ended == ["C", "B", "A"]
