"""Fixtures of the galera agent tests.

``galera_bed`` builds a real MariaDB Galera on 127.0.0.1 (free ports) driven
by ocf:ocfpy:galera under the fake-cluster scheduler (tests/galera/galera_bed.py)
and tears it down even when the test fails. Real tests skip only when root,
mariadbd, mariadb-install-db, the galera provider, rsync or pymysql is missing.
"""

import sys
from pathlib import Path

import pytest

from ocfpy.testing.beds import ending_all

sys.path.insert(0, str(Path(__file__).resolve().parent))

from galera_bed import GaleraBed, free_ports  # noqa: E402


def real_galera_unavailable():
    from ocfpy.sandbox.mariadb import missing_requirements

    reason = missing_requirements(galera=True)
    return f"real MariaDB Galera unavailable: {reason}" if reason else None


@pytest.fixture
def galera_bed():
    """A factory: ``galera_bed(nodes=3, params={...})`` -> GaleraBed (not started)."""
    reason = real_galera_unavailable()
    if reason:
        pytest.skip(reason)
    with ending_all(GaleraBed, GaleraBed.close) as make:
        yield make


@pytest.fixture
def mdb_base(monkeypatch):
    """A short base directory under /tmp for hand-started servers (removed
    after); meanwhile ``mariadb`` draws its ports from galera_bed.PORT_RANGE."""
    import shutil

    reason = real_galera_unavailable()
    if reason:
        pytest.skip(reason)
    from ocfpy.sandbox import mariadb
    from ocfpy.sandbox.mariadb import make_base_dir

    monkeypatch.setattr(mariadb, "free_ports", free_ports)

    base = make_base_dir("ocfpy-gtest-")
    yield base
    shutil.rmtree(base, ignore_errors=True)
