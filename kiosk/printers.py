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

Every write has a time limit: python-escpos sets one for network and USB printers when asked, but
none for serial writes or device files, so those two are subclassed here.
"""

import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from escpos.exceptions import DeviceNotFoundError
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
    """An opened-on-demand printer with the paper it holds, whether it draws QR itself, and its
    python-escpos profile name (None: the default)."""

    printer: object
    width: int
    native_qr: bool
    profile: str | None = None


class Preview(Dummy):
    """A printer that keeps what each connection printed as ``receipt-<time>.bin`` and ``.png``
    in a folder (a connection is one receipt, as the agent prints)."""

    def __init__(self, folder, width, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder)
        self.width = width

    def close(self):
        """End of a receipt: save its bytes and a picture of the paper, then start afresh."""
        data = self.output
        if not data:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"
        stem.with_suffix(".bin").write_bytes(data)
        render(read(data), self.width).save(stem.with_suffix(".png"))
        self.clear()


class ClosingNetwork(Network):
    """A network printer whose failed connections are closed (python-escpos drops the socket of
    a failed connect unclosed, one file descriptor per attempt while a printer is off)."""

    def open(self, raise_not_found=True):
        if self._device:
            self.close()
        try:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self.device = None
            raise DeviceNotFoundError(f"Could not open socket for {self.host}:{self.port}: {exc}") from exc


class TimedSerial(Serial):
    """A serial printer whose writes give up after ``timeout`` seconds (pyserial's default is to
    wait forever for a printer holding the line busy)."""

    def open(self, raise_not_found=True):
        super().open(raise_not_found)
        if self.device is not None:
            self.device.write_timeout = self.timeout


class TimedFile(File):
    """A device-file printer (``/dev/usb/lp0``) whose writes give up after ``timeout`` seconds:
    the file is opened non-blocking and each write waits for the device at most that long."""

    def __init__(self, devfile, timeout, **kwargs):
        super().__init__(devfile=devfile, **kwargs)
        self.timeout = timeout

    def open(self, raise_not_found=True):
        if self._device:
            self.close()
        try:
            self.device = os.fdopen(os.open(self.devfile, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND), "wb", buffering=0)
        except OSError as exc:
            self.device = None
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not open the specified file {self.devfile}:\n{exc}") from exc

    def _raw(self, msg):
        view, deadline = memoryview(msg), time.monotonic() + self.timeout
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.device], [], remaining)[1]:
                raise TimeoutError(f"{self.devfile} took no data for {self.timeout} s")
            try:
                view = view[self.device.write(view) or 0 :]
            except BlockingIOError:
                continue


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
        printer = ClosingNetwork(parts.hostname, parts.port or 9100, timeout=TIMEOUT_S, **options)
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
        printer = TimedSerial(devfile=path, baudrate=int(baudrate), timeout=TIMEOUT_S, **options)
    elif scheme == "file":
        if not path:
            raise PrinterURLError(f"{url}: write a device file as file:///dev/usb/lp0")
        printer = TimedFile(path, TIMEOUT_S, **options)
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
    return Target(printer=printer, width=width, native_qr=native_qr, profile=options.get("profile"))


def cups_printer(queue, options):
    """A CUPS queue, when pycups is installed (it is not by default)."""
    from escpos.printer import CupsPrinter

    if not CupsPrinter.is_usable():
        raise PrinterURLError("cups:// needs pycups (pip install pycups) and a running CUPS")
    return CupsPrinter(printer_name=queue, **options)
