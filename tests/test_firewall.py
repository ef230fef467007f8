"""The firewall's inputs: addresses, MACs and durations are checked before any command, the
helper's protocol refuses anything else, and its commands are argument lists built only from
checked values. Also the MAC lookup and the internet check. The helper on a real nftables is the
``netns`` tier (test_netns.py)."""

import http.server
import ipaddress
import socket
import threading

import pytest

from portal import uplink
from portal.firewall import FirewallError, HelperFirewall, NoFirewall, backend
from portal.firewall.__main__ import notify_ready
from portal.firewall.addresses import InvalidClient, client_ip, client_mac, duration
from portal.firewall.helper import batch, element, first_tuple, limit_rules
from portal.firewall.neighbours import mac_for
from portal.firewall.protocol import parse_request
from tests.conftest import free_port

HOTSPOT = [ipaddress.ip_network("10.42.0.0/24")]


@pytest.mark.parametrize(
    "text",
    ["", "10.42.0", "10.42.0.256", "10.42.1.5", "192.168.1.5", "10.42.0.0", "10.42.0.255", "fe80::1",
     "10.42.0.5; nft flush ruleset", "10.42.0.5 } ; delete table inet balai", " 10.42.0.5", 5, None],
)  # fmt: skip
def test_bad_addresses_are_refused(text):
    """Is anything but a device address on the hotspot refused, shell or nft syntax included?"""
    with pytest.raises(InvalidClient):
        client_ip(text, HOTSPOT)


def test_good_address_is_normalised():
    assert client_ip("10.42.0.23", HOTSPOT) == "10.42.0.23"


@pytest.mark.parametrize(
    "text",
    ["", "62:1a:2b:3c:4d", "62:1a:2b:3c:4d:5e:6f", "62:1a:2b:3c:4d:zz", "621a2b3c4d5e", "00:00:00:00:00:00",
     "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "62:1a:2b:3c:4d:5e }", "62:1a:2b:3c:4d:5e;reboot", 42, None],
)  # fmt: skip
def test_bad_macs_are_refused(text):
    """Is anything but one device's MAC refused (group addresses, the unknown 00:…, syntax)?"""
    with pytest.raises(InvalidClient):
        client_mac(text)


def test_good_mac_is_normalised():
    assert client_mac("62-1A-2B-3C-4D-5E") == "62:1a:2b:3c:4d:5e"


@pytest.mark.parametrize("value", [0, -1, 7 * 24 * 3600 + 1, 1.5, "60", True, None])
def test_bad_durations_are_refused(value):
    with pytest.raises(InvalidClient):
        duration(value)


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"grant 10.42.0.5",
        b"[]",
        b'{"op": "flush"}',
        b'{"op": "grant", "ip": "10.42.0.5", "mac": "62:1a:2b:3c:4d:5e"}',
        b'{"op": "grant", "ip": "10.42.0.5", "mac": "62:1a:2b:3c:4d:5e", "seconds": 60, "extra": 1}',
        b'{"op": "revoke", "ip": "8.8.8.8", "mac": "62:1a:2b:3c:4d:5e"}',
        b'{"op": "uplink", "up": "yes"}',
        b'{"op": "list", "all": true}',
        b"x" * 5000,
    ],
)
def test_protocol_refuses_anything_else(line):
    """Does the helper's protocol accept only its four requests, exactly as documented?"""
    with pytest.raises(InvalidClient):
        parse_request(line, HOTSPOT)


def test_protocol_accepts_its_requests():
    grant = b'{"op":"grant","ip":"10.42.0.5","mac":"62:1A:2B:3C:4D:5E","seconds":60}'
    assert parse_request(grant, HOTSPOT) == {
        "op": "grant",
        "ip": "10.42.0.5",
        "mac": "62:1a:2b:3c:4d:5e",
        "seconds": 60,
    }
    assert parse_request(b'{"op":"list"}', HOTSPOT) == {"op": "list"}
    assert parse_request(b'{"op":"uplink","up":false}', HOTSPOT) == {"op": "uplink", "up": False}


def test_commands_are_argument_lists_of_checked_values():
    """Is a set element built as separate arguments (never one string a shell or nft re-splits)?"""
    assert element("10.42.0.5", "62:1a:2b:3c:4d:5e", 60) == [
        "{",
        "10.42.0.5",
        ".",
        "62:1a:2b:3c:4d:5e",
        "timeout",
        "60s",
        "}",
    ]
    assert batch([["a", "b"], ["c"]]) == ["a", "b", ";", "c"]


def test_limits_are_rules_only_when_configured():
    """No limit configured, no rule; a speed limit and an allowance become meters per phone."""
    assert limit_rules("10.42.0.0/24", 0, 0) == []
    rules = limit_rules("10.42.0.0/24", 1000, 500)
    texts = [" ".join(rule) for rule in rules]
    assert len(rules) == 4
    assert "ip daddr 10.42.0.0/24 add @usage { ip daddr timeout 1d quota over 500 mbytes } drop" in texts[0]
    assert "limit rate over 125000 bytes/second burst 125000 bytes" in texts[2]


