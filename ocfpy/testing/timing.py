"""Timing agent calls the way the benches compare them: one child per call
(``posix_spawn``, so our own overhead is small and the same for every
command), output discarded, and quantiles of the wall times.

Example::

    times = [spawn_wait([script, "monitor"], env)[0] for _ in range(100)]
    print(f"median {quantile_ms(times, 0.5):.2f} ms, p90 {quantile_ms(times, 0.9):.2f} ms")
"""

import os
import time

__all__ = ["spawn_wait", "quantile_ms"]


def spawn_wait(argv, env) -> tuple:
    """Run ``argv`` (the program a path: no PATH search) with ``env``,
    stdin/stdout/stderr on /dev/null; (wall seconds, exit code)."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    return time.perf_counter() - t0, os.waitstatus_to_exitcode(status)


def quantile_ms(times, q: float) -> float:
    """The ``q`` quantile (0 the fastest, 1 the slowest) of ``times`` (seconds), in ms:
    the nearest-rank value, no interpolation."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000
