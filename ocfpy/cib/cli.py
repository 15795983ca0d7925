"""``ocfpy cib``: render, verify, diff and apply CIB SPEC files.

Examples::

    ocfpy cib render crm_snippets/haproxy.py --format pcs --pcs-file cib.xml
    ocfpy cib render crm_snippets/galera.py --format xml --schema pacemaker-2.10
    ocfpy cib verify crm_snippets/openstack.py
    ocfpy cib diff old.py new.py           # SPEC files or CIB XML files
    ocfpy cib apply crm_snippets/demo.py --cib-file /tmp/cib.xml
"""

from __future__ import annotations

import sys

import click

from ocfpy.cib.render_xml import DEFAULT_SCHEMA


def _load(path: str):
    from ocfpy.cib.spec import load_spec
    if path.endswith(".xml"):
        from ocfpy.cib.read import read_cib
        with open(path) as f:
            return read_cib(f.read())
    return load_spec(path)


@click.group()
def cib():
    """Build Pacemaker configuration from Python SPEC files (see ocfpy.cib.spec)."""


@cib.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["xml", "pcs", "crmsh"]), default="xml",
              show_default=True)
@click.option("--schema", default=DEFAULT_SCHEMA, show_default=True,
              help="pacemaker-2.10 for Pacemaker 1.1, pacemaker-3.x for 2.x")
@click.option("--configuration-only", is_flag=True, help="xml: only <configuration>")
@click.option("--pcs-file", default=None, help="pcs: emit 'pcs -f FILE' commands")
@click.option("--force", "force", type=click.Choice(["none", "missing", "all"]),
              default="none", show_default=True,
              help="pcs: add --force for agents not installed here (missing) or all")
def render(spec, fmt, schema, configuration_only, pcs_file, force):
    """Render SPEC as CIB XML, a pcs script or a crmsh script."""
    cfg = _load(spec)
    if fmt == "xml":
        from ocfpy.cib.render_xml import render_xml
        click.echo(render_xml(cfg, schema, whole=not configuration_only), nl=False)
    elif fmt == "pcs":
        from ocfpy.cib.render_pcs import render_pcs
        f = {"none": False, "missing": "missing", "all": True}[force]
        click.echo(render_pcs(cfg, schema, force=f, cib_file=pcs_file), nl=False)
    else:
        from ocfpy.cib.render_crmsh import render_crmsh
        click.echo(render_crmsh(cfg, schema), nl=False)


@cib.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--schema", default=DEFAULT_SCHEMA, show_default=True)
@click.option("--crm-verify/--no-crm-verify", default=False,
              help="also run crm_verify on the rendered CIB")
def verify(spec, schema, crm_verify):
    """Lint SPEC and validate its XML against the installed schema. Exit 1 on errors."""
    from ocfpy.cib.lint import lint
    from ocfpy.cib.render_xml import to_cib
    from ocfpy.cib.validate import validate_schema
    cfg = _load(spec)
    findings = lint(cfg)
    for f in findings:
        click.echo(str(f))
    bad = any(f.level == "error" for f in findings)
    cib_el = to_cib(cfg, schema)
    try:
        for e in validate_schema(cib_el, schema):
            click.echo(f"error: schema {schema}: {e}")
            bad = True
    except FileNotFoundError as e:
        click.echo(f"warning: {e}; schema validation skipped")
    if crm_verify:
        import subprocess
        import tempfile
        from lxml import etree
        with tempfile.NamedTemporaryFile("wb", suffix=".xml") as tmp:
            tmp.write(etree.tostring(cib_el))
            tmp.flush()
            p = subprocess.run(["crm_verify", "--xml-file", tmp.name, "-V"],
                               capture_output=True, text=True)
        if p.returncode:
            click.echo(f"error: crm_verify: {p.stderr.strip()}")
            bad = True
    if not bad:
        click.echo("ok")
    sys.exit(1 if bad else 0)


@cib.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
def diff(old, new):
    """Show what changes from OLD to NEW (SPEC .py files or CIB .xml files).
    Exit 1 when they differ."""
    from ocfpy.cib.diff import diff_configs
    changes = diff_configs(_load(old), _load(new))
    for c in changes:
        click.echo(str(c))
    sys.exit(1 if changes else 0)


@cib.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--cib-file", default=None, help="apply to this CIB file (CIB_file) "
              "instead of the live cluster")
@click.option("--dry-run", is_flag=True, help="print the patch, send nothing")
@click.option("--schema", default=None, help="default: the live CIB's validate-with")
def apply(spec, cib_file, dry_run, schema):
    """Push only what differs between SPEC and the cluster's CIB."""
    from ocfpy.cib.apply import apply_config, local_runner
    from ocfpy.cib.lint import errors
    cfg = _load(spec)
    errs = errors(cfg)
    if errs:
        for f in errs:
            click.echo(str(f), err=True)
        sys.exit(1)
    result = apply_config(cfg, local_runner(cib_file=cib_file), schema=schema,
                          dry_run=dry_run)
    if not result.changed:
        click.echo("no change")
    else:
        if dry_run:
            click.echo(result.patch)
        click.echo("would apply" if dry_run else "applied")
