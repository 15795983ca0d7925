"""clouds.yaml is read by PyYAML's safe loader (issue 12): the valid files
the old hand-written subset refused now give their credentials."""

import pytest

from ocfpy_agents.openstack.auth import CredentialsFileError, cloud_from_clouds_yaml, load_yaml


def write(tmp_path, text, name="clouds.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_flow_mapping_for_auth_gives_the_credentials(tmp_path):
    path = write(tmp_path, "clouds:\n  ctl:\n    auth: {auth_url: 'http://k:5000/v3', username: admin,"
                           " password: s3cret, project_name: admin}\n")
    creds = cloud_from_clouds_yaml(path, "ctl")
    assert (creds.auth_url, creds.username, creds.password) == ("http://k:5000/v3", "admin", "s3cret")


def test_anchors_and_merge_keys_are_followed(tmp_path):
    path = write(tmp_path, "defaults: &d\n  auth_url: http://k:5000/v3\n  user_domain_name: Default\n"
                           "clouds:\n  ctl:\n    auth:\n      <<: *d\n      username: admin\n"
                           "      password: pw1234\n")
    creds = cloud_from_clouds_yaml(path, "ctl")
    assert (creds.auth_url, creds.user_domain_name, creds.username) == (
        "http://k:5000/v3", "Default", "admin")


def test_verify_false_is_a_boolean_not_the_string_false():
    assert load_yaml("clouds:\n  a:\n    verify: false\n")["clouds"]["a"]["verify"] is False


def test_a_password_in_secure_yaml_is_merged_and_hidden_as_soon_as_read(tmp_path):
    path = write(tmp_path, "clouds:\n  ctl:\n    auth:\n      auth_url: http://k:5000/v3\n"
                           "      username: admin\n")
    write(tmp_path, "clouds:\n  ctl:\n    auth:\n      password: 'hunter22'\n", "secure.yaml")
    hidden = []
    creds = cloud_from_clouds_yaml(path, "ctl", on_secret=hidden.append)
    assert creds.password == "hunter22" and "hunter22" in hidden


def test_a_yaml_syntax_error_names_the_line_and_quotes_nothing(tmp_path):
    path = write(tmp_path, "clouds:\n  ctl:\n    auth: {password: 'topsecret'\n")
    with pytest.raises(CredentialsFileError) as err:
        cloud_from_clouds_yaml(path, "ctl")
    assert "line" in str(err.value) and "topsecret" not in str(err.value)
