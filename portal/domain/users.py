"""Officials' accounts, passwords and API tokens."""

import hashlib
import hmac
import secrets

from sqlalchemy import select

from portal.domain.errors import Conflict, DomainError, NotFound
from portal.models import ApiToken, User

ROLES = ("admin", "operator", "editor")
MIN_PASSWORD = 8
# scrypt cost: about 50 ms on a Raspberry Pi 4, cheap enough for a login, costly for a guesser.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password):
    """A salted scrypt hash, as ``scrypt$N$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(stored, password):
    """Whether ``password`` matches a hash made by ``hash_password``."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def validate_password(password):
    """Raise a DomainError when a password is too weak to accept."""
    if len(password) < MIN_PASSWORD:
        raise DomainError("password_too_short", minimum=MIN_PASSWORD)


def add_user(session, username, password, role, now):
    """Create an official; the username must be new and the role known."""
    username = username.strip()
    if not username or len(username) > 60:
        raise DomainError("bad_username")
    if role not in ROLES:
        raise DomainError("bad_role", role=role)
    validate_password(password)
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict("user_exists", username=username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        session_key=secrets.token_hex(8),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session, username, password):
    """Change a password; every session of that user ends with it."""
    user = get_user(session, username)
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_key = secrets.token_hex(8)
    return user


def get_user(session, username):
    """The user with this name, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("unknown_user", username=username)
    return user


def authenticate(session, username, password):
    """The user if the password is right, else None (same work either way, against timing)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password(hash_password("not a user"), password)
        return None
    return user if check_password(user.password_hash, password) else None


def token_hash(token):
    """What is stored for a token: its SHA-256 (a token is random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, username, now):
    """Make an API token that acts as ``username``; the plain token is returned once, never stored."""
    user = get_user(session, username)
    token = "balai_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=now))
    return token


def user_for_token(session, token):
    """The user a bearer token belongs to, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    return row.user if row else None
