"""Uploads on the web: which views take files (and how big), and serving what was stored.

The app refuses bodies over 64 KB (no queue form is bigger). A view that takes a file is marked
with ``accepts_upload``; its limit is raised before anything reads the body, CSRF check included.
"""

from flask import Blueprint, abort, current_app, request, send_file

from portal import media
from portal.config import media_dir
from portal.web.auth import balai, may

bp = Blueprint("media", __name__)

MB = 1024 * 1024
FORM_ALLOWANCE = 64 * 1024  # the form's other fields, on top of the files


def accepts_upload(*limits):
    """Mark a view whose request may carry files: ``limits`` are megabytes, as numbers or as the
    names of BALAI_* settings."""

    def decorator(view):
        view.upload_limits = limits
        return view

    return decorator


def raise_limit():
    """Before any handler reads the body: allow a marked view its files (see ``accepts_upload``)."""
    view = current_app.view_functions.get(request.endpoint)
    limits = getattr(view, "upload_limits", ())
    permission = getattr(view, "balai_permission", None)
    if permission and not may(permission):
        return  # not an official who may use this page: no big body to read (a backup is 1 GB)
    if limits:
        megabytes = sum(balai().settings[s] if isinstance(s, str) else s for s in limits)
        request.max_content_length = FORM_ALLOWANCE + megabytes * MB


def init_app(app):
    """Register the limit hook; must run before CSRFProtect's, which reads the form."""
    app.before_request(raise_limit)


def file_data(field):
    """The bytes of an uploaded file field, or None when no file was chosen."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return upload.read()


def store(kind, field):
    """Store an uploaded ``photo`` or ``pdf`` from ``field``; its stored name, or None without a file.

    Raises media.UploadError (a DomainError) for a file that is too big or not what it claims.
    """
    data = file_data(field)
    if data is None:
        return None
    directory = media_dir(balai().settings)
    if kind == "photo":
        return media.store_photo(data, directory, balai().settings["BALAI_PHOTO_MAX_MB"] * MB)
    return media.store_pdf(data, directory, balai().settings["BALAI_DOCUMENT_MAX_MB"] * MB)


@bp.get("/media/<name>")
def serve(name):
    """A stored photo or PDF. Names are content hashes, so a file never changes: cache it long."""
    path = media.path_of(media_dir(balai().settings), name)
    if path is None:
        abort(404)
    mimetype = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=365 * 24 * 3600)
