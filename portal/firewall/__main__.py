"""``python -m portal.firewall``: the root firewall helper (see helper.py), run by systemd as root.

Reads the same BALAI_* settings as the portal: the hotspot's interface and network, the portal's
public port, the socket path and the optional per-phone limits.
"""

import argparse
import grp
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from portal import config
from portal.firewall.helper import Helper, HelperError, Server

RULESET = Path(__file__).resolve().parents[2] / "deploy" / "raspberrypi" / "captive.nft"


def helper_for(settings, ruleset):
    """A Helper configured from BALAI_* settings."""
    hotspot = settings["BALAI_HOTSPOT_NETWORKS"][0]
    port = int(config.listen_ports(settings["BALAI_LISTEN"])[0])
    return Helper(
        ruleset=str(ruleset),
        hotspot_if=settings["BALAI_HOTSPOT_INTERFACE"],
        hotspot_net=str(hotspot),
        portal_addr=str(next(hotspot.hosts())),
        portal_port=port,
        rate_kbps=settings["BALAI_CAPTIVE_RATE_KBPS"],
        quota_mb=settings["BALAI_CAPTIVE_QUOTA_MB"],
    )


def notify_ready(environ=None):
    """Tell systemd (balai-firewall.service is Type=notify) that the ruleset is loaded and the
    socket listens: NetworkManager, ordered after the helper, brings the hotspot up only then, so
    no phone is ever forwarded before the captive rules hold. Does nothing outside systemd."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", address)


def main(argv=None):
    """Load the ruleset, then serve the portal's requests until stopped."""
    parser = argparse.ArgumentParser(prog="python -m portal.firewall", description=__doc__.splitlines()[0])
    parser.add_argument("--ruleset", default=str(RULESET), help="the captive nftables ruleset to load")
    parser.add_argument("--group", help="group allowed to use the socket (the portal's, e.g. balai)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = config.load()
    helper = helper_for(settings, args.ruleset)
    try:
        helper.load()
    except HelperError as exc:
        sys.exit(f"cannot load the captive ruleset: {exc}")
    group = grp.getgrnam(args.group).gr_gid if args.group else None
    networks = [net for net in settings["BALAI_HOTSPOT_NETWORKS"] if net.version == 4]
    server = Server(settings["BALAI_FIREWALL_SOCKET"], helper, networks, group)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("balai.firewall").info("listening on %s", settings["BALAI_FIREWALL_SOCKET"])
    notify_ready()
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
