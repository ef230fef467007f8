"""The console's statistics: figures per day, week and month, per service and per counter, from
tickets served through the real queue on a moving clock; the SVG charts; the CSV file."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from portal.charts import column_chart
from portal.domain import stats
from portal.domain.errors import DomainError
from portal.models import Counter, Service
from tests.conftest import HOTSPOT_ADDRESS, login
from tests.test_dashboard import count_queries, serve

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
# The last seeded day: a Monday in January, so weeks and months reach back over a year's turn.
JAN_4 = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # 09:00 WIB


@pytest.fixture
def seeded(queue, clock):
    """Tickets over four village days (times WIB), each served, skipped or left as the comments say.

    Mon 23 Nov: A-001 served at Loket 1 (wait 4 min, service 10), A-002 skipped there (wait 14),
                B-001 served at Loket 2 (wait 14, service 6).
    Wed 25 Nov: A-001 (surat) sent to kependudukan at Loket 1, then served at Loket 2 (wait 3,
                service 5); C-001 served at Loket 1 (wait 2, service 20).
    Tue 1 Dec:  A-001 taken at 00:30 (still 30 Nov in UTC) and never called; D-001 skipped at
                Loket 3 (wait 3).
    Mon 4 Jan:  E-001 served at Loket 3 (wait 10, service 15).
    """
    for service in ("surat", "surat", "kependudukan"):
        queue.issue(service)
    serve(queue, clock, 1, wait=4, service=10)
    queue.call_next(1)
    queue.skip(1)
    serve(queue, clock, 2, wait=0, service=6)

    clock.set(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    queue.issue("surat")
    clock.advance(minutes=1)
    queue.call_next(1)
    queue.transfer(1, "kependudukan")
    serve(queue, clock, 2, wait=2, service=5)
    queue.issue("nikah")
    serve(queue, clock, 1, wait=2, service=20)

    clock.set(datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
    queue.issue("surat")
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    queue.issue("konsultasi")
    clock.advance(minutes=3)
    queue.call_next(3)
    queue.skip(3)

    clock.set(JAN_4)
    queue.issue("bansos")
    serve(queue, clock, 3, wait=10, service=15)


def report(balai, period, by, today):
    with balai.db.read() as session:
        return stats.report(session, period, by, today)


def figures(tally):
    """A tally as (issued, served, no-shows, average wait s, average service s)."""
    return tally.issued, tally.served, tally.no_shows, tally.avg_wait_seconds, tally.avg_service_seconds


def by_name(result):
    return {name: figures(result.overall[key]) for key, name in result.groups}


def test_days_are_the_last_fourteen_with_every_ticket_counted_once(balai, seeded):
    result = report(balai, "day", "service", date(2026, 12, 1))
    assert result.buckets[0] == date(2026, 11, 18) and result.buckets[-1] == date(2026, 12, 1)
    assert len(result.buckets) == 14
    totals = {day: figures(t) for day, t in result.totals.items() if t.issued}
    assert totals == {
        date(2026, 11, 23): (3, 2, 1, 640, 480),
        date(2026, 11, 25): (2, 2, 0, 150, 750),
        date(2026, 12, 1): (2, 0, 1, 180, None),  # the 00:30 ticket is 1 December's, not UTC's 30 November
    }
    assert figures(result.totals[date(2026, 11, 24)]) == (0, 0, 0, None, None)


def test_a_day_agrees_with_the_daily_figures_the_district_receives(balai, seeded):
    for day in (date(2026, 11, 23), date(2026, 11, 25), date(2026, 12, 1)):
        result = report(balai, "day", "service", day)
        with balai.db.read() as session:
            daily = stats.daily(session, day)
        for (key, name), row in zip(result.groups, daily["services"], strict=True):
            assert name == row["name"]
            cell = result.cells[(day, key)]
            assert (cell.issued, cell.served, cell.no_shows) == (row["issued"], row["served"], row["skipped"])
            assert (cell.avg_wait_seconds, cell.avg_service_seconds) == (
                row["avg_wait_seconds"],
                row["avg_service_seconds"],
            )


def test_weeks_start_on_monday_and_months_cross_the_year(balai, seeded):
    weeks = report(balai, "week", "service", date(2027, 1, 4))
    assert len(weeks.buckets) == 12 and weeks.buckets[0] == date(2026, 10, 19) and weeks.buckets[-1] == date(2027, 1, 4)
    assert {day: figures(t) for day, t in weeks.totals.items() if t.issued} == {
        date(2026, 11, 23): (5, 4, 1, 444, 615),
        date(2026, 11, 30): (2, 0, 1, 180, None),
        date(2027, 1, 4): (1, 1, 0, 600, 900),
    }
    months = report(balai, "month", "service", date(2027, 1, 10))
    assert (
        months.buckets[0] == date(2026, 2, 1) and months.buckets[-1] == date(2027, 1, 1) and len(months.buckets) == 12
    )
    assert {day: figures(t) for day, t in months.totals.items() if t.issued} == {
        date(2026, 11, 1): (5, 4, 1, 444, 615),
        date(2026, 12, 1): (2, 0, 1, 180, None),
        date(2027, 1, 1): (1, 1, 0, 600, 900),
    }


def test_a_clock_that_went_back_never_gives_negative_times(balai, queue, clock):
    """A Pi without a battery clock after a power cut: the ticket was called 'before' it was taken.
    The statistics and the district's daily figures count that wait as 0, never below."""
    queue.issue("surat")
    clock.advance(hours=-2)
    queue.call_next(1)
    queue.start(1)
    clock.advance(minutes=5)
    queue.complete(1)
    day = date(2026, 11, 23)
    cell = report(balai, "day", "service", day).totals[day]
    with balai.db.read() as session:
        daily = next(s for s in stats.daily(session, day)["services"] if s["served"])
    assert (cell.avg_wait_seconds, daily["avg_wait_seconds"]) == (0, 0)


