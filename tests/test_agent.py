"""The kiosk agent for real: ``python -m kiosk`` polling a real waitress server and printing to a
fake network printer on 127.0.0.1, whose bytes are read back (text, sizes, cut, the QR decoded)."""

import os
import shutil
import socket
import struct
import threading

import pytest
import serial
import zxingcpp
from sqlalchemy import select

from kiosk.agent import Agent
from kiosk.journal import Journal, JournalBusy
from kiosk.portal_client import PortalClient
from kiosk.printers import TimedFile, TimedSerial, open_printer
from portal.cli import DEMO_LOGO
from portal.domain import letter_requests
from portal.models import LetterType
from tests.conftest import bearer, login
from tests.fake_printer import NEAR_END, OK, PAPER_OUT, FakePrinter
from tests.processes import start_agent, stop, wait_for
from tests.test_letter_domain import ANSWERS as LETTER_ANSWERS


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


@pytest.fixture
def agent(server, kiosk, printer, tmp_path):
    """``python -m kiosk`` for the test's kiosk, printing to the fake printer."""
    process = start_agent(server, kiosk[1], f"tcp://127.0.0.1:{printer.address[1]}", tmp_path / "agent")
    yield process
    stop(process)


def paired(client, code):
    client.post(f"/kiosk/pair/{code}")
    return client


def test_a_kiosk_ticket_comes_out_on_paper(server, client, kiosk, printer, agent, balai, data_dir):
    shutil.copy(DEMO_LOGO, data_dir / "logo.png")
    paired(client, kiosk[2])
    page = client.post("/kiosk/take", data={"service": "kependudukan"}).headers["Location"]
    ticket_id = page.rsplit("/", 1)[1]
    wait_for(lambda: printer.paper().cuts == 1, what="the receipt")
    paper = printer.paper()
    assert printer.numbers() == ["B-001"]
    assert "Desa Sukamaju" in paper.text and "Administrasi Kependudukan" in paper.text
    logo, qr = paper.images  # the village logo on top, then the QR code
    assert logo.height <= 160 and zxingcpp.read_barcodes(logo) == []
    assert [hit.text for hit in zxingcpp.read_barcodes(qr)] == [f"{server}/ticket/{ticket_id}"]  # no BALAI_PUBLIC_URL
    wait_for(lambda: balai.printing.for_ticket(ticket_id) == "printed", what="the acknowledgement")
    assert "Struk Anda sudah dicetak" in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize(
    "status,console,kiosk_screen",
    [
        (NEAR_END, "Kertas hampir habis", "Kertas hampir habis"),
        (PAPER_OUT, "Kertas habis", "Kertas habis"),
        (None, "printer tidak menjawab", "printer tidak menjawab"),
        (OK, "Printer siap", None),
    ],
    ids=["near-end", "out", "no-reply", "ok"],
)
def test_scripted_status_replies_reach_the_console_and_the_kiosk(
    app, client, kiosk, printer, agent, status, console, kiosk_screen
):
    printer.status = status
    official = app.test_client()
    login(official)
    wait_for(lambda: console in official.get("/admin/").get_data(as_text=True), what=console)
    start = paired(client, kiosk[2]).get("/kiosk/").get_data(as_text=True)
    if kiosk_screen:
        assert kiosk_screen in start
    else:
        assert "printer-note" not in start


def test_out_of_paper_holds_the_receipt_until_paper_is_back(client, kiosk, printer, agent, balai):
    printer.status = PAPER_OUT
    official = client.application.test_client()
    login(official)
    wait_for(lambda: "Kertas habis" in official.get("/admin/").get_data(as_text=True), what="paper out")
    page = paired(client, kiosk[2]).post("/kiosk/take", data={"service": "surat"}).headers["Location"]
    wait_for(lambda: "Kertas printer habis" in client.get(page).get_data(as_text=True), what="the kiosk message")
    assert "Catat nomor Anda" in client.get(page).get_data(as_text=True) and printer.numbers() == []
    printer.status = OK
    wait_for(lambda: printer.numbers() == ["A-001"], what="the held receipt")
    wait_for(lambda: balai.printing.for_ticket(page.rsplit("/", 1)[1]) == "printed", what="the acknowledgement")


def journal_for(tmp_path, portal="http://127.0.0.1:8080"):
    return Journal(tmp_path / "journal.sqlite3", portal)


def test_the_journal_decides_after_a_crash(server, client, kiosk, printer, tmp_path, balai):
    """A job noted *sent* is acknowledged without printing; one noted *sending* (the agent died
    mid-write) is reported uncertain, not printed again, and the console can reprint it."""
    _, token, _ = kiosk
    for service in ("surat", "nikah"):
        client.post("/api/v1/tickets", json={"service": service}, headers=bearer(token))
    journal = journal_for(tmp_path, server)
    portal = PortalClient(server, token)
    first, second = portal.poll(journal.agent_id(), "ok", "", 0)
    journal.note(first, "sent")
    journal.note(second, "sending")
    journal.note({"id": 999, "ticket": "gone"}, "sent")  # a job the portal no longer hands out
    agent = Agent(portal, open_printer(f"tcp://127.0.0.1:{printer.address[1]}"), journal)
    assert agent.step() is False
    assert printer.numbers() == []
    assert balai.printing.for_ticket(first["ticket"]) == "printed"
    assert balai.printing.for_ticket(second["ticket"]) == "uncertain"
    assert journal.state(first) is None and journal.state(second) is None
    assert journal.state({"id": 999, "ticket": "gone"}) is None
    balai.printing.reprint(second["ticket"])
    agent.step()
    assert printer.numbers() == ["C-001"]
    journal.close()


