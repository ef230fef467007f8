"""The fast answer to phones polling an unchanged queue.

Hundreds of phones poll their ticket and the board every few seconds, and almost every poll
finds nothing changed. This WSGI layer answers those with ``304 Not Modified`` before Flask is
entered: one tiny query for the queue version instead of a whole request cycle. It answers only
when the response is certain to be identical: the client's ETag is the current queue version
and this process has already built that very resource at that version (so a ticket that does
not exist still gets its 404 from Flask). Everything else goes on to Flask unchanged.
"""

from werkzeug.http import parse_etags

VERSION_KEY = "balai.queue_version"
TICKETS = "/api/v1/tickets/"
BOARD = "/api/v1/board"


def poll_key(path):
    """The queue cache key a polled path is built from, or None for any other path."""
    if path == BOARD:
        return ("board",)
    if path.startswith(TICKETS):
        ticket_id = path[len(TICKETS) :]
        if ticket_id and "/" not in ticket_id:
            return ("ticket", ticket_id)
    return None


def current_version(queue):
    """The queue version, or None when it cannot be read: Flask then answers, errors included."""
    try:
        return queue.version()
    except Exception:
        return None


def with_fast_polls(wsgi_app, queue):
    """Wrap a WSGI app so unchanged polls of ``queue`` resources get their 304 at once."""

    def app(environ, start_response):
        tags = environ.get("HTTP_IF_NONE_MATCH")
        if tags and environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            key = poll_key(environ.get("PATH_INFO", ""))
            version = current_version(queue) if key is not None else None
            environ[VERSION_KEY] = version  # read once per request: Flask's answer reuses it
            if version and parse_etags(tags).contains(version) and queue.is_cached(key, version):
                start_response("304 NOT MODIFIED", [("ETag", f'"{version}"'), ("Cache-Control", "no-cache")])
                return []
        return wsgi_app(environ, start_response)

    return app
