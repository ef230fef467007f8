"""Content packs: the village's whole content as one YAML file plus its files.

A pack sets up a new appliance or a replacement SD card in one step: the village's identity and
profile, services and counters, letter types, announcements, agenda, documents, officials, UMKM,
emergency numbers and budget. What residents sent (tickets, complaints, votes) and officials'
accounts are never in a pack. ``make run``'s demo village is a pack (``portal/demo``).

Layout: ``content.yaml`` and ``files/`` (photos, PDFs, the logo), as a directory or a zip.
Importing replaces the pack's content in one transaction: services and counters are matched by
code and name (tickets refer to them), everything else is replaced. Files go through
``portal.media`` like any upload, so a pack cannot smuggle in anything an upload could not.
"""

import io
import json
import os
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import delete, event, select
from sqlalchemy.exc import IntegrityError

from portal import media
from portal.domain import audit, budget, content, letter_templates, letters
from portal.domain.errors import DomainError
from portal.domain.village import bump_version
from portal.models import BudgetLine, BudgetYear, Counter, LetterType, Service, Village

FORMAT = "balai-content-pack"
VERSION = 1
VILLAGE_FIELDS = ("name", "code", "kecamatan", "kabupaten", "province", "address", "timezone", "profile")
SERVICE_FIELDS = (
    "code", "prefix", "name", "description", "requirements", "opens_at", "closes_at", "days", "daily_cap",
    "fee", "typical_minutes", "active",
)  # fmt: skip
# Content kinds a pack carries wholesale, in import order, with their YAML key.
SECTIONS = {
    "announcements": "announcement",
    "events": "event",
    "documents": "document",
    "officers": "officer",
    "businesses": "business",
    "contacts": "contact",
}
BUDGET_LINE_FIELDS = ("kind", "category", "name", "budget", "realised")
LETTER_FIELDS = (
    "code",
    "name",
    "description",
    "requirements",
    "fee",
    "typical_minutes",
    "active",
    "number_code",
    "template",
)
MB = 1024 * 1024


class PackError(DomainError):
    """The pack is unreadable or inconsistent; nothing was imported."""

    def __init__(self, problem):
        super().__init__("bad_pack", problem=problem)


def export(session, media_directory, logo, now):
    """The pack as (the YAML document as a dict, {pack path: file path}) for ``write_zip``."""
    files = {}

    def attach(name, path=None):
        if not name:
            return ""
        source = path or media.path_of(media_directory, name)
        if source is None or not Path(source).is_file():
            return ""
        files[f"files/{name}"] = Path(source)
        return f"files/{name}"

    village = session.get(Village, 1)
    doc = {"format": FORMAT, "version": VERSION, "exported_at": now.isoformat()}
    if village is not None:
        doc["village"] = {f: getattr(village, f) for f in VILLAGE_FIELDS}
        doc["village"]["photo"] = attach(village.photo)
        doc["village"]["logo"] = attach("logo.png", logo) if Path(logo).is_file() else ""
        doc["village"]["wifi_name"] = village.wifi_name
    tz = village.timezone if village is not None else "Asia/Jakarta"
    doc["services"] = [
        {f: getattr(s, f) for f in SERVICE_FIELDS} for s in session.scalars(select(Service).order_by(Service.position))
    ]
    doc["counters"] = [
        {"name": c.name, "active": c.active, "services": [s.code for s in c.services]}
        for c in session.scalars(select(Counter).order_by(Counter.position))
    ]
    doc["letter_types"] = [
        {
            **{f: getattr(t, f) for f in LETTER_FIELDS},
            "fields": letters.parse_fields(t.fields),
            "service": t.service.code if t.service else "",
        }
        for t in session.scalars(select(LetterType).order_by(LetterType.position, LetterType.id))
    ]
    for key, kind_name in SECTIONS.items():
        kind = content.KINDS[kind_name]
        doc[key] = []
        for row in session.scalars(select(kind.model).where(content.village_owned(kind)).order_by(*kind.order)):
            item = {}
            for f in kind.fields:
                value = getattr(row, f.name)
                if f.kind in content.FILE_KINDS:
                    item[f.name] = attach(value)
                elif f.kind == "datetime" and value is not None:  # local time, as the form shows it
                    item[f.name] = value.astimezone(ZoneInfo(tz)).replace(tzinfo=None).isoformat(timespec="minutes")
                else:
                    item[f.name] = content.plain(value)
            doc[key].append(item)
    doc["budget"] = [
        {
            "year": y.year,
            "published": y.published,
            "realised_on": content.plain(y.realised_on) or "",
            "note": y.note,
            "lines": [
                {f: getattr(line, f) for f in BUDGET_LINE_FIELDS}
                for line in session.scalars(
                    select(BudgetLine).where(BudgetLine.year == y.year).order_by(BudgetLine.position, BudgetLine.id)
                )
            ],
        }
        for y in session.scalars(select(BudgetYear).order_by(BudgetYear.year))
    ]
    return doc, files


