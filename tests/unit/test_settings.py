"""Settings are checked as they are read: each wrong value is refused naming the variable and the values it takes,
and stops the CLI (exit 2) before any command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.auth.access import Role
from core.settings import AuthMode, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_defaults_are_make_runs():
    settings = load_settings({"LABELDECK_DATA_DIR": "/tmp/ld"})
    assert settings.auth_mode is AuthMode.NONE and settings.default_role == Role.VIEWER
    assert settings.database_url == "sqlite:////tmp/ld/labeldeck.db"
    assert (settings.log_format, settings.log_level) == ("json", "INFO")


def test_values_are_read_whatever_their_case_and_spaces():
    settings = load_settings(
        {
            "LABELDECK_AUTH": " Password ",
            "LABELDECK_DEFAULT_ROLE": "ADMIN",
            "LABELDECK_LOG_LEVEL": "debug",
            "LABELDECK_LOG_FORMAT": "Text",
        }
    )
    assert settings.auth_mode is AuthMode.PASSWORD and settings.default_role == Role.ADMIN
    assert (settings.log_format, settings.log_level) == ("text", "DEBUG")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LABELDECK_AUTH": "ldap"}, "LABELDECK_AUTH='ldap' is not one of none, password, oidc, header"),
        (
            {"LABELDECK_DEFAULT_ROLE": "owner"},
            "LABELDECK_DEFAULT_ROLE='owner' is not one of none, viewer, reviewer, admin",
        ),
        ({"LABELDECK_LOG_FORMAT": "xml"}, "LABELDECK_LOG_FORMAT='xml' is not one of json, text"),
        (
            {"LABELDECK_LOG_LEVEL": "loud"},
            "LABELDECK_LOG_LEVEL='loud' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        ({"LABELDECK_AUTH": "header"}, "LABELDECK_AUTH=header needs LABELDECK_AUTH_HEADER"),
        ({"LABELDECK_DATABASE_URL": "mysql://db/labels"}, "LABELDECK_DATABASE_URL names a 'mysql' store"),
        ({"LABELDECK_CACHE_MAX_GB": "-1"}, "LABELDECK_CACHE_MAX_GB='-1': expected a number of gigabytes, 0 or more"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_variable_and_what_it_takes(environ, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value).startswith(message)


def test_the_cli_stops_before_any_command_on_a_wrong_setting(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "core", "jobs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LABELDECK_DATA_DIR": str(tmp_path), "LABELDECK_AUTH": "ldap"},
        timeout=60,
    )
    assert done.returncode == 2
    assert "LABELDECK_AUTH='ldap' is not one of none, password, oidc, header" in done.stderr
    assert not (tmp_path / "labeldeck.db").exists()  # nothing was made
