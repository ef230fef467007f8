"""The console's statistics (``/admin/stats``): the queue's figures per day, week or month, per
service or per counter, as charts drawn on the server, tables, and a CSV file for a spreadsheet.

The figures come from ``portal.domain.stats.report``; this module only words and draws them.
"""

import csv
import io
from datetime import timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import format_date, format_decimal, gettext

from portal.charts import column_chart
from portal.domain import stats
from portal.domain.village import business_day
from portal.messages import N_
from portal.web.auth import balai, console_page
from portal.web.dashboard import minutes
from portal.web.security import require_office

bp = Blueprint("stats_admin", __name__, url_prefix="/admin")
bp.before_request(require_office)

# Translated where they are shown.
PERIOD_NAMES = {"day": N_("Per day"), "week": N_("Per week"), "month": N_("Per month")}
GROUPING_NAMES = {"service": N_("Per service"), "counter": N_("Per counter")}
# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def chosen():
    """The report asked for: ``?period=day|week|month&by=service|counter`` (days per service when
    left out). Anything else is refused by the domain with a 400 that names the bad value."""
    return request.args.get("period") or "day", request.args.get("by") or "service"


def current_report():
    """The report asked for, up to the queue's business day today."""
    period, by = chosen()
    with balai().db.read() as session:
        return stats.report(session, period, by, business_day(session, balai().clock.now()))


def period_label(period, start, short=False):
    """A period's name: a day, a week (Monday to Sunday) or a month; ``short`` for a chart's axis
    (day and month in digits, or the month's name). Names are written out, never abbreviated."""
    if period == "month":
        return format_date(start, "MMMM" if short else "MMMM y")
    if short:
        return format_date(start, "d/M")
    if period == "week":
        return f"{format_date(start, 'd MMMM')} – {format_date(start + timedelta(days=6), 'd MMMM y')}"
    return format_date(start, "EEEE, d MMMM y")


def charts(report):
    """The two charts of the totals per period: tickets, and average times in minutes."""
    labels = [period_label(report.period, start, short=True) for start in report.buckets]
    titles = [period_label(report.period, start) for start in report.buckets]
    totals = [report.totals[start] for start in report.buckets]
    tickets = column_chart(
        labels,
        [
            (gettext("Issued"), [t.issued for t in totals]),
            (gettext("Served"), [t.served for t in totals]),
            (gettext("No-shows"), [t.no_shows for t in totals]),
        ],
        text=lambda value: format_decimal(value),
        titles=titles,
    )

    def in_minutes(seconds):
        return None if seconds is None else seconds / 60

    times = column_chart(
        labels,
        [
            (gettext("Average wait"), [in_minutes(t.avg_wait_seconds) for t in totals]),
            (gettext("Average service time"), [in_minutes(t.avg_service_seconds) for t in totals]),
        ],
        text=lambda value: format_decimal(value, "#,##0.#"),
        whole=False,
        titles=titles,
    )
    return tickets, times


@bp.get("/stats")
@console_page("stats")
def page(user):
    """The charts, the totals per period, the figures per service or counter, and the details."""
    report = current_report()
    tickets, times = charts(report)
    return render_template(
        "admin/stats.html",
        user=user,
        report=report,
        tickets_chart=tickets,
        times_chart=times,
        period_names=PERIOD_NAMES,
        grouping_names=GROUPING_NAMES,
        label=lambda start: period_label(report.period, start),
        minutes=minutes,
    )


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(report):
    """The report as CSV rows: a header, then one row per period and service (or counter), every
    one included (zeros too), so a spreadsheet can pivot them. Durations in whole seconds:
    whole numbers read the same whatever the spreadsheet's decimal separator."""
    period_header = {"day": gettext("Day"), "week": gettext("Week (Monday)"), "month": gettext("Month")}
    if report.by == "service":
        group_header, count_header = gettext("Service"), gettext("Issued")
    else:
        group_header, count_header = gettext("Counter"), gettext("Called")
    yield [
        period_header[report.period],
        group_header,
        count_header,
        gettext("Served"),
        gettext("No-shows"),
        gettext("Average wait (seconds)"),
        gettext("Average service time (seconds)"),
    ]
    for start in report.buckets:
        when = start.strftime("%Y-%m") if report.period == "month" else start.isoformat()
        for key, name in report.groups:
            cell = report.cells[(start, key)]
            yield [
                when,
                name,
                cell.issued,
                cell.served,
                cell.no_shows,
                cell.avg_wait_seconds if cell.avg_wait_seconds is not None else "",
                cell.avg_service_seconds if cell.avg_service_seconds is not None else "",
            ]


@bp.get("/stats.csv")
@console_page("stats")
def csv_export(user):
    """The report as a CSV file: UTF-8 with a byte order mark (so Excel reads the village's
    letters right), cells that would run as formulas escaped."""
    report = current_report()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(report):
        writer.writerow([safe_cell(value) for value in row])
    name = f"balai-statistics-{report.period}-{report.by}-{report.through.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