def write_zip(doc, files):
    """A pack as zip bytes."""
    import yaml  # imported here: 1 MB the server does not need until an official exports a pack

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        for name, path in files.items():
            archive.write(path, name)
    return out.getvalue()


class Files:
    """A pack's ``files/``, read one at a time on demand, each no bigger than ``max_bytes``."""

    def __init__(self, source, max_bytes):
        self.max_bytes = max_bytes
        self.archive = None
        if isinstance(source, bytes | bytearray):
            self.archive = zipfile.ZipFile(io.BytesIO(source))
        elif zipfile.is_zipfile(source):
            self.archive = zipfile.ZipFile(source)
        else:
            self.root = Path(source)

    def text(self):
        """The bytes of ``content.yaml`` (at most 10 MB)."""
        return self._read("content.yaml", 10 * MB)

    def get(self, name):
        """The bytes of ``files/NAME`` (PackError when missing or too big)."""
        if not re.fullmatch(r"files/[\w.-]+", name or "") or ".." in name:
            raise PackError(f"bad file name {name!r}")
        return self._read(name, self.max_bytes)

    def _read(self, name, limit):
        try:
            if self.archive is not None:
                info = self.archive.getinfo(name)
                if info.file_size > limit:
                    raise PackError(f"{name} is larger than {limit // MB} MB")
                with self.archive.open(info) as f:
                    data = f.read(limit + 1)
            else:
                with (self.root / name).open("rb") as f:
                    data = f.read(limit + 1)
        except (KeyError, OSError, zipfile.BadZipFile) as exc:
            raise PackError(f"missing or unreadable {name}: {exc}") from None
        if len(data) > limit:
            raise PackError(f"{name} is larger than {limit // MB} MB")
        return data

    def close(self):
        if self.archive is not None:
            self.archive.close()


def read(source, max_file_bytes=100 * MB):
    """(the YAML dict, its Files) from a pack directory, a zip file path or zip bytes."""
    try:
        files = Files(source, max_file_bytes)
        doc = _parse(files.text())
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        files.close()
        raise PackError("not a Balai content pack (format/version)")
    return doc, files


def _parse(text):
    """The YAML ``text`` as plain data (a SafeLoader) without anchors and aliases: a few bytes of
    aliases can expand to gigabytes. PackError when it is not such YAML."""
    import yaml  # imported here: 1 MB the server does not need until an official imports a pack

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("anchors and aliases (&, *) are not allowed in a content pack")
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=NoAliases)
    except yaml.YAMLError as exc:
        raise PackError(str(exc)) from None


def _shifted(doc, now):
    """The pack with every date moved by the time since it was exported (the demo stays current)."""
    exported = datetime.fromisoformat(doc["exported_at"])
    delta, years = now - exported, now.year - exported.year

    def move(item, key):
        if item.get(key):
            item[key] = (datetime.fromisoformat(str(item[key])) + delta).isoformat()

    for item in doc.get("announcements", []):
        move(item, "publish_at"), move(item, "expire_at")
    for item in doc.get("events", []):
        move(item, "starts_at"), move(item, "ends_at")
    for item in doc.get("documents", []):
        item["year"] = int(item["year"]) + years
    for year in doc.get("budget", []):
        year["year"] = int(year["year"]) + years
        if year.get("realised_on"):
            year["realised_on"] = (
                date.fromisoformat(str(year["realised_on"])) + timedelta(days=delta.days)
            ).isoformat()
    return doc


def load(session, source, media_directory, logo, actor, now, shift_dates=False, photo_mb=8, pdf_mb=20):
    """Import a pack into the database (one transaction: the caller's ``session``).

    Returns a summary ``{section: count}``. Raises PackError (or a DomainError of the content
    rules, naming the section) and changes nothing when anything in it is wrong: the logo file
    is replaced only once the transaction commits.
    """
    doc, files = read(source, max(photo_mb, pdf_mb) * MB)
    try:
        summary = _load(session, doc, files, media_directory, logo, now, shift_dates, photo_mb, pdf_mb)
        session.flush()
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError, IntegrityError) as exc:
        raise PackError(f"{type(exc).__name__}: {exc}") from None
    finally:
        files.close()
    audit.record(session, actor, "content.import", "pack", summary, now)
    return summary


