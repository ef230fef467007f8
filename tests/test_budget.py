"""The village budget (APBDes): figures, CSV in and out, the charts, the public pages and the
console editor."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from portal import charts
from portal.domain import budget
from portal.domain.audit import Actor
from portal.domain.errors import DomainError
from portal.models import AuditEntry, BudgetLine, BudgetYear
from tests.conftest import csrf_from, login

HOTSPOT = {"REMOTE_ADDR": "10.42.0.23"}
OFFICIAL = Actor(user_id=None, username="tester", address="127.0.0.1")
SVG = ""  # inline SVG in an HTML page carries no XML namespace


def new_year(balai, year, lines, published=True, realised_on=None):
    """A budget year with ``lines`` as (kind, category, name, budget, realised), typed as in the form."""
    rows = [
        dict(zip(budget.LINE_FIELDS, map(str, line), strict=True), id=None, line=i + 1) for i, line in enumerate(lines)
    ]
    with balai.db.write() as session:
        budget.create_year(session, OFFICIAL, balai.clock.now(), year)
        budget.update_year(session, OFFICIAL, balai.clock.now(), year, published, realised_on, "")
        budget.save_lines(session, OFFICIAL, balai.clock.now(), year, rows)


def figures(balai, year):
    with balai.db.read() as session:
        return budget.figures(session, year, drafts=True)


def exported(balai, year):
    with balai.db.read() as session:
        return budget.export_csv(session, year, drafts=True)


def audit_count(balai):
    with balai.db.read() as session:
        return session.scalar(select(func.count(AuditEntry.id)))


def import_bytes(balai, year, data):
    with balai.db.write() as session:
        return budget.import_csv(session, OFFICIAL, balai.clock.now(), year, data)


LINES = [
    ("income", "Dana Desa", "Dana Desa", 800_000_000, 600_000_000),
    ("income", "Pendapatan Asli Desa", "Sewa tanah kas desa", 20_000_000, 25_000_000),
    ("income", "Pendapatan Asli Desa", "Hasil usaha BUMDes", 30_000_000, 10_000_000),
    ("income", "Hibah Swasta", "Bantuan CSR pabrik teh", 50_000_000, 0),
    ("spending", "Pelaksanaan Pembangunan Desa", "Jalan desa", 500_000_000, 250_000_000),
    ("spending", "Penyelenggaraan Pemerintahan Desa", "Siltap perangkat", 410_000_000, 300_000_000),
    ("financing", "Penerimaan Pembiayaan", "SiLPA", 90_000_000, 90_000_000),
    ("financing", "Pengeluaran Pembiayaan", "Penyertaan modal BUMDes", 40_000_000, 0),
]


# Figures.


def test_figures_group_by_category_with_totals(balai):
    new_year(balai, 2030, LINES)
    fig = figures(balai, 2030)
    # Standard categories in their official order, the village's own after them.
    assert [g.category for g in fig.income.groups] == ["Pendapatan Asli Desa", "Dana Desa", "Hibah Swasta"]
    pad = fig.income.groups[0]
    assert (pad.budget, pad.realised) == (50_000_000, 35_000_000)
    assert [line.name for line in pad.lines] == ["Sewa tanah kas desa", "Hasil usaha BUMDes"]
    assert pad.percent == 70.0
    assert (fig.income.budget, fig.income.realised) == (900_000_000, 635_000_000)
    assert [g.category for g in fig.spending.groups] == [
        "Penyelenggaraan Pemerintahan Desa",
        "Pelaksanaan Pembangunan Desa",
    ]
    assert (fig.spending.budget, fig.spending.realised) == (910_000_000, 550_000_000)
    assert (fig.surplus.budget, fig.surplus.realised) == (-10_000_000, 85_000_000)
    assert (fig.net_financing.budget, fig.net_financing.realised) == (50_000_000, 90_000_000)
    # Realised beyond the budget is allowed, and flagged.
    rent = pad.lines[0]
    assert rent.over and rent.percent == 125.0 and fig.income.any_over
    assert not fig.spending.any_over
    assert fig.income.groups[2].percent == 0.0


def test_demo_village_has_two_published_years(balai):
    with balai.db.read() as session:
        assert [y.year for y in budget.years(session)] == [2026, 2025]
    this_year, last_year = figures(balai, 2026), figures(balai, 2025)
    assert 0 < this_year.income.realised < this_year.income.budget  # partly realised
    assert last_year.spending.percent > 99 and last_year.realised_on == date(2025, 12, 31)
    assert any(g.category == "Dana Desa" and 900_000_000 < g.budget < 1_100_000_000 for g in this_year.income.groups)


def test_save_lines_validates_every_row_before_writing(balai):
    new_year(balai, 2030, LINES[:2])
    before = exported(balai, 2030)
    rows = [
        {"id": None, "line": 1, "kind": "income", "category": "Dana Desa", "name": "Tambahan", "budget": "5"},
        {"id": None, "line": 2, "kind": "spending", "category": "Bidang", "name": "", "budget": "1"},
    ]
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        budget.save_lines(session, OFFICIAL, balai.clock.now(), 2030, rows)
    assert caught.value.code == "budget_name_required" and caught.value.details["line"] == 2
    assert exported(balai, 2030) == before


def test_two_lines_can_swap_names(balai):
    """Renames are written after the old rows are gone, so the unique constraint never trips."""
    new_year(balai, 2030, [("income", "Dana Desa", "A", 1, 0), ("income", "Dana Desa", "B", 2, 0)])
    lines = figures(balai, 2030).lines
    rows = [
        {"id": lines[0].id, "line": 1, "kind": "income", "category": "Dana Desa", "name": "B", "budget": "1"},
        {"id": lines[1].id, "line": 2, "kind": "income", "category": "Dana Desa", "name": "A", "budget": "2"},
    ]
    with balai.db.write() as session:
        budget.save_lines(session, OFFICIAL, balai.clock.now(), 2030, rows)
    after = figures(balai, 2030).lines
    assert [(line.id, line.name, line.budget) for line in after] == [(lines[0].id, "B", 1), (lines[1].id, "A", 2)]


def test_duplicate_line_is_refused(balai):
    new_year(balai, 2030, [])
    rows = [
        {"id": None, "line": 1, "kind": "income", "category": "Dana Desa", "name": "Dana Desa"},
        {"id": None, "line": 2, "kind": "income", "category": "Dana Desa", "name": "dana desa"},
    ]
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        budget.save_lines(session, OFFICIAL, balai.clock.now(), 2030, rows)
    assert caught.value.code == "budget_duplicate_line" and caught.value.details["line"] == 2


def test_new_year_can_start_from_another(balai):
    with balai.db.write() as session:
        budget.create_year(session, OFFICIAL, balai.clock.now(), 2027, copy_from=2026)
    copied, source = figures(balai, 2027), figures(balai, 2026)
    assert not copied.published and copied.realised_on is None
    assert [(line.name, line.budget) for line in copied.lines] == [(line.name, line.budget) for line in source.lines]
    assert all(line.realised == 0 for line in copied.lines)
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        budget.create_year(session, OFFICIAL, balai.clock.now(), 2027)
    assert caught.value.code == "budget_year_exists"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.250.000", 1_250_000),
        ("Rp 1.250.000", 1_250_000),
        ("Rp. 1.250.000,00", 1_250_000),
        ("1250000", 1_250_000),
        ("1,250,000", 1_250_000),
        (" 12 500 ", 12_500),
        ("", 0),
    ],
)
def test_amounts_as_people_write_them(text, value):
    assert budget.parse_amount(text, 1) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5.000", "budget_negative_amount"),
        ("(5.000)", "budget_negative_amount"),
        ("lima juta", "budget_bad_amount"),
        ("1.250.000,50", "budget_bad_amount"),
        ("1,25", "budget_bad_amount"),
        ("1e6", "budget_bad_amount"),
    ],
)
def test_amounts_that_are_not_whole_rupiah(text, code):
    with pytest.raises(DomainError) as caught:
        budget.parse_amount(text, 7)
    assert caught.value.code == code and caught.value.details["line"] == 7


# CSV.


def test_csv_export_then_import_round_trip(balai):
    text = exported(balai, 2026)
    assert text.startswith("\ufeffkind,category,name,budget,realised\r\n")
    assert "income,Dana Desa,Dana Desa,1012450000,809960000\r\n" in text
    # A category with a comma is quoted, so the file still has five columns.
    assert '"Penanggulangan Bencana, Keadaan Darurat dan Mendesak Desa"' in text
    new_year(balai, 2030, [("income", "Dana Desa", "Lama", 1, 1)])
    lines = import_bytes(balai, 2030, text.encode("utf-8"))
    assert len(lines) == len(figures(balai, 2026).lines)
    assert exported(balai, 2030) == text
    mine, theirs = figures(balai, 2030), figures(balai, 2026)
    assert (mine.income.budget, mine.spending.realised) == (theirs.income.budget, theirs.spending.realised)


def test_import_excel_semicolons_and_indonesian_amounts(balai):
    """What Excel in an Indonesian locale writes: `;`, Windows-1252, formatted amounts, empty rows."""
    data = (
        "sep=;\r\n"
        "Jenis;Kategori;Uraian;Anggaran;Realisasi\r\n"
        "pendapatan;Dana Desa;Dana Desa;Rp 1.250.000.000;Rp 900.000.000\r\n"
        "belanja;Pelaksanaan Pembangunan Desa;Jalan – RW 03;1.000.000.000;250000000\r\n"
        ";;;;\r\n"
        'pembiayaan;Penerimaan Pembiayaan;SiLPA;"5.000.000";\r\n'
    ).encode("cp1252")
    new_year(balai, 2030, [])
    import_bytes(balai, 2030, data)
    fig = figures(balai, 2030)
    assert [(line.kind, line.name, line.budget, line.realised) for line in fig.lines] == [
        ("income", "Dana Desa", 1_250_000_000, 900_000_000),
        ("spending", "Jalan – RW 03", 1_000_000_000, 250_000_000),
        ("financing", "SiLPA", 5_000_000, 0),
    ]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("income;Dana Desa;Dana Desa;-1.000;0", "budget_negative_amount"),
        ("income;Dana Desa;Dana Desa;satu juta;0", "budget_bad_amount"),
        ("hibah;Dana Desa;Dana Desa;1000;0", "budget_bad_kind"),
        ("income;Dana Desa;;1000;0", "budget_name_required"),
        ("income;Dana Desa;Dana Desa", "budget_csv_columns"),
    ],
)
def test_bad_row_names_its_line_and_changes_nothing(balai, row, code):
    data = f"kind;category;name;budget;realised\nincome;Dana Desa;Baik;1.000;0\n{row}\n".encode()
    before, entries = exported(balai, 2026), audit_count(balai)
    with pytest.raises(DomainError) as caught:
        import_bytes(balai, 2026, data)
    assert caught.value.code == code and caught.value.details["line"] == 3
    assert exported(balai, 2026) == before and audit_count(balai) == entries


def test_import_refuses_files_that_are_not_budget_csv(balai):
    for data, code in (
        (b"nama,jumlah\nx,1\n", "budget_csv_header"),
        (b"kind,category,name,budget,realised\n", "budget_csv_empty"),
        (b"", "budget_csv_header"),
    ):
        with pytest.raises(DomainError) as caught:
            import_bytes(balai, 2026, data)
        assert caught.value.code == code


# Charts.


@pytest.mark.parametrize(
    ("amount", "short"),
    [
        (1_250_000_000, "Rp 1,25 M"),
        (350_000_000, "Rp 350 jt"),
        (800_000, "Rp 800 rb"),
        (1_012_450_000, "Rp 1,01 M"),
        (999_950_000, "Rp 1 M"),
        (33_500_000, "Rp 33,5 jt"),
        (500, "Rp 500"),
        (0, "Rp 0"),
        (-36_600_000, "-Rp 36,6 jt"),
    ],
)
def test_short_rupiah(amount, short):
    assert charts.short_rupiah(amount) == short


def test_full_rupiah_and_percent():
    assert charts.rupiah(1_250_000_000) == "Rp 1.250.000.000"
    assert charts.rupiah(-5000) == "-Rp 5.000"
    assert (charts.percent(72.5), charts.percent(100.0), charts.percent(None)) == ("72,5%", "100%", "")


def svgs(html):
    """The inline charts of a page, parsed."""
    return [ET.fromstring(m) for m in re.findall(r'<svg class="bar-chart".*?</svg>', html, re.S)]


def test_charts_draw_the_figures(client, balai):
    html = client.get("/budget/2026").get_data(as_text=True)
    fig = figures(balai, 2026)
    income, spending = svgs(html)
    for chart, section in ((income, fig.income), (spending, fig.spending)):
        assert chart.get("role") == "img"
        title_id, desc_id = chart.get("aria-labelledby").split()
        assert chart.find(f"{SVG}title").get("id") == title_id and chart.find(f"{SVG}desc").get("id") == desc_id
        bars = chart.findall(f".//{SVG}rect[@data-value]")
        expected = [value for g in section.groups for value in (g.budget, g.realised)]
        assert [int(b.get("data-value")) for b in bars] == expected
        assert [b.get("data-series") for b in bars[:2]] == ["budget", "realised"]
        largest = max(expected)
        widths = {int(b.get("data-value")): float(b.get("width")) for b in bars}
        assert widths[largest] == charts.WIDTH
        for value, width in widths.items():
            assert width == pytest.approx(charts.WIDTH * value / largest, abs=0.01)
        # Presentation attributes only: the CSP blocks style attributes.
        assert all(el.get("style") is None for el in chart.iter())
    # Labels sit above their bars (not beside them): each label's baseline is above its first bar.
    texts = [t for t in spending.iter(f"{SVG}text") if t.get("font-weight") == "600"]
    first_bar = spending.findall(f".//{SVG}rect[@data-value]")[0]
    assert float(texts[0].get("y")) < float(first_bar.get("y"))
    assert float(texts[0].get("x")) == 0
    assert "style=" not in html


def test_long_labels_wrap_to_fit_a_phone():
    amounts = budget.Amounts(1_000, 500)
    chart = charts.bar_chart([("Penanggulangan Bencana, Keadaan Darurat dan Mendesak Desa", amounts)])
    lines = [text for _, text in chart.rows[0].lines]
    assert len(lines) == 2 and all(charts.text_width(t, charts.LABEL_SIZE) * 0.92 <= charts.WIDTH for t in lines)
    assert all(
        b.text_x + (charts.text_width(b.text) if b.text_anchor == "start" else 0) <= charts.WIDTH
        for b in chart.rows[0].bars
    )


# Public pages.


def test_budget_page_shows_newest_published_year(client):
    html = client.get("/budget").get_data(as_text=True)
    assert "APBDes) 2026" in html
    assert 'href="/budget/2025"' in html and 'href="/budget/2026.csv"' in html
    assert "1.012.450.000" in html and "Rp 1,68 M" in html
    assert "31 Oktober 2026" in html  # figures as of
    # Categories: the official Indonesian name as stored; English names the standard ones.
    assert "Penyelenggaraan Pemerintahan Desa" in html and "Running the village government" not in html
    english = client.get("/budget/2026?lang=en").get_data(as_text=True)
    assert "Running the village government" in english and "October 31, 2026" in english
    older = client.get("/budget/2025").get_data(as_text=True)
    assert "987.300.000" in older and "▲" in older  # BUMDes earned more than budgeted in 2025


def test_csv_download(client):
    response = client.get("/budget/2026.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="apbdes-2026.csv"'
    assert response.data.startswith("\ufeffkind,category,name,budget,realised".encode())


def test_unpublished_year_does_not_exist_for_residents(client, balai):
    new_year(balai, 2030, LINES, published=False)
    assert client.get("/budget/2030").status_code == 404
    assert client.get("/budget/2030.csv").status_code == 404
    assert client.get("/budget/1999").status_code == 404
    assert "APBDes) 2026" in client.get("/budget").get_data(as_text=True)


def test_no_published_year_gives_a_friendly_page(client, balai):
    with balai.db.write() as session:
        for row in session.scalars(select(BudgetYear)):
            row.published = False
    response = client.get("/budget")
    assert response.status_code == 200
    assert "belum diterbitkan" in response.get_data(as_text=True)


# The console.


class FormFields(HTMLParser):
    """What a browser would send for a form: its inputs (checked boxes only) and textareas."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.fields, self.textarea = action, False, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append([a["name"], a.get("value", "")])
        elif self.inside and tag == "textarea":
            self.textarea = [a["name"], ""]
            self.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None


