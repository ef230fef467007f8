"""Signing in to the console: the lockout per username and its message, the throttle per address,
unknown names that answer like known ones, the audit of every attempt, and sessions that end when
idle, after 12 hours, and on a password change."""

import json
import time

import pytest
from sqlalchemy import select

from portal.domain import users
from portal.models import AuditEntry, User
from tests.conftest import csrf_from, login

WRONG = "Wrong username or password."
SESSION_ENDED = "Your session ended; please sign in again."


def english(client):
    """Have the client read the console in English (the messages asserted below)."""
    client.get("/admin/login?lang=en")
    return client


def attempt(client, username, password, **kwargs):
    """Post the sign-in form as a browser would; returns the response."""
    token = csrf_from(client.get("/admin/login", **kwargs).get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/admin/login", data=data, **kwargs)


def answer(response):
    """The sign-in page's status and its error message (None when it signed in)."""
    html = response.get_data(as_text=True)
    if 'role="alert">' not in html:
        return response.status_code, None
    return response.status_code, html.split('role="alert">')[1].split("<")[0]


def audit_entries(balai, prefix):
    """The audit log's entries whose action starts with ``prefix``, oldest first."""
    with balai.db.read() as session:
        query = select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
        return session.scalars(query).all()


def test_five_wrong_passwords_lock_the_name_until_a_time_the_message_tells(client, clock):
    """Does the fifth wrong password in a row lock the username for 15 minutes, saying until when
    on the village's clock, refuse even the right password meanwhile, and let it in afterwards?"""
    english(client)
    for _ in range(4):
        assert answer(attempt(client, "operator", "not-it")) == (401, WRONG)
    locked = (429, "Too many wrong passwords. Try again at 09:15.")
    assert answer(attempt(client, "operator", "not-it")) == locked
    assert answer(attempt(client, "operator", "demo-operator")) == locked
    clock.advance(minutes=14, seconds=59)
    assert answer(attempt(client, "operator", "demo-operator")) == locked
    clock.advance(seconds=1)
    assert attempt(client, "operator", "demo-operator").status_code == 303


def test_a_lock_that_ends_mid_minute_names_the_next_minute(client, clock):
    english(client)
    clock.advance(seconds=20)
    for _ in range(4):
        attempt(client, "editor", "not-it")
    assert answer(attempt(client, "editor", "not-it"))[1] == "Too many wrong passwords. Try again at 09:16."


def test_success_clears_the_count_and_records_the_time(client, balai, clock):
    """Are failures counted in a row: does a success in between start the count again?"""
    english(client)
    for _ in range(4):
        attempt(client, "operator", "not-it")
    assert attempt(client, "operator", "demo-operator").status_code == 303
    for _ in range(4):
        assert answer(attempt(client, "operator", "not-it")) == (401, WRONG)
    with balai.db.read() as session:
        user = session.scalar(select(User).where(User.username == "operator"))
    assert (user.failed_logins, user.locked_until, user.last_login_at) == (4, None, clock.now())


def test_unknown_names_get_the_same_answers_as_known_ones(client):
    """Can a guesser tell from the answers whether a username exists? (No: the same messages,
    statuses and lockout for a name that is no account.)"""
    english(client)
    for name in ("operator", "nobody"):
        answers = [answer(attempt(client, name, "not-it")) for _ in range(6)]
        assert answers == [(401, WRONG)] * 4 + [(429, "Too many wrong passwords. Try again at 09:15.")] * 2


def test_an_unknown_name_costs_as_much_time_as_a_known_one(balai):
    """Does checking a name that is no account cost one scrypt, like a wrong password does? (CPU
    time of this thread, the least of several tries taken in turns: other processes' load does
    not count.)"""
    lockout, strangers = users.Lockout(attempts=100), users.Strangers()
    users.decoy_hash()  # made once per process, not per attempt
    best = {"operator": float("inf"), "nobody": float("inf")}
    with balai.db.read() as session:
        for _ in range(7):
            for name in best:
                started = time.thread_time()
                users.sign_in(session, name, "not-it", balai.clock.now(), lockout, strangers)
                best[name] = min(best[name], time.thread_time() - started)
    assert 0.6 < best["nobody"] / best["operator"] < 1.6, best


def test_one_address_trying_many_names_is_throttled(client):
    """Does one computer trying many usernames get held back, without locking out other computers?"""
    english(client)
    for n in range(20):
        assert answer(attempt(client, f"guess{n}", "not-it")) == (401, WRONG)
    held = (429, "Too many wrong sign-ins from this computer. Please wait 15 minutes and try again.")
    assert answer(attempt(client, "operator", "demo-operator")) == held
    other = {"environ_base": {"REMOTE_ADDR": "192.168.1.20"}}
    assert attempt(client, "operator", "demo-operator", **other).status_code == 303


def test_the_address_throttle_ends_after_the_lock_time(client, clock):
    english(client)
    for n in range(20):
        attempt(client, f"guess{n}", "not-it")
    assert attempt(client, "operator", "demo-operator").status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert attempt(client, "operator", "demo-operator").status_code == 303


@pytest.mark.parametrize("overrides", [{"BALAI_LOGIN_ATTEMPTS": "2", "BALAI_LOGIN_LOCK_MINUTES": "30"}])
def test_the_numbers_are_settings(client):
    english(client)
    assert answer(attempt(client, "operator", "x")) == (401, WRONG)
    assert answer(attempt(client, "operator", "x")) == (429, "Too many wrong passwords. Try again at 09:30.")


def test_every_attempt_is_audited_without_its_password(client, balai):
    """Does the audit log show each sign-in, failed or not, with the name tried (when it is an
    account: an unknown name is often a password typed into the wrong box) and the address?"""
    attempt(client, "operator", "secret-guess-1")
    attempt(client, "nobody", "secret-guess-2")
    for _ in range(5):
        attempt(client, "editor", "secret-guess-3")
    login(client, "admin")
    entries = audit_entries(balai, "login")
    seen = [(e.action, e.target, e.username, e.address) for e in entries]
    assert seen[:3] == [
        ("login.failed", "user:operator", "", "127.0.0.1"),
        ("login.failed", "user:?", "", "127.0.0.1"),
        ("login.failed", "user:editor", "", "127.0.0.1"),
    ]
    assert seen[6:] == [("login.locked", "user:editor", "", "127.0.0.1"), ("login", "user:admin", "admin", "127.0.0.1")]
    assert entries[-1].user_id is not None
    assert not any("secret-guess" in e.detail or "demo-admin" in e.detail for e in entries)


def test_the_audit_page_names_sign_ins_in_plain_words(client):
    english(client)
    attempt(client, "operator", "not-it")
    login(client, "admin")
    html = client.get("/admin/content/audit").get_data(as_text=True)
    assert "Sign-in failed: wrong username or password" in html and "Signed in" in html


# Sessions ---------------------------------------------------------------------------------------


def test_an_idle_session_ends_and_says_so(client, clock):
    """Does a session end after 60 minutes without a console request, sending the official to the
    sign-in page with a message, while one in use goes on?"""
    english(client)
    login(client, "operator")
    clock.advance(minutes=59)
    assert client.get("/admin/counter/1").status_code == 200
    clock.advance(minutes=59)  # 118 minutes after signing in, 59 after the last request
    assert client.get("/admin/counter/1").status_code == 200
    clock.advance(minutes=60)
    response = client.get("/admin/counter/1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    assert SESSION_ENDED in client.get("/admin/login").get_data(as_text=True)
    assert client.get("/admin/counter/1").status_code == 302  # and it stays ended
    assert SESSION_ENDED not in client.get("/admin/login").get_data(as_text=True)  # said once


@pytest.mark.parametrize("overrides", [{"BALAI_SESSION_IDLE_MINUTES": "10"}])
def test_the_idle_time_is_a_setting(client, clock):
    login(client, "operator")
    clock.advance(minutes=10)
    assert client.get("/admin/counter/1").status_code == 302


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client, clock):
    login(client, "operator")
    for _ in range(14):  # a request every 50 minutes: never idle
        clock.advance(minutes=50)
        assert client.get("/admin/counter/1/live").status_code == 200
    clock.advance(minutes=19)  # 11 h 59 min
    assert client.get("/admin/counter/1/live").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/admin/counter/1/live").status_code == 401


def test_polls_rewrite_the_cookie_at_most_once_a_minute(client, clock):
    """Does the panel's poll leave the session cookie alone, refreshing the last-seen time only
    when a minute has passed?"""
    login(client, "operator")
    client.get("/admin/counter/1")  # the page: its CSRF token may be stored in the session once
    clock.advance(seconds=30)
    assert "Set-Cookie" not in client.get("/admin/counter/1/live").headers
    clock.advance(seconds=30)
    assert "balai_session=" in client.get("/admin/counter/1/live").headers["Set-Cookie"]
    assert "Set-Cookie" not in client.get("/admin/counter/1/live").headers


def test_api_tokens_do_not_expire_with_sessions(client, token, clock):
    clock.advance(days=2)
    assert client.get("/api/v1/counters/1/waiting", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_changing_your_password_ends_your_other_sessions_and_keeps_this_one(app, client, balai):
    """Is the password page for every official, does it ask for the current password and the new
    one twice, and does the change sign out every other computer but not this one?"""
    other = english(app.test_client())
    english(client)
    login(client, "editor")
    login(other, "editor")
    page = client.get("/admin/password")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))

    def change(current, new, repeat):
        data = {"current": current, "new": new, "repeat": repeat, "csrf_token": token}
        return client.post("/admin/password", data=data)

    wrong = change("not-it", "a-new-password", "a-new-password")
    assert wrong.status_code == 400 and "Your current password is not right." in wrong.get_data(as_text=True)
    differ = change("demo-editor", "a-new-password", "another-one")
    assert differ.status_code == 400 and "The two new passwords are not the same." in differ.get_data(as_text=True)
    short = change("demo-editor", "short", "short")
    assert short.status_code == 400 and "at least 8 characters" in short.get_data(as_text=True)
    assert other.get("/admin/password").status_code == 200  # nothing changed yet
    done = change("demo-editor", "a-new-password", "a-new-password")
    assert done.status_code == 303
    assert "Your password was changed." in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/password").status_code == 200  # this session goes on
    assert other.get("/admin/password").status_code == 302  # the other one has ended
    assert SESSION_ENDED in other.get("/admin/login").get_data(as_text=True)
    assert attempt(other, "editor", "demo-editor").status_code == 401
    assert attempt(other, "editor", "a-new-password").status_code == 303
    [entry] = audit_entries(balai, "password.change")
    assert (entry.username, entry.address, entry.target) == ("editor", "127.0.0.1", "user:editor")
    assert "password" not in json.loads(entry.detail)


def test_guessing_the_current_password_is_throttled(client):
    english(client)
    login(client, "editor")
    token = csrf_from(client.get("/admin/password").get_data(as_text=True))
    data = {"new": "a-new-password", "repeat": "a-new-password", "csrf_token": token}
    for n in range(20):
        assert client.post("/admin/password", data={**data, "current": f"guess{n}"}).status_code == 400
    held = client.post("/admin/password", data={**data, "current": "demo-editor"})
    assert held.status_code == 429 and "Too many wrong sign-ins" in held.get_data(as_text=True)


def test_the_password_page_needs_a_session_and_the_office(client):
    assert client.get("/admin/password").status_code == 302
    assert client.get("/admin/password", environ_base={"REMOTE_ADDR": "10.42.0.23"}).status_code == 404
