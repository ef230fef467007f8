"""The display board (``/board``) for the hall's TV: now serving, last calls, waiting, news.

Server-rendered; a small script refreshes it when the board's ETag changes (a meta refresh does
it without JavaScript). The voice calls come with the hall work.
"""

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory

from portal.domain import announcements
from portal.web.auth import balai
from portal.web.tickets import current_etag

bp = Blueprint("board", __name__)


def board_context():
    """The board's data plus current announcements."""
    with balai().db.read() as session:
        news = announcements.current(session, balai().clock.now(), limit=5)
    return {"board": balai().queue.board(), "news": news}


@bp.get("/board")
def board():
    """The full-screen board page."""
    return render_template("board.html", etag=current_etag(), **board_context())


@bp.get("/voices/<name>")
def voice(name):
    """A voice clip rendered by ``python -m portal voices`` (WAV, cached by the browser a day)."""
    folder = Path(balai().settings["BALAI_DATA_DIR"]) / "voices"
    return send_from_directory(folder, name, max_age=24 * 3600)


@bp.get("/board/live")
def live():
    """The board's changing part, fetched by its script."""
    return render_template("_board_live.html", **board_context())
