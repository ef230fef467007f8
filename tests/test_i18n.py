"""Indonesian first: every string a person can see has an Indonesian translation."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal.messages import MESSAGES

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "portal" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None}


def extracted():
    """Every msgid the code and templates use, as `make translations` would extract them."""
    method_map = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
    found = extract_from_dir(str(ROOT), method_map=method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_indonesian_catalogue_is_complete():
    """Run `make translations` and translate the new entries when this fails."""
    with PO.open("rb") as f:
        catalogue = read_po(f)
    missing = sorted(m for m in extracted() if m not in catalogue or not catalogue[m].string)
    assert missing == []
    strings = lambda m: m.string if isinstance(m.string, tuple) else (m.string,)  # noqa: E731
    untranslated = [m.id for m in catalogue if m.id and (m.fuzzy or not all(strings(m)))]
    assert untranslated == []


def test_placeholders_survive_translation():
    with PO.open("rb") as f:
        catalogue = read_po(f)
    for message in catalogue:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        assert set(re.findall(r"%\((\w+)\)s", source)) == set(re.findall(r"%\((\w+)\)s", target)), source


def test_every_domain_error_code_has_a_message():
    """No code the domain raises reaches a person without a readable message."""
    raised = set()
    for path in (ROOT / "portal").rglob("*.py"):
        raised |= set(re.findall(r'(?:NotFound|Conflict|Refused|DomainError)\("(\w+)"', path.read_text()))
    assert raised and raised <= set(MESSAGES), raised - set(MESSAGES)
