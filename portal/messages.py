"""Everything Balai may tell a person about an error code (and the console's confirmations).

Plain English strings, marked with ``N_`` for extraction into the catalogues; the web layer
translates them per request (Indonesian first), the CLI prints them as they are. A test checks
that every code the domain raises has a message here.
"""


def N_(text):
    """Mark a string for the translation catalogues without translating it here."""
    return text


MESSAGES = {
    "unknown_service": N_("There is no service with the code %(service)s."),
    "service_closed": N_("%(service)s is closed now. Opening hours: %(opens_at)s–%(closes_at)s."),
    "daily_cap_reached": N_("Today's %(cap)s tickets for %(service)s are all taken. Please come back tomorrow."),
    "too_many_tickets": N_("This phone already holds %(limit)s active tickets. Use or cancel one first."),
    "ticket_not_found": N_("This ticket does not exist. Check the number or take a new ticket."),
    "unknown_counter": N_("There is no counter %(counter)s."),
    "counter_busy": N_("Ticket %(number)s is still being called. Start, skip or recall it first."),
    "counter_idle": N_("%(counter)s has no ticket at the moment."),
    "queue_empty": N_("Nobody is waiting for %(counter)s."),
    "same_service": N_("The ticket is already in %(service)s."),
    "wrong_state": N_("This cannot be done to ticket %(number)s now: it is %(status)s."),
    "bad_json": N_("The request is not valid JSON."),
    "bad_field": N_("The field %(field)s is missing or wrong."),
    "bad_request": N_("The request is not valid."),
    "too_large": N_("The request is too large."),
    "login_required": N_("Please sign in as an official first."),
    "forbidden": N_("Your role may not do this."),
    "csrf": N_("The form has expired. Please reload the page and try again."),
    "cross_site": N_("This form was sent from another site and was refused."),
    "not_found": N_("This page does not exist."),
    "method_not_allowed": N_("This address does not accept that kind of request."),
    "server_error": N_("Something went wrong on the server. Nothing was changed; please try again."),
    "password_too_short": N_("The password must have at least %(minimum)s characters."),
    "bad_username": N_("The username is empty or too long."),
    "bad_role": N_("Unknown role %(role)s: use admin, operator or editor."),
    "user_exists": N_("The user %(username)s already exists."),
    "unknown_user": N_("There is no user %(username)s."),
    "title_required": N_("An announcement needs a title."),
    "expires_before_publish": N_("An announcement cannot expire before it is published."),
    "bad_login": N_("Wrong username or password."),
    "bad_kiosk_name": N_("The kiosk name is empty or too long."),
    "kiosk_exists": N_("The kiosk %(name)s already exists."),
    "unknown_kiosk": N_("There is no kiosk %(name)s."),
    "pairing_invalid": N_(
        "This pairing link is unknown, already used or expired. Make a new one with: python -m portal kiosk pair NAME"
    ),
    "bad_outcome": N_("Unknown print outcome %(outcome)s: use printed or uncertain."),
    "unknown_job": N_("There is no print job %(job)s for this kiosk."),
    "reprint_finished": N_("Ticket %(number)s is finished; there is nothing to reprint."),
    "no_kiosk_printer": N_("Choose the kiosk whose printer should print the receipt."),
    "unknown_number": N_("There is no ticket %(number)s today."),
    "device_unknown": N_(
        "Your phone could not be recognised on the Wi-Fi. Turn Wi-Fi off and on again, then try once more."
    ),
    "not_on_hotspot": N_("This page is for phones on the village hall's Wi-Fi."),
    "hotspot_session_not_found": N_("This Wi-Fi session has already ended."),
    # Confirmations on the counter panel.
    "done_call_next": N_("Called %(number)s."),
    "done_recall": N_("Called %(number)s again."),
    "done_start": N_("Serving %(number)s."),
    "done_complete": N_("%(number)s is done."),
    "done_skip": N_("%(number)s was skipped (no-show)."),
    "done_transfer": N_("%(number)s was sent to another service."),
    "done_requeue": N_("%(number)s is back in the queue."),
    "done_cancel": N_("%(number)s was cancelled."),
    "done_reprint": N_("The receipt of %(number)s will be printed again."),
    "done_confirm": N_("The receipt of %(number)s is marked as printed."),
    "done_revoke": N_("The phone %(ip)s is no longer let through."),
}

# A kiosk's printer as the console and the kiosk screen name it (kiosks.printer_state).
PRINTER = {
    "ok": N_("Printer ready"),
    "near_end": N_("Paper nearly out"),
    "out": N_("Out of paper"),
    "unreachable": N_("Printer not connected: check its cable and power"),
    "unknown": N_("Paper status unknown: the printer does not answer"),
    "offline": N_("The kiosk's printing program is not running"),
    "never": N_("The kiosk's printing program has not connected yet"),
}

# What the kiosk screen says about a resident's receipt (PrintJobs.for_ticket).
RECEIPT = {
    "printing": N_("Your receipt is being printed…"),
    "printed": N_("Your receipt is printed. Please take it."),
    "out": N_("The printer is out of paper: your receipt cannot be printed now."),
    "unreachable": N_("The printer is not working: your receipt cannot be printed now."),
    "offline": N_("The printer is not working: your receipt cannot be printed now."),
    "never": N_("The printer is not working: your receipt cannot be printed now."),
    "uncertain": N_("Your receipt may not have printed completely."),
}

# Ticket statuses as people read them (in messages such as wrong_state).
STATUSES = {
    "waiting": N_("waiting"),
    "called": N_("called"),
    "serving": N_("being served"),
    "done": N_("finished"),
    "skipped": N_("skipped"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
}


def render(code, details=None, translate=lambda text: text):
    """The message for ``code`` with its ``details`` dict filled in (unknown codes get the generic one)."""
    template = translate(MESSAGES.get(code, MESSAGES["server_error"]))
    details = {k: ("" if v is None else v) for k, v in (details or {}).items()}
    if details.get("status") in STATUSES:
        details["status"] = translate(STATUSES[details["status"]])
    try:
        return template % details
    except (KeyError, TypeError, ValueError):
        return template
