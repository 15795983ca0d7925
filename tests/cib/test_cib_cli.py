"""The ``ocfpy cib`` commands and script quoting."""

import shlex
import subprocess

from click.testing import CliRunner

from ocfpy.cib.cli import cib
from ocfpy.cib.model import Config, Op, Primitive
from ocfpy.cib.render_pcs import pcs_commands, render_pcs

from conftest import SNIPPETS, need


def test_render_pcs_script_quotes_values_with_spaces_and_quotes():
    cfg = Config()
    cfg.add(Primitive("d", "ocf:ocfpy:dummy", params={"state": "/tmp/a b'c\"d"},
                      ops=[Op("monitor", "10s")]))
    lines = render_pcs(cfg, cib_file="my cib.xml").splitlines()[3:]
    assert [shlex.split(ln) for ln in lines] == [["pcs", "-f", "my cib.xml", *a]
                                                 for a in pcs_commands(cfg)]


def test_cli_renders_each_format():
    runner = CliRunner()
    outs = [runner.invoke(cib, ["render", str(SNIPPETS / "haproxy.py"), "--format", f])
            for f in ("xml", "pcs", "crmsh")]
    assert [(o.exit_code, m in o.output) for o, m in
            zip(outs, ("<rsc_colocation", "pcs constraint colocation add",
                       "colocation vip-with-haproxy"))] == [(0, True)] * 3


def test_cli_verify_accepts_the_openstack_snippet():
    result = CliRunner().invoke(cib, ["verify", str(SNIPPETS / "openstack.py")])
    assert (result.exit_code, result.output.strip()) == (0, "ok")


def test_cli_verify_fails_on_an_unacknowledged_fencing_off(tmp_path):
    spec = tmp_path / "bad.py"
    spec.write_text("from ocfpy.cib.model import Config\n"
                    "config = Config(properties={'stonith-enabled': 'false'})\n")
    result = CliRunner().invoke(cib, ["verify", str(spec)])
    assert result.exit_code == 1 and "disable_fencing" in result.output


def test_cli_apply_twice_reports_no_change(tmp_path):
    need("cibadmin", "crm_diff")
    f = tmp_path / "cib.xml"
    f.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                check=True).stdout)
    args = ["apply", str(SNIPPETS / "demo.py"), "--cib-file", str(f)]
    first, second = CliRunner().invoke(cib, args), CliRunner().invoke(cib, args)
    assert (first.output.strip(), second.output.strip()) == ("applied", "no change")
