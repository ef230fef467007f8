"""The appliance's health as the district sees it: version, disk, clock, power, printers, backups.

Each fact is read from the system where it exists and reported as ``None`` where it does not
(``vcgencmd`` exists only on a Raspberry Pi, ``timedatectl`` only under systemd), so the same code
runs on a Pi, a laptop and the test machine.
"""

import shutil
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from portal import config
from portal.domain import kiosks

ROOT = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT_S = 5
# vcgencmd get_throttled bits (Raspberry Pi documentation): now, and since boot.
THROTTLED_BITS = {
    "undervoltage_now": 0,
    "throttled_now": 2,
    "undervoltage_since_boot": 16,
    "throttled_since_boot": 18,
}


def version():
    """Balai's version (pyproject.toml)."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def command_output(*argv):
    """What a system command printed, or None when it is missing, fails or hangs."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def clock_synchronised():
    """True/False from systemd's time service, None where there is none to ask."""
    answer = command_output("timedatectl", "show", "--property=NTPSynchronized", "--value")
    return {"yes": True, "no": False}.get(answer)


def throttled(output=None):
    """Undervoltage and throttling from ``vcgencmd get_throttled`` (None off a Pi)."""
    output = command_output("vcgencmd", "get_throttled") if output is None else output
    if not output or "=" not in output:
        return None
    try:
        bits = int(output.split("=", 1)[1], 16)
    except ValueError:
        return None
    return {"raw": hex(bits), **{name: bool(bits >> bit & 1) for name, bit in THROTTLED_BITS.items()}}


def last_backup(settings):
    """When the newest file in the backup folder was written (UTC text), or None."""
    folder = Path(config.backup_dir(settings))
    newest = max((p.stat().st_mtime for p in folder.glob("*") if p.is_file()), default=None)
    if newest is None:
        return None
    return datetime.fromtimestamp(newest, UTC).isoformat()


def system(settings):
    """What the system says about itself (commands that may take seconds: run them outside any
    database transaction)."""
    disk = shutil.disk_usage(settings["BALAI_DATA_DIR"])
    return {
        "version": version(),
        "disk_free_mb": disk.free // 2**20,
        "disk_total_mb": disk.total // 2**20,
        "synchronised": clock_synchronised(),
        "power": throttled(),
        "last_backup": last_backup(settings),
    }


def collect(facts, session, now, offset):
    """The health report: the ``system`` facts, the printers, and the clock's ``offset`` (the hub's
    clock minus ours, in seconds)."""
    return {
        "version": facts["version"],
        "disk_free_mb": facts["disk_free_mb"],
        "disk_total_mb": facts["disk_total_mb"],
        "clock": {"synchronised": facts["synchronised"], "offset_s": offset, "now": now.isoformat()},
        "power": facts["power"],
        "printers": [
            {"kiosk": k["name"], "state": k["printer"], "detail": k["detail"]} for k in kiosks.overview(session, now)
        ],
        "last_backup": facts["last_backup"],
    }
