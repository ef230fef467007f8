"""The hub's command line, run as a district technician would: `python -m hub …` in a subprocess."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hub import protocol
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
CODE = "3203112005"


@pytest.fixture
def hub_cli(tmp_path):
    """Run `python -m hub ARGS` on this test's hub data directory."""

    def run(*args, stdin=""):
        env = {**os.environ, "BALAI_HUB_DATA_DIR": str(tmp_path / "hub")}
        env.pop("BALAI_HUB_DATABASE_URL", None)
        return subprocess.run(
            [sys.executable, "-m", "hub", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_village_add_prints_a_key_that_signs(hub_cli):
    """Does `village add` print a usable key once, and refuse a second registration or a bad code?"""
    added = hub_cli("village", "add", "32.03.11.2005", "Sukamaju")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    assert len(protocol.key_bytes(key)) == 32
    again = hub_cli("village", "add", CODE, "Sukamaju")
    assert again.returncode != 0 and "already registered" in again.stderr
    bad = hub_cli("village", "add", "1234", "Kecil")
    assert bad.returncode != 0 and "10 digits" in bad.stderr
    listed = hub_cli("village", "list")
    assert CODE in listed.stdout and "never" in listed.stdout
    rekeyed = hub_cli("village", "rekey", CODE).stdout.strip()
    assert rekeyed != key and len(protocol.key_bytes(rekeyed)) == 32


def test_stats_prints_the_totals_as_json(hub_cli):
    """Does `stats CODE` print JSON with the totals the issue names (zeros for a new village)?"""
    hub_cli("village", "add", CODE, "Sukamaju")
    result = hub_cli("stats", CODE)
    assert result.returncode == 0, result.stderr
    totals = json.loads(result.stdout)
    assert {"tickets_issued": 0, "tickets_served": 0, "complaints": 0, "last_contact": None}.items() <= totals.items()
    missing = hub_cli("stats", "3203112099")
    assert missing.returncode != 0 and "no village 3203112099" in missing.stderr


def test_user_add_reads_the_password_from_stdin(hub_cli):
    """Are staff accounts added with a password on stdin, checked, and tied to known villages?"""
    hub_cli("village", "add", CODE, "Sukamaju")
    added = hub_cli("user", "add", "budi", "--role", "staff", "--village", CODE, stdin="rahasia-kab\n")
    assert added.returncode == 0, added.stderr
    assert "at least 8" in hub_cli("user", "add", "x", "--role", "admin", stdin="short\n").stderr
    unknown = hub_cli("user", "add", "ani", "--role", "staff", "--village", "3203112099", stdin="rahasia-kab\n")
    assert unknown.returncode != 0 and "no village" in unknown.stderr
    assert hub_cli("user", "passwd", "budi", stdin="rahasia-baru\n").returncode == 0
    hub_cli("village", "add", "3203112006", "Mekar")
    moved = hub_cli("user", "villages", "budi", "3203112006")
    assert moved.returncode == 0 and "3203112006" in moved.stdout


def test_serve_answers_the_health_probe(hub_cli, tmp_path):
    """Does `serve` migrate and answer on BALAI_HUB_LISTEN, with the Date header villages set their clock by?"""
    port = free_port()
    env = {**os.environ, "BALAI_HUB_DATA_DIR": str(tmp_path / "hub"), "BALAI_HUB_LISTEN": f"127.0.0.1:{port}"}
    env.pop("BALAI_HUB_DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "hub", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    assert response.status == 200
                    assert response.headers["Date"]
                    break
            except OSError:
                assert time.monotonic() < deadline, "the hub did not start"
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
