"""The public page a letter's QR code opens when its village syncs: ``/verify/<code>``.

A bank, the police or another office outside the village checks a letter here, without signing
in: the hub says whether the village registered it (number, date, type, masked name, the village)
or voided it. It shows nothing else of the resident, and only what the villages sent (``letters``).
"""

from flask import Blueprint, current_app, render_template

from hub import letters
from portal.web.letter_verify import shown

bp = Blueprint("verify", __name__)


@bp.get("/verify/<code>")
def letter(code):
    """Whether the letter with this code is registered in a village, and still valid."""
    with current_app.extensions["hub"].store.read() as session:
        found = letters.find(session, code)
    if found is None:
        return render_template("verify/unknown.html", typed=code[:40]), 404
    row, village_name = found
    return render_template("verify/letter.html", letter=shown(letters.record(row), village_name))
