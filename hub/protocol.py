"""The wire protocol between a village and its hub: signed, compressed JSON over plain HTTP(S).

Both sides hold the village key (32 random bytes, printed by ``python -m hub village add``). A
request carries::

    X-Balai-Village: 3201012001            the village's Kemendagri code
    X-Balai-Timestamp: 1795425600          the sender's Unix time, corrected by its learned offset
    X-Balai-Signature: <hex>               HMAC-SHA256(key, METHOD \\n PATH?QUERY \\n TIMESTAMP \\n sha256(body))

The hub refuses a timestamp more than ``WINDOW_S`` away from its own clock, so a captured request
cannot be replayed later; within the window a replay changes nothing, because every event has an
id the hub keeps. Answers to a village (the district's notices) are signed the same way with the
request's timestamp inside, so the village knows they come from its hub and answer its question.

Bodies are gzip-compressed JSON (links are metered). The signature covers the bytes on the wire,
so the hub checks it before inflating anything, and inflating stops at ``MAX_INFLATED``.

This module imports neither Flask nor the database: the village's worker uses it too.
"""

import base64
import gzip
import hashlib
import hmac
import json
import re
import secrets
import zlib

VILLAGE_CODE = re.compile(r"[0-9]{10}")  # Kemendagri village code, digits only
HEADER_VILLAGE = "X-Balai-Village"
HEADER_TIMESTAMP = "X-Balai-Timestamp"
HEADER_SIGNATURE = "X-Balai-Signature"
WINDOW_S = 300  # how far a request's timestamp may be from the hub's clock
MAX_BATCH_EVENTS = 500  # events in one push
MAX_BATCH_BYTES = 512 * 1024  # one push's JSON before compression
MAX_BODY = 1024 * 1024  # a push as sent (compressed)
MAX_INFLATED = 4 * 1024 * 1024  # a push inflated: refuses a "zip bomb" long before memory runs out


class BadRequest(ValueError):
    """A body or signature the other side must not act on; the message says why, in a few words."""


def new_key():
    """A fresh village key as text (43 URL-safe characters, 256 bits)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def key_bytes(key):
    """The raw bytes of a key written by ``new_key`` (BadRequest when it is not one)."""
    try:
        raw = base64.urlsafe_b64decode(key.strip() + "=" * (-len(key.strip()) % 4))
    except (ValueError, TypeError):
        raise BadRequest("the key is not a Balai village key") from None
    if len(raw) != 32:
        raise BadRequest("the key is not a Balai village key")
    return raw


def _mac(key, *parts):
    message = "\n".join(str(part) for part in parts).encode()
    return hmac.new(key_bytes(key), message, hashlib.sha256).hexdigest()


def sign(key, method, path, timestamp, body=b""):
    """The signature of a request: ``path`` includes the query string, ``timestamp`` is an int."""
    return _mac(key, method.upper(), path, int(timestamp), hashlib.sha256(body).hexdigest())


def sign_response(key, path, request_timestamp, body):
    """The signature of an answer to the request made at ``request_timestamp`` for ``path``."""
    return _mac(key, "RESPONSE", path, int(request_timestamp), hashlib.sha256(body).hexdigest())


def same(signature, expected):
    """Compare signatures in constant time (any text may arrive in a header: compared as bytes)."""
    return hmac.compare_digest(str(signature or "").encode(), expected.encode())


def fresh(timestamp, now_s, window=WINDOW_S):
    """Whether a request's timestamp text lies within ``window`` seconds of ``now_s``."""
    try:
        return abs(int(timestamp) - now_s) <= window
    except (TypeError, ValueError):
        return False


def pack(document):
    """A JSON document as a compressed body."""
    return gzip.compress(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(), mtime=0)


def unpack(body, limit=MAX_INFLATED):
    """The JSON document of a compressed body, inflating at most ``limit`` bytes (BadRequest)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise BadRequest("the body is not gzip") from None
    if len(raw) > limit or inflater.unconsumed_tail:
        raise BadRequest("the body is too large when inflated")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the body is not JSON") from None
