"""A village's reported health (``portal.health``'s report, as the hub kept it) as lines people
read on the dashboard: version, disk, clock, power, backups, each flagged when it needs someone."""

from datetime import UTC, datetime, timedelta

from flask_babel import format_decimal, gettext

from portal.messages import PRINTER
from portal.web.moments import clock_warning, relative

DISK_LOW_MB = 1024  # less free space than this and the village's backups and photos are at risk
BACKUP_OLD = timedelta(days=7)


def reported_printers(health):
    """The printers in a village's latest health report, each ``{"kiosk", "state"}`` as text."""
    printers = health.get("printers")
    if not isinstance(printers, list):
        return []
    return [
        {"kiosk": str(p.get("kiosk", "")), "state": str(p.get("state", ""))} for p in printers if isinstance(p, dict)
    ]


def printer_state(state):
    """A printer's state in words (a state this hub does not know, as the village sent it)."""
    return gettext(PRINTER[state]) if state in PRINTER else str(state)


def health_notes(health, offset, now):
    """A village's reported health (its own JSON, so every field is checked) as lines that read on
    their own: ``[{"key", "label", "text", "problem"}]``, in the request's language."""
    if not health:
        return [note("health", gettext("Health"), gettext("Health not reported yet"), True)]
    clock = health.get("clock") if isinstance(health.get("clock"), dict) else {}
    power = health.get("power") if isinstance(health.get("power"), dict) else None
    free, total = whole(health.get("disk_free_mb")), whole(health.get("disk_total_mb"))
    backup = moment_of(health.get("last_backup"))
    notes = [note("version", gettext("Version"), "Balai " + str(health.get("version") or "?")[:40], False)]
    if free is not None:
        gb = {"free": gigabytes(free), "total": gigabytes(total) if total else "?"}
        notes.append(
            note("disk", gettext("Disk"), gettext("%(free)s GB free of %(total)s GB", **gb), free < DISK_LOW_MB)
        )
    notes.append(clock_note(clock.get("synchronised"), offset))
    if power is not None:
        notes.append(power_note(power))
    if backup is None:
        notes.append(note("backup", gettext("Backup"), gettext("No backup yet"), True))
    else:
        text = gettext("Last backup %(when)s", when=relative(backup, now))
        notes.append(note("backup", gettext("Backup"), text, now - backup > BACKUP_OLD))
    return notes


def power_note(power):
    """The Pi's power line from ``vcgencmd get_throttled`` (now or since boot): undervoltage first."""
    undervoltage = power.get("undervoltage_now") is True or power.get("undervoltage_since_boot") is True
    throttled = power.get("throttled_now") is True or power.get("throttled_since_boot") is True
    if undervoltage:
        text = gettext("Undervoltage: check the power supply")
    elif throttled:
        text = gettext("Slowed down: the Pi is too hot")
    else:
        text = gettext("Power supply good")
    return note("power", gettext("Power"), text, undervoltage or throttled)


def note(key, label, text, problem):
    """One line of a village's health."""
    return {"key": key, "label": label, "text": text, "problem": problem}


def clock_note(synchronised, offset):
    """The village clock's line: wrong by minutes, not synchronised, or how far from the hub's."""
    warning = clock_warning(offset)
    if warning:
        text = warning
    elif synchronised is False:
        text = gettext("Clock not synchronised")
    elif offset is None:
        text = gettext("Clock not reported")
    else:
        text = gettext("%(offset)s s from the hub's clock", offset=offset)
    return note("clock", gettext("Clock"), text, bool(warning) or synchronised is False)


def whole(value):
    """An integer from a village's JSON, or None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def gigabytes(mb):
    """Megabytes as gigabytes with one decimal, written the language's way (12,5 / 12.5)."""
    return format_decimal(mb / 1024, format="#,##0.0")


def moment_of(text):
    """An ISO time from a village's JSON as an aware datetime (UTC when it names no zone), or None."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
