"""Balai: the village hall appliance. ``create_app()`` builds the web application.

Importing the package imports neither Flask nor SQLAlchemy: the kiosk agent reads ``portal.config``
and would carry some 30 MB it never uses, so ``make_balai`` and ``create_app`` import them when called.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from portal import config

if TYPE_CHECKING:
    from portal.clock import Clock
    from portal.db import Database
    from portal.domain.captive import Captive
    from portal.domain.printing import PrintJobs
    from portal.domain.queue import Queue

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Balai:
    """What every request needs: settings, the database, the clock, the queue, the kiosks'
    print jobs and the hotspot's captive portal."""

    settings: dict
    db: Database
    clock: Clock
    queue: Queue
    printing: PrintJobs
    captive: Captive


def make_balai(settings, clock=None):
    """Open the database and build the domain objects for ``settings`` (also used by the CLI)."""
    # imported here: see the module's docstring
    from portal.clock import Clock
    from portal.db import Database
    from portal.domain.captive import Captive
    from portal.domain.printing import PrintJobs
    from portal.domain.queue import Policy, Queue
    from portal.firewall import backend

    clock = clock or Clock()
    db = Database(config.database_path(settings))
    policy = Policy(
        priority_ratio=settings["BALAI_PRIORITY_RATIO"],
        default_service_seconds=settings["BALAI_DEFAULT_SERVICE_MINUTES"] * 60,
        hotspot_max_tickets=settings["BALAI_HOTSPOT_MAX_TICKETS"],
    )
    queue = Queue(db, clock, policy)
    captive = Captive(
        db, clock, backend(settings), settings["BALAI_CAPTIVE_MINUTES"], leases=settings["BALAI_DHCP_LEASES"]
    )
    printing = PrintJobs(db, clock, queue)
    return Balai(settings=settings, db=db, clock=clock, queue=queue, printing=printing, captive=captive)


def secret_key(data_dir):
    """The session-signing key: generated once into the data directory, never a built-in default."""
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(overrides=None, clock=None):
    """Build the Flask app. ``overrides`` replace BALAI_* settings (tests); ``clock`` too."""
    from flask import Flask  # imported here: see the module's docstring
    from flask_wtf.csrf import CSRFProtect

    settings = config.load(overrides=overrides)
    csrf = CSRFProtect()
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static")
    app.config.update(
        SECRET_KEY=secret_key(settings["BALAI_DATA_DIR"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="balai_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # from sign-in, by the app's clock: see auth.session_alive
        SESSION_REFRESH_EACH_REQUEST=False,  # the console's polls get no Set-Cookie (auth.session_alive)
        MAX_CONTENT_LENGTH=64 * 1024,  # no form or API call of the queue is bigger
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the console session
    )
    app.json.sort_keys = False
    app.extensions["balai"] = make_balai(settings, clock)

    from portal.web import (
        admin,
        agent_api,
        api,
        audited,
        auth,
        backups_admin,
        board,
        budget,
        budget_admin,
        captive,
        clock_admin,
        complaints,
        complaints_admin,
        content_admin,
        errors,
        i18n,
        info,
        kiosk,
        letter_verify,
        letters,
        letters_admin,
        polls,
        printers_admin,
        public,
        security,
        services_admin,
        setup,
        sign_in,
        stats_admin,
        sync_admin,
        uploads,
        users_admin,
        village_admin,
        votes,
        votes_admin,
        wifi,
    )

    i18n.init_app(app)
    uploads.init_app(app)  # before CSRF: it raises the body limit for upload forms
    app.before_request(security.console_only_from_office)  # before CSRF, whose 400 would reveal the console
    csrf.init_app(app)
    app.wsgi_app = polls.with_fast_polls(app.wsgi_app, app.extensions["balai"].queue)
    if settings["BALAI_CAPTIVE"]:
        app.wsgi_app = captive.with_captive(app.wsgi_app, app.extensions["balai"].captive, settings)
    security.init_app(app)  # after the poll layer, so its 304s carry the security headers too
    errors.init_app(app)
    sign_in.init_app(app)  # the officials' lockout and per-address throttle
    audited.init_app(app)  # the audit page's plain words
    app.register_blueprint(public.bp)
    csrf.exempt(public.bp)  # residents' forms: no cookies assumed, see public.same_origin
    app.register_blueprint(wifi.bp)
    csrf.exempt(wifi.bp)  # the sign-in popup may keep no cookies, see public.same_origin
    app.register_blueprint(board.bp)
    app.register_blueprint(kiosk.bp)
    csrf.exempt(kiosk.bp)  # a public screen like the phone pages, see public.same_origin
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself for cookie sessions, see auth.check_api_csrf
    app.register_blueprint(agent_api.bp)
    csrf.exempt(agent_api.bp)  # device tokens only, no cookies
    app.register_blueprint(admin.bp)
    app.register_blueprint(uploads.bp)
    # Content, complaints, budget and polls: public pages and their console pages.
    app.register_blueprint(budget.bp)
    csrf.exempt(budget.bp)  # read-only pages; nothing to forge
    app.register_blueprint(budget_admin.bp)
    app.register_blueprint(complaints.bp)
    csrf.exempt(complaints.bp)  # residents' forms, see public.same_origin
    app.register_blueprint(letters.bp)
    csrf.exempt(letters.bp)  # residents' letter requests, see public.same_origin
    app.register_blueprint(complaints_admin.bp)
    app.register_blueprint(letters_admin.bp)
    app.register_blueprint(letter_verify.bp)  # read-only: the page a letter's QR code opens
    app.register_blueprint(votes.bp)
    csrf.exempt(votes.bp)  # residents' votes: no cookies assumed, see public.same_origin
    app.register_blueprint(votes_admin.bp)
    app.register_blueprint(info.bp)
    app.register_blueprint(content_admin.bp)
    app.register_blueprint(sync_admin.bp)
    app.register_blueprint(users_admin.bp)
    app.register_blueprint(stats_admin.bp)
    app.register_blueprint(printers_admin.bp)
    app.register_blueprint(clock_admin.bp)  # also the clock banner of every console page
    app.register_blueprint(services_admin.bp)
    app.register_blueprint(village_admin.bp)
    app.register_blueprint(backups_admin.bp)
    setup.init_app(app)  # the first-run wizard, and the console's front door leading to it until then
    app.jinja_env.globals["may"] = auth.may  # the console nav shows what the role may open
    return app
