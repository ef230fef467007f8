"""The console's budget editor (``/admin/budget``): the years, and per year one form with every
line (edit, add, delete) and the year's settings, plus CSV import and download.

Made for officials who are not technical: amounts may be typed as they are written on paper
("1.250.000"), a mistake shows the form again with what was typed and the row's number, and a
CSV import replaces the year's lines only after a tick that says so.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from portal.charts import group_digits
from portal.clock import local_date
from portal.domain import budget
from portal.domain.errors import DomainError
from portal.web.auth import actor, balai, console_page
from portal.web.budget import csv_response
from portal.web.errors import message
from portal.web.i18n import village_tz
from portal.web.security import require_office
from portal.web.uploads import accepts_upload, file_data

bp = Blueprint("budget_admin", __name__, url_prefix="/admin/budget")
bp.before_request(require_office)

BLANK_ROWS = 3  # empty rows per section for new lines
MAX_ROWS = 2000  # the 64 KB request limit allows fewer; this only bounds the loop
TEXT_FIELDS = ("kind", "category", "name", "budget", "realised")


@bp.get("/")
@console_page("content")
def index(user):
    """Every budget year with its state, and the form to start a new one."""
    now = balai().clock.now()
    with balai().db.read() as session:
        rows = budget.years(session, drafts=True)
    this_year = local_date(now, village_tz()).year
    taken = {row.year for row in rows}
    suggested = this_year if this_year not in taken else max(taken) + 1
    return render_template("admin/budget_list.html", user=user, years=rows, suggested=suggested)


@bp.post("/")
@console_page("content")
def create(user):
    """Start a year, empty or with another year's lines (budgets kept, nothing realised)."""
    year = request.form.get("year", type=int)
    copy_from = request.form.get("copy_from", type=int)
    try:
        with balai().db.write() as session:
            budget.create_year(session, actor(), balai().clock.now(), year, copy_from=copy_from)
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
        return redirect(url_for("budget_admin.index"), code=303)
    flash(message("done_budget_created", {"year": year}), "ok")
    return redirect(url_for("budget_admin.edit", year=year), code=303)


def stored_rows(fig):
    """The year's lines as the form shows them (amounts written with thousands dots)."""
    return [
        {
            "id": line.id,
            "kind": line.kind,
            "category": line.category,
            "name": line.name,
            "budget": group_digits(line.budget),
            "realised": group_digits(line.realised),
            "delete": False,
            "over": line.over,
        }
        for line in fig.lines
    ]


def blank_row(kind):
    """An empty row for a new line of ``kind``."""
    return {"id": None, "kind": kind, "category": "", "name": "", "budget": "", "realised": "", "delete": False}


def form_sections(rows, blanks=0):
    """The rows grouped by kind (income, spending, financing) with ``blanks`` empty rows each,
    numbered across the whole form as the error messages count them."""
    sections = [
        (kind, [r for r in rows if r["kind"] == kind] + [blank_row(kind) for _ in range(blanks)])
        for kind in budget.KINDS
    ]
    number = 0
    for _, section_rows in sections:
        for row in section_rows:
            row["index"], number = number, number + 1
    return sections


def posted_rows():
    """The lines form's rows as typed, with their numbers (``line``), ids and delete ticks."""
    form = request.form
    rows = []
    for i in range(min(form.get("rows", 0, type=int), MAX_ROWS)):
        row = {name: form.get(f"{name}-{i}", "") for name in TEXT_FIELDS}
        row.update(id=form.get(f"id-{i}", type=int), delete=form.get(f"delete-{i}") == "1", line=i + 1)
        rows.append(row)
    return rows


def is_blank(row):
    """A new row left empty (the form always offers a few)."""
    return row["id"] is None and not any(row[name].strip() for name in ("category", "name", "budget", "realised"))


def category_suggestions(fig):
    """Per kind, the categories the form suggests: the standard ones, then the village's own."""
    return {
        s.kind: list(
            dict.fromkeys([name for name, _ in budget.STANDARD_CATEGORIES[s.kind]] + [g.category for g in s.groups])
        )
        for s in (fig.income, fig.spending, fig.financing)
    }


def render_editor(user, year, rows=None, settings=None, error=None):
    """The year's editor: the stored lines plus blank rows, or the rows as typed with an error."""
    with balai().db.read() as session:
        fig = budget.figures(session, year, drafts=True)
    if rows is None:
        sections = form_sections(stored_rows(fig), BLANK_ROWS)
    else:
        sections = form_sections(rows)
    settings = settings or {
        "published": fig.published,
        "realised_on": fig.realised_on.isoformat() if fig.realised_on else "",
        "note": fig.note,
    }
    return (
        render_template(
            "admin/budget_edit.html",
            user=user,
            fig=fig,
            sections=sections,
            row_count=sum(len(r) for _, r in sections),
            settings=settings,
            suggestions=category_suggestions(fig),
            error=error,
        ),
        error[1] if error else 200,
    )


@bp.get("/<int:year>")
@console_page("content")
def edit(user, year):
    """A year's lines and settings as one form, with CSV import and download."""
    return render_editor(user, year)


def warn_over(lines):
    """Tell the official which saved lines realised more than their budget (allowed, but rare)."""
    over = [line["name"] for line in lines if line["realised"] > line["budget"]]
    if over:
        flash(message("budget_over_warning", {"names": ", ".join(over)}), "warn")


@bp.post("/<int:year>")
@console_page("content")
def save(user, year):
    """Save the year's settings and lines together; on a mistake show the form again as typed."""
    settings = {
        "published": request.form.get("published") == "1",
        "realised_on": request.form.get("realised_on", ""),
        "note": request.form.get("note", ""),
    }
    rows = posted_rows()
    now = balai().clock.now()
    try:
        with balai().db.write() as session:
            budget.update_year(
                session,
                actor(),
                now,
                year,
                settings["published"],
                budget.parse_date(settings["realised_on"]),
                settings["note"],
            )
            lines = budget.save_lines(session, actor(), now, year, [r for r in rows if not is_blank(r)])
    except DomainError as exc:
        return render_editor(user, year, rows, settings, (message(exc.code, exc.details), exc.status))
    flash(message("done_budget_saved", {"year": year}), "ok")
    warn_over(lines)
    return redirect(url_for("budget_admin.edit", year=year), code=303)


@bp.post("/<int:year>/import")
@accepts_upload(2)  # a budget's CSV: a few hundred lines at most
@console_page("content")
def import_csv(user, year):
    """Replace the year's lines with an uploaded CSV file, once the official ticked the box."""
    data = file_data("file")
    back = redirect(url_for("budget_admin.edit", year=year), code=303)
    if data is None:
        flash(message("budget_csv_missing"), "error")
        return back
    if request.form.get("confirm") != "1":
        flash(message("budget_confirm_replace", {"year": year}), "error")
        return back
    try:
        with balai().db.write() as session:
            lines = budget.import_csv(session, actor(), balai().clock.now(), year, data)
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
        return back
    flash(message("done_budget_imported", {"count": len(lines), "year": year}), "ok")
    warn_over(lines)
    return back


@bp.get("/<int:year>.csv")
@console_page("content")
def csv(user, year):
    """The year's lines as CSV, drafts too."""
    with balai().db.read() as session:
        text = budget.export_csv(session, year, drafts=True)
    return csv_response(text, year)
