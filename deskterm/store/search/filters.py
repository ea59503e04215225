"""A TicketQuery as SQL conditions on `ticket t` (all but status, free words and order).

The search (`store.search`) adds the status ranges, the words and the keyset around
them; the conditions here are what every listing, count and view shares.

Names (tags, customers) are looked up first, so a filter that names nothing known
matches nothing at once (`matches_nothing`) instead of walking every ticket. A
filter that matches few tickets (under DRIVE, counted no further) is written as a
set the query can start from; one that matches many is a check on each row the list
walks in order (a `+` keeps SQLite from driving by its index), never a set built in
full: `tag:billing` is 400,000 tickets at 1M.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskterm.errors import UsageError
from deskterm.query.syntax import DateFilter, TicketQuery, resolve_date
from deskterm.store.schema.timefmt import to_db, utcnow

DRIVE = 5000


def where_sql(parts: list[str]) -> str:
    """` WHERE a AND b`, or nothing when there are no conditions."""
    return (" WHERE " + " AND ".join(parts)) if parts else ""


@dataclass(frozen=True)
class QueryContext:
    """What a query needs beyond its text: who "me" is, and what "now" is."""

    me_agent_id: int | None = None
    now: datetime = field(default_factory=utcnow)
    # Why "me" is unknown, for the error: no [agent] email, or one naming no agent here.
    me_unknown: str = "set [agent] email in the config"

    def me(self, what: str) -> int:
        """The agent meant by `what` (assignee:me, is:unread), or a usage error saying why not."""
        if self.me_agent_id is None:
            raise UsageError(f"{what} needs to know who you are: {self.me_unknown}")
        return self.me_agent_id


class TicketFilters:
    """SQL conditions for a TicketQuery (all but status and free words)."""

    def __init__(self, conn: sqlite3.Connection, query: TicketQuery, ctx: QueryContext) -> None:
        self.sql: list[str] = []
        self.params: list[object] = []
        self.matches_nothing = False  # a name in the query is nowhere in the store
        self._conn = conn
        if query.priority:
            self._in("t.priority", query.priority)
        if query.channel:
            self._in("t.channel", query.channel)
        if query.assignee:
            self._assignee(query.assignee, ctx)
        for tags in query.tag:
            self._tags(tags)
        if query.from_:
            marks = ",".join("?" * len(query.from_))
            self._customers(f"SELECT id FROM customer WHERE email IN ({marks})", query.from_)
        for text in query.customer:
            self._customers(*_customer_lookup(text, isinstance(conn, sqlite3.Connection)))
        if query.group:
            marks = ",".join(["lower(?)"] * len(query.group))
            self.sql.append(
                f"t.group_id IN (SELECT id FROM agent_group WHERE lower(name) IN ({marks}))"
            )
            self.params.extend(query.group)
        for date in query.dates:
            self._date(date, ctx)
        if query.sla:
            self._sla(query.sla, ctx)
        if query.is_:
            self._read_state(query.is_, ctx)
        if query.mood:
            self._tone("t.upset_words", "upset" in query.mood, "calm" in query.mood)
        if query.urgent:
            self._tone("t.urgent_words", "yes" in query.urgent, "no" in query.urgent)
        if query.csat:
            self._csat(query.csat)

    def _csat(self, values: Sequence[str]) -> None:
        """The latest survey answer: a rating, `none` (not answered) or `any` (answered)."""
        if "any" in values and "none" in values:
            return
        ratings = [v for v in values if v not in ("any", "none")]
        parts = ["t.csat IS NOT NULL"] if "any" in values else []
        if "none" in values:
            parts.append("t.csat IS NULL")
        if ratings:
            parts.append(f"t.csat IN ({','.join('?' * len(ratings))})")
            self.params.extend(ratings)
        self.sql.append("(" + " OR ".join(parts) + ")")

    def _tone(self, column: str, flagged: bool, unflagged: bool) -> None:
        """Cue words present (or not); a ticket whose tone is not read yet (NULL) is neither."""
        if flagged and unflagged:
            self.sql.append(f"{column} IS NOT NULL")
        else:
            self.sql.append(f"{column} {'<>' if flagged else '='} ''")

    def _tags(self, names: Sequence[str]) -> None:
        marks = ",".join("?" * len(names))
        ids = [
            r[0] for r in self._conn.execute(f"SELECT id FROM tag WHERE name IN ({marks})", names)
        ]
        if not ids:
            self.matches_nothing = True
            return
        marks = ",".join("?" * len(ids))
        few = self._conn.execute(
            "SELECT count(*) FROM"
            f" (SELECT 1 FROM ticket_tag WHERE tag_id IN ({marks}) LIMIT ?) few",
            (*ids, DRIVE),
        ).fetchone()[0]
        if few < DRIVE:
            self.sql.append(f"t.id IN (SELECT ticket_id FROM ticket_tag WHERE tag_id IN ({marks}))")
        else:
            self.sql.append(
                "EXISTS (SELECT 1 FROM ticket_tag tt WHERE tt.ticket_id = t.id"
                f" AND tt.tag_id IN ({marks}))"
            )
        self.params.extend(ids)

    def _customers(self, select: str, params: Sequence[object]) -> None:
        ids = [r[0] for r in self._conn.execute(select, params)]
        if not ids:
            self.matches_nothing = True
            return
        # A few customers' tickets are found by ix_ticket_customer; many are checked per row.
        column = "t.customer_id" if len(ids) < DRIVE // 10 else "+t.customer_id"
        self.sql.append(f"{column} IN (SELECT value FROM json_each(?))")
        self.params.append(json.dumps(ids))

    def _read_state(self, values: Sequence[str], ctx: QueryContext) -> None:
        """`is:unread`: changed since the agent's read mark (or never opened by them)."""
        me = ctx.me("is:unread")
        for value in values:
            negate = "NOT " if value == "unread" else ""
            self.sql.append(
                f"{negate}EXISTS (SELECT 1 FROM ticket_read r WHERE r.agent_id = ?"
                " AND r.ticket_id = t.id AND r.read_at >= t.updated_at)"
            )
            self.params.append(me)

    def _sla(self, values: Sequence[str], ctx: QueryContext) -> None:
        if "any" in values:
            return
        now = to_db(ctx.now)
        parts = []
        for value in values:
            if value == "breached":
                parts.append("t.due_at <= ?")
                self.params.append(now)
            elif value == "ok":
                parts.append("t.due_at > ?")
                self.params.append(now)
            else:  # none
                parts.append("t.sla_policy IS NULL")
        self.sql.append("(" + " OR ".join(parts) + ")")

    def _in(self, column: str, values: Sequence[str]) -> None:
        self.sql.append(f"{column} IN ({','.join('?' * len(values))})")
        self.params.extend(values)

    def _assignee(self, values: Sequence[str], ctx: QueryContext) -> None:
        ids: list[int] = []
        want_none = False
        for value in values:
            if value.lower() == "none":
                want_none = True
            elif value.lower() == "me":
                ids.append(ctx.me("assignee:me"))
            else:
                row = self._conn.execute(
                    "SELECT id FROM agent WHERE lower(email) = lower(?) OR lower(name) = lower(?)",
                    (value, value),
                ).fetchone()
                if row is None:
                    raise UsageError(f"no agent named {value!r} (see `deskterm agent list`)")
                ids.append(row[0])
        parts = []
        if ids:
            parts.append(f"t.assignee_id IN ({','.join('?' * len(ids))})")
            self.params.extend(ids)
        if want_none:
            parts.append("t.assignee_id IS NULL")
        self.sql.append("(" + " OR ".join(parts) + ")")

    def _date(self, date: DateFilter, ctx: QueryContext) -> None:
        column = f"t.{date.field}_at"
        if date.field == "due":  # an offset into the future: due<2h is due within 2 hours
            at = ctx.now + (ctx.now - resolve_date(date.value, ctx.now, ctx.now))
            op = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}[date.op]
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(at))
            return
        at = resolve_date(date.value, ctx.now, ctx.now.astimezone())
        is_age = date.value[-1].isalpha()
        day = timedelta(days=1)
        if is_age:  # `<` an age means newer, i.e. a later time
            conds = {"<": (">", at), "<=": (">=", at), ">": ("<", at), ">=": ("<=", at)}
            op, value = conds[date.op]
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(value))
            return
        bounds = {
            ">": ((">=", at + day),),
            ">=": ((">=", at),),
            "<": (("<", at),),
            "<=": (("<", at + day),),
            ":": ((">=", at), ("<", at + day)),
        }[date.op]
        for op, value in bounds:
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(value))


