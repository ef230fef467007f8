"""The appliance's clock on the console: the banner every console page shows while the clock is not
trusted, and an admin setting the clock from their device through the root helper's request file.

``timedatectl`` is whatever the test puts on PATH: nothing (a system without systemd's time
service, like a laptop) or a tiny real program that answers "yes" or "no"."""

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import clock_status, config
from portal.models import AuditEntry
from tests import test_e2e
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login
from tests.test_e2e import shot, signed_in

CHECKOUT = Path(__file__).resolve().parent.parent
HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
BANNER = 'id="clock-banner"'
BUTTON = "Set the clock to my device's time"
# The browser tier's Chromium fixture, one per module.
browser = test_e2e.browser
# Monday 23 November 2026, 10:30 WIB: what the admin's device says (the appliance says 09:00).
DEVICE = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)


@pytest.fixture
def timedatectl(tmp_path, monkeypatch):
    """PATH holds only a folder the test controls: no timedatectl until ``answer("yes"|"no")``
    writes one there."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))

    def answer(word):
        program = folder / "timedatectl"
        program.write_text(f'#!/bin/sh\n[ "$*" = "show --property=NTPSynchronized --value" ] && echo {word}\n')
        program.chmod(0o755)

    return answer


def page(client, path="/admin/"):
    """A console page in English."""
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def request_file(balai):
    return Path(balai.settings["BALAI_DATA_DIR"]) / "clock" / "request"


def clock_entries(balai):
    with balai.db.read() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == "clock.set")).all()


def confirm(client, **form):
    """Send the banner's form; returns the response."""
    token = csrf_from(page(client, "/admin/clock"))
    return client.post("/admin/clock/confirm", data={"csrf_token": token, **form}, query_string={"lang": "en"})


def set_clock(client, offset, after="0"):
    """Press Confirm on the confirmation page with this offset (seconds), shown when the newest clock
    change was audit entry ``after`` (0: none yet); returns the response."""
    token = csrf_from(page(client, "/admin/clock"))
    form = {"csrf_token": token, "offset": offset, "after": after}
    return client.post("/admin/clock/set", data=form, query_string={"lang": "en"})


def test_no_banner_while_nothing_says_the_clock_is_wrong(client, queue, timedatectl):
    """Without systemd's time service and with nothing recorded after now, is the console quiet?"""
    queue.issue("surat")
    login(client, "admin")
    assert BANNER not in page(client)
    timedatectl("yes")
    assert BANNER not in page(client, "/admin/sync")


def test_the_banner_appears_when_the_clock_went_back(client, queue, clock, timedatectl):
    """A ticket was issued at 09:00 and the clock now says 06:00 (a power cut on a Pi without a
    battery clock): does every console page show the banner with both clocks, at once (the
    minute-long cache notices a clock that went back)?"""
    login(client, "admin")
    assert BANNER not in page(client)
    queue.issue("surat")
    clock.advance(hours=-3)
    for path in ("/admin/", "/admin/sync", "/admin/complaints", "/admin/clock"):
        html = page(client, path)
        assert BANNER in html, path
    assert "it is earlier than what it already recorded (up to Monday, 23 November 2026 09.00)" in html
    assert "<dd data-appliance-time>Monday, 23 November 2026 06.00</dd>" in html
    assert "Your device" in html and "Compare it with a phone or a watch." in html
    assert 'src="/static/js/clock.js"' in html and BUTTON in html
    assert html.count(BANNER) == 1
    assert html.count('action="/admin/clock/confirm"') == 1  # the clock page's form, not the banner's too


def test_the_banner_when_systemd_says_the_clock_is_not_synchronised(client, clock, timedatectl):
    """Does "NTPSynchronized=no" bring the banner, and "yes" take it away after the next check?"""
    timedatectl("no")
    login(client, "operator")
    html = page(client)
    assert "it has not been checked against the internet since the appliance was switched on" in html
    assert "ask an admin to set the clock" in html and BUTTON not in html
    timedatectl("yes")
    assert BANNER in page(client)  # the check is reused for a minute
    clock.advance(seconds=61)
    assert BANNER not in page(client)


