"""The console's services & counters page: admins change which services residents queue for, their
ticket letters and which counter calls which; every change is audited, and tickets already taken
stay valid whatever is changed."""

import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.models import AuditEntry, Counter, Service
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}


class _Inputs(HTMLParser):
    """What a browser would send for a page's form: every named input as it stands (ticked
    checkboxes only, no files) and each select's chosen option."""

    def __init__(self):
        super().__init__()
        self.fields = MultiDict()
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "submit"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields.add(name, attrs.get("value", "on"))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.add(self._select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_fields(html):
    """The fields a browser would post from ``html`` (a page with one form that matters)."""
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


def service_row(fields, name):
    """The form's row prefix (``s3``) of the service named ``name``."""
    return next(
        key[: -len("-name")] for key, value in fields.items(multi=True) if key.endswith("-name") and value == name
    )


def set_box(fields, key, ticked):
    """Tick or untick a checkbox in posted fields."""
    fields.poplist(key)
    if ticked:
        fields.add(key, "1")


def page(client, path="/admin/services"):
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client, fields, path="/admin/services"):
    return client.post(path, data=fields, query_string={"lang": "en"})


def desks(balai):
    """{code: (prefix, name, active)} and {counter: (active, sorted service codes)} as stored."""
    with balai.db.read() as session:
        services = {s.code: (s.prefix, s.name, s.active) for s in session.scalars(select(Service))}
        counters = {c.name: (c.active, sorted(s.code for s in c.services)) for c in session.scalars(select(Counter))}
    return services, counters


def audit_entries(balai, prefix):
    with balai.db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id))
        return [(e.action, e.username, json.loads(e.detail)) for e in rows]


@pytest.fixture
def admin(client):
    assert login(client, "admin").status_code == 303
    return client


def assert_only_admins(client, path):
    """``path`` sends visitors to sign in, refuses operators and editors (its form too) and is in
    the console's nav for admins only. Leaves ``client`` signed in as the admin."""
    assert client.get(path).headers["Location"].endswith("/admin/login")
    for role in ("operator", "editor"):
        login(client, role)
        home = page(client, "/admin/")
        assert client.get(path).status_code == 403
        assert client.post(path, data={"csrf_token": csrf_from(home)}).status_code == 403
        assert f'href="{path}"' not in home
    login(client, "admin")
    assert f'href="{path}"' in page(client, "/admin/")


def test_only_admins_may_open_the_page(client):
    assert_only_admins(client, "/admin/services")
    html = page(client)
    assert "Surat Pengantar &amp; Keterangan" in html and "Loket 3" in html


def test_the_hotspot_gets_404(admin):
    fields = form_fields(page(admin))
    assert admin.get("/admin/services", environ_base=HOTSPOT).status_code == 404
    assert admin.post("/admin/services", data=fields, environ_base=HOTSPOT).status_code == 404


def test_posting_the_form_unchanged_changes_nothing(admin, balai):
    before = desks(balai)
    response = post(admin, form_fields(page(admin)))
    assert response.status_code == 303
    assert desks(balai) == before
    assert audit_entries(balai, "service.") == audit_entries(balai, "counter.") == []


def test_edits_are_saved_and_audited(admin, balai):
    fields = form_fields(page(admin))
    row = service_row(fields, "Pengantar Nikah")
    fields[f"{row}-name"] = "Pengantar Nikah & Rujuk"
    fields["s5-name"], fields["s5-prefix"], fields["s5-code"] = "Legalisir Dokumen", "f", ""  # the first empty row
    assert fields["c3-name"] == ""  # the empty counter row
    fields["c3-name"] = "Loket 4"
    fields.add("c3-serves", "5")
    assert post(admin, fields).status_code == 303
    services, counters = desks(balai)
    assert services["nikah"] == ("C", "Pengantar Nikah & Rujuk", True)
    assert services["legalisir-dokumen"] == ("F", "Legalisir Dokumen", True)  # a code made from the name
    assert counters["Loket 4"] == (True, ["legalisir-dokumen"])
    entries = audit_entries(balai, "service.") + audit_entries(balai, "counter.")
    assert ("service.update", "admin", {"name": ["Pengantar Nikah", "Pengantar Nikah & Rujuk"]}) in entries
    assert (
        "service.create",
        "admin",
        {"code": "legalisir-dokumen", "prefix": "F", "name": "Legalisir Dokumen", "active": True},
    ) in entries
    assert (
        "counter.create",
        "admin",
        {"name": "Loket 4", "active": True, "services": ["legalisir-dokumen"]},
    ) in entries
    assert "The services and counters were saved." in page(admin)


