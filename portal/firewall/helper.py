"""The root helper: the only part of Balai that changes the firewall.

It loads the captive ruleset (``deploy/raspberrypi/captive.nft``) into the table ``inet balai``,
then answers the portal's requests (``protocol.py``) on a Unix socket that only the portal's group
may open. Every value is checked before use and every command is an argument list, never a shell
string. Nothing else on the system is touched: other tables (NetworkManager's) stay as they are.

What a request does:

- grant: add ``ip . mac`` to the set ``accepted`` with its timeout (the kernel expires it), then
  drop the phone's redirected connections and DNS flows from conntrack, so what the phone opens
  next goes out to the internet instead of to the portal.
- revoke: remove the pair and drop the phone's connections through the Pi (not the ones to the
  portal, which is answering the phone's "log out" at that moment).
- list: the accepted pairs with their time left and data used, and whether the uplink gate is open.
- uplink: open or close the gate. While the internet is down, accepted phones are captured like
  the others, so their "sign in" popup keeps opening the portal and nobody is told there is
  internet when there is none.
"""

import contextlib
import json
import logging
import os
import shutil
import socketserver
import subprocess
import threading

from portal.firewall.addresses import InvalidClient
from portal.firewall.protocol import MAX_LINE, encode, parse_request

log = logging.getLogger("balai.firewall")
TABLE = ("inet", "balai")
CAPTIVE_DNS_PORT = 5300  # the captive resolver (not 5353: avahi's mDNS port on Raspberry Pi OS)
COMMAND_TIMEOUT_S = 10


class HelperError(Exception):
    """A firewall command failed; the message is the command's own complaint."""


def run(argv):
    """Run one command (an argument list) and return its standard output, or raise HelperError."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HelperError(f"{argv[0]}: {exc}") from None
    if done.returncode != 0:
        raise HelperError(
            f"{os.path.basename(argv[0])}: {done.stderr.strip().splitlines()[0] if done.stderr else done.returncode}"
        )
    return done.stdout


def tool(name):
    """The full path of a system tool (nft, conntrack); /usr/sbin is not on every PATH."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def element(ip, mac, seconds=None):
    """The tokens of one ``accepted`` set element: ``{ ip . mac [timeout Ns] }``."""
    timeout = ["timeout", f"{seconds}s"] if seconds else []
    return ["{", ip, ".", mac, *timeout, "}"]


