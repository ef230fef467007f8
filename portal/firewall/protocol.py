"""The helper's protocol: one JSON object per line over a Unix socket, one answer line back.

Requests (nothing else is understood)::

    {"op": "grant", "ip": "10.42.0.23", "mac": "aa:bb:cc:dd:ee:ff", "seconds": 86400}
    {"op": "revoke", "ip": "10.42.0.23", "mac": "aa:bb:cc:dd:ee:ff"}
    {"op": "list"}
    {"op": "uplink", "up": true}

Answers: ``{"ok": true, ...}`` or ``{"ok": false, "error": "why"}``. ``list`` answers
``{"ok": true, "clients": [{"ip", "mac", "expires_in", "used_bytes"}], "uplink": bool}``.
"""

import json

from portal.firewall.addresses import InvalidClient, client_ip, client_mac, duration

MAX_LINE = 4096
OPS = ("grant", "revoke", "list", "uplink")


def parse_request(line, networks):
    """Validate one request line (bytes) and return it as a dict, or raise InvalidClient."""
    if len(line) > MAX_LINE:
        raise InvalidClient("request too long")
    try:
        request = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise InvalidClient("not a JSON request") from None
    if not isinstance(request, dict) or request.get("op") not in OPS:
        raise InvalidClient(f"unknown request; one of {', '.join(OPS)} is expected")
    op = request["op"]
    expected = {"grant": {"ip", "mac", "seconds"}, "revoke": {"ip", "mac"}, "list": set(), "uplink": {"up"}}[op]
    if set(request) - {"op"} != expected:
        raise InvalidClient(f"{op} takes exactly: {', '.join(sorted(expected)) or 'nothing'}")
    clean = {"op": op}
    if "ip" in expected:
        clean["ip"] = client_ip(request["ip"], networks)
        clean["mac"] = client_mac(request["mac"])
    if op == "grant":
        clean["seconds"] = duration(request["seconds"])
    if op == "uplink":
        if not isinstance(request["up"], bool):
            raise InvalidClient("up must be true or false")
        clean["up"] = request["up"]
    return clean


def encode(message):
    """One protocol line for ``message``."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"
