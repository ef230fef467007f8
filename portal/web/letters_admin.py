"""The console's letters pages (``/admin/letters``): the requests, issuing and printing letters,
the register (buku agenda surat keluar), and, for admins, the letters' texts and settings.

Officials see a request's answers in full (name, NIK, address) and correct them on the pre-filled
form before issuing; the register and its CSV show masked names only, as they may travel. Every
write is audited in the domain, in the transaction that makes it; printing counts the print
(reprints included) and never renumbers a letter.
"""

import json
import re
from types import SimpleNamespace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from portal.clock import local_date
from portal.domain import letter_register, letter_requests, letter_templates, letters
from portal.domain.errors import DomainError, NotFound
from portal.domain.village import get_village
from portal.messages import N_
from portal.models import IssuedLetter, Ticket
from portal.web.auth import actor, balai, console_page
from portal.web.errors import message
from portal.web.letter_forms import answers_from, field_messages, stored_values
from portal.web.letter_verify import verify_url
from portal.web.public import logo_file
from portal.web.security import require_office

bp = Blueprint("letters_admin", __name__, url_prefix="/admin/letters")
bp.before_request(require_office)

STATUSES = {
    "received": N_("Received"),
    "processing": N_("Being processed"),
    "ready": N_("Ready to collect"),
    "collected": N_("Collected"),
    "rejected": N_("Rejected"),
}
SOURCES = {
    "web": N_("Website"),
    "hotspot": N_("Phone on the village Wi-Fi"),
    "kiosk": N_("Kiosk"),
    "official": N_("At the counter"),
}
SAMPLE_NUMBER = "000/SAMPLE"  # the preview's letter: never registered, never counted
SEARCH_MAX = 100  # characters of the register's search box


@bp.context_processor
def labels():
    """What the letters templates use to name statuses and sources, and to show a request."""
    return {
        "statuses": STATUSES,
        "sources": SOURCES,
        "display_code": letter_requests.display_code,
        "full_name": full_name,
        "message": message,
    }


def full_name(row):
    """The name of the person a request is about, as typed (officials only); the masked name once
    the answers were deleted."""
    field = letter_requests.name_field(letter_requests.fields_of(row))
    answers = letter_requests.answers_of(row)
    return (answers.get(field["name"]) if field else "") or row.masked_name


def page_number():
    """The ``?page=`` of a paged list (0 for nonsense)."""
    return min(max(request.args.get("page", 0, type=int), 0), 10**6)


def ticket_numbers(session, rows):
    """``{ticket id: queue number}`` for the requests ``rows`` that came with a ticket."""
    ids = [r.ticket_id for r in rows if r.ticket_id]
    return dict(session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids))).all()) if ids else {}


# -- requests ----------------------------------------------------------------------------------


@bp.get("")
@console_page("letters")
def index(user):
    """Letter requests with their counts per status, open ones first; ``?status=`` filters."""
    status = request.args.get("status") or None
    page = page_number()
    with balai().db.read() as session:
        rows = letter_requests.listing(session, status, page=page)
        return render_template(
            "admin/letters.html",
            user=user,
            rows=rows,
            tickets=ticket_numbers(session, rows),
            counts=letter_requests.counts(session),
            status=status,
            page=page,
            more=len(rows) == letter_requests.PAGE,
        )


@bp.route("/new", methods=["GET", "POST"])
@console_page("letters")
def new(user):
    """A request for a resident at the counter: choose the letter, then fill in its form (no
    rate limit: the official is the one typing). It leads to the request's page."""
    code = request.values.get("type", "")
    with balai().db.read() as session:
        types = letters.offered(session)
        chosen = next((t for t in types if t.code == code), None)
    if chosen is None:
        return render_template("admin/letters_new.html", user=user, types=types, chosen=None)
    fields = letters.parse_fields(chosen.fields)
    if request.method == "GET":
        return render_template("admin/letters_new.html", user=user, chosen=chosen, fields=fields, values={}, errors={})
    given = answers_from(fields, request.form)
    try:
        with balai().db.write() as session:
            letter_type = letters.by_code(session, code)
            if letter_type is None:
                raise NotFound("letter_type_not_found")
            request_id = letter_requests.submit(
                session, letter_type, given, now=balai().clock.now(), source="official"
            ).id
    except letter_requests.FieldErrors as exc:
        page = render_template(
            "admin/letters_new.html", user=user, chosen=chosen, fields=fields, values=given, errors=field_messages(exc)
        )
        return page, 400
    flash(message("done_letter_request"), "ok")
    return back_to(request_id)


