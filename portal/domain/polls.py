"""Polls and proposals (musyawarah, usulan musrenbangdes): questions and lists of proposals that
residents vote on, and their results.

Two kinds of vote. An *advisory* poll takes one vote per phone: the web layer names the voter (a
hotspot session, or a device cookie where there is no captive portal), so the result helps the
village decide but proves nothing. A *binding* poll takes votes only with single-use voting codes
the office prints and hands out; only each code's SHA-256 is stored, so a printed sheet is the
only place a code exists.

Vote-once is the database's job: a ballot's ``(poll_id, voter)`` is unique, and a vote is one
write transaction (the ballot, its choices and the code's use), so a refused vote changes nothing.
A poll past its closing time is closed for every reader, whatever its stored status says.
"""

import hashlib
import re
import secrets

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.domain import audit
from portal.domain.errors import Conflict, DomainError, NotFound, Refused
from portal.models import Ballot, Poll, PollOption, VotingCode, ballot_choices, utc_text

KINDS = ("question", "proposals")
MAX_OPTIONS = 30
MAX_LABEL = 200
MAX_CODES = 500
# No 0/O, 1/I/L: a code is read off paper and typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# "Title — description" on one line: an em or en dash, or a hyphen with spaces around it.
PROPOSAL_SEPARATOR = re.compile(r"\s*[—–]\s*|\s+-\s+")


def state(poll, now):
    """The poll's state as everyone sees it: "draft", "open" or "closed" (an open poll past its
    closing time is closed)."""
    if poll.status == "open" and poll.closes_at is not None and poll.closes_at <= now:
        return "closed"
    return poll.status


def view(poll, now):
    """A poll as plain values for pages (no database session needed afterwards)."""
    return {
        "id": poll.id,
        "title": poll.title,
        "description": poll.description,
        "kind": poll.kind,
        "binding": poll.binding,
        "max_choices": poll.max_choices,
        "status": poll.status,
        "state": state(poll, now),
        "results_public": poll.results_public,
        "closes_at": poll.closes_at,
        "created_at": poll.created_at,
        "options": [{"id": o.id, "label": o.label, "description": o.description} for o in poll.options],
    }


def load(session, poll_id, public=False):
    """The poll with its options; NotFound when it does not exist (or, for ``public``, is a draft)."""
    poll = session.scalar(select(Poll).options(selectinload(Poll.options)).where(Poll.id == poll_id))
    if poll is None or (public and poll.status == "draft"):
        raise NotFound("poll_not_found")
    return poll


def public_polls(session, now):
    """What residents see on the polls page: ``(open, closed)``, newest first; closed polls only
    when their results are public."""
    polls = session.scalars(
        select(Poll).options(selectinload(Poll.options)).where(Poll.status != "draft").order_by(Poll.id.desc())
    ).all()
    views = [view(p, now) for p in polls]
    return (
        [v for v in views if v["state"] == "open"],
        [v for v in views if v["state"] == "closed" and v["results_public"]],
    )


def all_polls(session, now):
    """Every poll for the console, newest first, each with its number of ballots."""
    polls = session.scalars(select(Poll).options(selectinload(Poll.options)).order_by(Poll.id.desc())).all()
    counts = dict(session.execute(select(Ballot.poll_id, func.count()).group_by(Ballot.poll_id)).all())
    return [{**view(p, now), "ballots": counts.get(p.id, 0)} for p in polls]


def ballot_count(session, poll_id):
    """How many people voted in the poll."""
    return session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))


def parse_options(text, kind):
    """The options typed one per line: ``[(label, description)]``. A proposal may carry a
    description after a dash ("Sumur bor — air bersih untuk Dusun III"); an answer is its label."""
    options = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        label, description = line, ""
        if kind == "proposals":
            parts = PROPOSAL_SEPARATOR.split(line, maxsplit=1)
            label, description = parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
        if not label or len(label) > MAX_LABEL:
            raise DomainError("poll_bad_option_line", line=line[:60])
        options.append((label, description))
    if len(options) < 2 or len(options) > MAX_OPTIONS:
        raise DomainError("poll_option_count", maximum=MAX_OPTIONS)
    if len({label.casefold() for label, _ in options}) != len(options):
        raise DomainError("poll_duplicate_option")
    return options


