"""Keeping the report rollups: one recording function for every write path, and a rebuild.

`record_tickets` runs in the transaction of each change (the service layer's
before-commit hook, the ingest batch): it recomputes the touched tickets'
contributions from their rows, takes their stored contributions out of the
rollups and puts the new ones in. `rebuild` computes every ticket's contribution
again (old stores, a new business calendar), a chunk of tickets at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from deskterm.reports.calendar_spec import DEFAULT_SPEC, calendar_of
from deskterm.reports.facts import (
    ROLLUP_VERSION,
    Contribution,
    History,
    bucket_of,
    contribution,
    difference,
)
from deskterm.store.schema.timefmt import from_db

_EVENT_KINDS = ("status", "merged_into", "sla_met", "sla_breached")
_CHUNK = 500
REBUILD_CHUNK = 5000
_UPSERT_COUNT = (
    "INSERT INTO report_count (day, metric, dim, key, n) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (day, metric, dim, key) DO UPDATE SET n = report_count.n + excluded.n"
)
_UPSERT_HIST = (
    "INSERT INTO report_hist (metric, measure, day, agent_id, bucket, n) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (metric, measure, agent_id, day, bucket)"
    " DO UPDATE SET n = report_hist.n + excluded.n"
)
_UPSERT_FACTS = (
    "INSERT INTO report_ticket (ticket_id, facts) VALUES (?, ?)"
    " ON CONFLICT (ticket_id) DO UPDATE SET facts = excluded.facts"
)
_encode = json.JSONEncoder(separators=(",", ":")).encode
_INSERT_DURATION = (
    "INSERT INTO report_duration (ticket_id, metric, day, agent_id, calendar_s, business_s,"
    " calendar_bucket, business_bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM report_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO report_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def stored_spec(db: sqlite3.Connection) -> str:
    """The calendar spec the rollups' business times use (the default until a rebuild)."""
    return meta(db, "calendar") or DEFAULT_SPEC


def _at(value: str) -> datetime:
    found = from_db(value)
    assert found is not None
    return found


def load_histories(db: sqlite3.Connection, where: str, params: Sequence[object]) -> list[History]:
    """The histories of the tickets `where` selects (a clause on a `ticket_id` column)."""
    tickets = db.execute(
        "SELECT id, created_at, channel, group_id, status FROM ticket WHERE "
        + where.replace("ticket_id", "id"),
        params,
    ).fetchall()
    if not tickets:
        return []
    messages: dict[int, list[tuple[str, datetime, int | None]]] = defaultdict(list)
    mailbox: dict[int, str] = {}
    for tid, kind, at, agent, box in db.execute(
        "SELECT ticket_id, kind, created_at, author_agent_id, mailbox FROM message WHERE "
        + where
        + " ORDER BY ticket_id, created_at, id",
        params,
    ):
        messages[tid].append((kind, _at(at), agent))
        if kind == "customer" and box and tid not in mailbox:
            mailbox[tid] = box
    statuses: dict[int, list[tuple[datetime, str, str, int | None]]] = defaultdict(list)
    sla: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    merged: dict[int, datetime] = {}
    kinds = ", ".join(f"'{k}'" for k in _EVENT_KINDS)
    for tid, kind, old, new, at, agent in db.execute(
        "SELECT ticket_id, kind, old, new, created_at, actor_agent_id FROM event WHERE "
        + where
        + f" AND kind IN ({kinds}) ORDER BY ticket_id, id",
        params,
    ):
        when = _at(at)
        if kind == "status":
            statuses[tid].append((when, old or "", new or "", agent))
        elif kind == "merged_into":
            merged[tid] = when
        else:
            sla[tid].append((when, kind.removeprefix("sla_"), new or ""))
    tags: dict[int, list[str]] = defaultdict(list)
    for tid, name in db.execute(
        "SELECT ticket_id, t.name FROM ticket_tag tt JOIN tag t ON t.id = tt.tag_id WHERE "
        + where
        + " ORDER BY t.name",
        params,
    ):
        tags[tid].append(name)
    time: dict[int, list[tuple[datetime, int, int | None]]] = defaultdict(list)
    for tid, started, seconds, agent in db.execute(
        "SELECT ticket_id, started_at, seconds, agent_id FROM time_entry WHERE " + where, params
    ):
        time[tid].append((_at(started), seconds, agent))
    return [
        History(
            ticket_id=tid,
            created_at=_at(created),
            channel=channel,
            group_id=group,
            mailbox=mailbox.get(tid),
            tags=tuple(tags[tid]),
            initial_status=statuses[tid][0][1] if statuses[tid] else status,
            merged_at=merged.get(tid),
            messages=tuple(messages[tid]),
            statuses=tuple(statuses[tid]),
            sla=tuple(sla[tid]),
            time=tuple(time[tid]),
        )
        for tid, created, channel, group, status in tickets
    ]


