"""``ocfpy cib``: render, verify, diff, apply and import cluster configuration.

A SPEC is a Python file (``build()`` returning a Config), or a YAML/JSON
file of linux-system-roles ``ha_cluster`` variables (dispatch on the
extension: ``.py``, ``.yml``/``.yaml``, ``.json``); ``diff`` also takes CIB
XML files.

Examples::

    ocfpy cib render crm_snippets/haproxy.py --format pcs --pcs-file cib.xml
    ocfpy cib render crm_snippets/openstack.yaml --format xml --schema pacemaker-2.10
    ocfpy cib verify crm_snippets/openstack.py --format json
    ocfpy cib diff old.py new.yaml                # or CIB .xml files
    ocfpy cib apply crm_snippets/demo.py --cib-file /tmp/cib.xml --dry-run
    ocfpy cib import --live --format yaml -o cluster.yaml

Exit codes: 0 done (verify: no error; diff: no difference), 1 failed
(verify found errors, a tool failed, apply refused), 2 bad input (a spec
with an error, a bad option; one line naming the file and line). diff
exits 1 when the configurations differ. ``apply --detailed-exitcode``: 0 no
change, 1 any error, 2 changes pending (``--dry-run``) or made.
"""

from __future__ import annotations

import json
import sys
import click

from ocfpy.cib.render_xml import DEFAULT_SCHEMA

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "cib", "render", "verify", "diff", "apply", "import_"]


EXIT_FAILED = 1
EXIT_USAGE = 2


class _OneLineUsage(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file=None):
        click.echo(f"ocfpy: {self.format_message()}", err=True)


class _Command(click.Command):
    """Usage errors (a missing file, a bad option) in one line, exit 2."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            name = ctx.command_path
            raise _OneLineUsage(f"{name}: {e.format_message()}") from None


class _Group(click.Group):
    command_class = _Command


class _Stop(Exception):
    def __init__(self, code: int):
        self.code = code


def _fail(message: str, code: int, fmt: str = "text", **extra):
    click.echo(f"ocfpy: {message}", err=True)
    if fmt == "json":
        click.echo(json.dumps({"error": message, "exit_code": code, **extra}, indent=2))
    raise _Stop(code)


def _guarded(fn):
    """Run a command body: every error becomes one line and an exit code."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        fmt = kwargs.get("fmt", "text")
        detailed = kwargs.get("detailed_exitcode", False)
        from ocfpy.cib.errors import SpecError
        try:
            try:
                return fn(*args, **kwargs)
            except SpecError as e:
                _fail(str(e), EXIT_FAILED if detailed else EXIT_USAGE, fmt,
                      file=e.path, line=e.line)
            except _Stop:
                raise
            except (click.exceptions.Exit, click.ClickException):
                raise
            except Exception as e:  # noqa: BLE001 - one line, never a traceback
                from ocfpy.cib.apply import ApplyError, ApplyRefused
                if isinstance(e, (ApplyError, ApplyRefused)):
                    _fail(str(e), EXIT_FAILED, fmt)
                if isinstance(e, (ValueError, TypeError)):
                    _fail(f"{type(e).__name__}: {' '.join(str(e).split())}",
                          EXIT_FAILED if detailed else EXIT_USAGE, fmt)
                if isinstance(e, OSError):
                    _fail(f"{e.filename + ': ' if e.filename else ''}{e.strerror or e}",
                          EXIT_FAILED if detailed else EXIT_USAGE, fmt)
                _fail(f"internal error: {type(e).__name__}: {' '.join(str(e).split())}",
                      EXIT_FAILED, fmt)
        except _Stop as s:
            sys.exit(s.code)
    return wrapper


def _load(path: str):
    from ocfpy.cib.spec import load_spec
    return load_spec(path)


_spec_arg = click.argument("spec", type=click.Path(exists=True, dir_okay=False))
_schema_opt = click.option("--schema", default=DEFAULT_SCHEMA, show_default=True,
                           help="pacemaker-2.10 for Pacemaker 1.1, pacemaker-3.x for 2.x")


def _format_opt(*choices):
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True)


@click.group(cls=_Group)
def cib():
    """Build Pacemaker configuration from SPEC files: Python (build() returning a
    Config) or YAML/JSON (linux-system-roles ha_cluster variables)."""


@cib.command()
@_spec_arg
@_format_opt("xml", "pcs", "crmsh", "yaml", "json")
@_schema_opt
@click.option("--configuration-only", is_flag=True, help="xml: only <configuration>")
@click.option("--pcs-file", default=None, help="pcs: emit 'pcs -f FILE' commands")
@click.option("--force", "force", type=click.Choice(["none", "missing", "all"]),
              default="none", show_default=True,
              help="pcs: add --force to the commands of agents not installed here "
                   "(missing; each named in a comment), or to all; ocfpy's agents need none")