def options_text(poll):
    """The options as the console's textarea shows them (what ``parse_options`` reads back)."""
    return "\n".join(f"{o.label} — {o.description}" if o.description else o.label for o in poll.options)


def snapshot(poll):
    """The poll's editable fields as plain values, for the audit log."""
    values = audit.snapshot(poll, ("title", "description", "kind", "binding", "max_choices"))
    values["closes_at"] = utc_text(poll.closes_at) if poll.closes_at else None
    values["options"] = [[o.label, o.description] for o in poll.options]
    return values


def save(session, actor, now, fields, poll_id=None):
    """Create a poll (a draft) or edit one, from ``fields``: title, description, kind, binding,
    max_choices, closes_at (aware or None) and options (the textarea's text).

    A question takes one answer; proposals up to ``max_choices``. Once a poll has ballots, its
    kind, voting method, number of choices and options stay as they were voted on.
    """
    title = fields["title"].strip()
    if not title or len(title) > 200:
        raise DomainError("poll_title_required")
    kind = fields["kind"]
    if kind not in KINDS:
        raise DomainError("bad_field", field="kind")
    options = parse_options(fields["options"], kind)
    max_choices = 1 if kind == "question" else fields["max_choices"]
    if not 1 <= max_choices <= len(options):
        raise DomainError("poll_bad_max_choices", options=len(options))
    poll = Poll(status="draft", results_public=False, created_at=now) if poll_id is None else load(session, poll_id)
    before = snapshot(poll) if poll_id is not None else {}
    closes_at = fields["closes_at"]
    if closes_at is not None and closes_at <= now and closes_at != poll.closes_at:
        raise DomainError("poll_closes_in_past")
    wanted = {"kind": kind, "binding": bool(fields["binding"]), "max_choices": max_choices, "options": options}
    current = {
        "kind": poll.kind,
        "binding": poll.binding,
        "max_choices": poll.max_choices,
        "options": [(o.label, o.description) for o in poll.options],
    }
    if poll_id is not None and wanted != current and ballot_count(session, poll.id):
        raise Conflict("poll_has_ballots")
    poll.title, poll.description, poll.closes_at = title, fields["description"].strip(), closes_at
    poll.kind, poll.binding, poll.max_choices = kind, wanted["binding"], max_choices
    if wanted["options"] != current["options"]:
        poll.options = [
            PollOption(label=label, description=description, position=position)
            for position, (label, description) in enumerate(options)
        ]
    if poll_id is None:
        session.add(poll)
    session.flush()
    after = snapshot(poll)
    if poll_id is None:
        audit.record(session, actor, "poll.create", f"poll:{poll.id}", after, now)
    elif after != before:
        audit.record(session, actor, "poll.update", f"poll:{poll.id}", audit.diff(before, after), now)
    return poll


def open_poll(session, actor, now, poll_id):
    """Start taking votes (a draft, or a closed poll reopened); its closing time must lie ahead."""
    poll = load(session, poll_id)
    if state(poll, now) == "open":
        raise Conflict("poll_already_open")
    if poll.closes_at is not None and poll.closes_at <= now:
        raise Refused("poll_closes_in_past")
    poll.reported = False  # a reopened poll reports its results again when it closes
    return _set(session, actor, now, poll, "poll.open", status="open")


def close_poll(session, actor, now, poll_id):
    """Stop taking votes now."""
    poll = load(session, poll_id)
    if poll.status != "open":
        raise Conflict("poll_not_open")
    return _set(session, actor, now, poll, "poll.close", status="closed")


def show_results(session, actor, now, poll_id, public):
    """Show the results to residents (``public``), or hide them again."""
    poll = load(session, poll_id)
    return _set(session, actor, now, poll, "poll.results", results_public=bool(public))


def _set(session, actor, now, poll, action, **values):
    """Change fields of ``poll`` and record what changed."""
    before = audit.snapshot(poll, values)
    for name, value in values.items():
        setattr(poll, name, value)
    audit.record(session, actor, action, f"poll:{poll.id}", audit.diff(before, values), now)
    return poll