def _customer_lookup(text: str, fts5: bool) -> tuple[str, tuple[str]]:
    """Customers with `text` (as written: % and _ are no wildcards) anywhere in their
    email, name or organization's name, ignoring case.

    On PostgreSQL (`fts5` false) the LIKE below is answered from pg_trgm indexes
    (migration 0014) at any length.

    Three or more characters are a phrase in the trigram indexes (migration 0014); a
    LIKE scan of 250,000 customers cost 85 ms of CPU. Shorter text has no trigram, so
    it is scanned. (FTS5 3.40 takes a LIKE of two Hangul letters for a trigram and finds
    nothing, so the index is asked by MATCH, never by LIKE.)
    """
    text = text.replace("\x00", "")
    if fts5 and len(text) >= 3:
        return (
            "SELECT rowid FROM customer_trigrams WHERE customer_trigrams MATCH ?1"
            " UNION SELECT id FROM customer WHERE organization_id IN"
            " (SELECT rowid FROM organization_trigrams WHERE organization_trigrams MATCH ?1)",
            ('"' + text.replace('"', '""') + '"',),
        )
    like = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    return (
        "SELECT cu.id FROM customer cu LEFT JOIN organization o ON o.id = cu.organization_id"
        " WHERE cu.email LIKE ?1 ESCAPE '\\' OR cu.name LIKE ?1 ESCAPE '\\'"
        " OR o.name LIKE ?1 ESCAPE '\\'",
        (like,),
    )
