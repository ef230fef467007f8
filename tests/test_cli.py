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