def test_an_admin_sets_the_clock_to_their_devices_time(client, balai, clock, timedatectl):
    """The whole flow with the script's device time: confirmation page, the exact request file for
    balai-set-time, the audit entry, then the outcome once the helper has set the clock; and
    the banner goes away although NTP still says no (set by hand since the Pi started)."""
    timedatectl("no")
    login(client, "admin")
    assert BUTTON in page(client)
    shown = confirm(client, device_ms=str(int(DEVICE.timestamp() * 1000)), device_tz="420")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Change the clock from Monday, 23 November 2026 09.00 to Monday, 23 November 2026 10.30?" in html
    assert "The clock moves forward by 1 hour 30 minutes." in html and "another time zone" not in html
    assert 'name="offset" value="5400"' in html
    assert not request_file(balai).exists() and not clock_entries(balai)

    assert 'name="after" value="0"' in html
    done = set_clock(client, "5400")
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/clock")
    assert request_file(balai).read_text() == f"{int(DEVICE.timestamp())}\n"
    # The same confirmation sent again (a double click, a reload) moves nothing a second time.
    again = set_clock(client, "5400")
    assert again.status_code == 409 and "The clock was changed since this page was shown" in again.get_data(
        as_text=True
    )
    assert request_file(balai).read_text() == f"{int(DEVICE.timestamp())}\n"
    assert list(request_file(balai).parent.iterdir()) == [request_file(balai)]  # no temporary file left
    (entry,) = clock_entries(balai)
    assert (entry.username, entry.address, entry.target) == ("admin", "127.0.0.1", "clock")
    detail = json.loads(entry.detail)
    assert detail["time"] == ["2026-11-23T02:00:00+00:00", "2026-11-23T03:30:00+00:00"]
    html = page(client, "/admin/clock")
    assert "The clock will change within a few seconds." in html and 'http-equiv="refresh"' in html

    # balai-set-time takes the request and sets the clock.
    request_file(balai).unlink()
    clock.set(DEVICE)
    login(client, "admin")  # an hour and a half without a request ended the session
    html = page(client, "/admin/clock")
    assert "Done: the clock now reads Monday, 23 November 2026 10.30." in html
    assert BANNER not in html and BANNER not in page(client)


def test_without_javascript_the_admin_types_the_time(client, balai, clock):
    """The typed date and time is the village's (WIB): 12:30 typed at 09:00 is three and a half
    hours ahead."""
    login(client, "admin")
    html = confirm(client, local="2026-11-23T12:30").get_data(as_text=True)
    assert 'name="offset" value="12600"' in html
    set_clock(client, "12600")
    assert request_file(balai).read_text() == f"{int(datetime(2026, 11, 23, 5, 30, tzinfo=UTC).timestamp())}\n"


def test_the_confirmation_warns_about_the_devices_zone_and_earlier_records(client, queue):
    """A device in WITA, and a time earlier than the tickets already issued: are both said?"""
    queue.issue("surat")
    login(client, "admin")
    earlier = DEVICE - timedelta(hours=3)  # 07:30 WIB, before the 09:00 ticket
    html = confirm(client, device_ms=str(int(earlier.timestamp() * 1000)), device_tz="480").get_data(as_text=True)
    assert "The clock moves back by 1 hour 30 minutes." in html
    assert "Your device uses another time zone (UTC+08:00) than the village (UTC+07:00)." in html
    assert 'id="clock-earlier"' in html and "up to Monday, 23 November 2026 09.00" in html


def test_a_request_the_helper_took_without_changing_the_clock_is_reported(client, balai):
    login(client, "admin")
    set_clock(client, "3600")
    request_file(balai).unlink()  # taken, but the clock stayed where it was
    html = page(client, "/admin/clock")
    assert "The clock did not change to the time asked." in html and "journalctl -u balai-set-time" in html


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({}, "Choose the correct date and time"),
        ({"device_ms": "soon"}, "Choose the correct date and time"),
        ({"device_ms": "9" * 40}, "Choose the correct date and time"),
        ({"device_ms": "١٧٩٥٠٠٠٠٠٠٠٠٠"}, "Choose the correct date and time"),
        ({"local": "tomorrow"}, "Choose the correct date and time"),
        ({"local": "2026-11-23T12:30+08:00"}, "Choose the correct date and time"),
        ({"device_ms": "1700000000000"}, "15-11-2023 05:13 cannot be the right time"),
        ({"local": "2100-01-01T07:00"}, "01-01-2100 07:00 cannot be the right time"),
    ],
)
def test_bad_times_are_refused_with_a_clear_message(client, balai, form, says):
    login(client, "admin")
    response = confirm(client, **form)
    assert response.status_code == 400 and says in response.get_data(as_text=True)
    assert not request_file(balai).exists()


@pytest.mark.parametrize("offset", ["", "soon", "1.5", "--5", "²", "١٢٣", "9" * 13, "-99999999999", "-70000000"])
def test_a_bad_confirmation_writes_nothing(client, balai, offset):
    login(client, "admin")
    response = set_clock(client, offset)
    assert response.status_code == 400 and 'id="clock-error"' in response.get_data(as_text=True)
    assert not request_file(balai).exists() and not clock_entries(balai)