def normalize_code(text):
    """A voting code as stored before hashing: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-–—]", "", text or "").upper()


def code_hash(text):
    """The SHA-256 (hex) a voting code is stored as."""
    return hashlib.sha256(normalize_code(text).encode()).hexdigest()


def generate_codes(session, actor, now, poll_id, count):
    """Make ``count`` new single-use codes for a binding poll and return them as ``XXXX-XXXX``.

    This is the only time the codes exist in the clear: only their hashes are stored.
    """
    poll = load(session, poll_id)
    if not poll.binding:
        raise Refused("poll_not_binding")
    if state(poll, now) == "closed":
        raise Refused("poll_closed", title=poll.title)
    if not 1 <= count <= MAX_CODES:
        raise DomainError("poll_code_count", maximum=MAX_CODES)
    codes = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    codes = sorted(codes)
    session.add_all(VotingCode(poll_id=poll.id, code_hash=code_hash(c), created_at=now) for c in codes)
    audit.record(session, actor, "poll.codes", f"poll:{poll.id}", {"count": count}, now)
    half = CODE_LENGTH // 2
    return [f"{c[:half]}-{c[half:]}" for c in codes]


def code_counts(session, poll_id):
    """``(issued, used)`` voting codes of a poll."""
    issued, used = session.execute(
        select(func.count(), func.count(VotingCode.used_at)).where(VotingCode.poll_id == poll_id)
    ).one()
    return issued, used


def has_voted(session, poll_id, voter):
    """Whether ``voter`` has a ballot in the poll."""
    return session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id, Ballot.voter == voter)) is not None


def checked_choices(poll, choices):
    """The chosen option ids: options of this poll, distinct, at least one and at most max_choices."""
    try:
        chosen = [int(c) for c in choices]
    except (TypeError, ValueError):
        raise DomainError("poll_bad_option") from None
    if not chosen:
        raise DomainError("poll_no_choice")
    if len(set(chosen)) != len(chosen) or not set(chosen) <= {o.id for o in poll.options}:
        raise DomainError("poll_bad_option")
    if len(chosen) > poll.max_choices:
        raise DomainError("poll_too_many_choices", maximum=poll.max_choices)
    return chosen


def redeem(session, poll, code, now):
    """Use up a voting code of ``poll``; returns the voter key it stands for."""
    if not normalize_code(code):
        raise DomainError("voting_code_required")
    row = session.scalar(select(VotingCode).where(VotingCode.code_hash == code_hash(code)))
    if row is None:
        raise Refused("voting_code_unknown")
    if row.poll_id != poll.id:
        raise Refused("voting_code_other_poll")
    if row.used_at is not None:
        raise Conflict("voting_code_used")
    row.used_at = now
    return f"code:{row.id}"


def vote(session, poll_id, choices, now, voter=None, code=None):
    """Cast a ballot (inside a write transaction: a refusal changes nothing).

    ``choices`` are option ids; an advisory poll needs the ``voter`` key the web layer names, a
    binding poll a voting ``code``. A second ballot of the same voter is refused by the database.
    """
    poll = load(session, poll_id, public=True)
    if state(poll, now) != "open":
        raise Refused("poll_closed", title=poll.title)
    chosen = checked_choices(poll, choices)
    if poll.binding:
        voter = redeem(session, poll, code, now)
    elif not voter:
        raise Refused("poll_voter_unknown")
    ballot = Ballot(poll_id=poll.id, voter=voter, at=now)
    session.add(ballot)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("already_voted") from None
    session.execute(insert(ballot_choices), [{"ballot_id": ballot.id, "option_id": o} for o in chosen])
    return ballot


def results(session, poll):
    """Counts per option, the number of ballots and each option's share of the ballots (percent,
    so with several choices the shares add up to more than 100). Proposals come ranked."""
    total = ballot_count(session, poll.id)
    counts = dict(
        session.execute(
            select(ballot_choices.c.option_id, func.count())
            .join(Ballot, Ballot.id == ballot_choices.c.ballot_id)
            .where(Ballot.poll_id == poll.id)
            .group_by(ballot_choices.c.option_id)
        ).all()
    )
    rows = [
        {
            "id": o.id,
            "label": o.label,
            "description": o.description,
            "count": counts.get(o.id, 0),
            "percent": round(100 * counts.get(o.id, 0) / total) if total else 0,
        }
        for o in poll.options
    ]
    if poll.kind == "proposals":
        rows.sort(key=lambda row: -row["count"])  # stable: ties keep the officials' order
    return {"total": total, "options": rows}
