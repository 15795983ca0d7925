"""The ``ocfpy cib`` commands: formats, exit codes, script quoting, and every
error path: one line naming the file (and line) on stderr, the documented
exit code, never a traceback."""

import json
import shlex
import subprocess

import pytest

from ocfpy.cib.canonical import canonical
from ocfpy.cib.model import Config, Op, Primitive
from ocfpy.cib.render_pcs import pcs_commands, render_pcs

from cibtools import SNIPPETS, cli, need


def test_render_pcs_script_quotes_values_with_spaces_and_quotes():
    cfg = Config()
    cfg.add(Primitive("d", "ocf:ocfpy:dummy", params={"state": "/tmp/a b'c\"d"},
                      ops=[Op("monitor", "10s")]))
    lines = render_pcs(cfg, cib_file="my cib.xml").splitlines()[3:]
    assert [shlex.split(ln) for ln in lines] == [["pcs", "-f", "my cib.xml", *a]
                                                 for a in pcs_commands(cfg)]


def test_render_pcs_force_missing_names_each_forced_agent():
    cfg = Config()
    cfg.add(Primitive("h", "systemd:surely-not-installed", ops=[Op("monitor", "10s")]))
    lines = render_pcs(cfg, force="missing").splitlines()
    assert lines[-2:] == [
        "# --force: systemd:surely-not-installed not installed where this was rendered "
        "(pcs cannot read its meta-data)",
        "pcs resource create h systemd:surely-not-installed op monitor interval=10s "
        "--no-default-ops --force"]
    assert "--force" not in render_pcs(cfg)


@pytest.mark.parametrize("fmt,needle", [("xml", "<rsc_colocation"),
                                        ("pcs", "pcs constraint colocation add"),
                                        ("crmsh", "colocation vip-with-haproxy"),
                                        ("yaml", "ha_cluster_constraints_colocation:"),
                                        ("json", '"ha_cluster_constraints_colocation"')])
def test_cli_renders_each_format(fmt, needle):
    p = cli("render", SNIPPETS / "haproxy.py", "--format", fmt)
    assert (p.returncode, needle in p.stdout, p.stderr) == (0, True, "")


def test_cli_renders_yaml_and_json_specs_too(tmp_path):
    out = cli("render", SNIPPETS / "haproxy.py", "--format", "json").stdout
    (tmp_path / "h.json").write_text(out)
    assert canonical(cli("render", tmp_path / "h.json").stdout) == canonical(
        cli("render", SNIPPETS / "haproxy.py").stdout)


def test_cli_verify_accepts_the_openstack_snippet():
    p = cli("verify", SNIPPETS / "openstack.py", "--no-agents")
    assert (p.returncode, p.stdout.strip()) == (0, "ok")


def test_cli_verify_fails_on_an_unacknowledged_fencing_off(tmp_path):
    spec = tmp_path / "bad.py"
    spec.write_text("from ocfpy.cib.model import Config\n"
                    "config = Config(properties={'stonith-enabled': 'false'})\n")
    p = cli("verify", spec)
    assert p.returncode == 1 and "disable_fencing" in p.stdout


def test_cli_verify_json(tmp_path):
    spec = tmp_path / "bad.py"
    spec.write_text("from ocfpy.cib.model import Config\n"
                    "config = Config(properties={'stonith-enabled': 'false'})\n")
    out = json.loads(cli("verify", spec, "--format", "json").stdout)
    assert out["ok"] is False and out["findings"][0]["element"] == "property stonith-enabled"


def test_cli_diff_text_json_and_exit_codes(tmp_path):
    a, b = SNIPPETS / "haproxy.py", SNIPPETS / "openstack.py"
    same = cli("diff", a, a)
    assert (same.returncode, same.stdout) == (0, "")
    differ = cli("diff", a, b)
    assert differ.returncode == 1 and "+ resource 'galera-clone'" in differ.stdout
    out = json.loads(cli("diff", a, b, "--format", "json").stdout)
    assert out["changed"] and {"action": "+", "kind": "resource", "key": "galera-clone",
                               "detail": None} in out["changes"]


def test_cli_diff_compares_cib_files_with_specs(tmp_path):
    xml = cli("render", SNIPPETS / "haproxy.py").stdout
    (tmp_path / "cib.xml").write_text(xml)
    assert cli("diff", tmp_path / "cib.xml", SNIPPETS / "haproxy.py").returncode == 0
    assert cli("diff", tmp_path / "cib.xml", SNIPPETS / "openstack.yaml").returncode == 1


def test_cli_apply_twice_reports_no_change(tmp_path):
    need("cibadmin", "crm_diff")
    f = tmp_path / "cib.xml"
    f.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                check=True).stdout)
    args = ["apply", SNIPPETS / "demo.py", "--cib-file", f]
    first, second = cli(*args), cli(*args)
    assert first.returncode == 0 and first.stdout.splitlines()[-1].startswith("applied ")
    assert (second.returncode, second.stdout.strip()) == (0, "no change")


