"""Printer URLs (BALAI_PRINTER) and the preview printer that saves receipts as pictures."""

import pytest
import zxingcpp
from PIL import Image

from kiosk.printers import TIMEOUT_S, PrinterURLError, open_printer
from kiosk.receipt import Receipt, print_receipt

RECEIPT = Receipt("Desa Sukamaju", "Surat Pengantar", "A-007", "23/11/2026 09:00 WIB", "http://balai.desa/ticket/abc")


def test_network_usb_serial_and_file_addresses():
    tcp = open_printer("tcp://192.0.2.10")
    assert (tcp.printer.host, tcp.printer.port, tcp.printer.timeout, tcp.width) == ("192.0.2.10", 9100, TIMEOUT_S, 58)
    usb = open_printer("usb://0416:5011?width=80")
    assert usb.printer.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011} and usb.width == 80
    assert usb.printer.timeout == TIMEOUT_S * 1000  # never 0, which waits forever
    serial = open_printer("serial:///dev/ttyUSB0?baudrate=9600")
    assert (serial.printer.devfile, serial.printer.baudrate, serial.printer.timeout) == (
        "/dev/ttyUSB0",
        9600,
        TIMEOUT_S,
    )
    assert open_printer("file:///dev/usb/lp0").printer.devfile == "/dev/usb/lp0"
    assert open_printer("file:///dev/usb/lp0").printer.timeout == TIMEOUT_S


def test_profiles_decide_native_qr():
    assert open_printer("tcp://192.0.2.10?profile=TM-T88V").native_qr is True
    assert open_printer("tcp://192.0.2.10?profile=POS-5890").native_qr is False
    assert open_printer("tcp://192.0.2.10").native_qr is False  # the default profile is not trusted


@pytest.mark.parametrize(
    "url,words",
    [
        ("tcp://", "needs a host"),
        ("usb://zebra", "usb://VID:PID"),
        ("serial://?baudrate=fast", "serial:///dev/ttyUSB0"),
        ("file://", "file:///dev/usb/lp0"),
        ("tcp://192.0.2.10?width=70", "58 or 80"),
        ("lpt://1", "unknown printer address"),
        ("cups://Kasir", "pycups"),
    ],
)
def test_bad_addresses_are_explained(url, words):
    with pytest.raises(PrinterURLError) as exc:
        open_printer(url)
    assert words in str(exc.value)


def test_preview_saves_each_receipt_as_bytes_and_a_readable_picture(tmp_path):
    target = open_printer(f"preview://{tmp_path}/struk")
    for _ in range(2):  # one receipt per connection, as the agent prints
        print_receipt(target.printer, RECEIPT, width=target.width, native_qr=target.native_qr)
        target.printer.close()
    pictures = sorted((tmp_path / "struk").glob("*.png"))
    assert len(pictures) == 2 and len(list((tmp_path / "struk").glob("*.bin"))) == 2
    picture = Image.open(pictures[0])
    assert picture.width == 384
    assert [result.text for result in zxingcpp.read_barcodes(picture)] == [RECEIPT.status_url]
