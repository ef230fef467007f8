"""Walking every registered route of an app, for the security tests: which routes belong to the
console and to the officials' API, the permission each declares (``auth.console_page`` and
``auth.requires`` record it on the view), and a URL that reaches each with placeholder values."""

from werkzeug.routing import IntegerConverter

from portal.web.auth import PERMISSIONS
from portal.web.security import HEADERS
from tests.conftest import HOTSPOT_ADDRESS

UNDECLARED = object()
HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
ROLES = ("admin", "operator", "editor")
# A placeholder for every URL argument that is not a number (a real id where one matters is the
# caller's ``values``); no slash, so it matches the argument it fills.
TEXT_PLACEHOLDER = "x"


def routes(app):
    """``(rule, method)`` for every registered route and method but HEAD and OPTIONS (Flask
    answers those itself), in a stable order."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
    return [(rule, method) for rule in rules for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def permission(app, rule):
    """The permission the route's view declares (None: any signed-in official), or UNDECLARED."""
    return getattr(app.view_functions[rule.endpoint], "balai_permission", UNDECLARED)


def is_console(rule):
    """Whether the route is part of the officials' console."""
    return rule.rule == "/admin" or rule.rule.startswith("/admin/")


def is_api(rule):
    """Whether the route is part of the JSON API."""
    return rule.rule.startswith("/api/")


def wrong_roles(declared):
    """The roles a route declaring ``declared`` must refuse."""
    if declared is None or declared is UNDECLARED:
        return ()
    return tuple(role for role in ROLES if role not in PERMISSIONS[declared])


def url(rule, **values):
    """A path that reaches ``rule``: numbers are 1 and text is "x" unless ``values`` says."""
    filled = {}
    for name in rule.arguments:
        default = 1 if isinstance(rule._converters[name], IntegerConverter) else TEXT_PLACEHOLDER
        filled[name] = values.get(name, default)
    return rule.build(filled, append_unknown=False)[1]


def label(rule, method):
    """How a failure names a route."""
    return f"{method} {rule.rule} ({rule.endpoint})"


def missing_headers(response):
    """The security headers (``security.HEADERS``) a response lacks or carries with another value."""
    return [name for name, value in HEADERS if response.headers.get(name) != value]
