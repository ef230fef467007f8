"""Printers by URL (the kiosk agent's printer setting), each a python-escpos printer with a bounded wait.

    usb://VID:PID                        USB, e.g. usb://0416:5011
    serial:///dev/ttyUSB0?baudrate=19200 serial port
    tcp://HOST:9100                      network printer (port 9100 when left out)
    file:///dev/usb/lp0                  a printer device file
    cups://QUEUE                         a CUPS queue (needs pycups)
    preview://DIR                        no printer: each receipt saved to DIR as bytes and a picture

Each takes ``?profile=NAME`` (a python-escpos printer profile; a named profile that has native
QR gets the code as data, anything else as an image) and ``width=58|80`` (paper width in mm,
default 58).
"""

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from escpos.printer import Dummy, File, Network, Serial, Usb

import kiosk  # noqa: F401  (sets python-escpos's cache folder before escpos is imported)
from kiosk.escpos_reader import read
from kiosk.preview import render

TIMEOUT_S = 10  # every network and serial wait; a USB write waits TIMEOUT_S * 1000 ms
WIDTHS = (58, 80)


class PrinterURLError(ValueError):
    """Not a printer address Balai understands; the message says why."""


@dataclass
class Target:
    """An opened-on-demand printer with the paper it holds and whether it draws QR itself."""

    printer: object
    width: int
    native_qr: bool


class Preview(Dummy):
    """A printer that keeps each receipt as ``receipt-<time>.bin`` and ``.png`` in a folder."""

    def __init__(self, folder, width, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder)
        self.width = width

    def cut(self, *args, **kwargs):
        """End of a receipt: save its bytes and a picture of the paper, then start afresh."""
        super().cut(*args, **kwargs)
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"
        data = self.output
        stem.with_suffix(".bin").write_bytes(data)
        render(read(data), self.width).save(stem.with_suffix(".png"))
        self.clear()


def open_printer(url):
    """The Target for a printer URL, or PrinterURLError with a readable reason."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        width = int(query.get("width", "58"))
    except ValueError:
        width = 0
    if width not in WIDTHS:
        raise PrinterURLError(f"width must be 58 or 80 (mm), not {query.get('width')!r}")
    options = {"profile": query["profile"]} if "profile" in query else {}
    scheme, path = parts.scheme, unquote(parts.path)
    if scheme == "tcp":
        if not parts.hostname:
            raise PrinterURLError(f"{url}: a network printer needs a host, e.g. tcp://192.168.1.50:9100")
        printer = Network(parts.hostname, parts.port or 9100, timeout=TIMEOUT_S, **options)
    elif scheme == "usb":
        try:
            vendor, product = (int(part, 16) for part in parts.netloc.split(":"))
        except ValueError:
            raise PrinterURLError(f"{url}: write a USB printer as usb://VID:PID in hex, e.g. usb://0416:5011") from None
        printer = Usb(vendor, product, timeout=TIMEOUT_S * 1000, **options)
    elif scheme == "serial":
        baudrate = query.get("baudrate", "19200")
        if not path or not baudrate.isdigit():
            raise PrinterURLError(f"{url}: write a serial printer as serial:///dev/ttyUSB0?baudrate=19200")
        printer = Serial(devfile=path, baudrate=int(baudrate), timeout=TIMEOUT_S, **options)
    elif scheme == "file":
        if not path:
            raise PrinterURLError(f"{url}: write a device file as file:///dev/usb/lp0")
        printer = File(devfile=path, **options)
    elif scheme == "cups":
        printer = cups_printer(parts.netloc, options)
    elif scheme == "preview":
        folder = (parts.netloc + parts.path) or "."
        printer = Preview(folder, width, **options)
    else:
        raise PrinterURLError(
            f"unknown printer address {url!r}: use usb://, serial://, tcp://, file://, cups:// or preview://"
        )
    # Cheap 58 mm printers have no native QR, and python-escpos's default profile claims one:
    # only a named profile that has it is trusted to draw the code itself.
    native_qr = bool(options) and bool(printer.profile.supports("qrCode"))
    return Target(printer=printer, width=width, native_qr=native_qr)


def cups_printer(queue, options):
    """A CUPS queue, when pycups is installed (it is not by default)."""
    from escpos.printer import CupsPrinter

    if not CupsPrinter.is_usable():
        raise PrinterURLError("cups:// needs pycups (pip install pycups) and a running CUPS")
    return CupsPrinter(printer_name=queue, **options)
