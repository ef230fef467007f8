"""The district staff's dashboard (being built)."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)


def init_app(app, settings):
    """Session cookies for the dashboard."""
