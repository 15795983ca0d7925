"""Fixtures that start a real Pacemaker cluster (filled in by the testing toolkit)."""
