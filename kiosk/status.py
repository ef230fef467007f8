"""Asking a receipt printer about its paper (ESC/POS ``DLE EOT 4``), with a short time limit.

python-escpos's ``paper_status()`` reads with the connection's full timeout and reports "paper
adequate" when the printer says nothing; here silence is ``unknown``, so the console can say that
the printer does not answer instead of pretending all is well.

States: ``ok``, ``near_end``, ``out``, ``unknown`` (no answer, or a printer that cannot be asked).
"""

import usb.core
from escpos.constants import RT_STATUS_PAPER
from escpos.printer import Network, Serial, Usb

from kiosk.printers import Preview

STATUS_TIMEOUT_S = 2
NEAR_END_BITS = 0x0C  # bits 2-3 of the paper sensor status: roll near its end
OUT_BITS = 0x60  # bits 5-6: no paper


def decode(byte):
    """The state a paper-sensor status byte says (``0x12`` ok, ``0x1e`` near end, ``0x72`` out)."""
    if byte & OUT_BITS == OUT_BITS:
        return "out"
    if byte & NEAR_END_BITS == NEAR_END_BITS:
        return "near_end"
    return "ok"


def paper_state(printer):
    """``(state, detail)`` for an opened printer; detail is a short English note for the console."""
    if isinstance(printer, Preview):
        return "ok", f"preview printer: receipts are saved as pictures in {printer.folder}"
    if isinstance(printer, Network | Serial | Usb):
        printer._raw(RT_STATUS_PAPER)
        reply = read_reply(printer)
        if not reply:
            return "unknown", f"no answer to the status query within {STATUS_TIMEOUT_S} s"
        return decode(reply[-1]), f"status byte 0x{reply[-1]:02x}"
    return "unknown", f"a {type(printer).__name__} printer cannot report its paper"


def read_reply(printer):
    """The printer's answer, waiting at most STATUS_TIMEOUT_S (b"" when it says nothing)."""
    device = printer.device
    if isinstance(printer, Usb):
        try:
            return bytes(device.read(printer.in_ep, 16, STATUS_TIMEOUT_S * 1000))
        except usb.core.USBError:  # USBTimeoutError: the printer said nothing
            return b""
    saved = device.gettimeout() if isinstance(printer, Network) else device.timeout
    try:
        if isinstance(printer, Network):
            device.settimeout(STATUS_TIMEOUT_S)
            return device.recv(16)
        device.timeout = STATUS_TIMEOUT_S
        return device.read(16)
    except TimeoutError:
        return b""
    finally:
        if isinstance(printer, Network):
            device.settimeout(saved)
        else:
            device.timeout = saved