@_guarded
def render(spec, fmt, schema, configuration_only, pcs_file, force):
    """Render SPEC as CIB XML, a pcs or crmsh script, or ha_cluster YAML/JSON."""
    cfg = _load(spec)
    if fmt == "xml":
        from ocfpy.cib.render_xml import render_xml
        click.echo(render_xml(cfg, schema, whole=not configuration_only), nl=False)
    elif fmt == "pcs":
        from ocfpy.cib.render_pcs import render_pcs
        f = {"none": False, "missing": "missing", "all": True}[force]
        click.echo(render_pcs(cfg, schema, force=f, cib_file=pcs_file), nl=False)
    elif fmt == "crmsh":
        from ocfpy.cib.render_crmsh import render_crmsh
        click.echo(render_crmsh(cfg, schema), nl=False)
    elif fmt == "yaml":
        from ocfpy.cib.data import dump_yaml
        click.echo(dump_yaml(cfg, header=f"ocfpy cib spec rendered from {spec}"), nl=False)
    else:
        from ocfpy.cib.data import dump_json
        click.echo(dump_json(cfg), nl=False)


@cib.command()
@_spec_arg
@_schema_opt
@click.option("--crm-verify/--no-crm-verify", default=False,
              help="also run crm_verify on the rendered CIB")
@click.option("--agents/--no-agents", "agents", default=True, show_default=True,
              help="check parameters against the meta-data of the agents installed here")
@_format_opt("text", "json")
@_guarded
def verify(spec, schema, crm_verify, agents, fmt):
    """Lint SPEC, check its parameters against the installed agents' meta-data
    and validate its XML against the installed schema. Exit 1 on errors
    (warnings, e.g. an agent not installed here, do not fail)."""
    from ocfpy.cib.lint import Finding, lint
    from ocfpy.cib.render_xml import to_cib
    from ocfpy.cib.validate import validate_schema
    cfg = _load(spec)
    findings = list(lint(cfg))
    if agents:
        from ocfpy.cib.agents import check_parameters
        findings += check_parameters(cfg)
    cib_el = to_cib(cfg, schema)
    try:
        for e in validate_schema(cib_el, schema):
            findings.append(Finding("error", f"schema {schema}", e))
    except FileNotFoundError as e:
        findings.append(Finding("warning", f"schema {schema}",
                                f"{e}; schema validation skipped"))
    if crm_verify:
        import subprocess
        import tempfile

        from lxml import etree
        with tempfile.NamedTemporaryFile("wb", suffix=".xml") as tmp:
            tmp.write(etree.tostring(cib_el))
            tmp.flush()
            try:
                p = subprocess.run(["crm_verify", "--xml-file", tmp.name, "-V"],
                                   capture_output=True, text=True)
                if p.returncode:
                    findings.append(Finding("error", "crm_verify",
                                            " ".join(p.stderr.split())))
            except FileNotFoundError:
                findings.append(Finding("warning", "crm_verify", "not installed; skipped"))
    findings.sort(key=lambda f: 0 if f.level == "error" else 1)
    bad = any(f.level == "error" for f in findings)
    if fmt == "json":
        click.echo(json.dumps({"spec": spec, "ok": not bad, "findings": [
            {"level": f.level, "element": f.element, "message": f.message}
            for f in findings]}, indent=2))
    else:
        for f in findings:
            click.echo(str(f))
        if not bad:
            click.echo("ok")
    sys.exit(EXIT_FAILED if bad else 0)


def _configuration(path: str, schema: str):
    """A file's <configuration>: CIB XML as it is, a spec rendered."""
    if path.lower().endswith(".xml"):
        from lxml import etree

        from ocfpy.cib.errors import SpecError, xml_message as _xml_msg
        try:
            root = etree.parse(path).getroot()
        except etree.XMLSyntaxError as e:
            raise SpecError(path, e.lineno, f"XML: {_xml_msg(e)}") from None
        conf = root if root.tag == "configuration" else root.find("configuration")
        if conf is None:
            raise SpecError(path, None, "no <configuration> element: not a CIB")
        return conf
    from ocfpy.cib.render_xml import to_configuration
    return to_configuration(_load(path), schema)


@cib.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@_schema_opt
@_format_opt("text", "json")
@_guarded
def diff(old, new, schema, fmt):
    """Show what changes from OLD to NEW (specs or CIB .xml files), by meaning.
    Exit 1 when they differ."""
    from ocfpy.cib.diff import diff_configurations
    changes = diff_configurations(_configuration(old, schema), _configuration(new, schema))
    if fmt == "json":
        click.echo(json.dumps({"old": old, "new": new, "changed": bool(changes),
                               "changes": [c.to_dict() for c in changes]}, indent=2))
    else:
        for c in changes:
            click.echo(str(c))
    sys.exit(1 if changes else 0)


