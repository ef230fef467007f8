"""Serving Balai with waitress, keeping phones' connections open across unchanged polls."""

import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import WSGITask


class Task(WSGITask):
    """waitress's WSGI task, except that a 304 or a 204 keeps the connection open.

    waitress (3.0.2) closes every HTTP/1.1 response that has no Content-Length, and it drops the
    Content-Length of a 304. But a 304 or 204 never has a body (RFC 9112, section 6.3), so its
    end is known without one; closing makes every unchanged poll and every connectivity probe of
    every phone pay a new TCP connection, which on the hall's Wi-Fi is another round trip.
    """

    def set_close_on_finish(self):
        keep = (
            self.status[:3] in ("304", "204")
            and self.version == "1.1"
            and not self.wrote_header
            and self.request.headers.get("CONNECTION", "").lower() != "close"
        )
        if not keep:
            super().set_close_on_finish()


class Channel(HTTPChannel):
    """An HTTP connection whose requests run as ``Task``."""

    task_class = Task


def create(app, listen, threads, connections, ident="Balai", max_body=None, proxy_headers=False):
    """A waitress server for ``app`` on ``listen`` (``host:port`` items, space-separated);
    ``max_body`` (bytes) makes waitress refuse larger request bodies before reading them.

    waitress drops X-Forwarded-* headers; ``proxy_headers`` passes them on to the app, which
    decides whom to believe (``portal.web.security.with_office_proxy``: the office's HTTPS proxy)."""
    sockets = {}
    options = {"max_request_body_size": max_body} if max_body else {}
    if proxy_headers:
        options["clear_untrusted_proxy_headers"] = False
    server = waitress.create_server(
        app, map=sockets, listen=listen, threads=threads, connection_limit=connections, ident=ident, **options
    )
    for listener in sockets.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
    return server
