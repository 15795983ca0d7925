"""The ``ocfpy`` command line (click).

Not on any agent's hot path: installed agents never import this module.
"""

from pathlib import Path

import click

__all__ = ["main", "EXIT_FAILED", "EXIT_USAGE", "EXIT_UNSAFE", "fail", "list_agents",
           "meta_data", "install", "uninstall", "COMMAND_GROUP"]



@click.group()
@click.version_option(package_name="ocfpy")
def main():
    """ocfpy: OCF 1.1 resource agents, CIB builder and testing toolkit."""


#: exit codes of the command line
EXIT_FAILED = 1       # the thing asked was done and found problems (check failed)
EXIT_USAGE = 2        # bad input: unknown agent, bad file, bad option
EXIT_UNSAFE = 3       # install refuses a tree others can write


def fail(message: str, code: int = EXIT_USAGE):
    """End the command with one line on stderr and ``code`` (never a traceback)."""
    click.echo(f"ocfpy: {message}", err=True)
    raise SystemExit(code)


_format = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                       show_default=True, help="Readable text, or JSON for machines.")


@main.command("list")
@_format
def list_agents(fmt):
    """List the agents ocfpy can install, as ocf:PROVIDER:NAME."""
    from ocfpy.install import find

    agents = find()
    if fmt == "json":
        import json

        click.echo(json.dumps([{"agent": f"ocf:{a.provider}:{a.name}", "provider": a.provider,
                                "type": a.name, "shortdesc": a.cls.shortdesc, "module": a.module}
                               for a in agents], indent=2))
        return
    for info in agents:
        click.echo(f"ocf:{info.provider}:{info.name}\t{info.cls.shortdesc}")


def _installed_metadata(agent: str, ocf_root: str) -> str:
    """Meta-data of an installed agent named ocf:PROVIDER:TYPE (any agent)."""
    import os
    import subprocess

    _, provider, kind = agent.split(":", 2)
    path = os.path.join(ocf_root, "resource.d", provider, kind)
    if not os.access(path, os.X_OK):
        fail(f"no agent named {agent} (not shipped by ocfpy, not installed in {ocf_root}); "
             "see `ocfpy list`")
    env = dict(os.environ, OCF_ROOT=ocf_root)
    proc = subprocess.run([path, "meta-data"], capture_output=True, text=True, env=env, timeout=30)
    if proc.returncode != 0:
        fail(f"{path} meta-data exited {proc.returncode}", EXIT_FAILED)
    return proc.stdout


@main.command("meta-data")
@click.argument("agent")
@click.option("--format", "fmt", type=click.Choice(["xml", "text", "json"]), default="xml",
              show_default=True, help="The XML itself, a readable description, or JSON.")
@click.option("--ocf-root", default="/usr/lib/ocf", show_default=True,
              help="Where to find installed agents that ocfpy does not ship.")
def meta_data(agent, fmt, ocf_root):
    """Print an agent's meta-data. AGENT is a name from `ocfpy list`,
    ocf:PROVIDER:TYPE (also any installed agent), a Python file or module:Class."""
    from ocfpy.install import find
    from ocfpy.metadata import describe, describe_text

    try:
        (info,) = find([agent])[:1] or [None]
        xml = info.cls.metadata()
        label = f"ocf:{info.provider}:{info.name}"
    except KeyError as exc:
        if not agent.startswith("ocf:") or agent.count(":") != 2:
            why = exc.args[0] if exc.args and exc.args[0] != agent else "not an ocfpy agent"
            fail(f"no agent named {agent} ({why}); see `ocfpy list`")
        xml, label = _installed_metadata(agent, ocf_root), agent
    if fmt == "xml":
        click.echo(xml, nl=False)
        return
    try:
        described = describe(xml)
    except ValueError as exc:
        fail(f"{label}: {exc}", EXIT_FAILED)
    if fmt == "json":
        import json

        click.echo(json.dumps(dict(described, agent=label), indent=2))
    else:
        click.echo(describe_text(described, label), nl=False)


_ocf_root = click.option("--ocf-root", type=click.Path(file_okay=False, path_type=Path),
                         default="/usr/lib/ocf", show_default=True,
                         help="OCF root; agents go to ROOT/resource.d/PROVIDER/.")
