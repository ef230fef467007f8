"""The village budget (APBDes) as residents read it: income by source, spending by bidang,
financing, budget against realisation, and the CSV files officials keep it in.

Amounts are whole rupiah. Categories are stored as the village writes them (the official
Indonesian names below, or any other the officials type); ``CATEGORY_LABELS`` gives the standard
ones an English msgid so an English page can name them too.

Every write takes the officials' ``Actor`` and records audit entries in the same transaction; a
``DomainError`` leaves nothing changed (the caller's write transaction rolls back).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from portal.domain import audit
from portal.domain.errors import Conflict, DomainError, NotFound
from portal.messages import N_
from portal.models import BudgetLine, BudgetYear

KINDS = ("income", "spending", "financing")

# The official names (Permendagri 20/2018), stored as they are; the msgid names them in English.
INCOME_SOURCES = (
    ("Pendapatan Asli Desa", N_("Village own-source revenue")),
    ("Dana Desa", N_("Village Fund (Dana Desa)")),
    ("Bagi Hasil Pajak dan Retribusi", N_("Share of regional taxes and levies")),
    ("Alokasi Dana Desa", N_("Village Fund Allocation (ADD)")),
    ("Bantuan Keuangan Provinsi", N_("Financial aid from the province")),
    ("Bantuan Keuangan Kabupaten/Kota", N_("Financial aid from the regency or city")),
    ("Pendapatan Lain-lain", N_("Other income")),
)
SPENDING_BIDANG = (
    ("Penyelenggaraan Pemerintahan Desa", N_("Running the village government")),
    ("Pelaksanaan Pembangunan Desa", N_("Village development")),
    ("Pembinaan Kemasyarakatan Desa", N_("Community development")),
    ("Pemberdayaan Masyarakat Desa", N_("Community empowerment")),
    ("Penanggulangan Bencana, Keadaan Darurat dan Mendesak Desa", N_("Disasters, emergencies and urgent needs")),
)
# Financing is net: receipts (e.g. last year's surplus, SiLPA) minus expenditure (e.g. capital
# put into the BUMDes). A line counts as expenditure when its category is the one below.
FINANCING_RECEIPTS = "Penerimaan Pembiayaan"
FINANCING_EXPENDITURE = "Pengeluaran Pembiayaan"
FINANCING_CATEGORIES = (
    (FINANCING_RECEIPTS, N_("Financing receipts")),
    (FINANCING_EXPENDITURE, N_("Financing expenditure")),
)
STANDARD_CATEGORIES = {"income": INCOME_SOURCES, "spending": SPENDING_BIDANG, "financing": FINANCING_CATEGORIES}
CATEGORY_LABELS = dict(INCOME_SOURCES + SPENDING_BIDANG + FINANCING_CATEGORIES)

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_AMOUNT = 10**15  # a thousand trillion rupiah: anything bigger is a typing slip
NAME_LENGTH, CATEGORY_LENGTH = 200, 120
CSV_COLUMNS = ("kind", "category", "name", "budget", "realised")
# Spreadsheets made by hand often name the columns in Indonesian.
CSV_ALIASES = {"jenis": "kind", "kategori": "category", "uraian": "name", "anggaran": "budget", "realisasi": "realised"}
KIND_ALIASES = {"pendapatan": "income", "belanja": "spending", "pembiayaan": "financing"}
LINE_FIELDS = ("kind", "category", "name", "budget", "realised")

# Whole rupiah as people write them: 1.250.000 (Indonesian), 1,250,000 (English) or 1250000,
# optionally with zero sen (",00") as Excel shows currency cells.
AMOUNT_FORMATS = (
    re.compile(r"(?P<int>\d{1,3}(?:\.\d{3})+)(?:,0{1,2})?"),
    re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+)(?:\.0{1,2})?"),
    re.compile(r"(?P<int>\d+)(?:[.,]0{1,2})?"),
)


@dataclass
class Amounts:
    """A budget and its realisation in rupiah."""

    budget: int
    realised: int

    @property
    def percent(self):
        """Realisation as a percentage of the budget (one decimal), or None without a budget."""
        return round(self.realised * 100 / self.budget, 1) if self.budget > 0 else None

    @property
    def over(self):
        """Whether more was realised than budgeted (allowed, but worth a look)."""
        return self.realised > self.budget


@dataclass
class Line(Amounts):
    """One budget line."""

    id: int
    kind: str
    category: str
    name: str


@dataclass
class Group(Amounts):
    """The lines of one category (a source of income, a bidang) and their sums."""

    category: str
    lines: list = field(default_factory=list)


@dataclass
class Section(Amounts):
    """Income, spending or financing: its groups in order, and its sums."""

    kind: str
    groups: list = field(default_factory=list)

    @property
    def any_over(self):
        """Whether any line realised more than its budget."""
        return any(line.over for g in self.groups for line in g.lines)


@dataclass
class Figures:
    """A year's budget as the public page and the console show it."""

    year: int
    published: bool
    realised_on: date | None
    note: str
    income: Section
    spending: Section
    financing: Section
    surplus: Amounts  # income − spending (negative: a deficit)
    net_financing: Amounts  # receipts − expenditure

    @property
    def lines(self):
        """Every line, section by section, in order."""
        return [line for s in (self.income, self.spending, self.financing) for g in s.groups for line in g.lines]