def test_conntrack_lines_are_read_by_their_original_direction():
    line = (
        "tcp      6 431999 ESTABLISHED src=10.42.0.23 dst=198.18.0.1 sport=40000 dport=443 "
        "src=198.18.0.1 dst=10.42.0.23 sport=443 dport=40000 [ASSURED] mark=0 use=1"
    )
    assert first_tuple(line) == ("tcp", "10.42.0.23", "198.18.0.1", "40000", "443")


def test_mac_comes_from_the_neighbour_table_then_the_leases(tmp_path):
    """Is a complete neighbour entry used, an incomplete one skipped for the DHCP lease?"""
    arp = tmp_path / "arp"
    arp.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.42.0.23       0x1         0x2         62:1a:2b:3c:4d:5e     *        wlan0\n"
        "10.42.0.24       0x1         0x0         00:00:00:00:00:00     *        wlan0\n"
    )
    leases = tmp_path / "leases"
    leases.write_text("1795000000 8a:00:11:22:33:44 10.42.0.24 phone *\n")
    assert mac_for("10.42.0.23", str(leases), str(arp)) == "62:1a:2b:3c:4d:5e"
    assert mac_for("10.42.0.24", str(leases), str(arp)) == "8a:00:11:22:33:44"
    assert mac_for("10.42.0.25", str(leases), str(arp)) is None
    assert mac_for("10.42.0.23", "", str(tmp_path / "missing")) is None


def test_backend_follows_the_setting():
    assert isinstance(backend({"BALAI_FIREWALL": "none"}), NoFirewall)
    helper = backend({"BALAI_FIREWALL": "nftables", "BALAI_FIREWALL_SOCKET": "/run/x.sock"})
    assert isinstance(helper, HelperFirewall) and helper.path == "/run/x.sock"


def test_unreachable_helper_is_a_clear_error(tmp_path):
    """Does a missing helper give FirewallError naming the socket, not a hang or a traceback?"""
    with pytest.raises(FirewallError, match="unreachable"):
        HelperFirewall(str(tmp_path / "none.sock"), timeout=1).grant("10.42.0.5", "62:1a:2b:3c:4d:5e", 60)


class Answers(http.server.BaseHTTPRequestHandler):
    """A stand-in for the internet on loopback: /ok 204, /portal 302, /broken 500."""

    def do_GET(self):
        status = {"/ok": 204, "/portal": 302, "/broken": 500}.get(self.path, 404)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://login.isp.example/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def internet():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_uplink_check(internet):
    """Is only a 2xx answer 'up' (a redirect is the provider's own sign-in page: down)?"""
    assert uplink.check(f"{internet}/ok") == (True, "HTTP 204")
    assert uplink.check(f"{internet}/portal") == (False, "HTTP 302")
    assert uplink.check(f"{internet}/broken") == (False, "HTTP 500")
    up, why = uplink.check(f"http://127.0.0.1:{free_port()}/", timeout=2)
    assert not up and "refused" in why.lower()
    assert uplink.check("") == (False, "no check configured (BALAI_UPLINK_CHECK)")


def test_worker_round_records_the_uplink(balai, internet):
    """Does the worker's hotspot round store what it found, for the pages and the console?"""
    from portal.housekeeping import hotspot_round

    balai.settings["BALAI_UPLINK_CHECK"] = f"{internet}/ok"
    done = hotspot_round(balai.captive, balai.settings)
    assert done["uplink"] == "up" and done["uplink_changed"]
    assert balai.captive.uplink_state() == "up"
    balai.settings["BALAI_UPLINK_CHECK"] = f"{internet}/portal"
    assert hotspot_round(balai.captive, balai.settings)["uplink"] == "down (HTTP 302)"


def test_worker_round_survives_an_unreachable_helper(balai, internet, tmp_path):
    """With the helper down, does the round still record the uplink and purge, and say why the
    firewall was not reached (instead of failing the round)?"""
    from portal.firewall import HelperFirewall
    from portal.housekeeping import hotspot_round

    balai.captive.firewall = HelperFirewall(str(tmp_path / "gone.sock"), timeout=1)
    balai.settings["BALAI_UPLINK_CHECK"] = f"{internet}/ok"
    done = hotspot_round(balai.captive, balai.settings)
    assert done["uplink"] == "up" and "unreachable" in done["firewall"] and done["sessions_purged"] == 0


def test_helper_tells_systemd_it_is_ready(tmp_path):
    """Does the helper send READY=1 to systemd's notify socket (and nothing without one)?"""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(5)
        notify_ready({})
        notify_ready({"NOTIFY_SOCKET": path})
        assert sock.recv(64) == b"READY=1"
