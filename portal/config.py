"""Settings: every knob Balai has, its default and one line of help.

A setting is read, in order of precedence, from the ``BALAI_*`` environment variable, then from
the instance config file (``KEY=value`` lines, ``#`` comments; ``BALAI_CONFIG`` names it, default
``<data dir>/balai.conf``), then from the default below. ``docs/configuration.md`` lists them all,
and a test fails when one is missing there.

This module does not import Flask: the worker, the CLI and the kiosk agent read it too.
"""

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One configuration knob."""

    name: str
    default: str
    help: str
    kind: str = "str"  # str, int, bool, networks


SETTINGS = [
    Setting(
        "BALAI_DATA_DIR",
        "./var",
        "Directory for the database, the generated secret key, voice clips and the kiosk agent's print journal.",
    ),
    Setting("BALAI_CONFIG", "", "Instance config file of KEY=value lines (default: <data dir>/balai.conf)."),
    Setting(
        "BALAI_INSTALL_ANSWERS",
        "/etc/balai/install.answers",
        "The Raspberry Pi installer's answers, read (never run) to pre-fill the first-run setup "
        "(missing file: no pre-fill).",
    ),
    Setting("BALAI_LISTEN", "127.0.0.1:8080", "Public listener (host:port, space-separated for several)."),
    Setting(
        "BALAI_ADMIN_LISTEN",
        "",
        "Office listener for the console and official APIs (empty: the same as BALAI_LISTEN).",
    ),
    Setting(
        "BALAI_ADMIN_PROXY",
        "off",
        "The office listener sits behind an HTTPS proxy on this machine (the installer's --office-https): "
        "on its requests from loopback, trust X-Forwarded-For and X-Forwarded-Proto (on/off).",
        "bool",
    ),
    Setting(
        "BALAI_PUBLIC_URL",
        "",
        "Address phones use for the portal: QR codes, links, captive redirects (empty: the request's own host; "
        "captive redirects then go to the first address of the first hotspot network).",
    ),
    Setting(
        "BALAI_HOTSPOT_NETWORKS",
        "10.42.0.0/24",
        "Networks of the public hotspot (comma-separated CIDRs); never allowed into the console.",
        "networks",
    ),
    Setting(
        "BALAI_ADMIN_NETWORKS",
        "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
        "Networks allowed to reach the console and official APIs (hotspot networks are always excluded).",
        "networks",
    ),
    Setting(
        "BALAI_CAPTIVE",
        "on",
        "Captive portal: phones joining the hotspot get the sign-in popup and accept the terms (on/off).",
        "bool",
    ),
    Setting(
        "BALAI_CAPTIVE_MINUTES",
        "1440",
        "How long a phone stays let through after accepting the terms (minutes; default one day).",
        "int",
    ),
    Setting(
        "BALAI_CAPTIVE_RATE_KBPS",
        "0",
        "Per-phone speed limit through the uplink, each way, in kilobits per second (0: no limit).",
        "int",
    ),
    Setting(
        "BALAI_CAPTIVE_QUOTA_MB",
        "0",
        "Per-phone data allowance through the uplink per 24 hours, in megabytes, for metered uplinks (0: none).",
        "int",
    ),
    Setting(
        "BALAI_FIREWALL",
        "none",
        "Who lets accepted phones through: none (development, nothing is blocked) or nftables (the Pi).",
    ),
    Setting(
        "BALAI_FIREWALL_SOCKET",
        "/run/balai/firewall.sock",
        "Unix socket of the root firewall helper (python -m portal.firewall) that the portal asks.",
    ),
    Setting(
        "BALAI_HOTSPOT_INTERFACE",
        "wlan0",
        "Firewall helper: the network interface of the hotspot (wlan0, or the external access point's).",
    ),
    Setting(
        "BALAI_DHCP_LEASES",
        "",
        "DHCP leases file to find a phone's MAC address when the neighbour table lacks it (empty: none).",
    ),
    Setting(
        "BALAI_UPLINK_CHECK",
        "http://connectivitycheck.gstatic.com/generate_204",
        "Address the worker fetches to tell whether the internet works, a 2xx answer meaning yes "
        "(empty: no check, and phones are never told there is internet).",
    ),
    Setting(
        "BALAI_HOTSPOT_MAX_TICKETS",
        "2",
        "Active tickets one hotspot client may hold at once (kiosk, officials and other networks: no limit).",
        "int",
    ),
    Setting(
        "BALAI_PRIORITY_RATIO",
        "2",
        "Regular tickets called between two priority tickets (0: priority always first).",
        "int",
    ),
    Setting(
        "BALAI_DEFAULT_SERVICE_MINUTES",
        "5",
        "Assumed minutes per resident for waiting estimates until a service has its own history.",
        "int",
    ),
    Setting("BALAI_THREADS", "8", "Worker threads of the web server (waitress).", "int"),
    Setting(
        "BALAI_CONNECTIONS",
        "1000",
        "Open connections the web server accepts at once (every phone in the hall polls).",
        "int",
    ),
    Setting("BALAI_WORKER_INTERVAL", "60", "Seconds between housekeeping rounds of the worker.", "int"),
    Setting(
        "BALAI_SECURE_COOKIES",
        "auto",
        "Mark session cookies Secure: on, off, or auto (only on requests that came over HTTPS).",
    ),
    Setting(
        "BALAI_SESSION_IDLE_MINUTES",
        "60",
        "Minutes without a console request after which an official must sign in again (0: only the 12-hour limit).",
        "int",
    ),
    Setting(
        "BALAI_LOGIN_ATTEMPTS",
        "5",
        "Wrong passwords in a row that lock a username (an admin can unlock it on the users page).",
        "int",
    ),
    Setting("BALAI_LOGIN_LOCK_MINUTES", "15", "How long a locked username must wait before trying again.", "int"),
    Setting(
        "BALAI_PORTAL_URL",
        "http://127.0.0.1:8080",
        "Kiosk agent: the portal it takes print jobs from (another Pi's address works too).",
    ),
    Setting(
        "BALAI_KIOSK_TOKEN",
        "",
        "Kiosk agent: its kiosk's device token (printed by python -m portal kiosk add NAME).",
    ),
    Setting(
        "BALAI_PRINTER",
        "",
        "Kiosk agent: the receipt printer, e.g. usb://0416:5011 or tcp://192.168.1.50:9100?width=80 "
        "(empty: preview://<data dir>/receipts, pictures instead of paper).",
    ),
    Setting(
        "BALAI_PHOTO_MAX_MB",
        "8",
        "Largest photo a resident or an official may upload, in megabytes (it is re-encoded smaller).",
        "int",
    ),
    Setting(
        "BALAI_DOCUMENT_MAX_MB",
        "20",
        "Largest PDF an official may upload to the documents library, in megabytes.",
        "int",
    ),
    Setting(
        "BALAI_PACK_MAX_MB",
        "100",
        "Largest content pack (zip of the village's content, photos and documents) an admin may upload, in megabytes.",
        "int",
    ),
    Setting(
        "BALAI_COMPLAINTS_PER_HOUR",
        "5",
        "How many complaints one phone (one address) may send per hour; more get a polite refusal.",
        "int",
    ),
    Setting(
        "BALAI_LETTER_REQUESTS_PER_HOUR",
        "5",
        "How many letter requests one phone (one address) may send per hour; more get a polite refusal "
        "(the kiosk is not limited).",
        "int",
    ),
    Setting(
        "BALAI_UPSTREAM_URL",
        "",
        "The district hub's address, e.g. https://hub.kabupaten.go.id (empty: no sync; events wait in the outbox).",
    ),
    Setting("BALAI_UPSTREAM_KEY", "", "The village key the hub printed for this village (python -m hub village add)."),
    Setting(
        "BALAI_VILLAGE_CODE",
        "",
        "The village's 10-digit Kemendagri code for the hub (empty: the code in the village profile).",
    ),
    Setting(
        "BALAI_SYNC_INTERVAL",
        "300",
        "Seconds between syncs while the hub answers (failures back off up to an hour).",
        "int",
    ),
    Setting("BALAI_SYNC_TIMEOUT", "20", "Seconds to wait for the hub's answer before giving the attempt up.", "int"),
    Setting(
        "BALAI_BACKUP_KEEP",
        "14",
        "How many backups to keep in <data dir>/backups and on the USB stick (the newest; older ones are deleted "
        "after a successful backup).",
        "int",
    ),
    Setting(
        "BALAI_BACKUP_PASSPHRASE_FILE",
        "",
        "File holding the passphrase that encrypts backups (empty: <data dir>/backup-passphrase); while it does "
        "not exist, backups are written unencrypted.",
    ),
    Setting(
        "BALAI_BACKUP_UPLOAD_MAX_MB",
        "1024",
        "Largest backup file the console takes as an upload to restore, in MB (a larger one: copy it into "
        "<data dir>/backups, or restore it with python -m portal restore).",
        "int",
    ),
    Setting(
        "BALAI_RESTORE_DIR",
        "",
        "Folder where the console stages a checked backup and asks the root helper balai-restore.path to "
        "restore it (empty: <data dir>/restore).",
    ),
    Setting(
        "BALAI_CLOCK_REQUEST",
        "",
        "File the console writes the wanted time to when an admin sets the clock; the root helper "
        "balai-set-time.path watches it (empty: <data dir>/clock/request).",
    ),
    Setting(
        "BALAI_REQUIRE_ALL_TIERS",
        "0",
        "Tests only: a test tier that would be skipped (no root, no Chromium) fails instead.",
        "bool",
    ),
]

BY_NAME = {s.name: s for s in SETTINGS}
FIREWALLS = ("none", "nftables")

TRUE_WORDS = {"1", "on", "yes", "true"}
FALSE_WORDS = {"0", "off", "no", "false", ""}


class ConfigError(ValueError):
    """A setting has a value Balai cannot use; the message says which and why."""


def read_config_file(path):
    """Return the KEY=value pairs of an instance config file ({} when it does not exist)."""
    values = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key not in BY_NAME:
            raise ConfigError(f"{path}:{number}: not a known BALAI_* setting: {line!r}")
        values[key] = value.strip().strip('"').strip("'")
    return values


def parse(setting, raw):
    """Turn the text of a setting into its Python value, or raise ConfigError."""
    if setting.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{setting.name} must be a whole number, not {raw!r}") from None
    if setting.kind == "bool":
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"{setting.name} must be on or off, not {raw!r}")
    if setting.kind == "networks":
        try:
            return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
        except ValueError as exc:
            raise ConfigError(f"{setting.name}: {exc}") from None
    return raw


def load(environ=None, overrides=None):
    """Read every setting and return a dict of BALAI_* name to parsed value.

    ``overrides`` (used by tests and the app factory) win over everything else.
    """
    environ = os.environ if environ is None else environ
    overrides = overrides or {}

    def raw(name, file_values):
        if name in overrides:
            return str(overrides[name])
        if name in environ:
            return environ[name]
        return file_values.get(name, BY_NAME[name].default)

    data_dir = raw("BALAI_DATA_DIR", {})
    config_path = raw("BALAI_CONFIG", {}) or os.path.join(data_dir, "balai.conf")
    file_values = read_config_file(config_path)
    data_dir = raw("BALAI_DATA_DIR", file_values)
    values = {s.name: parse(s, raw(s.name, file_values)) for s in SETTINGS}
    values["BALAI_DATA_DIR"] = os.path.abspath(data_dir)
    values["BALAI_CONFIG"] = config_path
    check_firewall(values["BALAI_FIREWALL"])
    if not values["BALAI_ADMIN_LISTEN"]:
        values["BALAI_ADMIN_LISTEN"] = values["BALAI_LISTEN"]
    if values["BALAI_ADMIN_PROXY"] and set(listen_ports(values["BALAI_ADMIN_LISTEN"])) & set(
        listen_ports(values["BALAI_LISTEN"])
    ):
        # The proxy's headers are believed on the office listener's ports: never on the public one.
        raise ConfigError("BALAI_ADMIN_PROXY=on needs BALAI_ADMIN_LISTEN on a port of its own, not BALAI_LISTEN's")
    return values


def check_firewall(value):
    """The BALAI_FIREWALL value, or ConfigError when it names no backend."""
    if value not in FIREWALLS:
        raise ConfigError(f"BALAI_FIREWALL must be one of {', '.join(FIREWALLS)}, not {value!r}")
    return value


def listen_ports(value):
    """The ports of a BALAI_*LISTEN value (``host:port`` items, space-separated), in order."""
    return [item.rsplit(":", 1)[1] for item in value.split() if ":" in item]


def captive_url(settings):
    """Where captive redirects send phones: BALAI_PUBLIC_URL, else the first address of the first
    hotspot network (NetworkManager's shared mode gives the Pi 10.42.0.1), on port 80."""
    if settings["BALAI_PUBLIC_URL"]:
        return settings["BALAI_PUBLIC_URL"].rstrip("/")
    return f"http://{next(settings['BALAI_HOTSPOT_NETWORKS'][0].hosts())}"


def database_path(settings):
    """Where the SQLite database lives."""
    return os.path.join(settings["BALAI_DATA_DIR"], "balai.db")


def media_dir(settings):
    """Where uploaded photos and documents live (``portal.media`` names the files)."""
    return os.path.join(settings["BALAI_DATA_DIR"], "media")


def backup_dir(settings):
    """Where backups are written (the sync reports the newest one's time to the district)."""
    return os.path.join(settings["BALAI_DATA_DIR"], "backups")


def restore_dir(settings):
    """Where the console stages a backup and asks for its restore (BALAI_RESTORE_DIR)."""
    return settings["BALAI_RESTORE_DIR"] or os.path.join(settings["BALAI_DATA_DIR"], "restore")


def clock_request_path(settings):
    """Where the console asks the root helper to set the clock (BALAI_CLOCK_REQUEST)."""
    return settings["BALAI_CLOCK_REQUEST"] or os.path.join(settings["BALAI_DATA_DIR"], "clock", "request")


def logo_path(settings):
    """Where the village's logo lives (a PNG; printed on receipts when it exists)."""
    return os.path.join(settings["BALAI_DATA_DIR"], "logo.png")
