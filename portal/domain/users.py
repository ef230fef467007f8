"""Officials' accounts, passwords, sign-in lockouts and API tokens.

The console's user management (``portal.web.users_admin``) calls the functions that take an
``actor``: each records what it changed in the audit log, in the same transaction, and never the
password itself.
"""

import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import delete, func, select, update

from portal.domain import audit
from portal.domain.errors import Conflict, DomainError, NotFound, Refused
from portal.messages import N_
from portal.models import ApiToken, TicketEvent, User

ROLES = ("admin", "operator", "editor")
# What each role may do, in the words the users page shows next to the role (see web.auth.PERMISSIONS).
ROLE_NAMES = {"admin": N_("Admin"), "operator": N_("Counter operator"), "editor": N_("Editor")}
ROLE_DESCRIPTIONS = {
    "admin": N_(
        "Everything: the counters, letters and their templates, the content and complaints, users, the hotspot, "
        "the audit log."
    ),
    "operator": N_("Runs the queue at a counter, issues letters, reprints receipts, and lets phones off the hotspot."),
    "editor": N_("Writes announcements and other content, answers complaints, keeps the budget and polls."),
}
MIN_PASSWORD = 8
MAX_USERNAME = 60
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


@functools.cache
def decoy_hash():
    """A hash no password matches in practice, checked instead of a real one (an unknown name, a
    locked account) so that every sign-in costs one scrypt."""
    return hash_password(secrets.token_hex(16))


def validate_password(password):
    """Raise a DomainError when a password is too weak to accept."""
    if len(password) < MIN_PASSWORD:
        raise DomainError("password_too_short", minimum=MIN_PASSWORD)


def add_user(session, username, password, role, now):
    """Create an official; the username must be new and the role known."""
    username = username.strip()
    if not username or len(username) > MAX_USERNAME:
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
    """Change a password; every session of that user ends with it, and a lockout is lifted."""
    user = get_user(session, username)
    _new_password(user, password)
    return user


def _new_password(user, password):
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_key = secrets.token_hex(8)
    user.failed_logins, user.locked_until = 0, None


def get_user(session, username):
    """The user with this name, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("unknown_user", username=username)
    return user


# Signing in -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    """How many wrong passwords in a row lock a username, and for how long."""

    attempts: int = 5
    minutes: int = 15


class Strangers:
    """Wrong sign-ins under names that are no account, counted like an account's, so that the
    lockout cannot tell a guesser which names exist. In memory and bounded: the per-address
    throttle limits how many names one guesser tries, and forgetting them on a restart is harmless."""

    MAX_NAMES = 10_000

    def __init__(self):
        self.names = {}  # name -> SimpleNamespace(failed_logins, locked_until), like a User row
        self.lock = threading.Lock()

    def get(self, name):
        """The counters of ``name`` (new ones start at zero)."""
        with self.lock:
            if name not in self.names and len(self.names) >= self.MAX_NAMES:
                del self.names[next(iter(self.names))]  # the oldest name
            return self.names.setdefault(name, SimpleNamespace(failed_logins=0, locked_until=None))


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: ``user`` when it succeeded, ``locked_until`` (UTC) while the name
    is locked, neither for a wrong username or password; ``name`` is the name as tried."""

    name: str
    user: User | None = None
    locked_until: object = None


def sign_in(session, username, password, now, lockout, strangers):
    """Check a sign-in in a write transaction, counting failures (see ``SignIn``).

    The ``lockout.attempts``-th wrong password in a row locks the name for ``lockout.minutes``;
    success clears the count and records the time. Names that are no account are counted the same
    way in ``strangers``, and every attempt costs exactly one scrypt, so neither the answer nor its
    time tells whether a name exists.
    """
    name = username.strip()[:MAX_USERNAME]
    user = session.scalar(select(User).where(User.username == name)) if name else None
    account = user or strangers.get(name)
    if account.locked_until is not None and account.locked_until > now:
        check_password(decoy_hash(), password)
        return SignIn(name, locked_until=account.locked_until)
    stored = user.password_hash if user is not None else decoy_hash()
    if check_password(stored, password) and user is not None:
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        return SignIn(name, user=user)
    account.failed_logins += 1
    if account.failed_logins >= max(lockout.attempts, 1):
        account.failed_logins, account.locked_until = 0, now + timedelta(minutes=lockout.minutes)
        return SignIn(name, locked_until=account.locked_until)
    return SignIn(name)


