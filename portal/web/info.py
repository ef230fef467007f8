"""The village's information pages for residents: announcements, agenda, documents, the service
catalogue with its letter types, the village profile, its officials and its UMKM.

Plain server-rendered pages: they load fast on a cheap phone and need no JavaScript.
"""

import re

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext

from portal import media
from portal.config import media_dir
from portal.domain import announcements, letters, published
from portal.domain.content import DOCUMENT_KINDS, whatsapp_number
from portal.domain.errors import NotFound
from portal.web.auth import balai
from portal.web.pagecache import cached_page

bp = Blueprint("info", __name__)
KIND_LABELS = dict(DOCUMENT_KINDS)


@bp.app_template_global()
def document_kind(kind):
    """A document type as people read it."""
    return gettext(KIND_LABELS.get(kind, KIND_LABELS["lainnya"]))


@bp.app_template_global()
def small_photo(name):
    """The stored name of a photo's small version (lists, the home page)."""
    return media.small(name)


@bp.app_template_global()
def whatsapp(phone):
    """A WhatsApp chat link's number for a phone number as written."""
    return whatsapp_number(phone)


def read(query, *args):
    """Run one of the domain's read functions in a session."""
    with balai().db.read() as session:
        return query(session, *args)


@bp.get("/news")
def news():
    """Every announcement published now, pinned first."""
    items = read(announcements.current, balai().clock.now(), 100)
    return render_template("info/news.html", items=items)


@bp.get("/news/<int:item_id>")
def news_item(item_id):
    """One announcement."""
    return render_template("info/news_item.html", item=read(announcements.published, item_id, balai().clock.now()))


@bp.get("/agenda")
def agenda():
    """What is coming up in the village, and what happened this last month."""
    now = balai().clock.now()
    return render_template(
        "info/agenda.html", upcoming=read(published.upcoming_events, now), past=read(published.past_events, now)
    )


@bp.get("/documents")
def documents():
    """The documents library, filterable by type and year (plain links, no JavaScript)."""
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    year = request.args.get("year", type=int)
    return render_template(
        "info/documents.html",
        items=read(published.documents, kind, year),
        years=read(published.document_years),
        kinds=DOCUMENT_KINDS,
        kind=kind,
        year=year,
    )


@bp.get("/documents/<int:document_id>.pdf")
def document_file(document_id):
    """A document's PDF, downloaded under a readable name."""
    row = read(published.document, document_id)
    path = media.path_of(media_dir(balai().settings), row.file)
    if path is None:
        raise NotFound("not_found")
    slug = re.sub(r"[^a-z0-9]+", "-", row.title.lower()).strip("-")[:60] or "dokumen"
    return send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name=f"{slug}-{row.year}.pdf", max_age=3600
    )


def catalogue():
    """Services with the letter types each one handles, and letter types without a service."""
    services = balai().queue.services()
    offered = read(letters.offered)
    by_service = {}
    for letter in offered:
        by_service.setdefault(letter.service.code if letter.service else None, []).append(letter)
    return services, by_service


@bp.get("/services")
@cached_page
def services():
    """The service catalogue: each service and each letter, with requirements, fee and time."""
    services, by_service = catalogue()
    return render_template("info/services.html", services=services, letters=by_service)


@bp.get("/services/letters/<code>")
def letter(code):
    """One letter type: what to bring, what you will be asked, the fee and where to queue."""
    row = read(letters.by_code, code)
    if row is None:
        raise NotFound("not_found")
    return render_template("info/letter.html", letter=row, fields=letters.parse_fields(row.fields), service=row.service)


@bp.get("/profile")
def profile():
    """About the village: its text, photo, address and emergency numbers."""
    return render_template("info/profile.html", contacts=read(published.contacts))


@bp.get("/officials")
def officials():
    """The village government (perangkat desa)."""
    return render_template("info/officials.html", officers=read(published.officers))


@bp.get("/umkm")
def umkm():
    """Local businesses and their products, with a WhatsApp link each."""
    category = request.args.get("category") or None
    items = read(published.businesses)
    categories = sorted({b.category for b in items if b.category})
    if category:
        items = [b for b in items if b.category == category]
    return render_template("info/umkm.html", items=items, categories=categories, category=category)


@bp.get("/umkm/<int:business_id>")
def business(business_id):
    """One business: photo, description, products, contact."""
    return render_template("info/business.html", item=read(published.business, business_id))