def sums(items):
    """Budget and realisation summed over ``items`` (anything with both)."""
    return sum(i.budget for i in items), sum(i.realised for i in items)


def kind_totals(lines):
    """``{"income budget": …, "income realised": …, …}`` over line dicts (for the import's audit entry)."""
    return {
        f"{kind} {amount}": sum(line[amount] for line in lines if line["kind"] == kind)
        for kind in KINDS
        for amount in ("budget", "realised")
    }


def parse_amount(text, line):
    """Whole rupiah from what a person or a spreadsheet wrote ("Rp 1.250.000", "1250000", "");
    empty means 0. A DomainError names ``line`` otherwise."""
    raw = (text or "").strip()
    cleaned = re.sub(r"^(-?)rp\.?", r"\1", re.sub(r"\s+", "", raw), flags=re.IGNORECASE)
    if not cleaned:
        return 0
    # Accounting sheets write a negative amount as -5.000 or (5.000).
    negative = cleaned.startswith("-") or (cleaned.startswith("(") and cleaned.endswith(")"))
    match = next((m for p in AMOUNT_FORMATS if (m := p.fullmatch(cleaned.strip("-()")))), None)
    if match is None:
        raise DomainError("budget_bad_amount", line=line, value=raw)
    if negative:
        raise DomainError("budget_negative_amount", line=line, value=raw)
    value = int(re.sub(r"\D", "", match["int"]))
    if value > MAX_AMOUNT:
        raise DomainError("budget_bad_amount", line=line, value=raw)
    return value


def parse_date(text):
    """A ``YYYY-MM-DD`` date (a date input's value), or None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("budget_bad_date", value=text) from None


def clean_line(raw, line):
    """A line's checked values from the strings typed: kind known, category and name present and not
    too long, amounts whole non-negative rupiah. ``line`` names it in errors."""
    kind = (raw.get("kind") or "").strip().lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise DomainError("budget_bad_kind", line=line, kind=raw.get("kind") or "")
    category = " ".join((raw.get("category") or "").split())
    name = " ".join((raw.get("name") or "").split())
    if not category:
        raise DomainError("budget_category_required", line=line)
    if not name:
        raise DomainError("budget_name_required", line=line)
    for text, maximum in ((category, CATEGORY_LENGTH), (name, NAME_LENGTH)):
        if len(text) > maximum:
            raise DomainError("budget_too_long", line=line, maximum=maximum)
    return {
        "kind": kind,
        "category": category,
        "name": name,
        "budget": parse_amount(raw.get("budget"), line),
        "realised": parse_amount(raw.get("realised"), line),
    }


def check_unique(lines):
    """Refuse two lines with the same name in the same category (the first repeat is reported)."""
    seen = set()
    for line_no, values in lines:
        key = (values["kind"], values["category"].casefold(), values["name"].casefold())
        if key in seen:
            raise DomainError("budget_duplicate_line", line=line_no, name=values["name"])
        seen.add(key)


def years(session, drafts=False):
    """The budget years, newest first: only published ones unless ``drafts`` (officials)."""
    query = select(BudgetYear).order_by(BudgetYear.year.desc())
    if not drafts:
        query = query.where(BudgetYear.published)
    return session.scalars(query).all()


def get_year(session, year, drafts=False):
    """One budget year; an unpublished one only with ``drafts`` (for residents it does not exist)."""
    row = session.get(BudgetYear, year)
    if row is None or not (row.published or drafts):
        raise NotFound("budget_year_not_found", year=year)
    return row


def year_lines(session, year):
    """The year's lines in order."""
    return session.scalars(
        select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.position, BudgetLine.id)
    ).all()