def test_two_services_can_swap_their_letters(admin, balai):
    fields = form_fields(page(admin))
    surat, kependudukan = (
        service_row(fields, "Surat Pengantar & Keterangan"),
        service_row(fields, "Administrasi Kependudukan"),
    )
    fields[f"{surat}-prefix"], fields[f"{kependudukan}-prefix"] = "B", "A"
    assert post(admin, fields).status_code == 303
    services, _ = desks(balai)
    assert services["surat"][0] == "B" and services["kependudukan"][0] == "A"


def test_a_new_service_may_take_the_letter_another_one_gives_up(admin, balai):
    fields = form_fields(page(admin))
    fields[f"{service_row(fields, 'Surat Pengantar & Keterangan')}-prefix"] = "S"
    fields["s5-name"], fields["s5-prefix"] = "Kartu Tani", "A"
    fields.add("c0-serves", "5")
    assert post(admin, fields).status_code == 303
    services, counters = desks(balai)
    assert services["surat"][0] == "S" and services["kartu-tani"][0] == "A"
    assert "kartu-tani" in counters["Loket 1"][1]


def test_a_letter_on_todays_tickets_stays_with_its_service_until_tomorrow(admin, balai, queue, clock):
    """A-001 issued today for one service: another service taking A today would issue a second
    A-001 (the board and the voice call could not tell them apart)."""
    queue.issue("surat")
    before = desks(balai)
    fields = form_fields(page(admin))
    surat, kependudukan = (
        service_row(fields, "Surat Pengantar & Keterangan"),
        service_row(fields, "Administrasi Kependudukan"),
    )
    fields[f"{surat}-prefix"], fields[f"{kependudukan}-prefix"] = "B", "A"
    response = post(admin, fields)
    assert response.status_code == 400
    assert "already carry the letter A" in response.get_data(as_text=True)
    assert desks(balai) == before
    clock.advance(days=1)  # tomorrow the swap is fine: numbering starts again
    login(admin, "admin")  # a day later, after a night's sleep
    fields = form_fields(page(admin))
    fields[f"{surat}-prefix"], fields[f"{kependudukan}-prefix"] = "B", "A"
    assert post(admin, fields).status_code == 303


def test_a_service_with_tickets_today_cannot_be_removed_but_can_be_closed(admin, balai, queue):
    ticket = queue.issue("surat")
    before = desks(balai)
    fields = form_fields(page(admin))
    row = service_row(fields, "Surat Pengantar & Keterangan")
    set_box(fields, f"{row}-keep", False)
    fields[f"{service_row(fields, 'Bantuan Sosial')}-name"] = "Bansos"  # refused along with the rest
    response = post(admin, fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "“Surat Pengantar &amp; Keterangan” already has queue tickets, so it cannot be removed." in html
    assert "nothing was saved" in html
    assert desks(balai) == before and audit_entries(balai, "service.") == []
    # Closing it instead: no new tickets, and the one taken stays in the queue.
    fields = form_fields(page(admin))
    set_box(fields, f"{row}-active", False)
    assert post(admin, fields).status_code == 303
    assert desks(balai)[0]["surat"][2] is False
    assert queue.ticket(ticket["id"])["status"] == "waiting"
    assert ("service.update", "admin", {"active": [True, False]}) in audit_entries(balai, "service.")


def test_a_service_and_a_counter_without_tickets_can_be_removed(admin, balai):
    fields = form_fields(page(admin))
    fields["s5-name"], fields["s5-prefix"] = "Sementara", "T"
    fields["c3-name"] = "Loket Sementara"
    fields.add("c3-serves", "5")
    assert post(admin, fields).status_code == 303
    fields = form_fields(page(admin))
    set_box(fields, f"{service_row(fields, 'Sementara')}-keep", False)
    set_box(fields, "c3-keep", False)
    assert fields["c3-name"] == "Loket Sementara"
    assert post(admin, fields).status_code == 303
    services, counters = desks(balai)
    assert "sementara" not in services and "Loket Sementara" not in counters
    actions = [action for action, _, _ in audit_entries(balai, "service.") + audit_entries(balai, "counter.")]
    assert actions.count("service.delete") == actions.count("counter.delete") == 1


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"s0-prefix": "B"}, "Another entry already uses this."),
        ({"s0-prefix": "7"}, "The ticket letter must be one or two letters, A to Z."),
        ({"s0-name": ""}, "Please fill this in."),
        ({"s5-name": "Baru", "s5-prefix": "X", "s5-code": "Surat Baru!"}, "Use lowercase letters, digits and - only"),
        ({"s5-name": "Baru", "s5-prefix": "X", "s5-code": "surat"}, "Another entry already uses this."),
        ({"c0-name": "Loket 2"}, "Another entry already uses this."),
        ({"c0-serves": None}, "Choose at least one service that Loket 1 serves."),
        ({"c3-name": "Loket 9"}, "Choose at least one service that Loket 9 serves."),
        ({"s0-id": "999999"}, "This row was removed meanwhile."),
    ],
)
def test_bad_rows_are_refused_with_a_clear_message_and_nothing_changes(admin, balai, change, expected):
    before = desks(balai)
    fields = form_fields(page(admin))
    for key, value in change.items():
        fields.poplist(key)
        if value is not None:
            fields[key] = value
    response = post(admin, fields)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert desks(balai) == before
    assert audit_entries(balai, "service.") == audit_entries(balai, "counter.") == []


