"""The OpenStack HA guide's cluster configuration as ocfpy CIB specs,
shipped as the package ``ocfpy_snippets`` (see README.md here)."""
