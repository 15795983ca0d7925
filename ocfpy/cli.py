"""The ``ocfpy`` command line (click).

Not on any agent's hot path: installed agents never import this module.
"""

import click


@click.group()
@click.version_option(package_name="ocfpy")
def main():
    """ocfpy: OCF 1.1 resource agents, CIB builder and testing toolkit."""


# --- sub-command groups owned by other modules are registered here ---
