"""The audit log: who changed what, when and from where.

Every official write records an entry in the same transaction as the change, so the log can
neither miss a change nor show one that was rolled back.
"""

import json
from dataclasses import dataclass

from sqlalchemy import select

from portal.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an official (id and name) from an address, or the system (CLI, worker)."""

    user_id: int | None = None
    username: str = ""
    address: str = ""


SYSTEM = Actor(username="system")


def record(session, actor, action, target="", changes=None, now=None):
    """Add an entry for ``action`` (``"announcement.update"``) on ``target`` (``"announcement:12"``).

    ``changes`` is a JSON-able dict, usually ``{field: [old, new]}`` from ``diff``.
    """
    entry = AuditEntry(
        at=now,
        user_id=actor.user_id,
        username=actor.username,
        address=actor.address,
        action=action,
        target=target,
        detail=json.dumps(changes or {}, ensure_ascii=False, default=str),
    )
    session.add(entry)
    return entry


def diff(before, after):
    """The fields whose value differs, as ``{field: [old, new]}`` (both dicts of plain values)."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def snapshot(row, names):
    """Plain values of ``names`` on a model row, for ``diff``."""
    return {name: getattr(row, name) for name in names}


def recent(session, limit=200, before_id=None):
    """The newest entries first; ``before_id`` pages back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.scalars(query).all()
