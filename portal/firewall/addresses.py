"""Checking the two things that name a phone on the hotspot: its IPv4 address and its MAC.

Both the portal and the root helper check every value with these before it goes anywhere near a
firewall command, so a malformed or hostile value is refused with a clear reason, never passed on.
"""

import ipaddress
import re

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
MAX_SECONDS = 7 * 24 * 3600


class InvalidClient(ValueError):
    """An address, MAC or duration that the firewall must not be given; the message says why."""


def client_ip(text, networks):
    """``text`` as a normalised IPv4 address inside one of ``networks`` (the hotspot), or InvalidClient."""
    if not isinstance(text, str):
        raise InvalidClient("the address must be text")
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise InvalidClient(f"not an IPv4 address: {text[:60]!r}") from None
    if not any(address in net for net in networks):
        raise InvalidClient(f"{address} is not on the hotspot")
    if any(address in (net.network_address, net.broadcast_address) for net in networks if net.prefixlen < 31):
        raise InvalidClient(f"{address} is not a device's address")
    return str(address)


def client_mac(text):
    """``text`` as a lower-case ``aa:bb:cc:dd:ee:ff`` MAC of a single device, or InvalidClient."""
    if not isinstance(text, str):
        raise InvalidClient("the MAC must be text")
    mac = text.strip().lower().replace("-", ":")
    if not MAC.match(mac):
        raise InvalidClient(f"not a MAC address: {text[:60]!r}")
    if int(mac[:2], 16) & 1:
        raise InvalidClient(f"{mac} is a group address, not a device")
    if mac == "00:00:00:00:00:00":
        raise InvalidClient("the MAC is not known yet (00:00:00:00:00:00)")
    return mac


def duration(value):
    """``value`` as whole seconds between 1 and a week, or InvalidClient."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidClient("the duration must be whole seconds")
    if not 1 <= value <= MAX_SECONDS:
        raise InvalidClient(f"the duration must be 1 to {MAX_SECONDS} seconds, not {value}")
    return value