def _load(session, doc, files, media_directory, logo, now, shift_dates, photo_mb, pdf_mb):
    if shift_dates:
        doc = _shifted(doc, now)

    def stored(path, kind):
        if not path:
            return ""
        if kind == "photo":
            return media.store_photo(files.get(path), media_directory, photo_mb * MB)
        return media.store_pdf(files.get(path), media_directory, pdf_mb * MB)

    summary = {}
    village = doc.get("village")
    if village:
        row = session.get(Village, 1) or Village(id=1)
        for f in VILLAGE_FIELDS:
            setattr(row, f, str(village.get(f) or ""))
        row.timezone = row.timezone or "Asia/Jakarta"
        # The hotspot's name only from a pack that has one: older packs leave the Pi's alone.
        if village.get("wifi_name"):
            row.wifi_name = str(village["wifi_name"])[:32]
        if row.timezone not in available_timezones():
            raise PackError(f"unknown time zone {row.timezone}")
        row.photo = stored(village.get("photo"), "photo")
        session.add(row)
        if village.get("logo"):
            _replace_logo_on_commit(session, logo, files.get(village["logo"]))
        summary["village"] = 1
    tz = (village or {}).get("timezone") or "Asia/Jakarta"
    services = _load_services(session, doc.get("services", []))
    _load_counters(session, doc.get("counters", []), services)
    _load_letters(session, doc.get("letter_types", []), services)
    summary.update(services=len(services), letter_types=len(doc.get("letter_types", [])))
    for key, kind_name in SECTIONS.items():
        kind = content.KINDS[kind_name]
        session.execute(delete(kind.model).where(content.village_owned(kind)))  # the district's stay
        for number, item in enumerate(doc.get(key, []), 1):
            form = {f.name: _form_text(kind, f, item) for f in kind.fields if f.kind not in content.FILE_KINDS}
            paths = {f.name: item.get(f.name) for f in kind.fields if f.kind in content.FILE_KINDS}
            try:
                stored_files = {name: stored(path, file_kind) for name, path, file_kind in _files(kind, paths)}
                values = content.parse(kind, form, stored_files, tz)
            except DomainError as exc:
                raise PackError(f"{key} #{number}: {exc.code} {getattr(exc, 'errors', '')}") from None
            if kind.name == "announcement" and values["publish_at"] is None:
                values["publish_at"] = now
            if kind.name == "document":
                values["size"] = len(files.get(paths["file"]))
            extra = {"created_at": now} if hasattr(kind.model, "created_at") else {}
            session.add(kind.model(**values, **extra))
        summary[key] = len(doc.get(key, []))
    session.execute(delete(BudgetLine))
    session.execute(delete(BudgetYear))
    for item in doc.get("budget", []):
        _load_budget_year(session, item)
    summary["budget_years"] = len(doc.get("budget", []))
    bump_version(session)
    return summary


def _files(kind, paths):
    """(field name, pack path, file kind) for each file field of ``kind``."""
    return [(f.name, paths[f.name], f.kind) for f in kind.fields if f.kind in content.FILE_KINDS]


def _form_text(kind, f, item):
    """A pack value as the string a form would send; a missing flag takes the model's default."""
    if f.name not in item:
        column = kind.model.__table__.c[f.name]
        if f.kind == "bool" and column.default is not None:
            return "1" if column.default.arg else ""
        return ""
    value = item[f.name]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes") if value.tzinfo is None else value.isoformat()
    if isinstance(value, dict | list):
        raise PackError(f"{f.name}: a text was expected")
    return str(value)


def _replace_logo_on_commit(session, path, data):
    """Check the logo now (a PNG: it prints on receipts); write it only if the import commits."""
    from PIL import Image  # imported here: Pillow is 2 MB the server does not need until a pack brings a logo

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise PackError("the logo must be a PNG picture")
    except (OSError, ValueError):
        raise PackError("the logo must be a PNG picture") from None

    def write(_session):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.new")
        temp.write_bytes(data)
        os.replace(temp, target)

    event.listen(session, "after_commit", write, once=True)