def test_dropping_every_service_or_counter_is_refused(admin, balai):
    fields = form_fields(page(admin))
    for key in [k for k in fields if k.endswith("-keep")]:
        set_box(fields, key, False)
    html = post(admin, fields).get_data(as_text=True)
    assert "Keep at least one service." in html and "Keep at least one counter." in html
    assert len(desks(balai)[0]) == 5


def test_the_form_is_shown_again_as_typed(admin):
    fields = form_fields(page(admin))
    fields["s0-name"] = "Kependudukan <b>baru</b>"
    fields["s0-prefix"] = "B"
    html = post(admin, fields).get_data(as_text=True)
    assert 'value="Kependudukan &lt;b&gt;baru&lt;/b&gt;"' in html and "<b>baru" not in html


@pytest.mark.parametrize(
    "change",
    [
        {"services": "²"},
        {"services": "99999999999999999999"},
        {"s0-id": "٣"},
        {"s0-id": "9" * 40},
        {"c0-serves": "²"},
        {"c0-serves": "4" * 30},
        {"counters": "-1"},
    ],
)
def test_forged_numbers_are_bad_input_not_server_errors(admin, balai, change):
    before = desks(balai)
    fields = form_fields(page(admin))
    for key, value in change.items():
        fields.poplist(key)
        fields[key] = value
    assert post(admin, fields).status_code == 400
    assert desks(balai) == before


def hours(balai):
    """{code: (opens_at, closes_at, daily_cap)} as stored."""
    with balai.db.read() as session:
        return {s.code: (s.opens_at, s.closes_at, s.daily_cap) for s in session.scalars(select(Service))}


def take(app, service):
    """A resident takes a ticket (the public API, in English): the response."""
    return app.test_client().post("/api/v1/tickets", json={"service": service}, query_string={"lang": "en"})


def test_the_form_shows_opening_hours_and_daily_limits(admin):
    fields = form_fields(page(admin))
    bansos, surat = service_row(fields, "Bantuan Sosial"), service_row(fields, "Surat Pengantar & Keterangan")
    assert [fields[f"{bansos}-{k}"] for k in ("opens", "closes", "cap")] == ["08:00", "12:00", "30"]
    assert [fields[f"{surat}-{k}"] for k in ("opens", "closes", "cap")] == ["", "", ""]  # all day, no limit


def test_a_service_outside_its_new_hours_refuses_tickets(app, admin, balai):
    """Monday 09:00: a service that now opens at 10:00 is closed, with the opening hours in the message."""
    assert take(app, "surat").status_code == 201
    fields = form_fields(page(admin))
    row = service_row(fields, "Surat Pengantar & Keterangan")
    fields[f"{row}-opens"], fields[f"{row}-closes"] = "10:00", "14.30"  # as Indonesians often write it
    assert post(admin, fields).status_code == 303
    assert hours(balai)["surat"] == ("10:00", "14:30", 0)
    assert (
        "service.update",
        "admin",
        {"opens_at": ["00:00", "10:00"], "closes_at": ["24:00", "14:30"]},
    ) in audit_entries(balai, "service.")
    response = take(app, "surat")
    assert response.status_code == 422 and response.get_json()["error"] == "service_closed"
    assert response.get_json()["message"] == "Surat Pengantar & Keterangan is closed now. Opening hours: 10:00–14:30."
    # Emptying both times opens it at every hour again.
    fields = form_fields(page(admin))
    assert (fields[f"{row}-opens"], fields[f"{row}-closes"]) == ("10:00", "14:30")
    fields[f"{row}-opens"], fields[f"{row}-closes"] = "", ""
    assert post(admin, fields).status_code == 303
    assert hours(balai)["surat"] == ("00:00", "24:00", 0)
    assert take(app, "surat").status_code == 201


