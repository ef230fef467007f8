"""Helpers for tests that run the kiosk agent (``python -m kiosk``) as its own process."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    log = open(data_dir / "agent.log", "ab")  # noqa: SIM115 (the process writes to it until stopped)
    process = subprocess.Popen([sys.executable, "-m", "kiosk"], cwd=ROOT, env=env, stdout=log, stderr=log)
    log.close()
    return process


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
