"""OpenStack API agents (keystone, glance-api, cinder-api, manila-api) against
fakes: a Keystone in a thread and a fake service process the agent starts
itself (openstack_bed). Each agent call runs as Pacemaker runs it: a separate
process with the OCF environment (ocfpy.testing.driver). No OpenStack needed;
the real services are tested in test_openstack_real.py.
"""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import pytest

from ocfpy import codes
from ocfpy.install import discover, install
from ocfpy_agents.openstack.api import OpenStackAPI
from ocfpy_agents.openstack.cinder_api import CinderAPI
from ocfpy_agents.openstack.glance_api import GlanceAPI
from ocfpy_agents.openstack.keystone import Keystone
from ocfpy_agents.openstack.manila_api import ManilaAPI
from openstack_bed import APP_ID, APP_SECRET, FAKE, PASSWORD, bed_factory, keystone  # noqa: F401

AGENTS = (Keystone, GlanceAPI, CinderAPI, ManilaAPI)
GUIDE_PARAMS = ("config", "os_username", "os_password", "os_tenant_name", "os_auth_url",
                "keystone_get_token_url", "url", "binary", "user", "pid",
                "additional_parameters", "client_binary")


def creds(keystone_url, password=PASSWORD):
    return {"os_auth_url": f"{keystone_url}/v3", "os_username": "admin", "os_password": password,
            "os_project_name": "admin"}