def test_a_daily_limit_is_enforced_and_can_be_lifted(app, admin, balai):
    fields = form_fields(page(admin))
    row = service_row(fields, "Pengantar Nikah")
    fields[f"{row}-cap"] = "2"
    assert post(admin, fields).status_code == 303
    assert ("service.update", "admin", {"daily_cap": [0, 2]}) in audit_entries(balai, "service.")
    assert [take(app, "nikah").status_code for _ in range(2)] == [201, 201]
    response = take(app, "nikah")
    assert response.status_code == 422 and response.get_json()["error"] == "daily_cap_reached"
    assert "Today's 2 tickets for Pengantar Nikah are all taken." in response.get_json()["message"]
    fields = form_fields(page(admin))
    fields[f"{row}-cap"] = ""
    assert post(admin, fields).status_code == 303
    assert hours(balai)["nikah"] == ("00:00", "24:00", 0)
    assert take(app, "nikah").status_code == 201


def test_a_closing_time_of_midnight_is_the_end_of_the_day(admin, balai):
    """A time picker offers 00:00 for midnight: closing then means "until midnight", not "never"."""
    fields = form_fields(page(admin))
    row = service_row(fields, "Pengantar Nikah")
    fields[f"{row}-opens"], fields[f"{row}-closes"] = "07:30", "00:00"
    assert post(admin, fields).status_code == 303
    assert hours(balai)["nikah"] == ("07:30", "24:00", 0)


def test_a_new_service_gets_its_hours_and_limit(admin, balai):
    fields = form_fields(page(admin))
    fields["s5-name"], fields["s5-prefix"] = "Legalisir", "L"
    fields["s5-opens"], fields["s5-closes"], fields["s5-cap"] = "8:00", "11:00", "15"
    fields.add("c0-serves", "5")
    assert post(admin, fields).status_code == 303
    assert hours(balai)["legalisir"] == ("08:00", "11:00", 15)
    created = [detail for action, _, detail in audit_entries(balai, "service.create")]
    assert created == [
        {
            "code": "legalisir",
            "prefix": "L",
            "name": "Legalisir",
            "active": True,
            "opens_at": "08:00",
            "closes_at": "11:00",
            "daily_cap": 15,
        }
    ]


def test_hours_typed_in_an_empty_row_are_not_silently_dropped(admin, balai):
    before = hours(balai)
    fields = form_fields(page(admin))
    fields["s5-opens"] = "08:00"
    response = post(admin, fields)
    assert response.status_code == 400 and "Please fill this in." in response.get_data(as_text=True)
    assert hours(balai) == before


@pytest.mark.parametrize(
    "opens,closes,cap,expected",
    [
        ("25:00", "", "", "Write a time of day such as 08:00, or leave it empty."),
        ("24:00", "", "", "Write a time of day such as 08:00, or leave it empty."),
        ("", "8 pagi", "", "Write a time of day such as 08:00, or leave it empty."),
        ("", "12:60", "", "Write a time of day such as 08:00, or leave it empty."),
        ("13:00", "12:00", "", "The closing time must be later than the opening time (13:00)."),
        ("08:00", "08:00", "", "The closing time must be later than the opening time (08:00)."),
        ("", "", "0", "The daily limit is a whole number of tickets, 1 to 9999."),
        ("", "", "-5", "The daily limit is a whole number of tickets, 1 to 9999."),
        ("", "", "2.5", "The daily limit is a whole number of tickets, 1 to 9999."),
        ("", "", "10000", "The daily limit is a whole number of tickets, 1 to 9999."),
        ("", "", "٣", "The daily limit is a whole number of tickets, 1 to 9999."),
    ],
)
def test_wrong_hours_or_limits_are_refused_and_nothing_changes(admin, balai, opens, closes, cap, expected):
    before = (desks(balai), hours(balai))
    fields = form_fields(page(admin))
    row = service_row(fields, "Pengantar Nikah")
    fields[f"{row}-opens"], fields[f"{row}-closes"], fields[f"{row}-cap"] = opens, closes, cap
    fields[f"{service_row(fields, 'Bantuan Sosial')}-cap"] = "40"  # refused along with the rest
    response = post(admin, fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert expected in html and "nothing was saved" in html
    assert f'name="{row}-cap" value="{cap}"' in html  # shown again as typed
    assert (desks(balai), hours(balai)) == before
    assert audit_entries(balai, "service.") == []
