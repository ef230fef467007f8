"""Reading a letter request's form and explaining what was wrong with it: shared by the phone and
kiosk pages (portal.web.letters) and the console (portal.web.letters_admin), which all draw the
inputs with the macro in ``letters/_fields.html``."""

from portal.domain import letter_requests
from portal.web.errors import message

ADDRESS_PARTS = ("rt", "rw", "dusun")


def answers_from(fields, form):
    """What a form sent for each of ``fields``: text, or an address's three boxes as a dict."""
    given = {}
    for field in fields:
        name = field["name"]
        if field["kind"] == "address":
            given[name] = {part: form.get(f"{name}__{part}", "") for part in ADDRESS_PARTS}
        else:
            given[name] = form.get(name, "")
    return given


def stored_values(fields, answers):
    """Stored answers as the form shows them again (an address split back into its boxes)."""
    values = dict(answers)
    for field in fields:
        if field["kind"] == "address" and field["name"] in answers:
            values[field["name"]] = letter_requests.address_parts(answers[field["name"]])
    return values


def field_messages(exc):
    """``{field name: message}`` for a FieldErrors, in the person's language."""
    return {name: message(code, details) for name, (code, details) in exc.details["fields"].items()}