@cib.command()
@_spec_arg
@click.option("--cib-file", default=None, help="apply to this CIB file (CIB_file) "
              "instead of the live cluster")
@click.option("--dry-run", is_flag=True, help="print what would change, send nothing")
@click.option("--prune", is_flag=True,
              help="also remove what the spec does not name (listed first); protected "
                   "items need --prune-protected")
@click.option("--prune-protected", is_flag=True,
              help="with --prune: also remove maintenance-mode, stonith-enabled, "
                   "standby/maintenance node attributes, fencing devices, fencing levels "
                   "and constraints on fencing devices")
@click.option("--allow-fencing-off", is_flag=True,
              help="let the spec set stonith-enabled=false on a cluster with fencing "
                   "devices or levels and fencing on")
@click.option("--detailed-exitcode", is_flag=True,
              help="exit 0 no change, 1 error, 2 changes pending (--dry-run) or made")
@click.option("--wait", "wait", type=float, is_flag=False, flag_value=60.0, default=None,
              metavar="[SECONDS]",
              help="after a change, wait until the cluster settles (default 60 s)")
@click.option("--schema", default=None, help="default: the live CIB's validate-with")
@_format_opt("text", "json")
@_guarded
def apply(spec, cib_file, dry_run, prune, prune_protected, allow_fencing_off,
          detailed_exitcode, wait, schema, fmt):
    """Make the cluster hold what SPEC names, pushing only the difference.
    Nothing the spec does not name is removed unless --prune."""
    from ocfpy.cib.apply import ApplyRefused, apply_config, local_runner
    from ocfpy.cib.lint import errors
    if prune_protected and not prune:
        raise ApplyRefused("--prune-protected needs --prune")
    cfg = _load(spec)
    errs = errors(cfg)
    if errs:
        _fail(f"{spec}: {errs[0]}" + (f" (and {len(errs) - 1} more: ocfpy cib verify)"
                                      if len(errs) > 1 else ""), EXIT_FAILED, fmt)
    result = apply_config(cfg, local_runner(cib_file=cib_file), schema=schema,
                          dry_run=dry_run, prune=prune, prune_protected=prune_protected,
                          allow_fencing_off=allow_fencing_off,
                          wait=None if cib_file else wait)
    if fmt == "json":
        click.echo(json.dumps(dict(result.to_dict(), spec=spec), indent=2))
    else:
        for c in result.changes:
            click.echo(str(c))
        for n in result.notes:
            click.echo(f"note: {n}")
        if result.protected:
            click.echo("kept (protected; --prune-protected removes them): "
                       + ", ".join(result.protected))
        if dry_run and result.unnamed:
            click.echo("left as is (not in the spec; --prune removes them): "
                       + ", ".join(result.unnamed))
        if not result.changed:
            click.echo("no change")
        elif dry_run:
            click.echo(f"would apply {len(result.changes)} change(s)")
        else:
            settled = (f", settled in {result.settled:.1f}s"
                       if result.settled is not None else "")
            click.echo(f"applied {len(result.changes)} change(s){settled}")
    if detailed_exitcode:
        sys.exit(2 if result.changed else 0)


@cib.command("import")
@click.argument("cib_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--live", is_flag=True, help="read the running cluster (cibadmin --query)")
@_format_opt("yaml", "json", "python")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="write to this file instead of stdout")
@click.option("--skip-unsupported", is_flag=True,
              help="leave out what the model does not cover (listed on stderr) instead "
                   "of failing")
@_guarded
def import_(cib_file, live, fmt, output, skip_unsupported):
    """Write the configuration of a CIB (CIB_FILE, or --live) as a spec."""
    from ocfpy.cib.importer import import_cib
    if bool(cib_file) == bool(live):
        raise _OneLineUsage("ocfpy cib import: give a CIB file or --live (one of them)")
    if live:
        from ocfpy.cib.apply import query, local_runner
        from lxml import etree
        root = query(local_runner())
        text, source = etree.tostring(root), "the live cluster (cibadmin --query)"
    else:
        with open(cib_file, "rb") as f:
            text, source = f.read(), cib_file
    skipped: list = []
    out = import_cib(text, fmt, source=source, strict=not skip_unsupported, skipped=skipped,
                     path=cib_file or "cibadmin --query")
    for s in skipped:
        click.echo(f"ocfpy: left out (not covered by the model): {s}", err=True)
    if output:
        with open(output, "w") as f:
            f.write(out)
    else:
        click.echo(out, nl=False)