def record_sign_in(session, attempt, address, now):
    """Audit a sign-in: who, from where, and whether it worked (never the password)."""
    if attempt.user is not None:
        actor, action = audit.Actor(attempt.user.id, attempt.user.username, address), "login"
    else:
        actor, action = audit.Actor(address=address), "login.locked" if attempt.locked_until else "login.failed"
    # A name that is no account is often a password typed into the wrong box: never keep it.
    known = session.scalar(select(User.id).where(User.username == attempt.name)) is not None
    audit.record(session, actor, action, f"user:{attempt.name}" if known else "user:?", {}, now)


def is_locked(user, now):
    """Whether ``user`` may not sign in now because of wrong passwords."""
    return user.locked_until is not None and user.locked_until > now


# The console's user management ----------------------------------------------------------------


def listing(session):
    """Every official, admins first, then by name."""
    order = {role: n for n, role in enumerate(ROLES)}
    return sorted(session.scalars(select(User)).all(), key=lambda u: (order.get(u.role, 9), u.username.lower()))


def by_id(session, user_id):
    """The official with this id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no_such_official")
    return user


def create(session, actor, now, username, role, password):
    """Add an official with a first password (they should change it after signing in)."""
    user = add_user(session, username, password, role, now)
    audit.record(session, actor, "user.create", f"user:{user.username}", {"username": user.username, "role": role}, now)
    return user


def change_role(session, actor, now, user_id, role):
    """Give an official another role; the last admin stays an admin."""
    user = by_id(session, user_id)
    if role not in ROLES:
        raise DomainError("bad_role", role=role)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(session, user)
    if role != user.role:
        audit.record(session, actor, "user.role", f"user:{user.username}", {"role": [user.role, role]}, now)
        user.role = role
    return user


def reset_password(session, actor, now, user_id, password):
    """An admin sets a new password for another official: their open sessions end and a lockout
    is lifted. Admins change their own on the password page, which asks for the current one."""
    user = by_id(session, user_id)
    if user.id == actor.user_id:
        raise Refused("reset_own_password")
    _new_password(user, password)
    # A reset is what an admin does to an account that may be in the wrong hands: its API tokens go too.
    tokens = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    audit.record(
        session,
        actor,
        "user.password",
        f"user:{user.username}",
        {"sessions_ended": True, "tokens_revoked": tokens},
        now,
    )
    return user


def unlock(session, actor, now, user_id):
    """Let a locked-out official try again at once."""
    user = by_id(session, user_id)
    changes = {"locked_until": [user.locked_until, None]} if is_locked(user, now) else {}
    user.failed_logins, user.locked_until = 0, None
    audit.record(session, actor, "user.unlock", f"user:{user.username}", changes, now)
    return user


def remove(session, actor, now, user_id):
    """Remove an official (never yourself, never the last admin). Their API tokens go with them;
    the queue's history keeps what they did without their name."""
    user = by_id(session, user_id)
    if user.id == actor.user_id:
        raise Refused("remove_yourself")
    if user.role == "admin":
        _keep_an_admin(session, user)
    # ticket_events.user_id has no ON DELETE rule in the schema: let go of the name here.
    session.execute(update(TicketEvent).where(TicketEvent.user_id == user.id).values(user_id=None))
    audit.record(
        session, actor, "user.delete", f"user:{user.username}", {"username": user.username, "role": user.role}, now
    )
    session.delete(user)
    return user


def _keep_an_admin(session, user):
    admins = session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
    if admins <= 1:
        raise Refused("last_admin", username=user.username)


def change_own_password(session, actor, now, user_id, current, new, repeat):
    """An official changes their own password: the current one first, the new one twice. Every
    other session of theirs ends (the caller signs this one in again)."""
    user = by_id(session, user_id)
    if not check_password(user.password_hash, current):
        raise DomainError("wrong_password")
    if new != repeat:
        raise DomainError("passwords_differ")
    _new_password(user, new)
    audit.record(session, actor, "password.change", f"user:{user.username}", {"sessions_ended": True}, now)
    return user


# API tokens -----------------------------------------------------------------------------------


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
