"""The first-run setup: what the wizard saves, and how far it has got.

A new appliance has a village (the installer's ``python -m portal village init NAME``) and nobody
who can sign in. From the office, the setup wizard walks through ``STEPS``: the village's
identity, the hotspot's name, services and counters, a printer test, and the first admin account.
Each step is saved when it is posted and leaves a ``setup.<step>`` entry in the audit log; the
wizard's current step is the first one without its entry, so a power cut mid-wizard resumes
where it stopped without any column of its own. The last step creates the first admin, and from
then on the wizard is gone for good: it exists only while no user does.
Afterwards the console's village page (``edit_village``) changes steps 1 and 2's fields with the
same checks.

The installer's answers (``/etc/balai/install.answers``, see ``BALAI_INSTALL_ANSWERS``) pre-fill
the village's name and the hotspot's name. The file is read as ``KEY=value`` text, like the
installer reads it, and never executed.
"""

import re

from sqlalchemy import select

from portal.domain import audit, content, users
from portal.domain.content import ContentInvalid, Field, Kind
from portal.domain.errors import Conflict, DomainError
from portal.domain.village import bump_version, get_village
from portal.messages import N_
from portal.models import AuditEntry, User, Village

STEPS = ("village", "hotspot", "services", "printer", "admin")
WIZARD = "setup"  # the audit log's name for whoever runs the wizard (nobody can sign in yet)
TIMEZONES = (
    ("Asia/Jakarta", N_("WIB: Sumatra, Java, West and Central Kalimantan")),
    ("Asia/Makassar", N_("WITA: Bali, Nusa Tenggara, Sulawesi, South, East and North Kalimantan")),
    ("Asia/Jayapura", N_("WIT: Maluku and Papua")),
)
KEMENDAGRI_CODE = re.compile(r"(\d{2})\.?(\d{2})\.?(\d{2})\.?(\d{4})")
ANSWER_LINE = re.compile(r"\s*([A-Z_]+)\s*=\s*(.*)")
ANSWERS_MAX_BYTES = 64 * 1024


def _check_code(values):
    if values.get("code") and not KEMENDAGRI_CODE.fullmatch(values["code"]):
        return {"code": ("bad_village_code", {})}
    return {}


IDENTITY = Kind(
    "identity",
    N_("Village"),
    Village,
    (
        Field("name", N_("Village name"), required=True, max_length=120, help=N_("For example: Desa Sukamaju.")),
        Field(
            "code",
            N_("Kemendagri village code"),
            max_length=13,
            help=N_("10 digits, such as 32.01.01.2001. Leave it empty if you do not know it yet."),
        ),
        Field("kecamatan", N_("Kecamatan"), required=True, max_length=120),
        Field("kabupaten", N_("Kabupaten or kota"), required=True, max_length=120),
        Field("province", N_("Province"), max_length=120),
        Field("timezone", N_("Time zone"), "choice", required=True, choices=TIMEZONES),
    ),
    (Village.id,),
    title="name",
    creatable=False,
    check=_check_code,
)
HOTSPOT = Kind(
    "hotspot",
    N_("Hotspot"),
    Village,
    (
        Field(
            "wifi_name",
            N_("Wi-Fi name"),
            required=True,
            max_length=32,
            help=N_("Residents are told to join the Wi-Fi with this name. At most 32 characters."),
        ),
    ),
    (Village.id,),
    title="wifi_name",
    creatable=False,
)


def read_answers(path):
    """The installer's answers as ``{KEY: value}``; {} when the file is missing or unreadable.

    Parsed as ``install.sh`` parses it: ``KEY=value`` lines, ``#`` comments, a value perhaps in
    quotes. Lines that are not answers are passed over (the installer refuses them already)."""
    try:
        with open(path, "rb") as f:
            text = f.read(ANSWERS_MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return {}
    answers = {}
    for line in text.splitlines():
        match = ANSWER_LINE.fullmatch(line.rstrip())
        if match is None or line.lstrip().startswith("#"):
            continue
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        answers[key] = value
    return answers


def prefill(session, answers):
    """The identity and hotspot forms' starting values: what is saved, else the installer's answers."""
    village = get_village(session)
    fields = [f.name for f in IDENTITY.fields + HOTSPOT.fields]
    values = {name: getattr(village, name) or "" for name in fields} if village else dict.fromkeys(fields, "")
    values["name"] = values["name"] or answers.get("VILLAGE_NAME", "")[:120]
    values["wifi_name"] = values["wifi_name"] or answers.get("SSID", "")[:32]
    values["timezone"] = values["timezone"] or TIMEZONES[0][0]
    return values


def needs_setup(session):
    """Whether the appliance is still to be set up: nobody can sign in yet."""
    return session.scalar(select(User.id).limit(1)) is None


def current_step(session):
    """The first step not saved yet, as an index into STEPS (len(STEPS) when all are)."""
    done = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.in_([f"setup.{s}" for s in STEPS]))))
    return next((i for i, step in enumerate(STEPS) if f"setup.{step}" not in done), len(STEPS))