_provider = click.option("--provider", default=None,
                         help="Provider directory (default: each agent's own, "
                              "openstack for the OpenStack APIs, ocfpy for the rest).")


def _agents_or_fail(names):
    from ocfpy import install as inst

    try:
        return inst.find(list(names))
    except KeyError as exc:
        fail(f"unknown agent(s): {exc.args[0]}; see `ocfpy list`")
    except (ImportError, SyntaxError) as exc:
        fail(f"cannot load the agent: {type(exc).__name__}: {exc}")


@main.command()
@_ocf_root
@_provider
@click.option("--python", default=None, help="Interpreter the agents run with (default: this one).")
@click.option("--create-root", is_flag=True,
              help="Create ROOT/resource.d when it does not exist (a new OCF root).")
@click.option("--allow-unsafe-tree", is_flag=True,
              help="Install even when others can write to the code root would run (warns).")
@click.argument("agents", nargs=-1)
def install(ocf_root, provider, python, create_root, allow_unsafe_tree, agents):
    """Install agents as OCF executables: all shipped ones when none are
    named; AGENTS may also be a Python file of your own (./my_agent.py) or
    module:Class. Packages offer agents through the `ocfpy.agents` entry points.

    Pacemaker runs agents as root, so the checkout or venv they run from and
    the interpreter must belong to root and be writable by root alone; install
    refuses otherwise (exit 3) unless --allow-unsafe-tree.
    """
    import os

    from ocfpy import install as inst

    if not (ocf_root / "resource.d").is_dir() and not create_root:
        fail(f"{ocf_root} has no resource.d directory: is it the OCF root? "
             "(pass --create-root to make a new one)")
    found = _agents_or_fail(agents)
    extra = [p for a in found for p in a.path_entries]
    problems = inst.unsafe_paths(python, extra) if os.geteuid() == 0 else []
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        if not allow_unsafe_tree:
            fail(f"refusing: root would run code others can change: {shown} "
                 "(fix the ownership and modes, or pass --allow-unsafe-tree)", EXIT_UNSAFE)
        click.echo(f"WARNING: root will run code others can change: {shown}", err=True)
    try:
        paths = inst.install(ocf_root, provider=provider, python=python, agents=found)
    except OSError as exc:
        fail(str(exc), EXIT_FAILED)
    for path in paths:
        click.echo(f"installed {path}")


@main.command()
@_ocf_root
@_provider
@click.argument("agents", nargs=-1)
def uninstall(ocf_root, provider, agents):
    """Remove agent executables that `ocfpy install` wrote (all shipped ones
    when none are named); files it did not write are never touched."""
    from ocfpy import install as inst

    try:
        paths = inst.uninstall(ocf_root, provider=provider, names=list(agents))
    except KeyError as exc:
        fail(f"unknown agent(s): {exc.args[0]}; see `ocfpy list`")
    for path in paths:
        click.echo(f"removed {path}")


# --- sub-command groups owned by other modules are registered here ---
from ocfpy.sandbox.cli import sandbox as _sandbox  # noqa: E402
main.add_command(_sandbox)
from ocfpy.cib.cli import cib as _cib  # noqa: E402
main.add_command(_cib)
from ocfpy.testing.check_cli import check as _check  # noqa: E402
main.add_command(_check)

#: entry-point group of extra sub-commands ("name = module:command"): agent
#: families add theirs (galera's `clustercheck`) without the core importing them
COMMAND_GROUP = "ocfpy.commands"


def _add_entry_point_commands():
    from importlib.metadata import entry_points

    try:
        eps = entry_points(group=COMMAND_GROUP)
    except TypeError:       # Python 3.9
        eps = entry_points().get(COMMAND_GROUP, [])
    for ep in eps:
        if ep.name not in main.commands:
            main.add_command(_LazyCommand(ep), ep.name)


class _LazyCommand(click.Command):
    """A command loaded from its entry point only when it runs or shows help."""

    def __init__(self, ep):
        super().__init__(ep.name, help=f"(from {ep.value}; see `ocfpy {ep.name} --help`)")
        self._ep = ep

    def _real(self):
        return self._ep.load()

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return self._real().invoke(ctx)

    def get_short_help_str(self, limit=45):
        return self._real().get_short_help_str(limit)


_add_entry_point_commands()
