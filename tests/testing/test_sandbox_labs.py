"""The sandbox's service labs say what is missing and where (issue 12: no
developer's path as a default, no check that cannot fail)."""

from ocfpy.sandbox import openstack


def test_an_absent_openstack_venv_is_named_with_how_to_create_it(monkeypatch, tmp_path):
    monkeypatch.setenv(openstack.VENV_ENV, str(tmp_path / "not-there"))
    reason = openstack.missing_requirements()
    assert str(tmp_path / "not-there") in reason and "python3 -m venv" in reason


def test_without_the_variable_the_venv_is_looked_for_beside_the_source_tree(monkeypatch, tmp_path):
    monkeypatch.delenv(openstack.VENV_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    path = openstack.venv_path()
    assert path.name == ".venv-openstack" and "/work/main" not in openstack.__doc__


def test_a_venv_lacking_a_service_program_is_named(monkeypatch, tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    monkeypatch.setenv(openstack.VENV_ENV, str(venv))
    assert "lacks" in openstack.missing_requirements(("keystone",))