def section(kind, lines):
    """Group a kind's lines by category: the standard categories in their official order, then the
    village's own in the order they first appear."""
    groups = {}
    for row in lines:
        group = groups.setdefault(row.category, Group(0, 0, category=row.category))
        group.lines.append(
            Line(row.budget, row.realised, id=row.id, kind=row.kind, category=row.category, name=row.name)
        )
    for group in groups.values():
        group.budget, group.realised = sums(group.lines)
    order = {name: i for i, (name, _) in enumerate(STANDARD_CATEGORIES[kind])}
    ordered = sorted(groups.values(), key=lambda g: order.get(g.category, len(order)))
    return Section(*sums(ordered), kind=kind, groups=ordered)


def figures(session, year, drafts=False):
    """A year's figures: sections, totals, surplus or deficit and net financing."""
    row = get_year(session, year, drafts)
    lines = year_lines(session, year)
    income, spending, financing = (section(k, [r for r in lines if r.kind == k]) for k in KINDS)
    # The financing section sums receipts and expenditure alike; net is receipts − expenditure.
    paid_out = [r for r in lines if r.kind == "financing" and r.category.casefold() == FINANCING_EXPENDITURE.casefold()]
    out_budget, out_realised = sums(paid_out)
    return Figures(
        year=row.year,
        published=row.published,
        realised_on=row.realised_on,
        note=row.note,
        income=income,
        spending=spending,
        financing=financing,
        surplus=Amounts(income.budget - spending.budget, income.realised - spending.realised),
        net_financing=Amounts(financing.budget - 2 * out_budget, financing.realised - 2 * out_realised),
    )


def check_year(year):
    """Refuse a year outside FIRST_YEAR..LAST_YEAR (a typing slip)."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("budget_bad_year", minimum=FIRST_YEAR, maximum=LAST_YEAR)


def create_year(session, actor, now, year, copy_from=None):
    """Start a new (unpublished) budget year; with ``copy_from``, take that year's lines with their
    budgets and nothing realised yet, since most lines return every year."""
    check_year(year)
    if session.get(BudgetYear, year) is not None:
        raise Conflict("budget_year_exists", year=year)
    copied = year_lines(session, get_year(session, copy_from, drafts=True).year) if copy_from else []
    session.add(BudgetYear(year=year, published=False, realised_on=None, note=""))
    session.flush()
    for row in copied:
        values = {name: getattr(row, name) for name in ("kind", "category", "name", "budget", "position")}
        session.add(BudgetLine(year=year, realised=0, **values))
    audit.record(session, actor, "budget_year.create", f"budget:{year}", {"copied_from": copy_from}, now)
    return session.get(BudgetYear, year)


def update_year(session, actor, now, year, published, realised_on, note):
    """Set a year's published flag, the date its realisation figures are from, and its note."""
    row = get_year(session, year, drafts=True)
    names = ("published", "realised_on", "note")
    before = audit.snapshot(row, names)
    row.published, row.realised_on, row.note = bool(published), realised_on, (note or "").strip()
    changes = audit.diff(before, audit.snapshot(row, names))
    if changes:
        audit.record(session, actor, "budget_year.update", f"budget:{year}", changes, now)
    return row


def write_lines(session, year, lines):
    """Make ``lines`` (dicts, with ``id`` for kept lines) the year's lines, in order.

    The old rows go first, so renaming or swapping two lines never meets the unique constraint
    halfway; kept lines keep their id, and are written before new ones so that a new line's id
    (SQLite's highest plus one) cannot take one of theirs.
    """
    for row in year_lines(session, year):
        session.delete(row)
    session.flush()
    rows = [BudgetLine(year=year, position=position, **values) for position, values in enumerate(lines)]
    for kept in (True, False):
        session.add_all([row for row in rows if (row.id is not None) == kept])
        session.flush()


