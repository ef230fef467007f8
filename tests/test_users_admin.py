"""The users pages: admins add officials, change roles, set new passwords, unlock and remove them;
nobody else may, and every change is in the audit log without a password."""

import json

import pytest
from sqlalchemy import select

from portal.domain import audit, users
from portal.models import AuditEntry, User
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login
from tests.test_sign_in import attempt, english


@pytest.fixture
def admin(client):
    """The test client, signed in as the demo admin, reading English."""
    english(client)
    login(client, "admin")
    return client


def user_id(balai, username):
    with balai.db.read() as session:
        return session.scalar(select(User.id).where(User.username == username))


def post(client, path, **data):
    """Post a users-page form with the page's CSRF token."""
    token = csrf_from(client.get("/admin/users").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def shown(client, response):
    """The page a form's redirect leads to (with its confirmation or error)."""
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def last_entry(balai):
    with balai.db.read() as session:
        return session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def test_the_list_shows_roles_in_plain_words_last_sign_in_and_locks(admin, app):
    for _ in range(5):
        attempt(app.test_client(), "editor", "not-it")
    html = admin.get("/admin/users").get_data(as_text=True)
    for name in ("admin", "operator", "editor"):
        assert f">{name}</a>" in html
    assert "Counter operator" in html and "Runs the queue at a counter" in html
    assert "Writes announcements and other content" in html
    assert "Locked until 09:15" in html  # the editor
    assert "Never" in html  # the operator has not signed in yet
    assert "Monday, 23 November 2026 09.00" in html  # the admin just did


def test_adding_an_official_who_can_then_sign_in(admin, app, balai):
    response = post(admin, "/admin/users", username="  siti ", role="editor", password="first-pass-1")
    assert "siti can now sign in as Editor." in shown(admin, response)
    entry = last_entry(balai)
    assert (entry.action, entry.username, entry.address, entry.target) == (
        "user.create",
        "admin",
        "127.0.0.1",
        "user:siti",
    )
    assert json.loads(entry.detail) == {"username": "siti", "role": "editor"}
    assert attempt(app.test_client(), "siti", "first-pass-1").status_code == 303


@pytest.mark.parametrize(
    "form, status, text",
    [
        ({"username": "operator", "role": "editor", "password": "first-pass-1"}, 409, "already exists"),
        ({"username": "siti", "role": "editor", "password": "short"}, 400, "at least 8 characters"),
        ({"username": "siti", "role": "king", "password": "first-pass-1"}, 400, "Unknown role king"),
        ({"username": "", "role": "editor", "password": "first-pass-1"}, 400, "empty or too long"),
    ],
)
def test_a_refused_addition_keeps_the_form_and_changes_nothing(admin, balai, form, status, text):
    before = last_entry(balai).id
    response = post(admin, "/admin/users", **form)
    html = response.get_data(as_text=True)
    assert response.status_code == status and text in html
    assert f'value="{form["username"]}"' in html
    assert last_entry(balai).id == before


def test_changing_a_role_changes_what_they_may_open(admin, app, balai):
    operator = app.test_client()
    login(operator, "operator")
    assert operator.get("/admin/counter/1").status_code == 200
    response = post(admin, f"/admin/users/{user_id(balai, 'operator')}/role", role="editor")
    assert "operator is now Editor." in shown(admin, response)
    assert operator.get("/admin/counter/1").status_code == 403
    entry = last_entry(balai)
    assert (entry.action, json.loads(entry.detail)) == ("user.role", {"role": ["operator", "editor"]})


def test_the_last_admin_stays_an_admin(admin, balai):
    before = last_entry(balai).id
    response = post(admin, f"/admin/users/{user_id(balai, 'admin')}/role", role="operator")
    assert "admin is the last admin. Make another official an admin first." in shown(admin, response)
    assert admin.get("/admin/users").status_code == 200 and last_entry(balai).id == before


def test_a_new_password_ends_their_sessions_their_tokens_and_lifts_a_lock(admin, app, balai, clock):
    editor = app.test_client()
    login(editor, "editor")
    with balai.db.write() as session:
        token = users.create_token(session, "editor", clock.now())
    assert editor.get("/api/v1/stats/daily", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for _ in range(5):
        attempt(app.test_client(), "editor", "not-it")
    response = post(admin, f"/admin/users/{user_id(balai, 'editor')}/password", password="fresh-pass-1")
    assert "The password of editor was changed; their open sessions have ended." in shown(admin, response)
    assert editor.get("/admin/content/").status_code == 302
    assert attempt(editor, "editor", "fresh-pass-1").status_code == 303
    entry = last_entry(balai)
    assert entry.action == "login"
    with balai.db.read() as session:
        reset = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password"))
    assert (reset.username, reset.target) == ("admin", "user:editor") and "fresh-pass-1" not in reset.detail
    assert json.loads(reset.detail) == {"sessions_ended": True, "tokens_revoked": 1}
    assert editor.get("/api/v1/stats/daily", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_admins_change_their_own_password_on_their_password_page(admin, balai):
    response = post(admin, f"/admin/users/{user_id(balai, 'admin')}/password", password="fresh-pass-1")
    assert "use “My password”" in shown(admin, response)
    assert admin.get("/admin/users").status_code == 200  # still signed in, nothing changed


def test_unlocking_lets_them_try_again_at_once(admin, app, balai):
    for _ in range(5):
        attempt(app.test_client(), "operator", "not-it")
    assert attempt(app.test_client(), "operator", "demo-operator").status_code == 429
    page = admin.get(f"/admin/users/{user_id(balai, 'operator')}").get_data(as_text=True)
    assert "Locked until 09:15" in page
    response = post(admin, f"/admin/users/{user_id(balai, 'operator')}/unlock")
    assert "operator can sign in again." in shown(admin, response)
    entry = last_entry(balai)
    assert entry.action == "user.unlock" and json.loads(entry.detail)["locked_until"][1] is None
    assert attempt(app.test_client(), "operator", "demo-operator").status_code == 303


def test_removing_an_official_after_confirming(admin, app, balai, queue):
    operator = app.test_client()
    login(operator, "operator")
    queue.issue("surat")
    queue.call_next(1, user_id=user_id(balai, "operator"))  # their name is in the queue's history
    target = f"/admin/users/{user_id(balai, 'operator')}/remove"
    assert "Tick the box to confirm" in shown(admin, post(admin, target))
    assert user_id(balai, "operator") is not None
    assert "operator was removed." in shown(admin, post(admin, target, confirm="1"))
    assert user_id(balai, "operator") is None
    assert operator.get("/admin/counter/1").status_code == 302  # their session ended with them
    entry = last_entry(balai)
    assert (entry.action, json.loads(entry.detail)) == ("user.delete", {"username": "operator", "role": "operator"})
    assert admin.get("/admin/users/999").status_code == 404


def test_nobody_removes_themselves(admin, balai):
    response = post(admin, f"/admin/users/{user_id(balai, 'admin')}/remove", confirm="1")
    assert "You cannot remove yourself." in shown(admin, response)
    assert user_id(balai, "admin") is not None


def test_the_last_admin_cannot_be_removed(balai):
    with balai.db.write() as session:
        actor = audit.Actor(user_id=user_id(balai, "operator"), username="operator")
        with pytest.raises(users.Refused) as refused:
            users.remove(session, actor, balai.clock.now(), user_id(balai, "admin"))
    assert refused.value.code == "last_admin"


def test_an_admin_removes_another_admin(admin, app, balai):
    post(admin, "/admin/users", username="kades", role="admin", password="first-pass-1")
    response = post(admin, f"/admin/users/{user_id(balai, 'kades')}/remove", confirm="1")
    assert "kades was removed." in shown(admin, response)


@pytest.mark.parametrize("role", ["operator", "editor"])
def test_only_admins_reach_the_users_pages(app, balai, role):
    client = app.test_client()
    login(client, role)
    token = csrf_from(client.get("/admin/password").get_data(as_text=True))
    target = user_id(balai, "admin")
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target}").status_code == 403
    for path in ("/admin/users", f"/admin/users/{target}/role", f"/admin/users/{target}/remove"):
        assert client.post(path, data={"csrf_token": token, "role": "operator", "confirm": "1"}).status_code == 403
    assert 'href="/admin/users"' not in client.get("/admin/password").get_data(as_text=True)


def test_the_users_pages_do_not_exist_for_the_hotspot_or_anonymous(admin, app):
    hotspot = {"environ_base": {"REMOTE_ADDR": HOTSPOT_ADDRESS}}
    assert admin.get("/admin/users", **hotspot).status_code == 404
    assert admin.post("/admin/users/1/remove", **hotspot).status_code == 404
    assert app.test_client().get("/admin/users").status_code == 302


def test_forms_without_the_csrf_token_are_refused(admin, balai):
    before = last_entry(balai).id
    assert (
        admin.post("/admin/users", data={"username": "x", "role": "admin", "password": "first-pass-1"}).status_code
        == 400
    )
    assert last_entry(balai).id == before
