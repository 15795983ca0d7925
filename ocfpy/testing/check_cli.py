"""The ``ocfpy check`` command (registered on the ``ocfpy`` click group).

Example::

    ocfpy check ocf:pacemaker:Stateful
    ocfpy check ./my-agent -o config=/etc/my.conf --format json
    ocfpy check dummy --timeout-scale 2 -v
"""

from __future__ import annotations

import json

import click

__all__ = ["check"]



def _parse_options(pairs) -> dict:
    options = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-o")
        options[name.strip()] = value
    return options


@click.command("check")
@click.argument("agent")
@click.option("-o", "--option", "pairs", multiple=True, metavar="NAME=VALUE",
              help="An instance parameter given to every action (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A readable summary, or JSON for machines.")
@click.option("--timeout-scale", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Multiply every declared action timeout by this (slow machines).")
@click.option("--ocf-root", default="/usr/lib/ocf", show_default=True,
              help="OCF root used to find ocf:PROVIDER:TYPE agents and given as OCF_ROOT.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the checks that passed.")
def check(agent, pairs, fmt, timeout_scale, ocf_root, verbose):
    """Check an OCF resource agent: AGENT is a path, ocf:PROVIDER:TYPE or a
    shipped ocfpy agent's name. Each check is shown as it ends. Exits 0 when
    every check passed, 1 when one failed, 2 when the agent is not found or
    this machine cannot run the check."""
    from ocfpy.testing.check import PASS, SetupProblem, check_agent
    from ocfpy.testing.driver import AgentNotFound

    def fail(message):
        click.echo(f"ocfpy check: {message}", err=True)
        raise SystemExit(2)

    options = _parse_options(pairs)

    def shown(finding):
        if fmt == "text" and (verbose or finding.status != PASS):
            click.echo(f"  {finding.status}  {finding.text}")
        elif fmt == "text":
            click.echo(".", nl=False)

    try:
        report = check_agent(agent, options, timeout_scale=timeout_scale, ocf_root=ocf_root,
                             progress=shown)
    except AgentNotFound as exc:
        fail(str(exc))
    except SetupProblem as exc:
        fail(f"set-up problem: {exc}")
    except OSError as exc:
        fail(f"cannot run the check: {exc}")
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo("")
        click.echo(report.text(verbose=False), nl=False)
    raise SystemExit(0 if report.ok else 1)
