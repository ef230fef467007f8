"""What every answer says about itself, and what the logs never say.

Every answer of a real server (pages, the API, static files, errors, 304s, captive probes)
carries a strict policy: scripts only from Balai itself (no inline script), no framing, no
content sniffing, no referrer to other sites. And signing in, failing to, and using API and
device tokens leave no password or token in the logs.
"""

import http.cookiejar
import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

from tests.conftest import bearer, csrf_from, make_token

PATHS = [
    "/",
    "/queue",
    "/admin/login",
    "/admin/",
    "/api/v1/services",
    "/api/v1/openapi.json",
    "/static/balai.css",
    "/no-such-page",
    "/api/v1/tickets/no-such-ticket",
    "/generate_204",
    "/hotspot-detect.html",
    "/kiosk/",
    "/media/nothing.jpg",
]
WRONG_PASSWORD = "Tebak-Sandi-9876"


def policy(headers):
    """The Content-Security-Policy as ``{directive: [sources]}``."""
    parts = (part.split() for part in headers.get("Content-Security-Policy", "").split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def strictness(headers):
    """What is missing from an answer's security headers."""
    csp = policy(headers)
    scripts = csp.get("script-src", csp.get("default-src", []))
    missing = []
    if scripts != ["'self'"]:
        missing.append(f"script-src {scripts}")
    if csp.get("default-src") != ["'self'"]:
        missing.append(f"default-src {csp.get('default-src')}")
    if csp.get("frame-ancestors") != ["'none'"]:
        missing.append(f"frame-ancestors {csp.get('frame-ancestors')}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        missing.append("nosniff")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"):
        missing.append(f"Referrer-Policy {headers.get('Referrer-Policy')}")
    return missing


def fetch(opener, url, data=None, headers=None):
    """An answer from the real server, errors included: (status, headers, body)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Keep 3xx answers as they are: their headers are checked too."""

    def redirect_request(self, *args, **kwargs):
        return None


def test_every_answer_of_the_real_server_carries_a_strict_policy(server):
    opener = urllib.request.build_opener(NoRedirects)
    version = fetch(opener, f"{server}/api/v1/board")[1]["ETag"]
    answers = {path: fetch(opener, server + path) for path in PATHS}
    answers["304"] = fetch(opener, f"{server}/api/v1/board", headers={"If-None-Match": version})
    assert answers["304"][0] == 304
    assert {status for status, _, _ in answers.values()} >= {200, 204, 302, 304, 404}
    wrong = {path: strictness(headers) for path, (_, headers, _) in answers.items() if strictness(headers)}
    assert not wrong


def test_the_hub_carries_the_same_policy(empty_hub):
    client = empty_hub.test_client()
    for path in ("/login", "/", "/api/v1/health", "/no-such-page"):
        assert not strictness(client.get(path).headers), path


def test_no_password_or_token_reaches_the_logs(server, balai, kiosk, caplog):
    """Sign-in failures and successes, official and device tokens (good and bad), as the real
    server logs them at every level."""
    caplog.set_level(logging.DEBUG)
    official = make_token(balai, "admin")
    device, pairing = kiosk[1], kiosk[2]
    bogus = "balai_" + "Z" * 43
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)
    for password in (WRONG_PASSWORD, "demo-admin"):
        token = csrf_from(fetch(browser, f"{server}/admin/login")[2])
        form = urlencode({"username": "admin", "password": password, "csrf_token": token}).encode()
        fetch(browser, f"{server}/admin/login", data=form)
    assert any(cookie.name == "balai_session" for cookie in jar)
    plain = urllib.request.build_opener(NoRedirects)
    for value in (official, bogus, device):
        fetch(plain, f"{server}/api/v1/kiosks", headers=bearer(value))
        fetch(plain, f"{server}/api/v1/kiosk/poll", data=b'{"agent": "a", "printer": {"state": "ok"}}',
              headers={**bearer(value), "Content-Type": "application/json"})  # fmt: skip
    fetch(plain, f"{server}/kiosk/pair/{pairing}")
    secrets = [WRONG_PASSWORD, "demo-admin", official, bogus, device, pairing]
    secrets += [cookie.value for cookie in jar]
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert not [secret for secret in secrets if secret in logged]
