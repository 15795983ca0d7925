"""The ``ocfpy`` command line (click).

Not on any agent's hot path: installed agents never import this module.
"""

from pathlib import Path

import click


@click.group()
@click.version_option(package_name="ocfpy")
def main():
    """ocfpy: OCF 1.1 resource agents, CIB builder and testing toolkit."""


@main.command("list")
def list_agents():
    """List the shipped agents as ocf:PROVIDER:NAME."""
    from ocfpy.install import discover

    for info in discover():
        click.echo(f"ocf:{info.provider}:{info.name}\t{info.cls.shortdesc}")


@main.command("meta-data")
@click.argument("agent")
def meta_data(agent):
    """Print an agent's meta-data."""
    from ocfpy.install import find

    try:
        (info,) = find([agent])
    except KeyError:
        raise click.ClickException(f"no agent named {agent}; see `ocfpy list`") from None
    click.echo(info.cls.metadata(), nl=False)


_ocf_root = click.option("--ocf-root", type=click.Path(file_okay=False, path_type=Path),
                         default="/usr/lib/ocf", show_default=True,
                         help="OCF root; agents go to ROOT/resource.d/PROVIDER/.")
_provider = click.option("--provider", default=None,
                         help="Provider directory (default: each agent's own, "
                              "openstack for the OpenStack APIs, ocfpy for the rest).")


@main.command()
@_ocf_root
@_provider
@click.option("--python", default=None, help="Interpreter the agents run with (default: this one).")
@click.option("--allow-unsafe-tree", is_flag=True,
              help="Install even when others can write to the code root would run (warns).")
@click.argument("agents", nargs=-1)
def install(ocf_root, provider, python, agents, allow_unsafe_tree):
    """Install agents (all when none are named) as OCF executables.

    Pacemaker runs agents as root, so the checkout or venv they run from and
    the interpreter must belong to root and be writable by root alone; install
    refuses otherwise (exit 3) unless --allow-unsafe-tree.
    """
    import os

    from ocfpy import install as inst

    problems = inst.unsafe_paths(python) if os.geteuid() == 0 else []
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        if not allow_unsafe_tree:
            click.echo(f"ocfpy install: refusing: root would run code others can change: {shown} "
                       "(fix the ownership and modes, or pass --allow-unsafe-tree)", err=True)
            raise SystemExit(3)
        click.echo(f"WARNING: root will run code others can change: {shown}", err=True)
    try:
        paths = inst.install(ocf_root, provider=provider, names=list(agents), python=python)
    except KeyError as exc:
        raise click.ClickException(f"unknown agent(s): {exc.args[0]}; see `ocfpy list`") from None
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    for path in paths:
        click.echo(f"installed {path}")


@main.command()
@_ocf_root
@_provider
@click.argument("agents", nargs=-1)
def uninstall(ocf_root, provider, agents):
    """Remove agents that `ocfpy install` wrote."""
    from ocfpy import install as inst

    try:
        paths = inst.uninstall(ocf_root, provider=provider, names=list(agents))
    except KeyError as exc:
        raise click.ClickException(f"unknown agent(s): {exc.args[0]}") from None
    for path in paths:
        click.echo(f"removed {path}")


# --- sub-command groups owned by other modules are registered here ---
from ocfpy.sandbox.cli import sandbox as _sandbox  # noqa: E402
main.add_command(_sandbox)
from ocfpy.cib.cli import cib as _cib  # noqa: E402
main.add_command(_cib)
from ocfpy.testing.check_cli import check as _check  # noqa: E402
main.add_command(_check)

from ocfpy.clustercheck import clustercheck as _clustercheck  # noqa: E402
main.add_command(_clustercheck)