def wizard_actor(address):
    """Who the audit log names for the wizard's changes: nobody has an account yet."""
    return audit.Actor(username=WIZARD, address=address)


def record_step(session, step, actor, now, detail=None):
    """Mark ``step`` as saved (its audit entry is the wizard's progress)."""
    audit.record(session, actor, f"setup.{step}", "setup", detail, now)


def _save_village(session, kinds, form):
    """Set ``kinds``' fields of the village from form strings; returns what changed as
    ``{field: [old, new]}``. ContentInvalid (keyed by field, every kind's problems at once) for
    anything wrong; then nothing is changed."""
    values, errors = {}, {}
    for kind in kinds:
        try:
            values |= content.parse(kind, form, {}, "Asia/Jakarta")
        except ContentInvalid as exc:
            errors |= exc.errors
    if errors:
        raise ContentInvalid(errors)
    if values.get("code"):
        values["code"] = ".".join(KEMENDAGRI_CODE.fullmatch(values["code"]).groups())
    village = get_village(session)
    before = audit.snapshot(village, values) if village else {}
    if village is None:
        village = Village(id=1, name=values.get("name", ""))
        session.add(village)
    for name, value in values.items():
        setattr(village, name, value)
    changes = audit.diff(before, values)
    if changes:
        bump_version(session)  # the name shows on every page, the board and the receipts
    return changes


def save_identity(session, form, actor, now, also=None):
    """Step 1: the village's name, Kemendagri code, kecamatan, kabupaten, province and time zone;
    ``also`` adds changes made beside the form (the logo) to the step's audit entry.
    ContentInvalid (keyed by field) for anything wrong; then nothing is changed."""
    record_step(session, "village", actor, now, {**_save_village(session, (IDENTITY,), form), **(also or {})})


def save_hotspot(session, form, actor, now):
    """Step 2: the hotspot's name as residents are told to look for it."""
    record_step(session, "hotspot", actor, now, _save_village(session, (HOTSPOT,), form))


def edit_village(session, form, actor, now, also=None):
    """The console's village page, after setup: steps 1 and 2's fields at once, with their checks.

    ``also`` as for ``save_identity`` (``{"logo": [old, new]}``); the audit entry,
    ``village.update``, is recorded only when something changed. Returns what changed;
    ContentInvalid (keyed by field) for anything wrong, and then nothing is changed."""
    changes = {**_save_village(session, (IDENTITY, HOTSPOT), form), **(also or {})}
    if changes:
        audit.record(session, actor, "village.update", "village", changes, now)
    return changes


def create_first_admin(session, username, password, repeated, address, now):
    """Step 5: the first admin account, only while no user exists.

    Run in a write transaction (``BEGIN IMMEDIATE``), the check and the insert are one step, so
    two browsers submitting at once create one admin: the other gets Conflict ``setup_done``.
    ContentInvalid (keyed ``username``, ``password``, ``password2``) for a bad form."""
    if not needs_setup(session):
        raise Conflict("setup_done")
    username = username.strip()
    errors = {}
    if not username or len(username) > 60:
        errors["username"] = ("bad_username", {})
    try:
        users.validate_password(password)
    except DomainError as exc:
        errors["password"] = (exc.code, exc.details)
    if password != repeated:
        errors["password2"] = ("passwords_differ", {})
    if errors:
        raise ContentInvalid(errors)
    user = users.add_user(session, username, password, "admin", now)
    actor = audit.Actor(user_id=user.id, username=user.username, address=address)
    record_step(session, "admin", actor, now, {"user": [None, user.username], "role": [None, "admin"]})
    return user
