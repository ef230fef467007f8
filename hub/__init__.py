"""The district hub: villages sync with it; district staff read it and send notices through it.

``create_app()`` builds its web application: the villages' signed API (``hub/web/api.py``), the
staff dashboard (``hub/web/dashboard.py``) and the public page that checks a village's letter
(``hub/web/verify.py``). It shares the village's look (``static/``, the icons) and its catalogues
(``portal/translations``), so district staff read Indonesian first too.

Importing the package does not import Flask: a village's worker imports ``hub.protocol`` (so this
package) to sync, and would carry some 8 MB of web framework it never uses.
"""

from dataclasses import dataclass
from pathlib import Path

from hub import config, protocol
from hub.db import Store
from portal import ROOT, secret_key
from portal.clock import Clock


@dataclass
class Hub:
    """What every request needs: settings, the database and the clock."""

    settings: dict
    store: Store
    clock: Clock


def make_hub(settings, clock=None):
    """Open the database for ``settings`` (also used by the CLI)."""
    store = Store(settings["BALAI_HUB_DATABASE_URL"], pool_size=settings["BALAI_HUB_CONNECTIONS"])
    return Hub(settings=settings, store=store, clock=clock or Clock())


def create_app(overrides=None, clock=None):
    """Build the hub's Flask app. ``overrides`` replace BALAI_HUB_* settings (tests); ``clock`` too."""
    import jinja2  # imported here: see the module's docstring
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    settings = config.load(overrides=overrides)
    csrf = CSRFProtect()
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static")
    # The hub's own templates first, then the village's (for the shared icons).
    app.jinja_loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            jinja2.FileSystemLoader(ROOT / "portal" / "templates"),
        ]
    )
    app.config.update(
        SECRET_KEY=secret_key(settings["BALAI_HUB_DATA_DIR"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="balai_hub_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=protocol.MAX_BODY,  # a village's push; the dashboard's forms are far smaller
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "portal" / "translations"),
    )
    app.json.sort_keys = False
    app.extensions["hub"] = make_hub(settings, clock)

    from hub.web import api, dashboard, verify
    from portal.web import errors, i18n, security

    i18n.init_app(app)
    csrf.init_app(app)
    security.init_headers(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # villages sign their requests; no cookies
    app.register_blueprint(dashboard.bp)
    dashboard.init_app(app)
    app.register_blueprint(verify.bp)  # public: a letter's QR code opens it, no sign-in
    if settings["BALAI_HUB_PROXIES"]:
        # Behind nginx or Caddy: the client's address and https come from their headers (only
        # those: a host or prefix header from the internet must not change what the hub signs).
        n = settings["BALAI_HUB_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    return app
