"""The captive portal on a real network: a phone, the Pi and the internet as network namespaces
joined by veth pairs, the project's own nftables ruleset loaded by the real root helper, the
real captive resolver (dnsmasq with deploy/raspberrypi/captive-dnsmasq.conf), the real portal and
worker in the Pi's namespace. Every address lives only inside these namespaces.

    phone ── 10.42.0.23 ═ hotspot0 10.42.0.1 [pi] uplink0 198.51.100.1 ═ 198.51.100.2 internet
                                                         192.168.50.1 ═ 192.168.50.2 (office LAN)

Needs root (network namespaces, nftables); skipped loudly without it, failed under
BALAI_REQUIRE_ALL_TIERS=1. Namespaces are removed even when a test fails.
"""

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import need
from tests.processes import ROOT, wait_for

pytestmark = pytest.mark.netns

PEER = str(ROOT / "tests" / "netns_peer.py")
PHONE_IP, PHONE_MAC, OTHER_MAC = "10.42.0.23", "62:1a:2b:3c:4d:5e", "8a:00:11:22:33:44"
PORTAL = "http://10.42.0.1"  # what phones use: port 80 on the Pi, sent to the portal's 8080
CAPTIVE_ANSWER = "198.18.0.1"
INTERNET, OFFICE_HOST = "198.51.100.2", "192.168.50.2"
PROBES = {  # the probe hosts as phones ask for them, with the online answer the portal gives
    "connectivitycheck.gstatic.com": ("/generate_204", 204),
    "www.google.com": ("/gen_204", 204),
    "captive.apple.com": ("/hotspot-detect.html", 200),
    "www.apple.com": ("/library/test/success.html", 200),
    "www.msftconnecttest.com": ("/connecttest.txt", 200),
    "www.msftncsi.com": ("/ncsi.txt", 200),
    "detectportal.firefox.com": ("/success.txt", 200),
    "connect.rom.miui.com": ("/generate_204", 204),  # a phone maker's own host
}
TOOLS = ("ip", "nft", "dnsmasq", "conntrack")
names = itertools.count()