def show(request_id, user, values=None, errors=None):
    """The request's page: its details, the form pre-filled with ``values`` (the stored answers
    unless a form is shown again with its ``errors``) and the letters issued for it."""
    with balai().db.read() as session:
        row = letter_requests.get(session, request_id)
        fields = letter_requests.fields_of(row)
        issued = session.scalars(
            select(IssuedLetter).where(IssuedLetter.request_id == row.id).order_by(IssuedLetter.id.desc())
        ).all()
        return render_template(
            "admin/letters_request.html",
            user=user,
            r=row,
            fields=fields,
            answers=letter_requests.answers_of(row),
            values=stored_values(fields, letter_requests.answers_of(row)) if values is None else values,
            errors=errors or {},
            issued=issued,
            ticket=ticket_numbers(session, [row]).get(row.ticket_id),
            signers=letter_register.signers(session),
            editable=row.status in letter_requests.OPEN and row.purged_at is None,
        )


@bp.get("/<int:request_id>")
@console_page("letters")
def request_page(request_id, user):
    """One request, with everything the resident typed, ready to be corrected and issued."""
    return show(request_id, user)


def back_to(request_id):
    """Redirect to the request's page after a form."""
    return redirect(url_for("letters_admin.request_page", request_id=request_id), code=303)


def change_request(request_id, user, change, done):
    """Run ``change(session, row, actor, now)`` on the request in one write transaction, then flash
    ``done`` (with the details ``change`` returns) or why it was refused, and go back to its page.
    Wrong answers show the form again with a message beside each (400); nothing is stored."""
    try:
        with balai().db.write() as session:
            row = letter_requests.get(session, request_id)
            details = change(session, row, actor(), balai().clock.now())
    except letter_requests.FieldErrors as exc:
        with balai().db.read() as session:
            fields = letter_requests.fields_of(letter_requests.get(session, request_id))
        return show(request_id, user, answers_from(fields, request.form), field_messages(exc)), 400
    except NotFound:
        raise
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    else:
        flash(message(done, details), "ok")
    return back_to(request_id)


def save_answers(session, row, who, now):
    """Store the answers the form sent (when it sent them and they differ from the stored ones)."""
    if request.form.get("answers") != "1":
        return
    fields = letter_requests.fields_of(row)
    given = answers_from(fields, request.form)
    if letter_requests.clean_answers(fields, given) != letter_requests.answers_of(row):
        letter_requests.edit(session, row, given, who, now)


@bp.post("/<int:request_id>/edit")
@console_page("letters")
def edit(request_id, user):
    """Save the corrected answers."""

    def change(session, row, who, now):
        letter_requests.edit(session, row, answers_from(letter_requests.fields_of(row), request.form), who, now)

    return change_request(request_id, user, change, "done_letter_request")


@bp.post("/<int:request_id>/issue")
@console_page("letters")
def issue(request_id, user):
    """Issue the letter: the answers on the form are saved first, in the same transaction, so an
    official's corrections are never lost (and a wrong one issues nothing)."""

    def change(session, row, who, now):
        save_answers(session, row, who, now)
        letter = letter_register.issue(session, row, request.form.get("signer", type=int), who, now)
        return {"number": letter.number}

    return change_request(request_id, user, change, "done_letter_issue")


def reject_with_reason(session, row, who, now):
    """Reject the request with the form's reason, which the resident reads."""
    letter_requests.reject(session, row, request.form.get("reason", ""), who, now)


# The request's other steps, each a button on its page: what it does, and what it then says.
STEPS = {
    "start": (letter_requests.start, "done_letter_request"),  # taken up: the resident reads "being processed"
    "reject": (reject_with_reason, "done_letter_reject"),
    "collected": (letter_requests.collected, "done_letter_collected"),  # the resident took the letter away
}


