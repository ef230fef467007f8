"""Helpers for tests that run the portal (``python -m portal serve``) and the kiosk agent
(``python -m kiosk``) as processes of their own, as on the Pi."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_portal(data_dir, port, log_path):
    """Start ``python -m portal serve`` on ``127.0.0.1:port`` for ``data_dir`` and wait until it
    answers; its output goes to ``log_path`` (shown if it does not start)."""
    env = {
        **os.environ,
        "BALAI_DATA_DIR": str(data_dir),
        "BALAI_CONFIG": str(data_dir / "balai.conf"),
        "BALAI_LISTEN": f"127.0.0.1:{port}",
    }
    env.pop("BALAI_ADMIN_LISTEN", None)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "portal", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)

    def answers():
        if process.poll() is not None:
            raise AssertionError(f"the portal exited: {Path(log_path).read_text(errors='replace')}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/services", timeout=2).close()
            return True
        except OSError:
            return False

    try:
        wait_for(answers, timeout=30, what="the portal to serve")
    except AssertionError:
        stop(process, kill=True)
        raise
    return process


def start_agent(portal_url, token, printer, data_dir):
    """Start ``python -m kiosk`` against ``portal_url``; its output goes to ``data_dir/agent.log``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "BALAI_DATA_DIR": str(data_dir),
        "BALAI_CONFIG": str(data_dir / "none.conf"),
        "BALAI_PORTAL_URL": portal_url,
        "BALAI_KIOSK_TOKEN": token,
        "BALAI_PRINTER": printer,
    }
    with open(data_dir / "agent.log", "ab") as log:  # the process keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "kiosk"], cwd=ROOT, env=env, stdout=log, stderr=log)


def stop(process, kill=False):
    """End a process: SIGKILL (a crash) or SIGTERM (a clean stop), and wait for it (bounded)."""
    if process.poll() is None:
        process.kill() if kill else process.terminate()
    process.wait(timeout=15)


def wait_for(check, timeout=20, what="the condition"):
    """Poll ``check()`` every 0.1 s until it is truthy (returned) or ``timeout`` s pass (fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
