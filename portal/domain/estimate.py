"""Waiting estimates: who stands in line before a ticket, and how fast the line moves.

A ticket stands in line with every waiting ticket of its service and of the services sharing a
counter with it (the same officials call them all). The line moves at the mean of its recent
service times, divided over its counters. Both figures are honest upper bounds. The queries
run on plain sqlite3 (``Database.rows``): phones ask for them after every call.
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from portal.models import utc_text

HISTORY_SIZE = 20  # recent services that the pace averages over
HISTORY_DAYS = 30
# The services that share a counter with a service (itself included): their tickets are called
# by the same officials, so they stand in one line.
GROUP_SQL = """
SELECT :service UNION
SELECT other.service_id FROM counter_services AS mine
  JOIN counter_services AS other ON other.counter_id = mine.counter_id
  JOIN counters ON counters.id = mine.counter_id
  WHERE mine.service_id = :service AND counters.active
"""
# Who will be called before a waiting ticket of that line: a regular ticket waits behind the
# earlier tickets and every priority one, a priority ticket behind earlier priority ones.
WAITING_IN_LINE = (
    "SELECT count(*) FROM tickets WHERE day = :day AND status = 'waiting' "
    "AND service_id IN (SELECT value FROM json_each(:group)) "
)
AHEAD_SQL = WAITING_IN_LINE + "AND (priority OR serial < :serial)"
AHEAD_OF_PRIORITY_SQL = WAITING_IN_LINE + "AND priority AND serial < :serial"
# A group's pace: the mean of its last HISTORY_SIZE service times (seconds) and its counters.
PACE_SQL = """
SELECT
  (SELECT avg(seconds) FROM (
     SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 AS seconds FROM tickets
     WHERE service_id IN (SELECT value FROM json_each(:group)) AND status = 'done'
       AND started_at IS NOT NULL AND finished_at >= :since AND finished_at > started_at
     ORDER BY finished_at DESC LIMIT :size)),
  (SELECT count(DISTINCT counters.id) FROM counter_services JOIN counters ON counters.id = counter_services.counter_id
     WHERE counter_services.service_id IN (SELECT value FROM json_each(:group)) AND counters.active)
"""


@dataclass(frozen=True)
class Line:
    """The services whose waiting tickets a ticket stands in line with (as JSON for the SQL),
    the day, and how fast that line moves."""

    group: str
    day: str
    seconds_per_person: float

    def ahead(self, priority, serial):
        """The query (SQL, parameters) counting who will be called before a waiting ticket.

        Priority tickets wait only behind earlier priority tickets; a regular ticket waits behind
        earlier regular ones and every waiting priority ticket (the fairness ratio makes this an
        upper bound).
        """
        sql = AHEAD_OF_PRIORITY_SQL if priority else AHEAD_SQL
        return sql, {"group": self.group, "day": self.day, "serial": serial}

    def eta(self, ahead):
        """Seconds until a ticket with ``ahead`` people before it is called."""
        return round(ahead * self.seconds_per_person)


def line_for(db, service_id, day, now, default_seconds):
    """The Line of ``service_id``'s tickets on ``day`` (``default_seconds`` per person until the
    line has history)."""
    group = json.dumps([row[0] for row in db.rows(GROUP_SQL, {"service": service_id})])
    since = utc_text(now - timedelta(days=HISTORY_DAYS))
    average, desks = db.rows(PACE_SQL, {"group": group, "since": since, "size": HISTORY_SIZE})[0]
    per_person = average or default_seconds
    return Line(group=group, day=day.isoformat(), seconds_per_person=per_person / max(desks, 1))
