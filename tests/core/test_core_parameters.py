"""Parameter types: conversion, the errors they give, and the exit reason."""

import json
import os

import pytest

from core_helpers import run_agent
from core_sample_agents import Typed
from ocfpy import codes
from ocfpy.errors import ParameterError
from ocfpy.parameters import (Boolean, Duration, Integer, IPAddress, Path, Port, Select, String,
                              User, collect, parse_all, parse_duration, which)


def start_typed(tmp_path, **params):
    dump = tmp_path / "values.json"
    res = run_agent(Typed, "start", params=params, env={"SAMPLE_DUMP": dump})
    values = json.loads(dump.read_text()) if dump.exists() else None
    return res, values


def test_valid_values_reach_the_agent_converted(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("")
    res, values = start_typed(tmp_path, text="hello", number="-5", flag="yes", choice="green",
                              ip="fe80::1", ip4="10.0.0.1", ip6="::1", port="65535",
                              conf=conf, datadir=tmp_path, program="sh", relpath="a/b",
                              wait="1500ms")
    assert res.rc == 0, res
    assert values == {"text": "hello", "number": -5, "flag": True, "choice": "green",
                      "ip": "fe80::1", "ip4": "10.0.0.1", "ip6": "::1", "port": 65535,
                      "conf": str(conf), "datadir": str(tmp_path), "program": "sh",
                      "relpath": "a/b", "wait": 1.5, "new_name": ""}


def test_unset_parameters_take_their_defaults(tmp_path):
    res, values = start_typed(tmp_path)
    assert res.rc == 0
    assert (values["text"], values["number"], values["flag"], values["choice"], values["port"],
            values["wait"], values["ip"]) == ("t", 0, False, "red", 80, 5, None)


@pytest.mark.parametrize("name, raw", [
    ("number", "11"), ("number", "-6"), ("number", "1.5"), ("number", "ten"),
    ("flag", "maybe"), ("choice", "blue"), ("choice", "RED"),
    ("ip", "999.1.1.1"), ("ip", "1.2.3"), ("ip", "example.com"), ("ip", "1.2.3.04"),
    ("ip4", "::1"), ("ip6", "10.0.0.1"), ("ip6", "fe80::1::2"),
    ("port", "0"), ("port", "65536"), ("port", "http"),
    ("conf", "relative/path"), ("wait", "soon"), ("wait", "10 parsecs"), ("wait", "-1s"),
    ("text", ""),
])
def test_malformed_value_on_start_returns_6_with_one_reason_naming_the_parameter(tmp_path, name, raw):
    res, _ = start_typed(tmp_path, **{name: raw})
    assert res.rc == codes.ERR_CONFIGURED, res
    assert len(res.reasons) == 1
    assert f"parameter {name}:" in res.reasons[0]


def test_first_malformed_value_is_the_one_reported(tmp_path):
    res, _ = start_typed(tmp_path, number="x", port="y")
    assert res.reasons == ["ocf-exit-reason:parameter number: 'x' must be a whole number"]


def test_missing_file_on_start_returns_5(tmp_path):
    res, _ = start_typed(tmp_path, conf=tmp_path / "absent.conf")
    assert res.rc == codes.ERR_INSTALLED
    assert "parameter conf:" in res.reasons[0]


def test_a_directory_where_a_file_is_expected_returns_2(tmp_path):
    res, _ = start_typed(tmp_path, conf=tmp_path)
    assert res.rc == codes.ERR_ARGS
    assert "parameter conf:" in res.reasons[0]


def test_a_file_where_a_directory_is_expected_returns_2(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    res, _ = start_typed(tmp_path, datadir=f)
    assert res.rc == codes.ERR_ARGS
    assert "parameter datadir:" in res.reasons[0]


def test_missing_program_returns_5(tmp_path):
    res, _ = start_typed(tmp_path, program="no-such-program-xyz")
    assert res.rc == codes.ERR_INSTALLED
    assert "parameter program:" in res.reasons[0]


def test_non_executable_program_path_returns_5(tmp_path):
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\n")
    f.chmod(0o644)
    res, _ = start_typed(tmp_path, program=f)
    assert res.rc == codes.ERR_INSTALLED


@pytest.mark.parametrize("word", ["1", "yes", "Yes", "y", "true", "TRUE", "on", " on "])
def test_boolean_accepts_pacemaker_true_values(word):
    assert Boolean("b").parse(word) is True


@pytest.mark.parametrize("word", ["0", "no", "NO", "n", "false", "False", "off"])
def test_boolean_accepts_pacemaker_false_values(word):
    assert Boolean("b").parse(word) is False


@pytest.mark.parametrize("text", ["2", "yess", "", "enabled"])
def test_boolean_rejects_other_words(text):
    with pytest.raises(ValueError):
        Boolean("b").parse(text)


@pytest.mark.parametrize("text", ["0.0.0.0", "255.255.255.255", "192.168.1.10", "::", "::1",
                                  "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1"])
def test_ip_address_accepts_v4_and_v6(text):
    assert IPAddress("ip").parse(text) == text


@pytest.mark.parametrize("text", ["999.1.1.1", "256.0.0.1", "1.2.3.4.5", "1..2.3", "a.b.c.d",
                                  "2001:db8:::1", "12345::", "", " "])
def test_ip_address_rejects_malformed_addresses(text):
    with pytest.raises(ValueError):
        IPAddress("ip").parse(text)


def test_ip_address_version_restricts_the_family():
    with pytest.raises(ValueError, match="IPv4"):
        IPAddress("ip", version=4).parse("::1")
    with pytest.raises(ValueError, match="IPv6"):
        IPAddress("ip", version=6).parse("10.1.1.1")


@pytest.mark.parametrize("text, seconds", [("500ms", 0.5), ("10s", 10.0), ("10", 10.0),
                                           ("2min", 120.0), ("2m", 120.0), ("1h", 3600.0),
                                           ("1.5s", 1.5), (" 3 s ", 3.0), ("20sec", 20.0),
                                           ("250msec", 0.25), ("1hr", 3600.0)])
def test_duration_accepts_pacemaker_units(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "10 days", "1x", "--1s", "1.2.3s"])
def test_duration_rejects_malformed_text(text):
    with pytest.raises(ValueError):
        Duration("d").parse(text)


def test_integer_bounds_are_inclusive():
    p = Integer("n", minimum=1, maximum=3)
    assert (p.parse("1"), p.parse("3")) == (1, 3)
    with pytest.raises(ValueError, match="at least 1"):
        p.parse("0")
    with pytest.raises(ValueError, match="at most 3"):
        p.parse("4")


def test_port_bounds_are_1_to_65535():
    assert (Port("p").parse("1"), Port("p").parse("65535")) == (1, 65535)
    for bad in ("0", "65536", "-1"):
        with pytest.raises(ValueError):
            Port("p").parse(bad)


def test_select_accepts_only_its_options():
    p = Select("s", options=("a", "b"))
    assert p.parse("b") == "b"
    with pytest.raises(ValueError, match="one of a, b"):
        p.parse("c")


def test_string_allows_empty_unless_told_otherwise():
    assert String("s").parse("") == ""
    with pytest.raises(ValueError):
        String("s", allow_empty=False).parse("")


def test_path_rejects_nul_and_relative_paths():
    with pytest.raises(ValueError):
        Path("p").parse("/a\0b")
    with pytest.raises(ValueError, match="absolute"):
        Path("p").parse("etc/passwd")
    assert Path("p", absolute=False).parse("etc/passwd") == "etc/passwd"


def test_user_unknown_on_this_node_is_err_args():
    with pytest.raises(ParameterError) as info:
        User("user").check_node("no-such-user-xyz")
    assert info.value.code == codes.ERR_ARGS
    assert info.value.param == "user"
    User("user").check_node("root")


def test_which_finds_programs_on_path_and_rejects_directories(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert which("sh") in ("/usr/bin/sh", "/bin/sh")
    (tmp_path / "adir").mkdir()
    assert which("adir") is None
    assert which(str(tmp_path)) is None


def test_deprecated_name_hands_its_value_to_the_replacement(tmp_path):
    res, values = start_typed(tmp_path, old_name="legacy")
    assert res.rc == 0
    assert values["new_name"] == "legacy"


def test_new_name_wins_over_the_deprecated_one(tmp_path):
    res, values = start_typed(tmp_path, old_name="legacy", new_name="current")
    assert values["new_name"] == "current"


def test_use_of_a_deprecated_name_is_logged(tmp_path):
    logfile = tmp_path / "ha.log"
    run_agent(Typed, "start", params={"old_name": "legacy"}, env={"HA_LOGFILE": logfile})
    assert "parameter old_name is deprecated" in logfile.read_text()


def test_parse_all_keeps_missing_and_malformed_apart():
    params = [String("a", required=True), Integer("b"), Integer("c", required=True)]
    parsed = parse_all(params, {"b": "x", "c": ""})
    assert [p.name for p in parsed.missing] == ["a", "c"]
    assert parsed.invalid.param == "b" and parsed.invalid.missing is False
    assert parsed.first_error() is parsed.invalid


def test_missing_required_parameter_error_is_6_and_marked_missing():
    parsed = parse_all([String("a", required=True)], {})
    err = parsed.first_error()
    assert (err.code, err.param, err.missing) == (codes.ERR_CONFIGURED, "a", True)


def test_collect_keeps_declaration_order_and_lets_a_subclass_redeclare():
    names = [p.name for p in collect(Typed)]
    assert names[:4] == ["text", "number", "flag", "choice"]

    class Sub(Typed):
        name = "sub"
        number = Integer("number", default=3)

    (number,) = [p for p in collect(Sub) if p.name == "number"]
    assert number.default == 3
    assert len(collect(Sub)) == len(collect(Typed))


def test_descriptor_reads_the_converted_value_and_the_class_reads_the_declaration():
    assert isinstance(Typed.port, Port)
    res = run_agent(Typed, "validate-all", params={"port": "8080"})
    assert res.rc == 0


def test_long_bad_values_are_shortened_in_the_exit_reason(tmp_path):
    res, _ = start_typed(tmp_path, choice="x" * 500)
    assert res.rc == 6
    assert len(res.reasons[0]) < 300


def test_paths_are_checked_on_this_node_only_when_must_exist():
    Path("p", kind="file").check_node("/nonexistent/file")   # no error: must_exist is False
    with pytest.raises(ParameterError) as info:
        Path("p", kind="file", must_exist=True, missing_code=codes.ERR_ARGS).check_node("/nonexistent")
    assert info.value.code == codes.ERR_ARGS
    assert os.path.exists("/") and Path("p", kind="dir", must_exist=True).check_node("/") is None