SERVICE_RULES = {
    "code": r"[a-z0-9][a-z0-9-]{0,39}",
    "prefix": r"[A-Z]{1,2}",
    "opens_at": r"([01]\d|2[0-3]):[0-5]\d",
    "closes_at": r"([01]\d|2[0-3]):[0-5]\d|24:00",
    "days": r"[1-7]{1,7}",
}


def _check_service(item, number):
    """A service from a pack follows the queue's rules, or PackError naming what is wrong."""
    problems = [f for f, rule in SERVICE_RULES.items() if f in item and not re.fullmatch(rule, str(item[f]))]
    problems += [f for f in ("daily_cap", "typical_minutes") if f in item and not _count(item[f])]
    problems += [f for f in ("active",) if f in item and not isinstance(item[f], bool)]
    problems += [
        f for f in ("name", "description", "requirements", "fee") if f in item and not isinstance(item[f], str)
    ]
    if problems or not all(item.get(f) for f in ("code", "prefix", "name")):
        raise PackError(f"services #{number}: code, prefix and name are required; wrong: {', '.join(problems)}")


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def _load_services(session, items):
    """Create or update services by code; returns {code: Service}."""
    existing = {s.code: s for s in session.scalars(select(Service))}
    for position, item in enumerate(items):
        _check_service(item, position + 1)
        row = existing.get(item["code"]) or Service(code=item["code"])
        for f in SERVICE_FIELDS:
            if f in item:
                setattr(row, f, item[f])
        row.position = position
        session.add(row)
        existing[row.code] = row
    session.flush()
    return existing


def _load_counters(session, items, services):
    existing = {c.name: c for c in session.scalars(select(Counter))}
    for position, item in enumerate(items):
        unknown = [code for code in item.get("services", []) if code not in services]
        if unknown:
            raise PackError(f"counter {item.get('name')}: unknown services {unknown}")
        row = existing.get(item["name"]) or Counter(name=item["name"])
        row.active = item.get("active", True)
        row.position = position
        row.services = [services[code] for code in item.get("services", [])]
        session.add(row)


def _load_letters(session, items, services):
    """Letter types matched by code: a type the pack keeps stays the same row, so letter requests
    made for it keep their type; one the pack lacks is removed (its requests keep its name)."""
    existing = {row.code: row for row in session.scalars(select(LetterType))}
    kept = set()
    for position, item in enumerate(items):
        fields = item.get("fields") or letters.COMMON_FIELDS
        letters.parse_fields(json.dumps(fields))
        code = str(item.get("code", ""))
        if letters.check_code({"code": code}) or not item.get("name") or code in kept:
            raise PackError(f"letter_types #{position + 1}: a code (once) and a name are required")
        number_code = item.get("number_code", "470")
        if not isinstance(item.get("template", ""), str) or not isinstance(number_code, str) or len(number_code) > 20:
            raise PackError(f"letter_types {code}: the template and number_code are text (number_code: 20 at most)")
        if item.get("template"):
            try:
                letter_templates.check(item["template"], fields)
            except DomainError as exc:
                raise PackError(f"letter_types {code}: the template is not valid ({exc.code})") from None
        row = existing.get(code) or LetterType()
        for f in LETTER_FIELDS:
            if f in item:
                setattr(row, f, item[f])
        row.fields = json.dumps(fields, ensure_ascii=False)
        row.service = services.get(item.get("service") or "")
        row.position = position
        session.add(row)
        kept.add(code)
    for code, row in existing.items():
        if code not in kept:
            session.delete(row)
    session.flush()


def _load_budget_year(session, item):
    try:
        year = int(item["year"])
        realised_on = date.fromisoformat(str(item["realised_on"])) if item.get("realised_on") else None
        lines = [
            BudgetLine(
                year=year,
                kind=line["kind"],
                category=str(line["category"]),
                name=str(line["name"]),
                budget=int(line.get("budget", 0)),
                realised=int(line.get("realised", 0)),
                position=position,
            )
            for position, line in enumerate(item.get("lines", []))
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError(f"budget {item.get('year')}: {exc}") from None
    if any(line.kind not in budget.KINDS or line.budget < 0 or line.realised < 0 for line in lines):
        raise PackError(f"budget {year}: a line has an unknown kind or a negative amount")
    session.add(
        BudgetYear(
            year=year, published=bool(item.get("published")), realised_on=realised_on, note=item.get("note") or ""
        )
    )
    session.flush()
    session.add_all(lines)
