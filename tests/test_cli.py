"""The command line, run as a technician would: `python -m portal …` in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import bearer, settings_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(data_dir):
    """Run `python -m portal ARGS` on this test's data directory."""

    def run(*args, stdin=""):
        env = {**os.environ, "BALAI_DATA_DIR": str(data_dir)}
        return subprocess.run(
            [sys.executable, "-m", "portal", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def sign_in(data_dir, username, password):
    app = create_app(overrides=settings_for(data_dir))
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    token = page[page.index(marker) + len(marker) :].split('"', 1)[0]
    status = client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": token}
    ).status_code
    app.extensions["balai"].db.dispose()
    return status


def test_user_add_reads_the_password_from_stdin(cli, data_dir):
    result = cli("user", "add", "sekdes", "--role", "admin", stdin="rahasia-desa\n")
    assert result.returncode == 0, result.stderr
    assert "sekdes" in result.stdout
    assert sign_in(data_dir, "sekdes", "rahasia-desa") == 303


def test_user_add_refuses_bad_input(cli):
    assert "at least 8" in cli("user", "add", "x", "--role", "admin", stdin="short\n").stderr
    assert cli("user", "add", "x", "--role", "boss", stdin="long-enough\n").returncode != 0
    assert "already exists" in cli("user", "add", "admin", "--role", "admin", stdin="long-enough\n").stderr


def test_user_passwd_is_the_way_back_for_a_lone_admin(cli, data_dir):
    result = cli("user", "passwd", "admin", stdin="lupa-lagi-123\n")
    assert result.returncode == 0, result.stderr
    assert sign_in(data_dir, "admin", "lupa-lagi-123") == 303
    assert sign_in(data_dir, "admin", "demo-admin") == 401
    assert "no user" in cli("user", "passwd", "nobody", stdin="whatever-123\n").stderr


def test_token_create_prints_a_working_token(cli, data_dir):
    result = cli("token", "create", "operator")
    token = result.stdout.strip()
    assert result.returncode == 0 and token.startswith("balai_")
    app = create_app(overrides=settings_for(data_dir))
    client = app.test_client()
    client.post("/api/v1/tickets", json={"service": "surat"})
    assert client.post("/api/v1/counters/1/call-next", headers=bearer(token)).status_code == 200
    app.extensions["balai"].db.dispose()
    assert cli("token", "create", "ghost").returncode != 0


def test_worker_once_records_the_day(cli):
    result = cli("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "business_day" in result.stderr


def test_bad_setting_is_a_clear_error(cli, data_dir):
    (data_dir / "balai.conf").write_text("BALAI_THREADS=lots\n")
    result = cli("migrate")
    assert result.returncode != 0
    assert "BALAI_THREADS must be a whole number" in result.stderr and "Traceback" not in result.stderr


def agent_poll_status(data_dir, token):
    """The status of a kiosk agent's poll with ``token`` against this data directory."""
    app = create_app(overrides=settings_for(data_dir))
    body = {"agent": "a", "printer": {"state": "ok", "detail": ""}}
    status = app.test_client().post("/api/v1/kiosk/poll", json=body, headers=bearer(token)).status_code
    app.extensions["balai"].db.dispose()
    return status


def test_kiosk_add_prints_a_device_token_and_a_pairing_link(cli, data_dir):
    result = cli("kiosk", "add", "Kiosk Aula", "--url", "http://192.168.1.2:8080")
    assert result.returncode == 0, result.stderr
    token = result.stdout.split("(BALAI_KIOSK_TOKEN): ")[1].split()[0]
    assert token.startswith("balai_kiosk_") and agent_poll_status(data_dir, token) == 200
    assert "http://192.168.1.2:8080/kiosk/pair/" in result.stdout
    assert "already exists" in cli("kiosk", "add", "Kiosk Aula").stderr
    link = cli("kiosk", "pair", "Kiosk Aula").stdout
    assert "http://127.0.0.1:8080/kiosk/pair/" in link
    assert "no kiosk" in cli("kiosk", "pair", "Kiosk Dapur").stderr


def test_kiosk_token_file_and_a_new_token(cli, data_dir):
    token_file = data_dir / "kiosk-token"
    assert cli("kiosk", "add", "Kiosk Aula", "--token-file", str(token_file)).returncode == 0
    first = token_file.read_text().strip()
    assert token_file.stat().st_mode & 0o777 == 0o600 and first not in cli("kiosk", "pair", "Kiosk Aula").stdout
    again = cli("kiosk", "add", "Kiosk Aula", "--token-file", str(token_file), "--exist-ok")
    assert again.returncode == 0 and "new device token" in again.stdout
    assert agent_poll_status(data_dir, first) == 401
    assert agent_poll_status(data_dir, token_file.read_text().strip()) == 200


def test_demo_brings_its_logo(tmp_path):
    env = {**os.environ, "BALAI_DATA_DIR": str(tmp_path), "BALAI_CONFIG": str(tmp_path / "none.conf")}
    for command in ("migrate", "demo"):
        subprocess.run(
            [sys.executable, "-m", "portal", command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60
        )
    assert (tmp_path / "logo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_village_init_gives_an_empty_database_its_village_once(cli, data_dir, tmp_path):
    """Does the installer's answer name a new village, and leave an existing one alone?"""
    assert "already has its village" in cli("village", "init", "Sukamaju Baru").stdout  # the demo's
    empty = tmp_path / "empty"
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "portal", *args], cwd=ROOT, env={**os.environ, "BALAI_DATA_DIR": str(empty)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run("migrate").returncode == 0
    bad = run("village", "init", "Mekar", "--timezone", "Mars/Olympus")
    assert bad.returncode != 0 and "timezone" in bad.stderr
    created = run("village", "init", "Desa  Mekar")
    assert created.returncode == 0 and "Village Desa Mekar created" in created.stdout
    again = run("village", "init", "Lain")
    assert again.returncode == 0 and "already has its village (Desa Mekar)" in again.stdout