def one_reason(result):
    """The single exit reason of a call (asserting there is exactly one)."""
    lines = [l for l in result.stderr.splitlines() if l.startswith("ocf-exit-reason:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def service_bed(bed_factory, keystone, agent=GlanceAPI, params=None, **kw):
    return bed_factory(agent, keystone_url=keystone.url,
                       params={**creds(keystone.url), **(params or {})}, **kw)


# -- declarations ---------------------------------------------------------------------------------
def test_install_discovers_the_four_agents_under_provider_openstack_and_not_the_base():
    found = {a.name: a for a in discover()}
    for cls in AGENTS:
        assert found[cls.name].provider == "openstack" and found[cls.name].cls is cls
    assert OpenStackAPI not in [a.cls for a in found.values()]


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_meta_data_accepts_the_guides_parameters_and_hides_the_secrets(agent):
    root = ET.fromstring(agent.metadata())
    params = {p.get("name"): p for p in root.iter("parameter")}
    assert set(GUIDE_PARAMS) <= set(params)
    for secret in ("os_password", "os_application_credential_secret"):
        # no private="1" (pcs and the OCF 1.1 schema refuse it): the description says it
        assert params[secret].get("private") is None
        assert "cibsecret" in params[secret].find("longdesc").text
    assert root.get("name") == agent.name


# -- start, monitor, stop -------------------------------------------------------------------------
def test_start_monitor_and_stop_a_service_run_by_start_command(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("monitor").rc == codes.NOT_RUNNING
    assert bed.run("start", timeout=30).rc == codes.SUCCESS
    pid = bed.service_pid()
    assert bed.ours(pid)
    assert bed.monitor().rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert bed.run("monitor").rc == codes.SUCCESS          # probe
    assert bed.run("start").rc == codes.SUCCESS            # already running
    assert bed.service_pid() == pid
    assert bed.run("stop").rc == codes.SUCCESS
    assert not bed.ours(pid)
    assert bed.run("monitor").rc == codes.NOT_RUNNING
    assert bed.run("stop").rc == codes.SUCCESS


def test_start_of_a_service_that_dies_fails_at_once_with_its_exit_status(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, service_args=["--exit-at-start", "3"])
    result = bed.run("start", timeout=60)
    assert result.rc == codes.ERR_GENERIC
    assert "exited during start with status 3" in one_reason(result)
    # the tail of its output is in the debug log
    assert "cannot load the configuration: boom" in bed.debug_log.read_text()


def test_monitor_after_kill_9_of_the_service_returns_7(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    os.kill(bed.service_pid(), signal.SIGKILL)
    assert bed.monitor().rc == codes.NOT_RUNNING


def test_monitor_of_a_hung_service_returns_1_within_its_timeout(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, params={"healthcheck_timeout": "1s"})
    assert bed.run("start").rc == codes.SUCCESS
    os.kill(bed.service_pid(), signal.SIGSTOP)
    result = bed.monitor(timeout=20)
    assert result.rc == codes.ERR_GENERIC and not result.timed_out
    assert "no answer within" in one_reason(result)


def test_stop_of_a_stopped_sigstop_service_ends_it_with_its_stop_signal(bed_factory, keystone):
    # SIGCONT follows the stop signal: no waiting for the KILL
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    pid = bed.service_pid()
    os.kill(pid, signal.SIGSTOP)
    result = bed.run("stop", timeout=20)
    assert result.rc == codes.SUCCESS and not result.timed_out
    assert f"got signal {signal.SIGTERM.value}" in bed.log.read_text()


def test_stop_never_signals_an_unrelated_process_that_reused_the_pid(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    other = subprocess.Popen(["sleep", "300"])
    try:
        bed.pid_file.write_text(f"{other.pid}\n")
        assert bed.run("monitor").rc == codes.NOT_RUNNING
        assert bed.run("stop").rc == codes.SUCCESS
        assert other.poll() is None, "the unrelated process was signalled"
    finally:
        other.kill()
        other.wait()


def test_stop_sends_the_configured_signal_first(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, params={"stop_signal": "QUIT"})
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.run("stop").rc == codes.SUCCESS
    assert f"got signal {signal.SIGQUIT.value}" in bed.log.read_text()


def test_stop_of_a_program_named_uwsgi_sends_sigint_first(bed_factory, keystone, tmp_path):
    uwsgi = tmp_path / "uwsgi"           # uWSGI 2.0 reloads on TERM: auto sends INT
    uwsgi.symlink_to(sys.executable)
    bed = service_bed(bed_factory, keystone, program=str(uwsgi))
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.run("stop").rc == codes.SUCCESS
    assert f"got signal {signal.SIGINT.value}" in bed.log.read_text()


# -- the health check -----------------------------------------------------------------------------
@pytest.mark.parametrize("switch, rc, reason", [
    ("disable_file", codes.DEGRADED, "disabled by file (node drained on purpose)"),
    ("fail_file", codes.ERR_GENERIC, "answered 503: database unreachable"),
], ids=["disabled-by-file-is-190-drained", "failing-healthcheck-is-1"])
def test_healthcheck_answer_of_a_running_service(bed_factory, keystone, switch, rc, reason):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    getattr(bed, switch).touch()
    result = bed.monitor()
    assert result.rc == rc
    assert reason in one_reason(result)


def test_start_of_a_drained_service_succeeds(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    bed.disable_file.touch()
    assert bed.run("start").rc == codes.SUCCESS


def test_without_a_healthcheck_endpoint_version_discovery_is_used(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, service_args=["--no-healthcheck"])
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor().rc == codes.SUCCESS
    assert "GET /" in bed.requests_seen()


def test_explicit_healthcheck_url_answering_404_returns_1(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, service_args=["--no-healthcheck"])
    assert bed.run("start", params={"healthcheck_url": ""}).rc == codes.SUCCESS
    result = bed.monitor(params={"healthcheck_url": f"http://127.0.0.1:{bed.port}/healthcheck"})
    assert result.rc == codes.ERR_GENERIC and "answered 404" in one_reason(result)


# -- the authenticated check ----------------------------------------------------------------------
@pytest.mark.parametrize("revoke, posts", [(False, 1), (True, 2)],
                         ids=["reused", "revoked-replaced-once"])
def test_second_deep_monitor_reuses_the_cached_token_or_replaces_a_revoked_one_once(
        bed_factory, keystone, revoke, posts):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert keystone.state.token_posts == 1
    if revoke:
        keystone.revoke_all()
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert keystone.state.token_posts == posts


def test_token_cache_file_is_0600_named_without_secrets_and_removed_on_stop(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    run = bed.run_dir / "run"
    cached = [p for p in run.iterdir() if ".token-" in p.name]
    assert len(cached) == 1
    assert stat.S_IMODE(cached[0].stat().st_mode) == 0o600
    token = next(iter(keystone.state.tokens))
    for secret in (PASSWORD, token):
        assert secret not in cached[0].name
    assert PASSWORD not in cached[0].read_text()
    assert bed.run("stop").rc == codes.SUCCESS
    assert not [p for p in run.iterdir() if ".token-" in p.name]


def test_token_cache_false_gets_a_new_token_every_deep_monitor(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, params={"token_cache": "false"})
    assert bed.run("start").rc == codes.SUCCESS
    for _ in range(2):
        assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert keystone.state.token_posts == 2


@pytest.mark.parametrize("down_status", [401, 503], ids=["glance-like-401", "cinder-like-503"])
@pytest.mark.parametrize("cached", [True, False], ids=["cached-token", "no-token-yet"])
def test_keystone_down_makes_the_deep_monitor_return_190_not_1(bed_factory, keystone, down_status,
                                                               cached):
    bed = service_bed(bed_factory, keystone, service_args=["--keystone-down-status", str(down_status)])
    assert bed.run("start").rc == codes.SUCCESS
    if cached:
        assert bed.monitor(deep=True).rc == codes.SUCCESS
    keystone.down()
    result = bed.monitor(deep=True)
    assert result.rc == codes.DEGRADED
    assert "keystone is unreachable" in one_reason(result)
    assert bed.monitor().rc == codes.SUCCESS           # the shallow monitor is unaffected


def test_unreachable_auth_url_returns_190_naming_keystone(bed_factory, keystone):
    from openstack_bed import free_port

    bed = service_bed(bed_factory, keystone,
                      params={"os_auth_url": f"http://127.0.0.1:{free_port()}/v2.0/"})
    assert bed.run("start").rc == codes.SUCCESS
    result = bed.monitor(deep=True)
    assert result.rc == codes.DEGRADED and "keystone is unreachable" in one_reason(result)


def test_bad_credentials_return_190_saying_they_were_rejected(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, params={"os_password": "wrong-Pa55"})
    assert bed.run("start").rc == codes.SUCCESS
    result = bed.monitor(deep=True)
    assert result.rc == codes.DEGRADED
    assert "rejected the monitor's credentials (401)" in one_reason(result)


def test_failing_authenticated_call_while_keystone_answers_returns_1(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, agent=CinderAPI)
    assert bed.run("start").rc == codes.SUCCESS
    bed.api_fail_file.touch()
    result = bed.monitor(deep=True)
    assert result.rc == codes.ERR_GENERIC
    assert "answered 500" in one_reason(result)


@pytest.mark.parametrize("agent, expected", [
    (GlanceAPI, "GET /v2/images?limit=1"),
    (CinderAPI, "GET /v3/0123456789abcdef0123456789abcdef/types"),
    (ManilaAPI, "GET /v2/types manila-version=2.0"),
], ids=lambda x: getattr(x, "name", None))
def test_each_service_makes_its_own_cheap_authenticated_call(bed_factory, keystone, agent, expected):
    bed = service_bed(bed_factory, keystone, agent=agent)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert expected in bed.requests_seen()


def test_the_guides_v2_token_url_is_turned_into_v3(bed_factory, keystone):
    params = {"os_auth_url": "", "keystone_get_token_url": f"{keystone.url}/v2.0/tokens",
              "os_project_name": "", "os_tenant_name": "admin"}
    bed = service_bed(bed_factory, keystone, agent=CinderAPI, params=params)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    assert ("POST", "/v3/auth/tokens") in [(m, p) for m, p, _ in keystone.state.requests]


def test_application_credential_deep_monitor_returns_0(bed_factory, keystone):
    params = {"os_username": "", "os_password": "", "os_application_credential_id": APP_ID,
              "os_application_credential_secret": APP_SECRET}
    bed = service_bed(bed_factory, keystone, params=params)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS


def test_credentials_from_an_openrc_file_keep_the_password_out_of_the_cib(bed_factory, keystone,
                                                                          tmp_path):
    rc = tmp_path / "admin-openrc"
    rc.write_text(f"# monitor\nexport OS_AUTH_URL={keystone.url}/v3\nexport OS_USERNAME=admin\n"
                  f"export OS_PASSWORD='{PASSWORD}'\nexport OS_PROJECT_NAME=admin\n"
                  "export OS_USER_DOMAIN_NAME=Default\n")
    rc.chmod(0o600)
    bed = bed_factory(GlanceAPI, keystone_url=keystone.url, params={"os_credentials_file": str(rc)})
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS


def test_credentials_from_clouds_yaml_and_secure_yaml(bed_factory, keystone, tmp_path):
    (tmp_path / "clouds.yaml").write_text(
        "clouds:\n  monitor:\n    auth:\n"
        f"      auth_url: \"{keystone.url}/v3\"   # the VIP\n"
        "      username: admin\n      project_name: admin\n"
        "      user_domain_name: Default\n    region_name: RegionOne\n")
    (tmp_path / "secure.yaml").write_text(f"clouds:\n  monitor:\n    auth:\n      password: '{PASSWORD}'\n")
    params = {"os_cloud": "monitor", "os_client_config_file": str(tmp_path / "clouds.yaml")}
    bed = bed_factory(GlanceAPI, keystone_url=keystone.url, params=params)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS


def test_a_credentials_file_with_shell_expansion_is_refused_with_2(bed_factory, keystone, tmp_path):
    rc = tmp_path / "openrc"
    rc.write_text("export OS_USERNAME=admin\nexport OS_PASSWORD=$(cat /root/pw)\n")
    bed = bed_factory(GlanceAPI, keystone_url=keystone.url, params={"os_credentials_file": str(rc)})
    assert bed.run("start").rc == codes.SUCCESS
    result = bed.monitor(deep=True)
    assert result.rc == codes.ERR_ARGS and "shell expansion" in one_reason(result)


def test_a_missing_credentials_file_returns_5_on_the_deep_monitor_only(bed_factory, keystone, tmp_path):
    params = {"os_credentials_file": str(tmp_path / "absent-openrc")}
    bed = bed_factory(GlanceAPI, keystone_url=keystone.url, params=params)
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor().rc == codes.SUCCESS
    result = bed.monitor(deep=True)
    assert result.rc == codes.ERR_INSTALLED and "does not exist" in one_reason(result)


def test_keystone_validates_its_own_token_against_its_own_instance(bed_factory):
    bed = bed_factory(Keystone, role="keystone",
                      params={"os_username": "admin", "os_password": PASSWORD,
                              "os_project_name": "admin",
                              "os_auth_url": "http://192.0.2.1:5000/v2.0/"})    # the VIP: unused
    assert bed.run("start").rc == codes.SUCCESS
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    seen = bed.requests_seen()
    assert "POST /v3/auth/tokens" in seen and "GET /v3/auth/tokens" in seen


def test_keystone_failing_its_token_request_returns_1(bed_factory):
    bed = bed_factory(Keystone, role="keystone",
                      params={"os_username": "admin", "os_password": PASSWORD,
                              "os_project_name": "admin"})
    assert bed.run("start").rc == codes.SUCCESS
    bed.token_fail_file.touch()
    result = bed.monitor(deep=True)
    assert result.rc == codes.ERR_GENERIC and "answered 500" in one_reason(result)


# -- secrets --------------------------------------------------------------------------------------
def test_secrets_appear_in_no_output_log_command_line_or_environment(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone,
                      params={"os_application_credential_id": APP_ID,
                              "os_application_credential_secret": APP_SECRET})
    assert bed.run("validate-all", check_level=10).rc == codes.SUCCESS
    assert bed.run("start").rc == codes.SUCCESS
    pid = bed.service_pid()
    cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode()
    environ = open(f"/proc/{pid}/environ", "rb").read().decode()
    assert bed.monitor(deep=True).rc == codes.SUCCESS
    bed.run("monitor", interval=60, check_level=10, params={"os_password": "wrong"})
    keystone.down()
    bed.monitor(deep=True, params={"token_cache": "false"})
    bed.monitor(deep=True)
    assert bed.run("stop").rc == codes.SUCCESS
    tokens = list(keystone.state.tokens)
    assert tokens
    texts = {"cmdline": cmdline, "environ": environ, "service log": bed.log.read_text(),
             "agent log": bed.agent_log.read_text(), "debug log": bed.debug_log.read_text()}
    texts.update({f"stderr of {r.action} {i}": r.stderr + r.stdout for i, r in enumerate(bed.results)})
    for secret in (PASSWORD, APP_SECRET, "wrong", *tokens):
        for where, text in texts.items():
            assert secret not in text, f"secret in {where}"


# -- bad input ------------------------------------------------------------------------------------
def test_missing_config_file(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone)
    missing = {"config": str(bed.tmp / "absent.conf")}
    start = bed.run("start", params=missing)
    assert start.rc == codes.ERR_INSTALLED and "does not exist" in one_reason(start)
    probe = bed.run("monitor", params=missing)
    assert probe.rc == codes.NOT_RUNNING and one_reason(probe)
    assert bed.run("stop", params=missing).rc == codes.SUCCESS
    validate = bed.run("validate-all", params=missing, check_level=10)
    assert validate.rc == codes.ERR_INSTALLED and one_reason(validate)


def test_a_user_that_does_not_exist(bed_factory, keystone):
    bed = service_bed(bed_factory, keystone, params={"user": "no-such-user-ocfpy"})
    start = bed.run("start")
    assert start.rc == codes.ERR_ARGS and "does not exist" in one_reason(start)
    probe = bed.run("monitor")
    assert probe.rc == codes.NOT_RUNNING and one_reason(probe)
    assert bed.run("stop").rc == codes.SUCCESS


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_probe_on_a_node_without_the_service_returns_7(agent, tmp_path):
    from ocfpy.testing.driver import Driver

    d = Driver(agent, resource="p1", workdir=tmp_path,
               params={"binary": str(tmp_path / "absent" / "program"),
                       "config": str(tmp_path / "absent.conf")})
    probe = d.run("monitor")
    assert probe.rc == codes.NOT_RUNNING and "Traceback" not in probe.stderr
    assert d.run("stop").rc == codes.SUCCESS
    assert d.run("start").rc == codes.ERR_INSTALLED


MALFORMED = [
    ("healthcheck_timeout", "abc"),
    ("url", "ftp://127.0.0.1/"),
    ("os_auth_url", "keystone:5000"),
    ("start_command", 'glance-api --config-file "/etc/glance/glance-api.conf'),
    ("additional_parameters", "--debug 'x"),
    ("stop_signal", "HUP"),
    ("os_insecure", "maybe"),
    ("pid", "relative/service.pid"),
    ("token_cache", "sometimes"),
]


@pytest.mark.parametrize("name, value", MALFORMED, ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("action, kw, expected", [
    ("start", {}, codes.ERR_CONFIGURED),
    ("stop", {}, codes.SUCCESS),
    ("monitor", {}, codes.ERR_CONFIGURED),                       # a probe: never valid -> 6
    ("monitor", {"interval": 30}, codes.ERR_CONFIGURED),
    ("monitor", {"interval": 60, "check_level": 10}, codes.ERR_CONFIGURED),
    ("validate-all", {}, codes.ERR_CONFIGURED),
], ids=["start", "stop", "probe", "monitor", "deep-monitor", "validate-all"])
def test_every_action_with_a_malformed_parameter(bed_factory, keystone, name, value, action, kw,
                                                  expected):
    bed = service_bed(bed_factory, keystone)
    result = bed.run(action, params={name: value}, **kw)
    assert result.rc == expected
    assert name in one_reason(result)


@pytest.mark.parametrize("unset", ["os_username", "os_password"])
def test_half_a_password_credential_is_a_configuration_error(bed_factory, keystone, unset):
    bed = service_bed(bed_factory, keystone, params={unset: ""})
    result = bed.run("validate-all")
    assert result.rc == codes.ERR_CONFIGURED and f"{unset} is not" in one_reason(result)
    assert PASSWORD not in result.stderr


# -- ocfpy check --------------------------------------------------------------------------------------
def test_ocfpy_check_passes_on_the_installed_keystone_agent_with_the_fake_service(bed_factory):
    bed = bed_factory(Keystone, role="keystone")
    bed.log.touch()                      # the service's log is expected to outlive a stop
    # `ocfpy check` runs meta-data as nobody: the OCF root must be reachable for it
    root = tempfile.mkdtemp(prefix="ocfpy-openstack-check-", dir="/tmp")
    try:
        os.chmod(root, 0o755)
        install(root, names=["keystone"])
        argv = [sys.executable, "-c", "from ocfpy.cli import main; main()", "check",
                "ocf:openstack:keystone", "--ocf-root", root]
        for key in ("start_command", "config", "url", "user", "log_file"):
            argv += ["-o", f"{key}={bed.params[key]}"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "-> OK" in proc.stdout
    assert bed.leftovers() == [], "the check's stop left the service running"


# -- the pieces the monitor uses ------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    "uwsgi --ini /etc/keystone/uwsgi.ini", "a 'b c' d", 'a "b \\" c" d', "a\\ b", "a''b", '""',
    'p --x="1 2"', "a\tb\nc", '"a\\$b"', "A=\\\"b\\\"", "  ",
])
def test_start_command_is_split_exactly_like_shlex(line):
    import shlex

    from ocfpy_agents.openstack.api import split_command

    assert split_command(line) == shlex.split(line)


@pytest.mark.parametrize("line", ['a "b', "a 'b", "a\\"])
def test_start_command_with_an_unclosed_quote_is_refused_like_shlex(line):
    from ocfpy_agents.openstack.api import split_command

    with pytest.raises(ValueError):
        split_command(line)


def _one_shot_server(response: bytes):
    """A socket on 127.0.0.1 answering one connection with ``response``."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def answer():
        conn, _ = srv.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(response)
        srv.close()
    threading.Thread(target=answer, daemon=True).start()
    return srv.getsockname()[1]


def test_http_client_reads_a_chunked_body():
    from ocfpy_agents.openstack import http

    port = _one_shot_server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Subject-Token: t\r\n\r\n"
                            b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n")
    r = http.request("GET", f"http://127.0.0.1:{port}/x", timeout=5)
    assert (r.status, r.body, r.header("X-SUBJECT-TOKEN")) == (200, b"abcdefg", "t")


def test_http_client_reports_a_refused_connection_as_ConnectError():
    from ocfpy_agents.openstack import http
    from openstack_bed import free_port

    with pytest.raises(http.ConnectError, match="connection refused"):
        http.request("GET", f"http://127.0.0.1:{free_port()}/", timeout=5)


def test_http_client_times_out_on_a_silent_server():
    import socket

    from ocfpy_agents.openstack import http

    with socket.socket() as srv:          # accepts (backlog) but never answers
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        with pytest.raises(http.Timeout):
            http.request("GET", f"http://127.0.0.1:{srv.getsockname()[1]}/", timeout=0.3)


@pytest.mark.parametrize("url", ["ftp://h/", "http://user:pw@h/", "http://h:99999/", "http:///x",
                                 "http://h/a b"])
def test_http_client_refuses_a_malformed_url(url):
    from ocfpy_agents.openstack.http import split_url

    with pytest.raises(ValueError):
        split_url(url)


# -- hot path ------------------------------------------------------------------------------------
#: what the meta-data and level-0 monitor paths must not import (heavy, or
#: ~5-30 ms each here: http.client/urllib via email+ssl, shlex/json via re)
NOT_ON_HOT_PATH = ("psutil", "lxml", "click", "pyroute2", "pymysql", "http", "urllib", "email",
                   "ssl", "socket", "shlex", "re", "json", "subprocess", "enum",
                   "ocfpy_agents.openstack.auth")


def _imports(script, action, env):
    proc = subprocess.run([sys.executable, "-IS", "-X", "importtime", str(script), action],
                          env=env, capture_output=True, text=True, timeout=60)
    mods = {line.split("|")[2].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}
    return proc.returncode, mods


def test_meta_data_and_shallow_monitor_import_nothing_heavy(bed_factory, keystone, tmp_path):
    bed = service_bed(bed_factory, keystone)
    assert bed.run("start").rc == codes.SUCCESS
    (script,) = install(tmp_path / "ocf", names=["glance-api"])
    env = {**bed.driver.environ("monitor", interval=30), "PATH": os.environ["PATH"]}
    for action, expected in (("meta-data", codes.SUCCESS), ("monitor", codes.SUCCESS)):
        rc, mods = _imports(script, action, env)
        assert rc == expected and "ocfpy_agents.openstack.api" in mods, (action, rc)
        assert sorted(m for m in mods if m.split(".")[0] in NOT_ON_HOT_PATH
                      or m in NOT_ON_HOT_PATH) == [], action