def test_a_letter_ticket_prints_its_request_code_and_status_page(server, client, kiosk, printer, tmp_path, balai):
    """A ticket taken with a letter request carries the request's code and a second QR code, of its
    status page; the ticket before it, taken without one, prints as ever."""
    kiosk_id, token, _ = kiosk
    ordinary = client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token)).get_json()
    with balai.db.write() as session:
        domisili = session.scalar(select(LetterType).where(LetterType.code == "domisili"))
        request = letter_requests.submit(session, domisili, LETTER_ANSWERS, now=balai.clock.now(), source="kiosk")
        request_id, code = request.id, letter_requests.display_code(request.code)
    # Linked in the ticket's own transaction: the agent can never see the job before the link.
    letter = balai.queue.issue("surat", source="kiosk", print_on=kiosk_id, letter_request=request_id)
    journal = journal_for(tmp_path, server)
    agent = Agent(PortalClient(server, token), open_printer(f"tcp://127.0.0.1:{printer.address[1]}"), journal)
    assert agent.step() is False
    wait_for(lambda: printer.paper().cuts == 2, what="both receipts")
    paper = printer.paper()
    assert printer.numbers() == ["A-001", "A-002"]
    assert [hit.text for image in paper.images for hit in zxingcpp.read_barcodes(image)] == [
        f"{server}/ticket/{ordinary['id']}",
        f"{server}/ticket/{letter['id']}",
        f"{server}/letters/status/{code}",
    ]
    text = paper.text
    assert text.count(code) == 1 and text.index(code) > text.index("A-002")
    assert client.get(f"/letters/status/{code}").status_code == 200
    journal.close()


def test_one_journal_one_agent(tmp_path, kiosk):
    journal = journal_for(tmp_path)
    with pytest.raises(JournalBusy):
        journal_for(tmp_path)
    journal.close()


def test_an_unknown_token_stops_the_agent_with_a_reason(server, tmp_path, printer):
    process = start_agent(server, "balai_kiosk_wrong", f"tcp://127.0.0.1:{printer.address[1]}", tmp_path)
    assert process.wait(timeout=30) != 0
    assert "BALAI_KIOSK_TOKEN" in (tmp_path / "agent.log").read_text()


def test_device_file_writes_give_up(tmp_path):
    """A printer device that takes no data (a FIFO nobody reads, once its buffer is full) ends
    the write after the timeout instead of hanging the agent."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # keeps the FIFO open, never reads
    try:
        device = TimedFile(str(fifo), timeout=0.5)
        device.open()
        with pytest.raises(TimeoutError):
            device._raw(b"x" * (1 << 20))
        device.close()
    finally:
        os.close(reader)


def test_serial_writes_give_up(tmp_path):
    """A serial line that never drains (a pseudo-terminal nobody reads) ends the write."""
    controller, line = os.openpty()
    try:
        device = TimedSerial(devfile=os.ttyname(line), baudrate=19200, timeout=0.5, dsrdtr=False)
        device.open()
        assert device.device.write_timeout == 0.5
        with pytest.raises(serial.SerialTimeoutException):
            for _ in range(64):  # bounded: the terminal's buffer fills long before
                device._raw(b"x" * 65536)
        device.close()
    finally:
        os.close(controller)
        os.close(line)


def test_agent_stops_cleanly_on_sigterm(agent, tmp_path):
    wait_for(lambda: "printer tcp://" in (tmp_path / "agent" / "agent.log").read_text(), what="the agent to start")
    stop(agent)
    assert agent.returncode == 0


def test_a_printer_that_drops_the_line_does_not_stop_the_agent(server, client, kiosk, tmp_path, balai):
    """Every connection is reset at once (a printer rebooting): the receipt waits, the agent
    keeps running and says the printer is unreachable."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    closing = threading.Event()

    def reset_everything():
        while not closing.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    resetter = threading.Thread(target=reset_everything)
    resetter.start()
    ticket = client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(kiosk[1])).get_json()
    journal = journal_for(tmp_path, server)
    agent = Agent(PortalClient(server, kiosk[1]), open_printer(f"tcp://127.0.0.1:{listener.getsockname()[1]}"), journal)
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,))
    runner.start()
    try:
        wait_for(lambda: agent.failures >= 2, what="two failed attempts")
        assert runner.is_alive() and agent.state == "unreachable"
        assert balai.printing.for_ticket(ticket["id"]) in ("printing", "unreachable")
    finally:
        stop.set()
        closing.set()
        runner.join(timeout=20)
        resetter.join(timeout=5)
        listener.close()
        journal.close()
