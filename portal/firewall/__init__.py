"""Letting accepted phones through the hotspot: the portal's side of the firewall.

The portal runs unprivileged, so it never touches nftables itself. With ``BALAI_FIREWALL=nftables``
it asks the root helper (``python -m portal.firewall``, see ``helper.py``) over a Unix socket;
with ``none`` (development, ``make run``) nothing is blocked and there is nothing to ask. The
database stays the record of who accepted: the worker brings the helper back in line with it
every round (``portal.captive_sync``), so a helper restart or a missed call heals by itself.
"""

import json
import socket

from portal.firewall.protocol import encode

TIMEOUT_S = 3


class FirewallError(Exception):
    """The helper could not be reached or refused the request; the message says why."""


class NoFirewall:
    """``BALAI_FIREWALL=none``: no firewall to manage, so every call succeeds and does nothing."""

    enforcing = False

    def grant(self, ip, mac, seconds):
        """Let ``ip``/``mac`` through for ``seconds`` (nothing is blocked here)."""

    def revoke(self, ip, mac):
        """Stop letting ``ip``/``mac`` through (nothing is blocked here)."""

    def status(self):
        """What the firewall lets through: nothing is managed, so no clients."""
        return {"clients": [], "uplink": None}

    def set_uplink(self, up):
        """Tell the firewall whether the internet works (nothing to tell here)."""


class HelperFirewall:
    """``BALAI_FIREWALL=nftables``: each call is one request to the root helper's socket."""

    enforcing = True

    def __init__(self, path, timeout=TIMEOUT_S):
        self.path = path
        self.timeout = timeout

    def request(self, message):
        """Send one request and return the helper's answer, or raise FirewallError."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.path)
                sock.sendall(encode(message))
                answer = b""
                while not answer.endswith(b"\n"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
        except OSError as exc:
            raise FirewallError(f"firewall helper at {self.path} unreachable: {exc}") from None
        try:
            reply = json.loads(answer)
        except ValueError:
            raise FirewallError("firewall helper gave no answer") from None
        if not reply.get("ok"):
            raise FirewallError(reply.get("error", "firewall helper refused"))
        return reply

    def grant(self, ip, mac, seconds):
        """Let ``ip``/``mac`` through for ``seconds``."""
        self.request({"op": "grant", "ip": ip, "mac": mac, "seconds": int(seconds)})

    def revoke(self, ip, mac):
        """Stop letting ``ip``/``mac`` through."""
        self.request({"op": "revoke", "ip": ip, "mac": mac})

    def status(self):
        """``{"clients": [{"ip", "mac", "expires_in", "used_bytes"}], "uplink": bool}``."""
        reply = self.request({"op": "list"})
        return {"clients": reply["clients"], "uplink": reply["uplink"]}

    def set_uplink(self, up):
        """Tell the firewall whether the internet works: while it does not, accepted phones are
        captured like the others, so their sign-in popup still opens the portal."""
        self.request({"op": "uplink", "up": bool(up)})


def backend(settings):
    """The firewall that BALAI_FIREWALL names."""
    if settings["BALAI_FIREWALL"] == "nftables":
        return HelperFirewall(settings["BALAI_FIREWALL_SOCKET"])
    return NoFirewall()
