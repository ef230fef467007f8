"""``python -m kiosk``: run the kiosk agent (BALAI_PORTAL_URL, BALAI_KIOSK_TOKEN, BALAI_PRINTER)."""

import logging
import os
import signal
import sys
import threading

from kiosk.agent import Agent, Stopped
from kiosk.journal import Journal, JournalBusy
from kiosk.portal_client import PortalClient, TokenRefused
from kiosk.printers import PrinterURLError, open_printer
from portal import config


def main():
    """Read the settings, then print until SIGTERM or Ctrl-C; exit 2 with a readable message on a
    setting that cannot work."""
    # force: python-escpos logs at import time, which would set up the root logger first.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    try:
        settings = config.load()
    except config.ConfigError as exc:
        sys.exit(f"kiosk agent: {exc}")
    token = settings["BALAI_KIOSK_TOKEN"]
    if not token:
        sys.exit("kiosk agent: set BALAI_KIOSK_TOKEN (python -m portal kiosk add NAME prints one).")
    printer_url = settings["BALAI_PRINTER"] or "preview://" + os.path.join(settings["BALAI_DATA_DIR"], "receipts")
    try:
        target = open_printer(printer_url)
    except PrinterURLError as exc:
        sys.exit(f"kiosk agent: BALAI_PRINTER: {exc}")
    try:
        journal = Journal(
            os.path.join(settings["BALAI_DATA_DIR"], "print-journal.sqlite3"), settings["BALAI_PORTAL_URL"]
        )
    except JournalBusy as exc:
        sys.exit(f"kiosk agent: {exc}")
    stop = threading.Event()
    agent = Agent(PortalClient(settings["BALAI_PORTAL_URL"], token), target, journal)

    def stop_soon(*_):
        # Stop at once (even in a long poll), except while a receipt's bytes are going out.
        stop.set()
        if not agent.printing:
            raise Stopped

    signal.signal(signal.SIGTERM, stop_soon)
    signal.signal(signal.SIGINT, stop_soon)
    logging.getLogger("balai.kiosk").info("printer %s, portal %s", printer_url, settings["BALAI_PORTAL_URL"])
    try:
        agent.run(stop)
    except Stopped:
        pass
    except TokenRefused as exc:
        sys.exit(f"kiosk agent: {exc}")
    finally:
        journal.close()


if __name__ == "__main__":
    main()