def _chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _in(ids: Sequence[int]) -> str:
    return f"ticket_id IN ({', '.join('?' * len(ids))})"


def _duration_rows(ticket_id: int, c: Contribution) -> Iterator[tuple[object, ...]]:
    for metric, day, agent, calendar_s, business_s in c.durations:
        yield (
            ticket_id, metric, day, agent, calendar_s, business_s,
            bucket_of(calendar_s), bucket_of(business_s),
        )  # fmt: skip


def _add(
    db: sqlite3.Connection,
    counts: Counter[tuple[int, str, str, str]],
    hist: Counter[tuple[str, str, int, int, int]],
) -> None:
    db.executemany(_UPSERT_COUNT, [(*k, n) for k, n in counts.items()])
    db.executemany(_UPSERT_HIST, [(*k, n) for k, n in hist.items()])


def record_tickets(db: sqlite3.Connection, ticket_ids: Iterable[int]) -> None:
    """Bring the rollups in step with these tickets' rows, inside the caller's transaction.

    A batch of mail brings a few dozen new tickets at a time: their rows go in with one
    statement per table, and a ticket with no stored facts has no durations to delete.
    """
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    calendar = calendar_of(stored_spec(db))
    for chunk in _chunks(ids):
        stored = dict(
            db.execute(f"SELECT ticket_id, facts FROM report_ticket WHERE {_in(chunk)}", chunk)
        )
        old: list[Contribution] = []
        new: list[Contribution] = []
        facts: list[tuple[int, str]] = []
        stale: list[tuple[int]] = []
        durations: list[tuple[object, ...]] = []
        for history in load_histories(db, _in(chunk), chunk):
            fresh = contribution(history, calendar)
            text = _encode(fresh.to_json())
            before = stored.get(history.ticket_id)
            if text == before:
                continue
            previous = Contribution.from_json(json.loads(before)) if before else None
            if previous is not None:
                old.append(previous)
            new.append(fresh)
            facts.append((history.ticket_id, text))
            if previous is None or previous.durations != fresh.durations:
                if previous is not None and previous.durations:
                    stale.append((history.ticket_id,))
                durations.extend(_duration_rows(history.ticket_id, fresh))
        db.executemany(_UPSERT_FACTS, facts)
        db.executemany("DELETE FROM report_duration WHERE ticket_id = ?", stale)
        db.executemany(_INSERT_DURATION, durations)
        _add(db, *difference(old, new))


def rebuild(
    db: sqlite3.Connection,
    spec: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute every rollup from the tickets' rows (with calendar `spec` if given).

    Runs in one transaction of its own: readers see the old rollups until it commits.
    Returns how many tickets it went through.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        if spec is not None:
            _set_meta(db, "calendar", spec)
        calendar = calendar_of(stored_spec(db))
        for table in ("report_ticket", "report_count", "report_hist", "report_duration"):
            db.execute(f"DELETE FROM {table}")
        total = int(db.execute("SELECT count(*) FROM ticket").fetchone()[0])
        last = int(db.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0])
        counts: Counter[tuple[int, str, str, str]] = Counter()
        hist: Counter[tuple[str, str, int, int, int]] = Counter()
        done = 0
        for start in range(1, last + 1, REBUILD_CHUNK):
            histories = load_histories(
                db, "ticket_id BETWEEN ? AND ?", (start, start + REBUILD_CHUNK - 1)
            )
            facts: list[tuple[int, str]] = []
            durations: list[tuple[object, ...]] = []
            for history in histories:
                c = contribution(history, calendar)
                counts.update(c.count_rows())
                hist.update(c.hist_rows())
                facts.append((history.ticket_id, _encode(c.to_json())))
                durations.extend(_duration_rows(history.ticket_id, c))
            db.executemany("INSERT INTO report_ticket (ticket_id, facts) VALUES (?, ?)", facts)
            db.executemany(_INSERT_DURATION, durations)
            done += len(histories)
            if progress is not None:
                progress(done, total)
        _add(db, counts, hist)
        _set_meta(db, "state", "ready")
        _set_meta(db, "version", ROLLUP_VERSION)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return done