def form_fields(html, action):
    parser = FormFields(action)
    parser.feed(html)
    return dict(parser.fields)


def row_of(fields, name):
    """The form index of the row showing the line called ``name``."""
    return next(key.split("-")[1] for key, value in fields.items() if key.startswith("name-") and value == name)


def blank_row(fields, kind):
    """The index of an empty row of ``kind``."""
    return next(
        key.split("-")[1]
        for key, value in fields.items()
        if key.startswith("kind-") and value == kind and f"id-{key.split('-')[1]}" not in fields
    )


def test_editor_edits_lines_and_publishes(client, balai):
    new_year(balai, 2030, LINES, published=False)
    login(client, "editor")
    page = client.get("/admin/budget/2030")
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True), "/admin/budget/2030")
    assert fields[f"budget-{row_of(fields, 'Dana Desa')}"] == "800.000.000"  # as written on paper
    fields[f"realised-{row_of(fields, 'Jalan desa')}"] = "Rp 300.000.000"
    fields[f"delete-{row_of(fields, 'Hasil usaha BUMDes')}"] = "1"
    new = blank_row(fields, "spending")
    fields.update(
        {f"category-{new}": "Pembinaan Kemasyarakatan Desa", f"name-{new}": "PKK", f"budget-{new}": "15.000.000"}
    )
    fields.update(published="1", realised_on="2030-06-30", note="Semester I")
    response = client.post("/admin/budget/2030", data=fields)
    assert response.status_code == 303
    fig = figures(balai, 2030)
    assert fig.published and fig.realised_on == date(2030, 6, 30) and fig.note == "Semester I"
    names = {line.name: line for line in fig.lines}
    assert names["Jalan desa"].realised == 300_000_000
    assert "Hasil usaha BUMDes" not in names
    assert (names["PKK"].kind, names["PKK"].budget, names["PKK"].realised) == ("spending", 15_000_000, 0)
    # The over-budget line (rent) is pointed out after saving.
    warning = re.search(r'class="flash warn"[^>]*>([^<]*)', client.get("/admin/budget/2030").get_data(as_text=True))
    assert warning and "Sewa tanah kas desa" in warning[1] and "PKK" not in warning[1]
    assert client.get("/budget/2030").status_code == 200
    with balai.db.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.username == "editor")).all()
    actions = sorted(e.action for e in entries if e.action != "login")  # the sign-in is audited too
    assert actions == ["budget_line.create", "budget_line.delete", "budget_line.update", "budget_year.update"]
    update = next(e for e in entries if e.action == "budget_line.update")
    assert '"realised": [250000000, 300000000]' in update.detail and update.address == "127.0.0.1"


