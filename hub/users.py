"""District officials on the dashboard: who they are and which villages they see."""

import secrets

from sqlalchemy import select

from hub.models import User, Village
from portal.domain.errors import Conflict, DomainError, NotFound
from portal.domain.users import check_password, hash_password, validate_password

ROLES = ("admin", "staff")


def add(session, username, password, role, now, villages=()):
    """Add an official (``villages``: Village rows a staff member looks after)."""
    username = username.strip()
    if not username or len(username) > 60 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise DomainError("bad_username")
    if role not in ROLES:
        raise DomainError("hub_bad_role", role=role)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict("user_exists", username=username)
    validate_password(password)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        session_key=secrets.token_hex(16),
        created_at=now,
        villages=list(villages),
    )
    session.add(user)
    return user


def get(session, username):
    """The official called ``username``, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("unknown_user", username=username)
    return user


def assign(session, username, villages):
    """Set the villages a staff member looks after (replacing the previous ones)."""
    user = get(session, username)
    user.villages = list(villages)
    return user


def set_password(session, username, password):
    """Change a password; every session of that official ends with it."""
    user = get(session, username)
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_key = secrets.token_hex(16)


def authenticate(session, username, password):
    """The official if the password is right, else None (same work either way, against timing)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password(hash_password("not a user"), password)
        return None
    return user if check_password(user.password_hash, password) else None


def visible_villages(session, user):
    """The villages ``user`` may see: all for an admin, the assigned ones for staff."""
    if user.role == "admin":
        return session.scalars(select(Village).order_by(Village.name)).all()
    return list(user.villages)


def may_see(session, user, village):
    """Whether ``user`` may see ``village``."""
    return user.role == "admin" or any(v.id == village.id for v in user.villages)
