"""The display board (``/display``) for the hall's TV: now serving, last calls, waiting, news,
and every call spoken in Indonesian.

Server-rendered; ``static/js/display.js`` refreshes it when the board's ETag changes and plays
each new call as a chime and a row of voice clips (``python -m portal voices``), queued so calls
never overlap. Without JavaScript a meta refresh keeps it current (silently).
"""

from pathlib import Path

from flask import Blueprint, redirect, render_template, send_from_directory, url_for

from portal.domain import announcements
from portal.domain.village import today
from portal.web.auth import balai
from portal.web.tickets import current_etag

bp = Blueprint("board", __name__)


def board_context():
    """The board's data plus current announcements."""
    with balai().db.read() as session:
        news = announcements.current(session, balai().clock.now(), limit=5)
    return {"board": balai().queue.board(), "news": news}


@bp.get("/display")
def board():
    """The full-screen board page (its clock shows the village's time zone)."""
    with balai().db.read() as session:
        tz_name = today(session, balai().clock.now()).timezone
    return render_template("board.html", etag=current_etag(), timezone=tz_name, **board_context())


@bp.get("/board")
def old_address():
    """The board's first address, kept working."""
    return redirect(url_for("board.board"), code=301)


@bp.get("/voices/<name>")
def voice(name):
    """A voice clip rendered by ``python -m portal voices`` (WAV, cached by the browser a day)."""
    folder = Path(balai().settings["BALAI_DATA_DIR"]) / "voices"
    return send_from_directory(folder, name, max_age=24 * 3600)


@bp.get("/board/live")
def live():
    """The board's changing part, fetched by its script."""
    return render_template("_board_live.html", **board_context())