def test_services_count_issued_where_taken_and_outcomes_where_served(balai, seeded):
    result = report(balai, "month", "service", date(2027, 1, 4))
    assert by_name(result) == {
        "Surat Pengantar & Keterangan": (4, 1, 1, 540, 600),
        "Administrasi Kependudukan": (1, 2, 0, 510, 330),  # the transferred ticket was served here
        "Pengantar Nikah": (1, 1, 0, 120, 1200),
        "Pengaduan & Konsultasi": (1, 0, 1, 180, None),
        "Bantuan Sosial": (1, 1, 0, 600, 900),
    }


def test_counters_count_the_tickets_they_called(balai, seeded):
    result = report(balai, "month", "counter", date(2027, 1, 4))
    assert by_name(result) == {
        "Loket 1": (3, 2, 1, 400, 900),
        "Loket 2": (2, 2, 0, 510, 330),
        "Loket 3": (2, 1, 1, 390, 900),
    }
    assert figures(result.totals[date(2026, 11, 1)]) == (5, 4, 1, 444, 615)  # every ticket, called or not


def test_one_grouped_query_whatever_the_period(balai, seeded):
    for period in stats.PERIODS:
        with count_queries(balai) as queries:
            report(balai, period, "service", date(2027, 1, 4))
        assert len(queries) == 2, queries  # the tickets, grouped; the services' names


@pytest.mark.parametrize("period,by", [("year", "service"), ("day", "desk"), ("DAY", "service"), ("x" * 500, "y")])
def test_unknown_periods_and_groupings_are_refused(balai, period, by):
    with pytest.raises(DomainError) as refused:
        report(balai, period, by, date(2027, 1, 4))
    assert refused.value.status == 400


def page(client, **params):
    response = client.get("/admin/stats", query_string={"lang": "en", **params})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_page_shows_charts_and_tables_of_the_same_figures(client, seeded):
    login(client, "operator")
    html = page(client, period="month", by="counter")
    assert html.count('<svg class="column-chart"') == 2
    assert '<title id="tickets-chart-title">Tickets issued, served and no-shows</title>' in html
    assert "November 2026: Issued 5, Served 4, No-shows 1." in html  # the chart's description says its data
    assert 'data-value="5"' in html and 'data-value="4"' in html
    assert '<th scope="row">Loket 1</th><td>3</td><td>2</td><td>1</td><td>6.7 min</td><td>15 min</td>' in html
    assert 'href="/admin/stats.csv?period=month&amp;by=counter"' in html
    assert 'aria-current="page">Per month</a>' in html and 'aria-current="page">Per counter</a>' in html
    days = page(client)
    assert "Per day" in days and "Monday, 4 January 2027" in days  # today's row, in the village's days