def test_editor_mistake_keeps_what_was_typed(client, balai):
    login(client, "editor")
    fields = form_fields(client.get("/admin/budget/2026").get_data(as_text=True), "/admin/budget/2026")
    before = exported(balai, 2026)
    new = blank_row(fields, "income")
    fields.update({f"category-{new}": "Dana Desa", f"name-{new}": "Tambahan", f"budget-{new}": "seratus"})
    fields["note"] = "Catatan baru"
    response = client.post("/admin/budget/2026", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Baris {int(new) + 1}:" in html and "seratus" in html and "Catatan baru" in html
    assert exported(balai, 2026) == before and figures(balai, 2026).note != "Catatan baru"


def test_editor_starts_a_year(client, balai):
    login(client, "editor")
    page = client.get("/admin/budget/").get_data(as_text=True)
    assert "2026" in page and 'value="2027"' in page
    token = csrf_from(page)
    response = client.post("/admin/budget/", data={"csrf_token": token, "year": "2027", "copy_from": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/budget/2027")
    assert figures(balai, 2027).lines == [] and not figures(balai, 2027).published
    again = client.post("/admin/budget/", data={"csrf_token": token, "year": "2027"}, follow_redirects=True)
    assert "sudah ada" in again.get_data(as_text=True)


def test_console_csv_import_needs_the_confirmation(client, balai):
    login(client, "editor")
    token = csrf_from(client.get("/admin/budget/2025").get_data(as_text=True))
    data = b"kind;category;name;budget;realised\nincome;Dana Desa;Dana Desa;1.000.000;500.000\n"
    before = exported(balai, 2025)

    def upload(**extra):
        form = {"csrf_token": token, "file": (io.BytesIO(data), "apbdes.csv"), **extra}
        return client.post("/admin/budget/2025/import", data=form, content_type="multipart/form-data")

    response = upload()
    assert response.status_code == 303 and exported(balai, 2025) == before
    assert "Centang kotak" in client.get("/admin/budget/2025").get_data(as_text=True)
    assert upload(confirm="1").status_code == 303
    assert [(line.name, line.budget) for line in figures(balai, 2025).lines] == [("Dana Desa", 1_000_000)]
    with balai.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "budget.import")).one()
    assert entry.username == "editor" and entry.target == "budget:2025"
    download = client.get("/admin/budget/2025.csv")
    assert download.status_code == 200 and b"income,Dana Desa,Dana Desa,1000000,500000" in download.data


def test_drafts_only_in_the_console(client, balai):
    new_year(balai, 2030, LINES, published=False)
    login(client, "editor")
    assert client.get("/admin/budget/2030.csv").status_code == 200
    assert "Draf:" in client.get("/admin/budget/").get_data(as_text=True)


def test_operator_may_not_edit_the_budget(client):
    login(client, "operator")
    assert client.get("/admin/budget/").status_code == 403
    assert client.get("/admin/budget/2026").status_code == 403
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/budget/2026", data={"csrf_token": token, "rows": "0"}).status_code == 403


def test_console_budget_is_not_on_the_hotspot(client):
    login(client, "editor")
    assert client.get("/admin/budget/", environ_base=HOTSPOT).status_code == 404
    assert client.get("/admin/budget/2026", environ_base=HOTSPOT).status_code == 404


def test_typed_markup_is_shown_as_text(client, balai):
    login(client, "editor")
    fields = form_fields(client.get("/admin/budget/2026").get_data(as_text=True), "/admin/budget/2026")
    new = blank_row(fields, "spending")
    fields.update(
        {
            f"category-{new}": "<script>alert('bidang')</script>",
            f"name-{new}": "<script>alert('x')</script>",
            f"budget-{new}": "1.000",
        }
    )
    assert client.post("/admin/budget/2026", data=fields).status_code == 303
    for html in (
        client.get("/budget/2026").get_data(as_text=True),
        client.get("/admin/budget/2026").get_data(as_text=True),
    ):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    public = client.get("/budget/2026").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;bidang&#39;)" in public  # in the chart's label too
    svgs(public)  # still well-formed


def test_nav_links_to_the_budget_for_editors_only(client):
    login(client, "editor")
    assert 'href="/admin/budget/"' in client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    login(client, "operator")
    assert 'href="/admin/budget/"' not in client.get("/admin/").get_data(as_text=True)


def test_lines_are_stored_per_year(balai):
    with balai.db.read() as session:
        counts = dict(session.execute(select(BudgetLine.year, func.count()).group_by(BudgetLine.year)).all())
    assert counts[2026] == counts[2025] == len(figures(balai, 2026).lines)