# ------------------------------------------------------------------ errors
def _spec(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


ERRORS = {
    # name: (file name, content, expected stderr line after "ocfpy: ")
    "syntax": ("syn.py", "def build(:\n    pass\n", "{f}:1: SyntaxError: invalid syntax"),
    "exception": ("exc.py", "from ocfpy.cib.model import Config, Primitive\n\n"
                            "def build():\n    cfg = Config()\n"
                            "    cfg.add(Primitive('1bad', 'ocf:x:y'))\n    return cfg\n",
                  "{f}:5: ValueError: resource id '1bad' is not a valid CIB id: use letters, "
                  "digits, '_', '.', '-', starting with a letter or '_'"),
    "raise": ("raise.py", "def build():\n    raise RuntimeError('no network here')\n",
              "{f}:2: RuntimeError: no network here"),
    "wrong-type": ("wrong.py", "\n\ndef build():\n    return [1]\n",
                   "{f}:3: build() gave list, not an ocfpy.cib.model.Config"),
    "wrong-variable": ("var.py", "config = {'resources': []}\n",
                       "{f}: config gave dict, not an ocfpy.cib.model.Config"),
    "nothing": ("none.py", "x = 1\n",
                "{f}: defines neither build() returning a Config nor a variable `config`"),
    "import": ("imp.py", "import no_such_module_here\n",
               "{f}:1: ModuleNotFoundError: No module named 'no_such_module_here'"),
    "yaml-syntax": ("bad.yaml", "ha_cluster_resource_primitives:\n  - id: a\n   agent: x\n",
                    "{f}:3: YAML: ..."),
    "yaml-unknown-key": ("unk.yaml", "ha_cluster_resource_primitives:\n  - id: a\n"
                                     "    agnet: ocf:x:y\n",
                         "{f}:3: unknown key 'agnet' in ha_cluster_resource_primitives item 1:"
                         " expected id, agent, instance_attrs, meta_attrs, operations, "
                         "utilization, copy_operations_from_agent"),
    "yaml-unknown-variable": ("top.yaml", "ha_cluster_resource_primitive: []\n",
                              "{f}:1: unknown key 'ha_cluster_resource_primitive': a spec holds"
                              " linux-system-roles ha_cluster variables "
                              "(ha_cluster_cluster_properties, ha_cluster_node_options, "
                              "ha_cluster_resource_primitives, ha_cluster_resource_groups, "
                              "ha_cluster_resource_clones, ha_cluster_resource_defaults, "
                              "ha_cluster_resource_operation_defaults, "
                              "ha_cluster_stonith_levels, ha_cluster_constraints_location, "
                              "ha_cluster_constraints_colocation, ha_cluster_constraints_order)"
                              " and ocfpy_fencing_disabled_reason"),
    "yaml-missing-key": ("miss.yaml", "ha_cluster_resource_primitives:\n  - id: a\n",
                         "{f}:2: ha_cluster_resource_primitives item 1: 'agent' is missing"),
    "yaml-bad-value": ("val.yaml", "ha_cluster_resource_primitives:\n  - id: a\n"
                                   "    agent: ocf:x:y\n    operations:\n"
                                   "      - action: monitor\n        attrs:\n"
                                   "          - name: role\n            value: Boss\n",
                       "{f}:5: bad role 'Boss': use Started, Stopped, Promoted or Unpromoted"),
    "yaml-unsupported": ("tick.yaml", "ha_cluster_constraints_ticket:\n  - ticket: t\n",
                         "{f}:1: ha_cluster_constraints_ticket is not supported by ocfpy's "
                         "model: manage it with pcs or crmsh"),
    "yaml-duplicate": ("dup.yaml", "ha_cluster_cluster_properties: []\n"
                                   "ha_cluster_cluster_properties: []\n",
                       "{f}:2: duplicate key 'ha_cluster_cluster_properties'"),
    "json-syntax": ("bad.json", '{"ha_cluster_resource_primitives": [\n {"id": "a",}\n]}\n',
                    "{f}:2: JSON: Expecting property name enclosed in double quotes "
                    "(column 13)"),
    "json-shape": ("shape.json", '{"ha_cluster_resource_primitives": {"id": "a"}}\n',
                   "{f}:1: ha_cluster_resource_primitives: expected a list, got a mapping"),
    "xml": ("bad.xml", "<cib><configuration>\n<resources>\n</cib>\n",
            "{f}:3: XML: Opening and ending tag mismatch: resources line 2 and cib"),
}


@pytest.mark.parametrize("command", ["render", "verify", "apply"])
@pytest.mark.parametrize("case", sorted(ERRORS))
def test_a_spec_error_is_one_line_with_file_and_line_and_exit_2(tmp_path, case, command):
    if case == "xml" and command != "render":
        pytest.skip("XML files are CIBs: diff and import read them")
    name, text, expected = ERRORS[case]
    spec = _spec(tmp_path, name, text)
    args = [command, spec] + (["--cib-file", tmp_path / "none.xml"] if command == "apply"
                              else [])
    p = cli(*args)
    expected = "ocfpy: " + expected.format(f=spec) + "\n"
    if expected.endswith("...\n"):  # the parser's own words vary (libyaml or not)
        expected = expected[:-4]
        assert p.stderr.startswith(expected) and p.stderr.count("\n") == 1, p.stderr
        p.stderr = expected
    assert (p.returncode, p.stdout, p.stderr) == (2, "", expected), p.stderr


def test_diff_and_import_report_a_broken_cib_file_in_one_line(tmp_path):
    spec = _spec(tmp_path, "bad.xml", ERRORS["xml"][1])
    expected = "ocfpy: " + ERRORS["xml"][2].format(f=spec) + "\n"
    for args in (["diff", spec, SNIPPETS / "vip.py"], ["import", spec]):
        p = cli(*args)
        assert (p.returncode, p.stderr) == (2, expected), p.stderr


def test_a_spec_error_under_detailed_exitcode_is_1(tmp_path):
    spec = _spec(tmp_path, "syn.py", "def build(:\n")
    p = cli("apply", spec, "--cib-file", tmp_path / "x.xml", "--detailed-exitcode")
    assert (p.returncode, p.stderr) == (1, f"ocfpy: {spec}:1: SyntaxError: invalid syntax\n")


def test_a_spec_error_in_json_format_is_json_too(tmp_path):
    spec = _spec(tmp_path, "syn.py", "def build(:\n")
    p = cli("verify", spec, "--format", "json")
    assert p.returncode == 2 and json.loads(p.stdout) == {
        "error": f"{spec}:1: SyntaxError: invalid syntax", "exit_code": 2, "file": str(spec),
        "line": 1}


@pytest.mark.parametrize("args,message", [
    (["render", "nope.py"], "ocfpy cib render: Invalid value for 'SPEC': File 'nope.py' "
                            "does not exist."),
    (["render", "crm_snippets/vip.py", "--format", "bogus"],
     "ocfpy cib render: Invalid value for '--format': 'bogus' is not one of 'xml', 'pcs', "
     "'crmsh', 'yaml', 'json'."),
    (["apply", "crm_snippets/vip.py", "--bogus"], "ocfpy cib apply: No such option '--bogus'."),
    (["diff", "crm_snippets/vip.py"], "ocfpy cib diff: Missing argument 'NEW'."),
    (["import"], "ocfpy cib import: give a CIB file or --live (one of them)"),
])
def test_usage_errors_are_one_line_and_exit_2(args, message):
    p = cli(*args)
    assert (p.returncode, p.stdout, p.stderr) == (2, "", f"ocfpy: {message}\n")


def test_apply_errors_are_one_line_and_exit_1(tmp_path):
    need("cibadmin", "crm_diff")
    missing = cli("apply", SNIPPETS / "vip.py", "--cib-file", tmp_path / "absent.xml")
    assert missing.returncode == 1 and missing.stderr.startswith("ocfpy: cibadmin --query "
                                                                 "failed")
    assert missing.stderr.count("\n") == 1
    lint = _spec(tmp_path, "l.py", "from ocfpy.cib.model import Config\n"
                                   "config = Config(properties={'stonith-enabled': 'false'})\n")
    p = cli("apply", lint, "--cib-file", tmp_path / "absent.xml")
    assert (p.returncode, p.stderr.count("\n")) == (1, 1) and "disable_fencing" in p.stderr
    p = cli("apply", SNIPPETS / "vip.py", "--cib-file", tmp_path / "x.xml",
            "--prune-protected")
    assert (p.returncode, p.stderr) == (1, "ocfpy: --prune-protected needs --prune\n")


def test_diff_of_a_broken_spec_is_one_line_too(tmp_path):
    for case in ("exception", "yaml-unknown-key", "json-syntax"):
        name, text, expected = ERRORS[case]
        spec = _spec(tmp_path, name, text)
        p = cli("diff", SNIPPETS / "vip.py", spec)
        assert (p.returncode, p.stdout, p.stderr) == (
            2, "", "ocfpy: " + expected.format(f=spec) + "\n"), p.stderr


def test_import_live_without_a_cluster_is_one_line_and_exit_1(tmp_path, monkeypatch):
    need("cibadmin")
    # CIB_file pointing nowhere: cibadmin --query fails as without a running cluster
    monkeypatch.setenv("CIB_file", str(tmp_path / "absent.xml"))
    p = cli("import", "--live")
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr.startswith("ocfpy: cibadmin --query failed") and p.stderr.count("\n") == 1