def tier_available():
    """Root and the network tools (tests/setup-system.sh installs them as root)."""
    missing = [tool for tool in TOOLS if not shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin")]
    if os.geteuid() != 0:
        return False, "the netns tier needs root (network namespaces and nftables)"
    return not missing, f"the netns tier needs {', '.join(missing)}"


def run(*argv, check=True):
    """Run a command; its output, or a failure showing it."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(argv)} failed: {done.stderr}")
    return done.stdout


class Hall:
    """The three namespaces, their links, and the processes running in them."""

    def __init__(self, data_dir, tmp_path, **settings):
        tag = f"{os.getpid() % 100000}{next(names)}"
        self.phone_ns, self.pi_ns, self.net_ns = (f"balai-{role}-{tag}" for role in ("phone", "pi", "net"))
        self.data_dir, self.tmp = data_dir, tmp_path
        self.socket = str(tmp_path / "firewall.sock")
        self.processes = {}
        self.env = {
            **os.environ,
            "BALAI_DATA_DIR": str(data_dir),
            "BALAI_CONFIG": str(data_dir / "balai.conf"),
            "BALAI_LISTEN": "10.42.0.1:8080",
            "BALAI_ADMIN_LISTEN": "0.0.0.0:8081",
            "BALAI_FIREWALL": "nftables",
            "BALAI_FIREWALL_SOCKET": self.socket,
            "BALAI_HOTSPOT_INTERFACE": "hotspot0",
            "BALAI_UPLINK_CHECK": f"http://{INTERNET}/generate_204",
            **settings,
        }
        self.env.pop("BALAI_PUBLIC_URL", None)

    def build(self):
        """Namespaces, veth pairs, addresses and routes (IPv6 too, so it can be shown blocked)."""
        for ns in (self.phone_ns, self.pi_ns, self.net_ns):
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        tag = self.pi_ns.rsplit("-", 1)[1]
        self.link(f"bh{tag}", self.pi_ns, "hotspot0", f"bp{tag}", self.phone_ns, "wlan0")
        self.link(f"bu{tag}", self.pi_ns, "uplink0", f"bn{tag}", self.net_ns, "eth0")
        run("ip", "-n", self.phone_ns, "link", "set", "wlan0", "address", PHONE_MAC)
        for ns, dev, addresses in (
            (self.phone_ns, "wlan0", ["10.42.0.23/24", "2001:db8:42::23/64"]),
            (self.pi_ns, "hotspot0", ["10.42.0.1/24", "2001:db8:42::1/64"]),
            (self.pi_ns, "uplink0", ["198.51.100.1/24", "192.168.50.1/24", "2001:db8:51::1/64"]),
            (self.net_ns, "eth0", [f"{INTERNET}/24", f"{OFFICE_HOST}/24", "2001:db8:51::2/64"]),
        ):
            for address in addresses:
                run("ip", "-n", ns, "addr", "add", address, "dev", dev, "nodad")
            run("ip", "-n", ns, "link", "set", dev, "up")
        run("ip", "-n", self.phone_ns, "route", "add", "default", "via", "10.42.0.1")
        run("ip", "-n", self.pi_ns, "route", "add", "default", "via", INTERNET)  # the uplink's router
        run("ip", "-n", self.phone_ns, "-6", "route", "add", "default", "via", "2001:db8:42::1")
        run("ip", "-n", self.net_ns, "-6", "route", "add", "2001:db8:42::/64", "via", "2001:db8:51::1")
        run(
            "ip",
            "netns",
            "exec",
            self.pi_ns,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.all.forwarding=1",
        )

    def link(self, name_a, ns_a, final_a, name_b, ns_b, final_b):
        run("ip", "link", "add", name_a, "type", "veth", "peer", "name", name_b)
        for name, ns, final in ((name_a, ns_a, final_a), (name_b, ns_b, final_b)):
            run("ip", "link", "set", name, "netns", ns)
            run("ip", "-n", ns, "link", "set", name, "name", final)

    def start(self, name, ns, *argv):
        """Start a long-running process in ``ns``; its output goes to ``<tmp>/<name>.log``."""
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.processes[name] = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        log.close()

    def log(self, name):
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def start_all(self):
        """The helper (loads the ruleset), both resolvers, the internet and the portal."""
        self.start("helper", self.pi_ns, sys.executable, "-m", "portal.firewall")
        wait_for(lambda: self.alive("helper") and os.path.exists(self.socket), 20, "the firewall helper")
        conf = str(ROOT / "deploy" / "raspberrypi" / "captive-dnsmasq.conf")
        self.start("captive-dns", self.pi_ns, "dnsmasq", "--keep-in-foreground", f"--conf-file={conf}",
                   f"--pid-file={self.tmp / 'captive-dns.pid'}", "--user=root")  # fmt: skip
        # Stands in for NetworkManager's shared-mode dnsmasq: the resolver accepted phones use.
        self.start("normal-dns", self.pi_ns, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                   "--port=53", "--listen-address=10.42.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                   f"--address=/example.org/{INTERNET}", f"--pid-file={self.tmp / 'normal-dns.pid'}",
                   "--user=root")  # fmt: skip
        self.start("internet", self.net_ns, sys.executable, PEER, "internet")
        self.start("portal", self.pi_ns, sys.executable, "-m", "portal", "serve")
        wait_for(lambda: self.pi("http", "GET", "http://10.42.0.1:8080/api/v1/services").get("status") == 200,
                 30, "the portal")  # fmt: skip
        wait_for(lambda: self.phone("http", "GET", f"http://{INTERNET}/", "x").get("status"), 10, "the internet")
        wait_for(lambda: self.phone("dns", "x.test", "10.42.0.1").get("answers"), 10, "the captive resolver")

    def alive(self, name):
        process = self.processes[name]
        if process.poll() is not None:
            raise AssertionError(f"{name} exited: {self.log(name)}")
        return True

    def peer(self, ns, *args, env=None):
        args = [str(arg) for arg in args]
        out = run("ip", "netns", "exec", ns, sys.executable, PEER, *args) if env is None else subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, PEER, *args], capture_output=True, text=True,
            timeout=30, env={**os.environ, **env}).stdout  # fmt: skip
        return json.loads(out)

    def phone(self, *args, **kwargs):
        """Run a netns_peer.py command on the phone."""
        return self.peer(self.phone_ns, *args, **kwargs)

    def pi(self, *args):
        """Run a netns_peer.py command on the Pi (the office's view, over its loopback)."""
        return self.peer(self.pi_ns, *args)

    def worker(self):
        """One round of the worker: the internet check and the firewall's upkeep."""
        argv = ("ip", "netns", "exec", self.pi_ns, sys.executable, "-m", "portal", "worker", "--once")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=self.env, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stderr  # the worker logs what it did

    def helper(self, message):
        """One request straight to the helper's socket, as the portal sends it."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(self.socket)
            sock.sendall(json.dumps(message).encode() + b"\n")
            return json.loads(sock.makefile().readline())

    def nft(self, *args):
        return run("ip", "netns", "exec", self.pi_ns, "nft", *args)

    def new_device(self, mac):
        """Another device on the same address: a new MAC, and empty neighbour caches both sides."""
        run("ip", "-n", self.phone_ns, "link", "set", "wlan0", "address", mac)
        run("ip", "-n", self.phone_ns, "neigh", "flush", "dev", "wlan0")
        run("ip", "-n", self.pi_ns, "neigh", "flush", "dev", "hotspot0")

    def close(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for ns in (self.phone_ns, self.pi_ns, self.net_ns):
            run("ip", "netns", "del", ns, check=False)


@pytest.fixture
def settings():
    """Extra BALAI_* settings for the hall (tests may parametrize this)."""
    return {}


@pytest.fixture
def hall(data_dir, tmp_path, settings):
    """A freshly built hall with everything running; torn down even when the test fails."""
    available, reason = tier_available()
    need(available, reason)
    hall = Hall(data_dir, tmp_path, **settings)
    try:
        hall.build()
        hall.start_all()
        yield hall
    finally:
        hall.close()


def captured(hall, host="connectivitycheck.gstatic.com"):
    """Whether the phone's probe of ``host`` (resolved as the phone would) lands on the portal."""
    path, _ = PROBES[host]
    answers = hall.phone("dns", host, "10.42.0.1")["answers"]
    address = answers[0]["address"] if answers else INTERNET
    got = hall.phone("http", "GET", f"http://{address}{path}", host)
    return got.get("status") == 302 and got["location"] == f"{PORTAL}/wifi"


def accept(hall):
    """Accept the terms through the real sign-in form, from the phone."""
    got = hall.phone("accept", PORTAL)
    assert got["status"] == 303, got
    return got


def through(hall):
    """Whether plain HTTP from the phone reaches the internet's web server."""
    return hall.phone("http", "GET", f"http://{INTERNET}/", "example.org").get("body") == "internet example.org"


def test_before_acceptance_everything_lands_on_the_portal(hall):
    """Before accepting: DNS for any name answered, every probe redirected to the sign-in page,
    HTTPS reset at once (not a timeout), and the plain web captured too."""
    for host, (path, _) in PROBES.items():
        dns = hall.phone("dns", host, "10.42.0.1")
        assert [a["address"] for a in dns["answers"]] == [CAPTIVE_ANSWER], (host, dns)
        assert dns["answers"][0]["ttl"] == 0
        got = hall.phone("http", "GET", f"http://{CAPTIVE_ANSWER}{path}", host)
        assert (got["status"], got["location"]) == (302, f"{PORTAL}/wifi"), (host, got)
    # A phone with a resolver of its own (8.8.8.8) gets the same captive answer.
    assert hall.phone("dns", "example.org", "8.8.8.8")["answers"][0]["address"] == CAPTIVE_ANSWER
    for address in (CAPTIVE_ANSWER, INTERNET, "10.42.0.1"):
        https = hall.phone("tcp", address, 443)
        assert https["result"] == "refused" and https["seconds"] < 1, (address, https)
    assert hall.phone("http", "GET", f"http://{INTERNET}/news", "www.detik.com")["location"] == f"{PORTAL}/wifi"
    # The sign-in page itself, in Indonesian, on the address phones are sent to.
    page = hall.phone("http", "GET", f"{PORTAL}/wifi")
    assert page["status"] == 200 and "Setuju dan lanjut" in page["body"]


def test_accepting_lets_the_phone_through(hall):
    """Accepting through the real form lets plain HTTP reach the internet, the phone's own DNS
    answers again, and probes get their online answers."""
    hall.worker()  # the internet works: the uplink gate opens
    assert not through(hall)
    before = hall.phone("dns", "example.org", "10.42.0.1", env={"SOURCE_PORT": "40053"})
    assert before["answers"][0]["address"] == CAPTIVE_ANSWER
    accept(hall)
    # The redirected DNS flow was forgotten: the same query from the same port now gets the real answer.
    after = hall.phone("dns", "example.org", "10.42.0.1", env={"SOURCE_PORT": "40053"})
    assert after["answers"][0]["address"] == INTERNET, after
    assert through(hall)
    assert (
        hall.phone("http", "GET", f"http://{INTERNET}/generate_204", "connectivitycheck.gstatic.com")["status"] == 204
    )
    for host, (path, status) in PROBES.items():  # a probe that still reaches the portal: online
        assert hall.phone("http", "GET", f"{PORTAL}{path}", host)["status"] == status, host
    status = hall.phone("http", "GET", f"{PORTAL}/wifi")["body"]
    assert "Anda terhubung ke internet" in status
    assert hall.helper({"op": "list"})["clients"][0]["mac"] == PHONE_MAC


def test_the_office_and_the_console_stay_closed(hall):
    """Accepted or not, the phone never reaches the office LAN or the console's listener."""
    hall.worker()
    for stage in ("before", "after"):
        for address, port in (("10.42.0.1", 8081), ("198.51.100.1", 8081), ("198.51.100.1", 8080), ("10.42.0.1", 22)):
            assert hall.phone("tcp", address, port)["result"] == "refused", (stage, address, port)
        office = hall.phone("tcp", OFFICE_HOST, 8080)
        assert office["result"] == "refused" and office["seconds"] < 1, (stage, office)
        web = hall.phone("http", "GET", f"http://{OFFICE_HOST}/", OFFICE_HOST)  # before: the portal's redirect
        assert not web.get("body", "").startswith("internet"), (stage, web)
        if stage == "before":
            accept(hall)
    assert through(hall)
    # The console answers on its own listener from the office side.
    assert hall.pi("http", "GET", "http://127.0.0.1:8081/admin/login")["status"] == 200


def test_another_device_on_the_same_address_is_captured(hall):
    """An address handed to another device (another MAC) never rides on the first's acceptance."""
    hall.worker()
    accept(hall)
    assert through(hall)
    hall.new_device(OTHER_MAC)
    assert not through(hall)
    assert captured(hall)
    assert "Setuju dan lanjut" in hall.phone("http", "GET", f"{PORTAL}/wifi")["body"]
    hall.new_device(PHONE_MAC)
    assert through(hall)


def test_expiry_log_out_and_revoke_capture_again(hall):
    """The firewall's own timeout, the phone's log-out and an official's revoke each capture the
    phone again."""
    hall.worker()
    assert hall.helper({"op": "grant", "ip": PHONE_IP, "mac": PHONE_MAC, "seconds": 2}) == {"ok": True}
    assert through(hall)
    time.sleep(3)
    assert not through(hall) and captured(hall)

    accept(hall)
    assert through(hall)
    assert hall.phone("logout", PORTAL)["status"] == 303
    assert not through(hall) and captured(hall)

    accept(hall)
    assert through(hall)
    done = hall.pi("console-revoke", "http://127.0.0.1:8081", "operator", "demo-operator", PHONE_IP)
    assert done.get("status") == 200 and "tidak lagi diberi akses" in done["body"], done
    assert not through(hall) and captured(hall)
    hall.worker()  # the worker does not bring a revoked phone back
    assert not through(hall)


def test_without_internet_accepted_phones_still_get_the_portal(hall):
    """While the uplink is down, an accepted phone is captured like the others (its popup opens the
    portal, which says the internet is away); when it is back, the phone goes through again."""
    hall.worker()
    accept(hall)
    assert through(hall)
    hall.processes["internet"].terminate()
    hall.processes["internet"].wait(timeout=10)
    assert "'uplink_gate': 'closed'" in hall.worker()
    # The portal reads the worker's finding within UPLINK_CACHE_S.
    wait_for(lambda: captured(hall) and captured(hall, "captive.apple.com"), 5, "the probes to land on the portal")
    assert hall.phone("dns", "example.org", "10.42.0.1")["answers"][0]["address"] == CAPTIVE_ANSWER
    assert "Internet sedang tidak tersedia" in hall.phone("http", "GET", f"{PORTAL}/wifi")["body"]
    hall.start("internet", hall.net_ns, sys.executable, PEER, "internet")
    wait_for(lambda: hall.pi("http", "GET", f"http://{INTERNET}/generate_204").get("status") == 204, 10, "the internet")
    hall.worker()
    assert through(hall)


def test_ipv6_is_never_a_way_around(hall):
    """IPv6 from the hotspot goes nowhere, accepted or not: not forwarded, not to the Pi."""
    hall.worker()
    for _ in ("before", "after"):
        assert hall.phone("tcp", "2001:db8:51::2", 80)["result"] != "connected"
        assert hall.phone("tcp", "2001:db8:42::1", 8081)["result"] != "connected"
        if not through(hall):
            accept(hall)
    assert through(hall)


def test_firewall_heals_after_a_reboot_and_a_helper_restart(hall):
    """The database is the record: a helper restart keeps the phones, and after the set is lost
    (a reboot) the worker's next round lets the accepted phone through again."""
    hall.worker()
    accept(hall)
    hall.processes["helper"].terminate()
    hall.processes["helper"].wait(timeout=10)
    hall.start("helper", hall.pi_ns, sys.executable, "-m", "portal.firewall")
    # The log holds the first helper's "listening" too: wait for the second one's, or the test's
    # flush below could land between the new helper's reading of the set and its writing it back.
    wait_for(lambda: hall.alive("helper") and hall.log("helper").count("listening") >= 2, 20, "the helper again")
    assert through(hall)
    hall.nft("flush", "set", "inet", "balai", "accepted")
    hall.nft("flush", "chain", "inet", "balai", "admitted")
    assert not through(hall)
    assert "'granted': 1" in hall.worker()
    assert through(hall)


def test_helper_refuses_bad_requests_and_changes_nothing(hall):
    """Bad addresses, MACs and requests get a reason; the firewall's set stays as it was."""
    before = hall.nft("list", "set", "inet", "balai", "accepted")
    for message in (
        {"op": "grant", "ip": "8.8.8.8", "mac": PHONE_MAC, "seconds": 60},
        {"op": "grant", "ip": PHONE_IP, "mac": "ff:ff:ff:ff:ff:ff", "seconds": 60},
        {"op": "grant", "ip": PHONE_IP + " } ; flush ruleset", "mac": PHONE_MAC, "seconds": 60},
        {"op": "grant", "ip": PHONE_IP, "mac": PHONE_MAC, "seconds": "forever"},
        {"op": "flush"},
    ):
        answer = hall.helper(message)
        assert answer["ok"] is False and answer["error"], message
    assert hall.nft("list", "set", "inet", "balai", "accepted") == before
    assert oct(os.stat(hall.socket).st_mode & 0o777) == "0o660"


@pytest.mark.parametrize("settings", [{"BALAI_CAPTIVE_QUOTA_MB": "1"}])
def test_data_allowance_stops_a_phone_and_shows_on_its_page(hall, settings):
    """With BALAI_CAPTIVE_QUOTA_MB, a phone past its allowance is cut off, and its page says how much
    it used."""
    hall.worker()
    accept(hall)
    assert hall.phone("http", "GET", f"http://{INTERNET}/big?bytes=600000", "example.org")["status"] == 200
    page = hall.phone("http", "GET", f"{PORTAL}/wifi")["body"]
    assert "Data terpakai: 1 dari 1 MB" in page or "Data terpakai: 0 dari 1 MB" in page, page
    hall.phone("http", "GET", f"http://{INTERNET}/big?bytes=900000", "example.org")
    assert not through(hall)
    assert hall.phone("http", "GET", f"{PORTAL}/wifi")["status"] == 200  # the portal itself still works