@bp.post("/<int:request_id>/<step>")
@console_page("letters")
def step(request_id, step, user):
    """Take a request up, reject it with a reason, or mark its letter as collected."""
    if step not in STEPS:
        abort(404)
    change, done = STEPS[step]
    return change_request(request_id, user, change, done)


# -- letters -----------------------------------------------------------------------------------


@bp.post("/letter/<int:letter_id>/void")
@console_page("letters")
def void(letter_id, user):
    """Void a letter with a reason: it keeps its number in the register and its request is open
    again for a corrected letter."""
    with balai().db.read() as session:
        request_id = letter_register.get(session, letter_id).request_id

    def change(session, row, who, now):
        letter = letter_register.get(session, letter_id)
        letter_register.void(session, letter, request.form.get("reason", ""), who, now)
        return {"number": letter.number}

    return change_request(request_id, user, change, "done_letter_void")


def pdf_response(data, number):
    """A letter's PDF, shown in the browser's viewer (whose print button prints it), named after
    its number and never kept in a cache: it holds personal data."""
    response = Response(data, mimetype="application/pdf")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") or "surat"
    response.headers["Content-Disposition"] = f'inline; filename="surat-{name}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def render_pdf(letter, village):
    """The PDF of ``letter`` (saved or a preview), with the logo and the QR's address."""
    from portal import letter_pdf  # the PDF library is loaded by the first print, not at start-up

    return letter_pdf.render(letter, village, logo_file(), verify_url(letter.verify_code))


@bp.post("/letter/<int:letter_id>.pdf")
@console_page("letters")
def pdf(letter_id, user):
    """Print a letter: the print is counted (a reprint after the first) and audited, then its PDF
    is made; the number never changes. A form (POST with the CSRF token) opening a new tab, so
    a prefetch or another site's link cannot count a print."""
    try:
        with balai().db.write() as session:
            letter = letter_register.get(session, letter_id)
            request_id = letter.request_id
            letter_register.printed(session, letter, actor(), balai().clock.now())
            # Drawn before the count commits: a letter that cannot be drawn is not counted.
            data = render_pdf(letter, get_village(session))
    except NotFound:
        raise
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
        return back_to(request_id)
    return pdf_response(data, letter.number)


# -- the register ------------------------------------------------------------------------------


def register_filters():
    """The register's search text and year from the address (a year outside the calendar: all)."""
    text = request.args.get("q", "").strip()[:SEARCH_MAX]
    year = request.args.get("year", type=int)
    return text, year if year and 1900 <= year <= 9999 else None


@bp.get("/register")
@console_page("letters")
def register(user):
    """The register of outgoing letters, newest first: searched by number, type or name."""
    text, year = register_filters()
    page = page_number()
    with balai().db.read() as session:
        rows = letter_register.search(session, text, year, page=page)
        return render_template(
            "admin/letters_register.html",
            user=user,
            rows=rows,
            years=letter_register.years(session),
            q=text,
            year=year,
            page=page,
            more=len(rows) == letter_register.PAGE,
        )


@bp.get("/register.csv")
@console_page("letters")
def register_csv(user):
    """The register (with the page's filters) as a CSV file for a spreadsheet: masked names only."""
    text, year = register_filters()
    with balai().db.read() as session:
        data = letter_register.csv_text(letter_register.search(session, text, year, limit=None))
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="register-surat-{year or "all"}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the letters' texts (admins) ---------------------------------------------------------------


@bp.get("/templates")
@console_page("letter_setup")
def templates(user):
    """The letter types, each with whether it uses the shipped text or the village's own."""
    with balai().db.read() as session:
        types = letters.every_type(session)
    return render_template("admin/letters_templates.html", user=user, types=types)


def sample_values(session, fields):
    """What a preview fills in: the village's and the first signer's real values, and each
    field's label in brackets (``[Nama lengkap]``)."""
    village = get_village(session)
    signer = next(iter(letter_register.signers(session)), None)
    day = local_date(balai().clock.now(), village.timezone)
    values = letter_register.values_for(
        village,
        [],
        {},
        signer.name if signer else "[Penandatangan]",
        signer.role if signer else "[Jabatan]",
        SAMPLE_NUMBER,
        day,
    )
    values.update({f["name"]: f"[{letter_templates.short_label(f['label'])}]" for f in fields})
    return values