def test_the_page_is_for_officials_from_the_office(client):
    assert client.get("/admin/stats").headers["Location"].endswith("/admin/login")
    assert client.get("/admin/stats.csv").headers["Location"].endswith("/admin/login")
    for username in ("admin", "operator", "editor"):  # every role reads the statistics
        login(client, username)
        assert 'href="/admin/stats"' in page(client)
        assert client.get("/admin/stats.csv").status_code == 200
    assert client.get("/admin/stats", environ_base=HOTSPOT).status_code == 404
    assert client.get("/admin/stats.csv", environ_base=HOTSPOT).status_code == 404


@pytest.mark.parametrize("path", ["/admin/stats", "/admin/stats.csv"])
@pytest.mark.parametrize(
    "params,words",
    [
        ({"period": "year"}, "Unknown period year: use day, week or month."),
        ({"by": "desk"}, "Unknown grouping desk: use service or counter."),
        ({"period": "day\x00"}, "Unknown period"),
        ({"by": "é" * 3000}, "Unknown grouping"),
    ],
)
def test_bad_parameters_get_a_clear_400(client, path, params, words):
    login(client, "editor")
    response = client.get(path, query_string={"lang": "en", **params})
    assert response.status_code == 400 and words in response.get_data(as_text=True)


def rows(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def test_csv_has_every_period_and_group_and_a_sensible_name(client, clock, seeded):
    login(client, "admin")
    response = client.get("/admin/stats.csv", query_string={"period": "week", "by": "service", "lang": "en"})
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="balai-statistics-week-service-2027-01-04.csv"'
    table = rows(response)
    assert table[0] == [
        "Week (Monday)",
        "Service",
        "Issued",
        "Served",
        "No-shows",
        "Average wait (seconds)",
        "Average service time (seconds)",
    ]
    assert len(table) == 1 + 12 * 5  # every week and service, zeros too
    assert ["2026-11-23", "Administrasi Kependudukan", "1", "2", "0", "510", "330"] in table
    assert ["2026-11-30", "Surat Pengantar & Keterangan", "1", "0", "0", "", ""] in table
    counters = rows(client.get("/admin/stats.csv", query_string={"period": "month", "by": "counter", "lang": "en"}))
    assert counters[0][:3] == ["Month", "Counter", "Called"]
    assert ["2026-11", "Loket 1", "3", "2", "1", "400", "900"] in counters


def test_csv_cells_never_run_as_formulas(client, balai, seeded):
    names = {"surat": '=HYPERLINK("http://evil.example","x")', "nikah": "+62 812", "bansos": "@SUM(A1)"}
    with balai.db.write() as session:
        for code, name in names.items():
            session.execute(update(Service).where(Service.code == code).values(name=name))
        session.execute(update(Counter).where(Counter.name == "Loket 1").values(name="-2+3"))
    login(client, "admin")
    services = {row[1] for row in rows(client.get("/admin/stats.csv?period=month"))[1:]}
    assert {"'" + name for name in names.values()} <= services
    assert "Administrasi Kependudukan" in services  # ordinary names stay as they are
    counters = {row[1] for row in rows(client.get("/admin/stats.csv?by=counter"))[1:]}
    assert "'-2+3" in counters


def test_column_chart_geometry():
    chart = column_chart(["1/12", "2/12", "3/12"], [("Issued", [8, 0, 3]), ("Served", [5, None, 3])])
    assert [text for _, text in chart.ticks] == ["0", "2", "4", "6", "8"]
    bottom, top = chart.ticks[0][0], chart.ticks[-1][0]
    first, empty, last = chart.slots
    assert first.columns[0].y == top and first.columns[0].y + first.columns[0].height == bottom  # the largest fills it
    assert first.columns[1].height == pytest.approx(first.columns[0].height * 5 / 8, abs=0.01)
    assert empty.columns[1].text == "—" and empty.columns[1].height == 0
    assert first.columns[0].x < first.columns[1].x < empty.columns[0].x < last.columns[0].x
    assert all(slot.shown for slot in chart.slots)  # short labels all fit
    crowded = column_chart([f"Label number {n}" for n in range(14)], [("Issued", list(range(14)))])
    assert [slot.shown for slot in crowded.slots][:4] == [True, False, False, True]  # every third fits
    small = column_chart(["a"], [("Average wait", [0.3])], text=lambda v: f"{v:.1f}", whole=False)
    assert [text for _, text in small.ticks] == ["0.0", "0.1", "0.2", "0.3"]  # minutes need no whole steps
