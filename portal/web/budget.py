"""The village budget (APBDes) for residents: totals, two charts and the full table of a published
year, and its CSV. Drafts do not exist here (404); officials edit them in ``budget_admin``."""

from flask import Blueprint, Response, render_template
from flask_babel import get_locale, gettext

from portal import charts
from portal.domain import budget
from portal.web.auth import balai

bp = Blueprint("budget", __name__)
bp.add_app_template_filter(charts.rupiah, "rupiah")
bp.add_app_template_filter(charts.short_rupiah, "rupiah_short")
bp.add_app_template_filter(charts.group_digits, "thousands")
bp.add_app_template_filter(charts.percent, "percent")


@bp.app_template_global()
def budget_category(name):
    """A category as this page's language names it: in Indonesian as stored (the official names are
    the village's own wording), in other languages by the standard ones' msgids."""
    msgid = budget.CATEGORY_LABELS.get(name)
    if msgid is None or get_locale().language == "id":
        return name
    return gettext(msgid)


def figure_charts(fig):
    """The income and spending charts of a year's figures."""
    return {
        s.kind: charts.bar_chart([(budget_category(g.category), g) for g in s.groups])
        for s in (fig.income, fig.spending)
        if s.groups
    }


def csv_response(text, year):
    """A CSV download named ``apbdes-<year>.csv``."""
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="apbdes-{year}.csv"'},
    )


def page(year=None):
    """The budget page of ``year`` (the newest published one when None)."""
    with balai().db.read() as session:
        published = [row.year for row in budget.years(session)]
        if year is None and published:
            year = published[0]
        fig = budget.figures(session, year) if year is not None else None
    return render_template("budget.html", fig=fig, years=published, charts=figure_charts(fig) if fig else {})


@bp.get("/budget")
def index():
    """The newest published budget, with links to the other years."""
    return page()


@bp.get("/budget/<int:year>")
def year(year):
    """One published year's budget."""
    return page(year)


@bp.get("/budget/<int:year>.csv")
def csv(year):
    """A published year's lines as CSV (opens in Excel)."""
    with balai().db.read() as session:
        text = budget.export_csv(session, year)
    return csv_response(text, year)
