"""Fixtures on the fake crm environment (filled in by the testing toolkit)."""
