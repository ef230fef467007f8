"""Rendered public pages, kept until something they show changes.

The home page reads the village, the queue, announcements, the agenda and emergency numbers:
rendering it for every phone costs milliseconds a Pi does not have when a hall full of phones
opens the portal at once. Every write that changes what these pages show bumps the queue
version (queue writes, content edits, scheduled announcements coming due), so a page rendered
for one version, language and minute is the same page for every phone until then. The minute
covers what moves with the clock alone (an agenda item ending).
"""

import functools
import threading
from collections import OrderedDict

from flask import Response, request, session

from portal.web.auth import balai
from portal.web.i18n import pick_locale

SIZE = 64  # pages kept (pages × languages × a couple of versions)
_pages = OrderedDict()
_lock = threading.Lock()


def cached_page(view):
    """Serve ``view``'s page from the cache when nothing it shows has changed."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        # Anything personal (a flash message for this browser) or unusual (other query
        # arguments) is rendered as usual and not kept.
        if request.args.keys() - {"lang"} or "_flashes" in session:
            return view(*args, **kwargs)
        now = balai().clock.now()
        key = (request.path, pick_locale(), balai().queue.version(), now.replace(second=0, microsecond=0))
        with _lock:
            hit = _pages.get(key)
            if hit is not None:
                _pages.move_to_end(key)
        if hit is not None:
            return Response(hit, mimetype="text/html")
        response = view(*args, **kwargs)
        if isinstance(response, str):
            with _lock:
                _pages[key] = response
                while len(_pages) > SIZE:
                    _pages.popitem(last=False)
        return response

    return wrapped
