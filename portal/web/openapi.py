"""The OpenAPI 3.1 description of ``/api/v1`` (a test checks every route is described)."""

from portal.domain.complaints import CATEGORIES
from portal.domain.kiosks import PRINTER_STATES
from portal.domain.letter_requests import STATUSES as LETTER_STATUSES
from portal.domain.letters import FIELD_KINDS
from portal.web.tickets import API_FIELDS

ERROR = {"$ref": "#/components/schemas/Error"}
TICKET = {"$ref": "#/components/schemas/Ticket"}
BEARER = [{"bearer": []}, {"session": []}]


def answer(description, schema=None):
    """One response entry."""
    body = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def errors(*codes):
    """The error responses an operation may give."""
    return {str(code): answer("Error; `message` is readable text (Indonesian by default)", ERROR) for code in codes}


def counter_op(summary, extra=None):
    """A counter operation: POST, official only, returns the affected ticket."""
    operation = {
        "summary": summary,
        "security": BEARER,
        "parameters": [{"name": "counter", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": answer("The affected ticket", TICKET), **errors(400, 401, 403, 404, 409)},
    }
    operation.update(extra or {})
    return {"post": operation}


def obj(required, **properties):
    """A JSON object schema with these properties, ``required`` of them always present (more may
    be added later: clients ignore what they do not know)."""
    return {"type": "object", "required": list(required), "properties": properties}


def body(required, **properties):
    """A JSON object request body with these properties (JSON Schemas)."""
    return {"required": bool(required), "content": {"application/json": {"schema": obj(required, **properties)}}}


STRING = {"type": "string"}
DEVICE = [{"bearer": []}]
TICKET_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
COMPLAINT_STATUS = {"enum": ["received", "in_progress", "answered", "closed"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
COUNT = {"type": "integer", "minimum": 0}


def listing(item):
    """An array of ``item``."""
    return {"type": "array", "items": item}


SERVING = {
    "oneOf": [
        {"type": "null"},
        obj(
            ["number", "service", "status"],
            number=STRING,
            service=STRING,
            service_name=STRING,
            priority={"type": "boolean"},
            status=STRING,
        ),
    ],
    "description": "The ticket at the counter (no id: the id is its holder's key), or null",
}
FIGURES = {"issued": COUNT, "served": COUNT, "skipped": COUNT, "cancelled": COUNT, "waiting": COUNT}
AVERAGES = {"avg_wait_seconds": NULLABLE_INT, "avg_service_seconds": NULLABLE_INT}
ANNOUNCEMENT = {
    "type": "object",
    "required": ["id", "title", "body", "pinned", "from_district", "publish_at", "expire_at", "url"],
    "properties": {
        "id": {"type": "integer"},
        "title": STRING,
        "body": STRING,
        "pinned": {"type": "boolean"},
        "from_district": {"type": "boolean", "description": "Sent by the district through the hub"},
        "publish_at": {"type": "string", "format": "date-time"},
        "expire_at": NULLABLE_TIME,
        "url": STRING,
    },
}

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Balai API",
        "version": "1",
        "description": "The village hall's queue. Officials and devices authenticate with "
        "`Authorization: Bearer <token>` (`python -m portal token create NAME`); browsers use their "
        "console session plus an `X-CSRFToken` header. Add `?lang=en` for English messages.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "balai_session"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
            "Ticket": {
                "type": "object",
                "required": [*API_FIELDS, "status_url"],
                "properties": {
                    "id": {"type": "string", "description": "Opaque, unguessable; the key of the status URL"},
                    "number": {"type": "string", "examples": ["A-012"]},
                    "service": {"type": "string"},
                    "service_name": {"type": "string"},
                    "priority": {"type": "boolean"},
                    "status": {
                        "enum": ["waiting", "called", "serving", "done", "skipped", "cancelled", "expired"],
                        "description": "expired: an unfinished ticket of an earlier day",
                    },
                    "position": {
                        "type": ["integer", "null"],
                        "description": "Place in line (1 = next); 0 when at a counter; null when finished",
                    },
                    "eta_seconds": {"type": ["integer", "null"]},
                    "counter": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"},
                    "status_url": {"type": "string", "format": "uri"},
                },
            },
        },
    },
    "paths": {
        "/api/v1/openapi.json": {"get": {"summary": "This description", "responses": {"200": answer("OpenAPI")}}},
        "/api/v1/services": {
            "get": {
                "summary": "Services with whether they are open and how many wait",
                "responses": {
                    "200": answer(
                        "Every active service",
                        listing(
                            obj(
                                ["code", "name", "prefix", "open", "waiting"],
                                code=STRING,
                                name=STRING,
                                prefix=STRING,
                                open={"type": "boolean"},
                                waiting=COUNT,
                            )
                        ),
                    )
                },
            }
        },
        "/api/v1/announcements": {
            "get": {
                "summary": "Announcements published now, pinned first",
                "responses": {"200": answer("List of announcements", {"type": "array", "items": ANNOUNCEMENT})},
            }
        },
        "/api/v1/tickets": {
            "post": {
                "summary": "Take a ticket",
                "description": "With a kiosk's device token (`python -m portal kiosk add NAME`) the "
                "receipt is queued for that kiosk's printer.",
                "requestBody": body(["service"], service=STRING, priority={"type": "boolean"}),
                "responses": {"201": answer("The new ticket", TICKET), **errors(400, 404, 422)},
            }
        },
        "/api/v1/tickets/{id}": {
            "get": {
                "summary": "A ticket's status (ETag; 304 on If-None-Match)",
                "parameters": TICKET_ID,
                "responses": {"200": answer("The ticket", TICKET), "304": answer("Unchanged"), **errors(404)},
            }
        },
        "/api/v1/tickets/{id}/cancel": {
            "post": {
                "summary": "Cancel (the resident holding the id, or an official)",
                "description": "An official's browser session must send its page's `X-CSRFToken` header.",
                "parameters": TICKET_ID,
                "responses": {"200": answer("The ticket", TICKET), **errors(400, 404, 409)},
            }
        },
        "/api/v1/tickets/{id}/requeue": {
            "post": {
                "summary": "Put a skipped ticket back into today's queue (official)",
                "security": BEARER,
                "parameters": TICKET_ID,
                "responses": {"200": answer("The ticket", TICKET), **errors(401, 403, 404, 409)},
            }
        },
        "/api/v1/tickets/{id}/reprint": {
            "post": {
                "summary": "Print an active ticket's receipt again (official); default kiosk: the one that printed it",
                "security": BEARER,
                "parameters": TICKET_ID,
                "requestBody": {**body([], kiosk={"type": "integer"}), "required": False},
                "responses": {
                    "202": answer("The new print job", obj(["job"], job={"type": "integer"})),
                    **errors(400, 401, 403, 404, 422),
                },
            }
        },
        "/api/v1/kiosks": {
            "get": {
                "summary": "Kiosks with their printer's state, receipts waiting and receipts that may not have printed",
                "security": BEARER,
                "responses": {
                    "200": answer(
                        "Every kiosk",
                        listing(
                            obj(
                                ["id", "name", "printer", "detail", "last_seen_at", "paired", "waiting", "uncertain"],
                                id={"type": "integer"},
                                name=STRING,
                                printer={
                                    "type": "string",
                                    "description": "ok, near_end, out, unreachable, "
                                    "unknown, or never (no agent has polled yet)",
                                },
                                detail=STRING,
                                last_seen_at=NULLABLE_TIME,
                                paired={"type": "boolean"},
                                waiting=COUNT,
                                uncertain={"type": "array", "description": "Receipts that may not have printed"},
                            )
                        ),
                    ),
                    **errors(401, 403),
                },
            }
        },
        "/api/v1/kiosk/poll": {
            "post": {
                "summary": "Kiosk agent: heartbeat with the printer's state, and the print jobs it holds",
                "description": "Waits up to `wait` seconds (at most 25) for a job when there is none. "
                "printer.state is one of ok, near_end, out, unreachable, unknown.",
                "security": DEVICE,
                "requestBody": body(
                    ["agent", "printer"],
                    agent=STRING,
                    printer=obj(["state"], state={"enum": list(PRINTER_STATES)}, detail=STRING),
                    wait={"type": "number"},
                ),
                "responses": {
                    "200": answer(
                        "The kiosk's name and every job this agent holds, each with its receipt's text",
                        obj(
                            ["kiosk", "jobs"],
                            kiosk=STRING,
                            jobs=listing(
                                obj(
                                    ["id", "reason", "ticket", "receipt"],
                                    id={"type": "integer"},
                                    reason=STRING,
                                    ticket=STRING,
                                    receipt={"type": "object"},
                                )
                            ),
                        ),
                    ),
                    **errors(400, 401),
                },
            }
        },
        "/api/v1/kiosk/jobs/{job}": {
            "post": {
                "summary": "Kiosk agent: a job's outcome (printed, or uncertain after a crash mid-write)",
                "security": DEVICE,
                "parameters": [{"name": "job", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": body(["outcome"], outcome={"enum": ["printed", "uncertain"]}, detail=STRING),
                "responses": {
                    "200": answer("The job", obj(["id", "status"], id={"type": "integer"}, status=STRING)),
                    **errors(400, 401, 404, 422),
                },
            }
        },
        "/api/v1/counters": {
            "get": {
                "summary": "Counters with their services and current ticket",
                "responses": {
                    "200": answer(
                        "Every counter",
                        listing(
                            obj(
                                ["id", "name", "services", "serving"],
                                id={"type": "integer"},
                                name=STRING,
                                services=listing(STRING),
                                serving=SERVING,
                            )
                        ),
                    )
                },
            }
        },
        "/api/v1/counters/{counter}/waiting": {
            "get": {
                "summary": "Tickets the counter will call, in order (official)",
                "security": BEARER,
                "parameters": [{"name": "counter", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": answer(
                        "The waiting tickets, next first",
                        listing(
                            obj(
                                ["id", "number", "service", "status"],
                                id=STRING,
                                number=STRING,
                                service=STRING,
                                service_name=STRING,
                                priority={"type": "boolean"},
                                status=STRING,
                                created_at={"type": "string", "format": "date-time"},
                            )
                        ),
                    ),
                    **errors(401, 403, 404),
                },
            }
        },
        "/api/v1/counters/{counter}/call-next": counter_op(
            "Call the next ticket (priority first, fairly); completes a ticket being served"
        ),
        "/api/v1/counters/{counter}/recall": counter_op("Call the current ticket again"),
        "/api/v1/counters/{counter}/start": counter_op("The resident arrived: start serving"),
        "/api/v1/counters/{counter}/complete": counter_op("Finish the current ticket"),
        "/api/v1/counters/{counter}/skip": counter_op("The resident did not come"),
        "/api/v1/counters/{counter}/transfer": counter_op(
            "Send the current ticket to another service (keeps its place)",
            {"requestBody": body(["service"], service=STRING)},
        ),
        "/api/v1/stats/daily": {
            "get": {
                "summary": "A day's figures per service and counter (official; ?day=YYYY-MM-DD, default today)",
                "security": BEARER,
                "parameters": [{"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "responses": {
                    "200": answer(
                        "The day's figures",
                        obj(
                            ["day", "services", "counters"],
                            day={"type": "string", "format": "date"},
                            services=listing(
                                obj(["code", "name", *FIGURES], code=STRING, name=STRING, **FIGURES, **AVERAGES)
                            ),
                            counters=listing(
                                obj(
                                    ["id", "name", "served"], id={"type": "integer"}, name=STRING, **FIGURES, **AVERAGES
                                )
                            ),
                        ),
                    ),
                    **errors(400, 401, 403),
                },
            }
        },
        "/api/v1/complaints": {
            "post": {
                "summary": "Send a complaint or aspiration (public; limited per address and hour)",
                "description": "category: infrastructure, public_services, social_assistance, environment, "
                "security, health, education, proposal or other. text: 10–4000 characters. name and contact "
                "are optional (at most 120 characters) and only officials see them. forward (optional, "
                "default false): the resident asks for the text to be sent to the district (kecamatan/kabupaten) "
                "as well; the name and the contact never leave the village. Over the hourly limit "
                "(BALAI_COMPLAINTS_PER_HOUR) the answer is 429 with a Retry-After header (seconds).",
                "requestBody": body(
                    ["category", "text"],
                    category={"enum": list(CATEGORIES)},
                    text=STRING,
                    name=STRING,
                    contact=STRING,
                    forward={"type": "boolean", "default": False},
                ),
                "responses": {
                    "201": answer(
                        "The tracking code (the resident's key) and the status page's address",
                        {
                            "type": "object",
                            "properties": {
                                "tracking_code": {"type": "string", "examples": ["PGD-7KQ2M-X9TRA"]},
                                "status_url": {"type": "string", "format": "uri"},
                            },
                        },
                    ),
                    **errors(400, 429),
                },
            }
        },
        "/api/v1/complaints/{code}": {
            "get": {
                "summary": "A complaint's status and the officials' public replies, by tracking code",
                "description": "The code is accepted in any case, with or without dashes and the PGD prefix. "
                "Never shows the name, the contact or internal notes. Public updates are numbered; a "
                "correction's `corrects` is the number of the reply it corrects (which stays unchanged).",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": STRING}],
                "responses": {
                    "200": answer(
                        "The complaint",
                        {
                            "type": "object",
                            "properties": {
                                "tracking_code": STRING,
                                "category": STRING,
                                "status": COMPLAINT_STATUS,
                                "created_at": {"type": "string", "format": "date-time"},
                                "text": STRING,
                                "updates": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "number": {"type": "integer"},
                                            "at": {"type": "string", "format": "date-time"},
                                            "status": {
                                                "enum": ["", *COMPLAINT_STATUS["enum"]],
                                                "description": "The new status; empty when unchanged",
                                            },
                                            "body": STRING,
                                            "corrects": {"type": ["integer", "null"]},
                                        },
                                    },
                                },
                            },
                        },
                    ),
                    **errors(404),
                },
            }
        },
        "/api/v1/letter-types": {
            "get": {
                "summary": "The letters residents can ask for, with what to bring and the questions each asks",
                "responses": {
                    "200": answer(
                        "Every offered letter type, in catalogue order",
                        listing(
                            obj(
                                ["code", "name", "requirements", "fields", "service"],
                                code=STRING,
                                name=STRING,
                                requirements=listing(STRING),
                                fields=listing(
                                    {  # not obj(): a property named "required"
                                        "type": "object",
                                        "required": ["name", "label", "kind", "required"],
                                        "properties": {
                                            "name": STRING,
                                            "label": STRING,
                                            "kind": {"enum": list(FIELD_KINDS)},
                                            "required": {"type": "boolean"},
                                        },
                                    }
                                ),
                                service={
                                    "type": ["string", "null"],
                                    "description": "The queue service a request's ticket is for",
                                },
                            )
                        ),
                    )
                },
            }
        },
        "/api/v1/letters": {
            "post": {
                "summary": "Ask for a letter (public; limited per address and hour)",
                "description": "type: a code from /api/v1/letter-types. fields: an answer per field name; an "
                "address is {rt, rw, dusun} or one line with RT and RW, a date YYYY-MM-DD or DD-MM-YYYY, a NIK "
                "16 digits. bring_papers must be true: papers (KTP, KK) are brought to the office, nothing is "
                "uploaded. ticket (optional, default false): also take a queue ticket for the letter's service; "
                "when the queue refuses (closed, today's tickets all taken) the request still stands, with "
                "ticket_id null and ticket_error saying why. A 400 names each wrong answer in `fields`. Over "
                "the hourly limit (BALAI_LETTER_REQUESTS_PER_HOUR) the answer is 429 with a Retry-After header.",
                "requestBody": body(
                    ["type", "fields", "bring_papers"],
                    type=STRING,
                    fields={"type": "object", "additionalProperties": {"type": ["string", "object"]}},
                    bring_papers={"const": True},
                    ticket={"type": "boolean", "default": False},
                ),
                "responses": {
                    "201": answer(
                        "The tracking code (the resident's key), the status page's address and the queue ticket",
                        obj(
                            ["tracking_code", "status_url", "ticket_id", "ticket_error"],
                            tracking_code={"type": "string", "examples": ["SRT-7KQ2M-X9TRA"]},
                            status_url={"type": "string", "format": "uri"},
                            ticket_id={"type": ["string", "null"], "description": "See /api/v1/tickets/{id}"},
                            ticket_error={"oneOf": [{"type": "null"}, ERROR]},
                        ),
                    ),
                    "400": answer(
                        "Wrong answers: `fields` maps each wrong field (or `type`, `bring_papers`) to a message",
                        obj(["error", "message"], error=STRING, message=STRING, fields={"type": "object"}),
                    ),
                    **errors(429),
                },
            }
        },
        "/api/v1/letters/{code}": {
            "get": {
                "summary": "A letter request's status by tracking code (the name and NIKs masked)",
                "description": "The code is accepted in any case, with or without dashes and the SRT prefix. "
                "No answer is shown in full. letter_number and issued_on are set once the letter is issued.",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": STRING}],
                "responses": {
                    "200": answer(
                        "The request",
                        obj(
                            ["tracking_code", "type", "status", "reason", "name", "masked", "letter_number"],
                            tracking_code=STRING,
                            type=STRING,
                            status={"enum": list(LETTER_STATUSES)},
                            reason={"type": "string", "description": "Why it was rejected; empty otherwise"},
                            name={"type": "string", "description": "Masked: S*** A*****"},
                            masked=listing(obj(["label", "value"], label=STRING, value=STRING)),
                            letter_number={"type": ["string", "null"]},
                            issued_on={"type": ["string", "null"], "format": "date"},
                            created_at={"type": "string", "format": "date-time"},
                            updated_at={"type": "string", "format": "date-time"},
                            status_url={"type": "string", "format": "uri"},
                            ticket_id={"type": ["string", "null"]},
                        ),
                    ),
                    **errors(404),
                },
            }
        },
        "/api/v1/board": {
            "get": {
                "summary": "Now serving per counter, last calls, waiting per service (ETag; 304)",
                "responses": {
                    "200": answer(
                        "The board",
                        obj(
                            ["day", "counters", "last_calls", "services"],
                            day={"type": "string", "format": "date"},
                            counters=listing(
                                obj(["id", "name", "serving"], id={"type": "integer"}, name=STRING, serving=SERVING)
                            ),
                            last_calls=listing(
                                obj(
                                    ["number", "counter", "at", "text"],
                                    number=STRING,
                                    counter=STRING,
                                    at={"type": "string", "format": "date-time"},
                                    recall={"type": "boolean"},
                                    words=listing(STRING),
                                    text=STRING,
                                )
                            ),
                            services=listing(obj(["code", "name", "waiting"], code=STRING, name=STRING, waiting=COUNT)),
                        ),
                    ),
                    "304": answer("Unchanged"),
                },
            }
        },
    },
}
