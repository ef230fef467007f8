"""Every page rendered in a pseudo-locale: text that stays plain English was never marked for
translation.

The pseudo catalogue puts a combining dot under every letter of every translated string, so a
run of three plain ASCII letters on a page is either the village's own data (from the database),
locale data (month names) or a string someone forgot to wrap in ``_()``.
"""

import re
from html.parser import HTMLParser

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import inspect as schema
from sqlalchemy import text

from portal.web import i18n
from tests.conftest import login
from tests.test_i18n import PO

PSEUDO = "eo"  # a locale Babel knows and Balai does not ship
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|%s|%d")
WORD = re.compile(r"[A-Za-z]{3,}")
# Names that are the same in every language (products, formats, abbreviations) and URLs' parts.
ALWAYS_ALLOWED = {
    "Bahasa",
    "Indonesia",
    "English",
    "PGD",
    "Balai",
    "WhatsApp",
    "PDF",
    "CSV",
    "UMKM",
    "APBDes",
    "MAC",
    "Wi-Fi",
    "KTP",
    "NIK",
    "SKTM",
    "SKM",  # the demo village's code in letter numbers (DS-SKM), data derived from its name
}
SKIPPED = ("/static/", "/media/", "/voices/", "/village/logo", "/api/", "/kiosk/pair", ".csv", ".pdf", ".zip")
VISIBLE_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")


def pseudo(message):
    """Every letter outside placeholders gets a combining dot below."""
    parts = PLACEHOLDER.split(message)
    keep = PLACEHOLDER.findall(message)
    dotted = [re.sub(r"([A-Za-z])", "\\1\u0323", part) for part in parts]
    return "".join(d + (keep[i] if i < len(keep) else "") for i, d in enumerate(dotted))


@pytest.fixture
def pseudo_app(app, tmp_path, monkeypatch):
    """The app with a pseudo-locale catalogue made from the Indonesian one's message ids."""
    with PO.open("rb") as f:
        source = read_po(f)
    catalogue = Catalog(locale=PSEUDO)
    for message in source:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalogue.add(message.id, tuple(pseudo(i) for i in message.id))
        else:
            catalogue.add(message.id, pseudo(message.id))
    directory = tmp_path / "pseudo" / PSEUDO / "LC_MESSAGES"
    directory.mkdir(parents=True)
    with (directory / "messages.mo").open("wb") as f:
        write_mo(f, catalogue)
    app.extensions["babel"].translation_directories.insert(0, str(tmp_path / "pseudo"))
    monkeypatch.setattr(i18n, "LANGUAGES", (*i18n.LANGUAGES, PSEUDO))
    return app


class VisibleText(HTMLParser):
    """The text a person sees (or hears from a screen reader) on a page, less ``<code>``: setting
    names and commands are typed as they are, in every language."""

    def __init__(self):
        super().__init__()
        self.chunks, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self.hidden += 1
        attrs = dict(attrs)
        self.chunks += [attrs[a] for a in VISIBLE_ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.chunks.append(data)


def data_words(balai):
    """Every word stored in the database (the village's own content and the officials' names)."""
    words = set()
    with balai.db.engine.connect() as connection:
        for table in schema(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, str):
                        words |= set(WORD.findall(value))
    return words


def locale_words():
    """Month and day names and the like that Babel formats in the pseudo-locale."""
    locale = Locale.parse(PSEUDO)
    names = [*locale.months["format"]["wide"].values(), *locale.days["format"]["wide"].values()]
    return {w for name in names for w in WORD.findall(name)}


def sample_paths(app, balai):
    """A real URL for every GET page: arguments filled from the demo village's data."""
    with balai.db.engine.connect() as connection:
        first = lambda sql: connection.execute(text(sql)).scalar()  # noqa: E731
        values = {
            "item_id": first("SELECT min(id) FROM announcements"),
            "business_id": first("SELECT min(id) FROM businesses"),
            "code": first("SELECT code FROM letter_types LIMIT 1"),
            "poll_id": first("SELECT min(id) FROM polls"),
            "year": first("SELECT max(year) FROM budget_years"),
            "counter_id": first("SELECT min(id) FROM counters"),
            "row_id": 1,
        }
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        arguments = {name: values.get(name) for name in rule.arguments}
        if rule.arguments == {"kind"} or rule.arguments == {"kind", "row_id"}:
            arguments["kind"] = "announcement"
        if None in arguments.values():
            continue
        try:
            path = rule.build(arguments)[1]
        except Exception:
            continue
        if not any(s in path for s in SKIPPED):
            paths.add(path)
    return sorted(paths)


def test_every_page_is_fully_translated(pseudo_app, balai):
    client = pseudo_app.test_client()
    login(client, "admin")
    allowed = data_words(balai) | locale_words() | ALWAYS_ALLOWED
    untranslated = {}
    paths = sample_paths(pseudo_app, balai)
    assert len(paths) > 30
    for path in paths:
        response = client.get(path + ("&" if "?" in path else "?") + f"lang={PSEUDO}")
        if response.mimetype != "text/html" or response.status_code >= 300:
            continue  # a redirect's body is Werkzeug's fallback; its target is checked as a page
        parser = VisibleText()
        parser.feed(response.get_data(as_text=True))
        found = {w for chunk in parser.chunks for w in WORD.findall(chunk)} - allowed
        if found:
            untranslated[path] = sorted(found)
    assert untranslated == {}