def sample_letter(session, letter_type, blocks, user):
    """An unsaved letter for the PDF preview: numbered ``SAMPLE_NUMBER``, never registered."""
    village = get_village(session)
    values = sample_values(session, [])
    now = balai().clock.now()
    return IssuedLetter(
        year=now.year,
        seq=0,
        number=SAMPLE_NUMBER,
        verify_code="SAMPLE",
        type_code=letter_type.code,
        type_name=letter_type.name,
        masked_name="",
        issued_on=local_date(now, village.timezone),
        issued_at=now,
        issued_by=user.username,
        signer_name=values["penandatangan"],
        signer_role=values["jabatan"],
        paper=village.letter_paper,
        body=json.dumps(blocks, ensure_ascii=False),
        prints=0,
    )


@bp.route("/templates/<int:type_id>", methods=["GET", "POST"])
@console_page("letter_setup")
def template(type_id, user):
    """Edit one letter type's text: preview it (as a page or a PDF), save it, or go back to the
    shipped text. A text with unknown placeholders is refused, naming them; nothing is saved."""
    form = request.form
    restore = bool(form.get("restore"))
    with balai().db.read() as session:
        letter_type = letters.get(session, type_id)
        fields = letters.parse_fields(letter_type.fields)
        text = form.get("template", "") if request.method == "POST" else letters.template_of(letter_type)
        page = {"user": user, "t": letter_type, "fields": fields, "text": text, "system": letter_templates.SYSTEM}
        if request.method == "GET":
            return render_template("admin/letters_template.html", **page)
        try:
            blocks = (
                None
                if restore
                else letter_templates.compose(letter_templates.check(text, fields), sample_values(session, fields))
            )
        except DomainError as exc:
            return render_template("admin/letters_template.html", error=message(exc.code, exc.details), **page), 400
        if blocks and form.get("pdf"):
            letter = sample_letter(session, letter_type, blocks, user)
            return pdf_response(render_pdf(letter, get_village(session)), SAMPLE_NUMBER)
        if blocks and form.get("preview"):
            return render_template("admin/letters_template.html", preview=blocks, **page)
    with balai().db.write() as session:
        letters.save_template(
            session, letters.get(session, type_id), "" if restore else text, actor(), balai().clock.now()
        )
    flash(message("done_letter_template"), "ok")
    return redirect(url_for("letters_admin.template", type_id=type_id), code=303)


# -- settings (admins) -------------------------------------------------------------------------


def next_number_example(session, village, number_format):
    """The number the next letter would get in ``number_format`` (with the first type's code)."""
    day = local_date(balai().clock.now(), village.timezone)
    seq = (session.scalar(select(func.max(IssuedLetter.seq)).where(IssuedLetter.year == day.year)) or 0) + 1
    first = next(iter(letters.offered(session)), None)
    return letter_register.format_number(
        number_format, seq, day, first.number_code if first else "470", letter_register.village_code(village)
    )


@bp.route("/settings", methods=["GET", "POST"])
@console_page("letter_setup")
def settings(user):
    """The letter number's format, the village's code in it, the paper and how long residents'
    details are kept."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            values = letter_register.check_settings(
                form.get("number_format", ""),
                form.get("paper", ""),
                form.get("retention_days", type=int),
                form.get("letter_code", ""),
            )
            with balai().db.write() as session:
                letter_register.save_settings(session, values, actor(), balai().clock.now())
            flash(message("done_letter_settings"), "ok")
            return redirect(url_for("letters_admin.settings"), code=303)
        except DomainError as exc:
            error = message(exc.code, exc.details)
    with balai().db.read() as session:
        village = get_village(session)
        number_format = village.letter_number_format or letter_register.DEFAULT_FORMAT
        page = render_template(
            "admin/letters_settings.html",
            user=user,
            v=village,
            form=request.form if error else None,
            error=error,
            example=next_number_example(session, village, number_format),
            default_code=letter_register.village_code(SimpleNamespace(name=village.name, letter_code="")),
            parts=letter_register.NUMBER_PARTS,
            papers=letter_register.PAPERS,
            retention=letter_register.RETENTION_DAYS,
        )
    return (page, 400) if error else page