def test_a_request_that_cannot_be_written_changes_nothing(client, app, balai):
    """The request's folder is not a folder (a full or broken disk): a clear message, no audit entry."""
    (Path(balai.settings["BALAI_DATA_DIR"]) / "clock").write_text("not a folder")
    login(client, "admin")
    response = set_clock(client, "60")
    assert response.status_code == 503 and "could not be written to" in response.get_data(as_text=True)
    assert not clock_entries(balai)


def test_only_admins_may_set_the_clock(client, balai):
    assert client.get("/admin/clock").headers["Location"].endswith("/admin/login")
    for username in ("operator", "editor"):
        login(client, username)
        token = csrf_from(page(client))
        assert client.get("/admin/clock").status_code == 403
        for path, form in (
            ("/admin/clock/confirm", {"device_ms": "1795000000000"}),
            ("/admin/clock/set", {"offset": "60"}),
        ):
            assert client.post(path, data={"csrf_token": token, **form}).status_code == 403
    assert not request_file(balai).exists()


def test_the_hotspot_does_not_see_the_clock_pages(client, balai):
    login(client, "admin")
    token = csrf_from(page(client))
    assert client.get("/admin/clock", environ_base=HOTSPOT).status_code == 404
    for path in ("/admin/clock/confirm", "/admin/clock/set"):
        response = client.post(path, data={"csrf_token": token, "offset": "60"}, environ_base=HOTSPOT)
        assert response.status_code == 404
    assert not request_file(balai).exists()


def test_a_confirmation_without_the_csrf_token_is_refused(client, balai):
    login(client, "admin")
    assert client.post("/admin/clock/set", data={"offset": "60"}).status_code == 400
    assert not request_file(balai).exists() and not clock_entries(balai)


def test_the_request_file_is_where_the_helper_looks(tmp_path):
    """<data dir>/clock/request by default (on the Pi /var/lib/balai/clock/request, which
    balai-set-time.path watches), or wherever BALAI_CLOCK_REQUEST says."""
    unit = (CHECKOUT / "deploy" / "raspberrypi" / "systemd" / "balai-set-time.path").read_text()
    pi = config.load(environ={}, overrides={"BALAI_DATA_DIR": "/var/lib/balai", "BALAI_CONFIG": str(tmp_path / "none")})
    assert f"PathExists={config.clock_request_path(pi)}\n" in unit
    moved = config.load(environ={}, overrides={"BALAI_DATA_DIR": str(tmp_path), "BALAI_CLOCK_REQUEST": "/run/x"})
    assert config.clock_request_path(moved) == "/run/x"


def test_the_accepted_times_are_the_helpers():
    """Does the console refuse exactly what deploy/raspberrypi/bin/balai-set-time refuses?"""
    script = (CHECKOUT / "deploy" / "raspberrypi" / "bin" / "balai-set-time").read_text()
    earliest = int(re.search(r"^earliest=(\d+)", script, re.M).group(1))
    latest = int(re.search(r"^latest=(\d+)", script, re.M).group(1))
    assert (earliest, latest) == (clock_status.EARLIEST.timestamp(), clock_status.LATEST.timestamp())


@pytest.mark.e2e
def test_in_a_browser_the_banner_shows_the_devices_time_and_sets_the_clock_to_it(
    browser, server, queue, clock, balai, timedatectl
):
    """Real Chromium running clock.js: the device's clock appears next to the appliance's, the
    typed-time field gives way to the device's time, and one click plus Confirm asks for it."""
    queue.issue("surat")
    clock.advance(hours=-3)
    desk, console = signed_in(browser, server, "admin")
    errors = []
    console.on("pageerror", lambda error: errors.append(str(error)))
    try:
        console.goto(server + "/admin/?lang=en")
        banner = console.locator("#clock-banner")
        device = banner.locator("[data-device-time]")
        device.wait_for(state="visible", timeout=5000)
        assert str(datetime.now(UTC).year) in device.inner_text()
        assert banner.locator("[data-no-js]").is_hidden() and banner.locator("[data-manual]").is_hidden()
        shot(console, "console-clock-banner", full_page=False)
        before = time.time()
        banner.get_by_role("button", name="Set the clock to my device's time").click()
        console.wait_for_url("**/admin/clock/confirm*", timeout=5000)
        offset = int(console.locator("input[name=offset]").get_attribute("value"))
        shot(console, "console-clock-confirm", full_page=False)
        assert before - 2 <= clock.now().timestamp() + offset <= time.time() + 2
        console.get_by_role("button", name="Confirm").click()
        console.locator("#clock-outcome").wait_for(timeout=5000)
        assert before - 2 <= int(request_file(balai).read_text()) <= time.time() + 2
        assert errors == []
    finally:
        desk.close()