def save_lines(session, actor, now, year, rows):
    """Save the console's lines form: ``rows`` are dicts of raw values with ``line`` (the number
    shown in the form), ``id`` (None for a new line) and ``delete``. Returns the saved lines (dicts).

    Every row is checked before anything is written; each created, changed or deleted line gets
    an audit entry.
    """
    get_year(session, year, drafts=True)
    existing = {row.id: audit.snapshot(row, LINE_FIELDS) for row in year_lines(session, year)}
    kept, deleted = [], []
    for raw in rows:
        line_id = raw.get("id")
        if line_id is not None and line_id not in existing:
            raise DomainError("budget_unknown_line", line=raw["line"])
        if raw.get("delete"):
            if line_id is not None:
                deleted.append(line_id)
            continue
        kept.append((raw["line"], {"id": line_id, **clean_line(raw, raw["line"])}))
    check_unique(kept)
    write_lines(session, year, [values for _, values in kept])
    # New lines got their ids in write_lines; find them by their (unique) key.
    new_ids = {(r.kind, r.category, r.name): r.id for r in year_lines(session, year)}
    for _, values in kept:
        line_id = values.pop("id")
        if line_id is None:
            target = f"budget_line:{new_ids[(values['kind'], values['category'], values['name'])]}"
            audit.record(session, actor, "budget_line.create", target, {"year": year, **values}, now)
        elif changes := audit.diff(existing[line_id], values):
            audit.record(session, actor, "budget_line.update", f"budget_line:{line_id}", changes, now)
    for line_id in deleted:
        audit.record(session, actor, "budget_line.delete", f"budget_line:{line_id}", existing[line_id], now)
    return [values for _, values in kept]


def export_csv(session, year, drafts=False):
    """The year's lines as CSV text: a BOM (so Excel reads UTF-8), the header
    ``kind,category,name,budget,realised`` and amounts as plain integers."""
    get_year(session, year, drafts)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in year_lines(session, year):
        writer.writerow([row.kind, row.category, row.name, row.budget, row.realised])
    return out.getvalue()


def decode(data):
    """The text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252, which is what
    Excel writes for "CSV (comma delimited)"."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("budget_csv_encoding")


def read_csv(data):
    """Checked lines from a CSV file's bytes, as ``(line number, values)``; the first bad row
    raises a DomainError naming its line in the file.

    The delimiter is ``;`` or ``,`` (Excel in an Indonesian locale writes ``;``), found on the
    header line; a leading ``sep=;`` line, as Excel understands it, is honoured too.
    """
    text = decode(data)
    lines = text.splitlines(keepends=True)
    first = lines[0].strip() if lines else ""
    skipped = 0
    if first.lower().startswith("sep=") and len(first) == 5:
        delimiter, skipped = first[4], 1
    else:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO("".join(lines[skipped:])), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    header = [CSV_ALIASES.get(h, h) for h in header]
    if not set(CSV_COLUMNS) <= set(header):
        raise DomainError("budget_csv_header")
    where = {name: header.index(name) for name in CSV_COLUMNS}
    found = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # spreadsheets leave empty rows (";;;;") behind
        line_no = reader.line_num + skipped
        if len(cells) < len(header):
            raise DomainError("budget_csv_columns", line=line_no, expected=len(header), found=len(cells))
        found.append((line_no, clean_line({name: cells[i] for name, i in where.items()}, line_no)))
    if not found:
        raise DomainError("budget_csv_empty")
    check_unique(found)
    return found


def import_csv(session, actor, now, year, data):
    """Replace all of a year's lines with those of a CSV file (bytes), all or nothing.

    Returns the imported lines (dicts).
    """
    get_year(session, year, drafts=True)
    lines = [values for _, values in read_csv(data)]
    before = [audit.snapshot(row, LINE_FIELDS) for row in year_lines(session, year)]
    write_lines(session, year, lines)
    changes = {"lines": [len(before), len(lines)]} | audit.diff(kind_totals(before), kind_totals(lines))
    audit.record(session, actor, "budget.import", f"budget:{year}", changes, now)
    return lines
