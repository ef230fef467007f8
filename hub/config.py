"""The hub's settings: ``BALAI_HUB_*`` environment variables, each with a default and a line of help.

Read like the portal's (``portal.config``, whose parsing this reuses), but from the environment
only: a district server is configured by its service manager, not by a file in the data folder.
"""

import os

from portal.config import Setting, parse

SETTINGS = [
    Setting("BALAI_HUB_LISTEN", "127.0.0.1:8090", "The hub's listener (host:port, space-separated for several)."),
    Setting(
        "BALAI_HUB_DATA_DIR",
        "./var/hub",
        "Directory for the hub's SQLite database and its generated session key.",
    ),
    Setting(
        "BALAI_HUB_DATABASE_URL",
        "",
        "SQLAlchemy URL of the hub's database, e.g. postgresql+psycopg://hub@/hub "
        "(empty: SQLite at <data dir>/hub.db).",
    ),
    Setting(
        "BALAI_HUB_PROXIES",
        "0",
        "How many reverse proxies (nginx, Caddy) stand in front of the hub: their X-Forwarded-For/-Proto "
        "headers are trusted that many hops deep. 0 when the hub faces clients directly.",
        "int",
    ),
    Setting(
        "BALAI_HUB_SECURE_COOKIES",
        "auto",
        "Mark the dashboard's session cookie Secure: on, off, or auto (when the request came over HTTPS).",
    ),
    Setting("BALAI_HUB_CONNECTIONS", "16", "Waitress threads: requests the hub handles at once.", "int"),
]
BY_NAME = {s.name: s for s in SETTINGS}


def load(environ=None, overrides=None):
    """Every hub setting as a dict of name to parsed value; ``overrides`` win (tests)."""
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values = {}
    for setting in SETTINGS:
        raw = overrides.get(setting.name, environ.get(setting.name, setting.default))
        values[setting.name] = parse(setting, str(raw))
    values["BALAI_HUB_DATA_DIR"] = os.path.abspath(values["BALAI_HUB_DATA_DIR"])
    if not values["BALAI_HUB_DATABASE_URL"]:
        values["BALAI_HUB_DATABASE_URL"] = "sqlite:///" + os.path.join(values["BALAI_HUB_DATA_DIR"], "hub.db")
    return values
