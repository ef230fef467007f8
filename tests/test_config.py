"""Settings: all documented, all parsed, bad values refused with a clear message."""

import re
from pathlib import Path

import pytest

from hub import config as hub_config
from portal import config, secret_key

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "configuration.md").read_text()


@pytest.mark.parametrize("setting", config.SETTINGS + hub_config.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    """docs/configuration.md lists every setting with its default and help line."""
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{setting.name}` |")), None)
    assert row is not None, f"{setting.name} is missing from docs/configuration.md"
    assert setting.help in row
    assert (f"`{setting.default}`" if setting.default else "(empty)") in row


def test_every_balai_variable_in_the_code_is_a_setting():
    """No code reads a BALAI_* variable that the settings table does not declare."""
    used = set()
    for folder in ("portal", "kiosk", "hub", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"\bBALAI_[A-Z_]+[A-Z]\b", path.read_text()))
    for path in (ROOT / "Makefile", ROOT / ".ci" / "run"):
        used |= set(re.findall(r"\bBALAI_[A-Z_]+[A-Z]\b", path.read_text()))
    assert used - set(config.BY_NAME) - set(hub_config.BY_NAME) == set()


def test_defaults(tmp_path):
    values = config.load(environ={}, overrides={"BALAI_DATA_DIR": str(tmp_path)})
    assert values["BALAI_LISTEN"] == "127.0.0.1:8080"
    assert values["BALAI_ADMIN_LISTEN"] == values["BALAI_LISTEN"]
    assert values["BALAI_HOTSPOT_MAX_TICKETS"] == 2
    assert str(values["BALAI_HOTSPOT_NETWORKS"][0]) == "10.42.0.0/24"


def test_environment_beats_file_beats_default(tmp_path):
    (tmp_path / "balai.conf").write_text("# village config\nBALAI_THREADS=12\nBALAI_PRIORITY_RATIO = 3\n")
    environ = {"BALAI_DATA_DIR": str(tmp_path), "BALAI_PRIORITY_RATIO": "1"}
    values = config.load(environ=environ)
    assert values["BALAI_THREADS"] == 12 and values["BALAI_PRIORITY_RATIO"] == 1


def test_config_file_can_move_the_data_dir(tmp_path):
    conf = tmp_path / "etc.conf"
    conf.write_text(f"BALAI_DATA_DIR={tmp_path / 'data'}\n")
    values = config.load(environ={"BALAI_CONFIG": str(conf)})
    assert values["BALAI_DATA_DIR"] == str(tmp_path / "data")


@pytest.mark.parametrize(
    "line,words",
    [
        ("BALAI_THREADS=many", "whole number"),
        ("BALAI_HOTSPOT_NETWORKS=10.42.0.0/33", "BALAI_HOTSPOT_NETWORKS"),
        ("BALAI_REQUIRE_ALL_TIERS=perhaps", "on or off"),
        ("BALAI_LISTNE=0.0.0.0:80", "balai.conf:1"),
        ("nonsense", "not a known"),
    ],
)
def test_bad_values_are_refused_clearly(tmp_path, line, words):
    (tmp_path / "balai.conf").write_text(line + "\n")
    with pytest.raises(config.ConfigError) as exc:
        config.load(environ={"BALAI_DATA_DIR": str(tmp_path)})
    assert words in str(exc.value)


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = secret_key(tmp_path)
    assert len(first) == 64 and secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert secret_key(tmp_path / "other") != first