def limit_rules(hotspot_net, rate_kbps, quota_mb):
    """The nft commands (token lists) of the optional per-phone speed limit and data allowance."""
    rules = []
    if quota_mb:
        for field in ("daddr", "saddr"):
            rules.append(["ip", field, hotspot_net, "add", "@usage", "{", "ip", field, "timeout", "1d",
                          "quota", "over", str(quota_mb), "mbytes", "}", "drop"])  # fmt: skip
    if rate_kbps:
        rate = max(rate_kbps * 1000 // 8, 1)  # bytes per second
        for field, meter in (("daddr", "@rate_down"), ("saddr", "@rate_up")):
            rules.append(["ip", field, hotspot_net, "update", meter, "{", "ip", field, "limit", "rate", "over",
                          str(rate), "bytes/second", "burst", str(rate), "bytes", "}", "drop"])  # fmt: skip
    return [["add", "rule", *TABLE, "limits", *rule] for rule in rules]


def batch(commands):
    """One nft invocation for several commands (applied together, or not at all)."""
    tokens = []
    for command in commands:
        tokens += [*command, ";"]
    return tokens[:-1]


def first_tuple(line):
    """The original direction of one ``conntrack -L`` line: (protocol, src, dst, sport, dport)."""
    fields = line.split()
    values = {}
    for field in fields:
        key, sep, value = field.partition("=")
        if sep and key in ("src", "dst", "sport", "dport") and key not in values:
            values[key] = value
    return fields[0] if fields else "", values.get("src"), values.get("dst"), values.get("sport"), values.get("dport")


class Helper:
    """The firewall operations, on the table ``inet balai`` (one instance per helper process)."""

    def __init__(self, ruleset, hotspot_if, hotspot_net, portal_addr, portal_port, rate_kbps=0, quota_mb=0):
        self.ruleset = ruleset
        self.hotspot_if = hotspot_if
        self.hotspot_net = hotspot_net
        self.portal_addr = portal_addr
        self.portal_port = portal_port
        self.rate_kbps = rate_kbps
        self.quota_mb = quota_mb
        self.nft = tool("nft")
        self.conntrack = tool("conntrack")
        self.lock = threading.Lock()

    def defines(self):
        """The ``-D NAME=value`` arguments the ruleset is loaded with."""
        values = {
            "HOTSPOT_IF": f'"{self.hotspot_if}"',
            "HOTSPOT_NET": str(self.hotspot_net),
            "PORTAL_ADDR": self.portal_addr,
            "PORTAL_PORT": str(self.portal_port),
            "CAPTIVE_DNS_PORT": str(CAPTIVE_DNS_PORT),
        }
        return [arg for name, value in values.items() for arg in ("-D", f"{name}={value}")]

    def load(self):
        """(Re)load the ruleset, keeping the phones already let through and the uplink gate."""
        with self.lock:
            try:
                kept, uplink = self._list(), self._uplink_open()
            except HelperError:  # first start: no table yet
                kept, uplink = [], False
            run([self.nft, *self.defines(), "-f", self.ruleset])
            commands = [
                ["flush", "chain", *TABLE, "limits"],
                *limit_rules(self.hotspot_net, self.rate_kbps, self.quota_mb),
            ]
            for client in kept:
                if client["expires_in"] > 0:
                    commands.append(
                        [
                            "add",
                            "element",
                            *TABLE,
                            "accepted",
                            *element(client["ip"], client["mac"], client["expires_in"]),
                        ]
                    )
            if uplink:
                commands.append(["add", "rule", *TABLE, "admitted", "accept"])
            run([self.nft, *batch(commands)])
        log.info(
            "ruleset %s loaded; %d phones kept; uplink gate %s", self.ruleset, len(kept), "open" if uplink else "closed"
        )

    def grant(self, ip, mac, seconds):
        """Let ``ip``/``mac`` through for ``seconds`` (replacing any earlier timeout)."""
        add = ["add", "element", *TABLE, "accepted", *element(ip, mac, seconds)]
        with self.lock:
            run([self.nft, *batch([add, ["delete", "element", *TABLE, "accepted", *element(ip, mac)], add])])
            self._forget_connections(ip)
        log.info("granted %s %s for %d s", ip, mac, seconds)

    def revoke(self, ip, mac):
        """Stop letting ``ip``/``mac`` through; revoking a pair that is not there is not an error."""
        pair = element(ip, mac)
        with self.lock:
            run([self.nft, *batch([
                ["add", "element", *TABLE, "accepted", *element(ip, mac, 1)],
                ["delete", "element", *TABLE, "accepted", *pair],
            ])])  # fmt: skip
            self._forget_connections(ip)
        log.info("revoked %s %s", ip, mac)

    def status(self):
        """The accepted phones and the uplink gate (see protocol.py)."""
        with self.lock:
            return {"clients": self._list(), "uplink": self._uplink_open()}

    def set_uplink(self, up):
        """Open (internet works) or close (it does not) the gate for accepted phones."""
        commands = [["flush", "chain", *TABLE, "admitted"]]
        if up:
            commands.append(["add", "rule", *TABLE, "admitted", "accept"])
        with self.lock:
            run([self.nft, *batch(commands)])
        log.info("uplink gate %s", "open" if up else "closed")

    def _list(self):
        accepted = json.loads(run([self.nft, "-j", "list", "set", *TABLE, "accepted"]))
        usage = json.loads(run([self.nft, "-j", "list", "set", *TABLE, "usage"]))
        used = {}
        for item in usage["nftables"]:
            for entry in item.get("set", {}).get("elem", []):
                elem = entry["elem"]
                used[elem["val"]] = elem.get("quota", {}).get("used", 0)
        clients = []
        for item in accepted["nftables"]:
            for entry in item.get("set", {}).get("elem", []):
                elem = entry["elem"]
                ip, mac = elem["val"]["concat"]
                clients.append(
                    {"ip": ip, "mac": mac, "expires_in": elem.get("expires", 0), "used_bytes": used.get(ip, 0)}
                )
        return clients

    def _uplink_open(self):
        chain = json.loads(run([self.nft, "-j", "list", "chain", *TABLE, "admitted"]))
        return any("rule" in item for item in chain["nftables"])

    def _forget_connections(self, ip):
        """Drop ``ip``'s conntrack entries except its TCP connections to the portal itself: a
        connection the portal answered in place of a website must not linger once that changes."""
        try:
            listing = run([self.conntrack, "-L", "-f", "ipv4", "-s", ip])
        except HelperError as exc:
            log.warning("conntrack: %s", exc)
            return
        portal_ports = {"80", str(self.portal_port)}
        for line in listing.splitlines():
            proto, src, dst, sport, dport = first_tuple(line)
            if src != ip or (proto == "tcp" and dst == self.portal_addr and dport in portal_ports):
                continue
            argv = [self.conntrack, "-D", "-f", "ipv4", "-p", proto, "-s", src, "-d", dst]
            if sport and dport:
                argv += ["--sport", sport, "--dport", dport]
            with contextlib.suppress(HelperError):  # it ended by itself meanwhile
                run(argv)


class Handler(socketserver.StreamRequestHandler):
    """One request, one answer; a client that says nothing for a few seconds is dropped."""

    timeout = 5

    def handle(self):
        helper, networks = self.server.helper, self.server.networks
        try:
            request = parse_request(self.rfile.readline(MAX_LINE + 1), networks)
            if request["op"] == "grant":
                helper.grant(request["ip"], request["mac"], request["seconds"])
                answer = {"ok": True}
            elif request["op"] == "revoke":
                helper.revoke(request["ip"], request["mac"])
                answer = {"ok": True}
            elif request["op"] == "uplink":
                helper.set_uplink(request["up"])
                answer = {"ok": True}
            else:
                answer = {"ok": True, **helper.status()}
        except (InvalidClient, HelperError) as exc:
            log.warning("refused: %s", exc)
            answer = {"ok": False, "error": str(exc)}
        except TimeoutError:
            return
        self.wfile.write(encode(answer))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The helper's socket: readable and writable by root and the portal's group only."""

    daemon_threads = True

    def __init__(self, path, helper, networks, group=None):
        if os.path.exists(path):
            os.unlink(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        old = os.umask(0o117)
        try:
            super().__init__(path, Handler)
        finally:
            os.umask(old)
        if group is not None:
            os.chown(path, -1, group)
        os.chmod(path, 0o660)
        self.helper = helper
        self.networks = networks
