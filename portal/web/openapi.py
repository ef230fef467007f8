"""The OpenAPI 3.1 description of ``/api/v1`` (a test checks every route is described)."""

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


TICKET_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]

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
                "responses": {"200": answer("List of {code, name, prefix, open, waiting}")},
            }
        },
        "/api/v1/tickets": {
            "post": {
                "summary": "Take a ticket",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["service"],
                                "properties": {"service": {"type": "string"}, "priority": {"type": "boolean"}},
                            }
                        }
                    },
                },
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
                "parameters": TICKET_ID,
                "responses": {"200": answer("The ticket", TICKET), **errors(404, 409)},
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
        "/api/v1/counters": {
            "get": {
                "summary": "Counters with their services and current ticket",
                "responses": {"200": answer("List of {id, name, services, serving}")},
            }
        },
        "/api/v1/counters/{counter}/waiting": {
            "get": {
                "summary": "Tickets the counter will call, in order (official)",
                "security": BEARER,
                "parameters": [{"name": "counter", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": answer("List of tickets"), **errors(401, 403, 404)},
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
            {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["service"],
                                "properties": {"service": {"type": "string"}},
                            }
                        }
                    },
                }
            },
        ),
        "/api/v1/stats/daily": {
            "get": {
                "summary": "A day's figures per service and counter (official; ?day=YYYY-MM-DD, default today)",
                "security": BEARER,
                "parameters": [{"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": answer("{day, services: [...], counters: [...]}"), **errors(400, 401, 403)},
            }
        },
        "/api/v1/board": {
            "get": {
                "summary": "Now serving per counter, last calls, waiting per service (ETag; 304)",
                "responses": {"200": answer("The board"), "304": answer("Unchanged")},
            }
        },
    },
}
