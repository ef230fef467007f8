"""The baselines for ``bench/queue.py``: "hello" served by waitress as ``portal serve`` serves Balai.

Two kinds, so the ratios say where time goes:

* ``wsgi``: a bare WSGI function (waitress alone);
* ``flask``: a one-route Flask app (waitress plus Flask, what any Flask app pays).

Served with the same thread count and connection limit as Balai and the same log format.

Usage: ``python bench/hello.py wsgi|flask HOST:PORT THREADS CONNECTIONS``
"""

import logging
import sys

import waitress

BODY = b"hello"


def wsgi_app(environ, start_response):
    """Answer every request with a five-byte plain-text body."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def flask_app():
    """The same answer from a one-route Flask app."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "hello"

    return app


def main():
    """Serve the chosen app on the address, thread count and connection limit given."""
    kind, listen, threads, connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")  # as Balai's CLI
    app = wsgi_app if kind == "wsgi" else flask_app()
    waitress.serve(app, listen=listen, threads=threads, connection_limit=connections, ident="hello")


if __name__ == "__main__":
    main()
