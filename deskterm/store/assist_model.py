"""Training assist's model from a store, finding it beside the store, and knowing when
there is too little history to suggest anything.

Training reads solved tickets a range of ids at a time (one GROUP BY and one read of
their texts each, in two child processes), so a progress bar moves and a million
tickets take about a minute, and the search index's own
term counts (an `fts5vocab` table: one pass over the index, 2 s at 3 million
messages); it writes nothing in the store, only the model file beside it.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deskterm.assist.model import (
    MIN_HISTORY,
    REFRESH_AFTER,
    TERMS_FROM,
    AssistModel,
    model_path,
    read_model,
    write_model,
)
from deskterm.assist.routing import Routing
from deskterm.assist.terms import MAX_CHARS, term_keys
from deskterm.store.schema.db import Store

TRAIN_CHUNK = 50_000  # ticket ids per chunk: one GROUP BY and one read of texts each
WORKERS = 2  # child processes counting chunks, when there is more than one chunk
# Routing learns from the newest this many ticket ids: how the team routes now (groups
# and canned replies change), and a bounded cost at any size (words are CPU work).
ROUTING_WINDOW = 400_000
_SOLVED = "status IN ('solved', 'closed')"
_COUNT_BY_TONE = f"""
    SELECT CASE WHEN urgent_words != '' THEN 'urgent' WHEN upset_words != '' THEN 'upset'
      ELSE 'calm' END, priority, count(*), max(number)
    FROM ticket WHERE id BETWEEN ? AND ? AND {_SOLVED} AND urgent_words IS NOT NULL
      AND number < ?
    GROUP BY 1, 2
"""
_COUNT_BY_TAG = f"""
    SELECT tg.name, t.priority, count(*)
    FROM ticket t JOIN ticket_tag tt ON tt.ticket_id = t.id JOIN tag tg ON tg.id = tt.tag_id
    WHERE t.id BETWEEN ? AND ? AND t.{_SOLVED} AND t.urgent_words IS NOT NULL
      AND t.number < ?
    GROUP BY 1, 2
"""
# What routing learns from: the text a ticket is compared by (as similar tickets read
# it), its tags, group and the canned replies its agents used.
_ROUTED = f"""
    SELECT t.subject, (SELECT substr(m.body_text, 1, {MAX_CHARS}) FROM message m
        WHERE m.ticket_id = t.id AND m.kind = 'customer' ORDER BY m.id LIMIT 1),
      (SELECT group_concat(tg.name, char(31)) FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
        WHERE tt.ticket_id = t.id),
      (SELECT name FROM agent_group g WHERE g.id = t.group_id),
      (SELECT group_concat(e.new, char(31)) FROM event e
        WHERE e.ticket_id = t.id AND e.kind = 'canned')
    FROM ticket t WHERE t.id BETWEEN ? AND ? AND t.{_SOLVED} AND t.number < ?
"""
_loaded: dict[Path, tuple[int, AssistModel | None]] = {}


@dataclass
class _Chunk:
    """What one range of ticket ids taught."""

    by_tone: list[tuple[str, str, int, int]]  # tone, priority, tickets, newest number
    by_tag: list[tuple[str, str, int]]  # tag, priority, tickets
    routing: Routing


def _count(conn: sqlite3.Connection, start: int, end: int, before: int, words: bool) -> _Chunk:
    """Priority by tone in ids `start`..`end`, and with `words` the routing counts."""
    routing = Routing()
    rows = conn.execute(_ROUTED, (start, end, before)) if words else ()
    for subject, body, tags, group, canned in rows:
        routing.add(
            term_keys(f"{subject}\n{body or ''}"),
            {
                "tag": (tags or "").split("\x1f"),
                "group": (group or "",),
                "canned": (canned or "").split("\x1f"),
            },
        )
    by_tone = [
        (str(r[0]), str(r[1]), int(r[2]), int(r[3]))
        for r in conn.execute(_COUNT_BY_TONE, (start, end, before))
    ]
    by_tag = [
        (str(r[0]), str(r[1]), int(r[2])) for r in conn.execute(_COUNT_BY_TAG, (start, end, before))
    ]
    return _Chunk(by_tone, by_tag, routing)


def _count_file(path: Path, start: int, end: int, before: int, words: bool) -> _Chunk:
    """`_count` in a child process, on a connection of its own."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _count(conn, start, end, before, words)
    finally:
        conn.close()


def train(
    store: Store,
    *,
    before: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    write: bool = True,
) -> AssistModel:
    """Learn from the solved tickets (numbered below `before`, if given) and, with
    `write`, store the model beside the store.

    Priority by tone and by tag: tickets whose tone was never read (an older store:
    `deskterm assist rebuild`) are left out rather than counted as calm. Routing: each
    ticket's words counted under its tags, group and canned replies, over the
    newest `ROUTING_WINDOW` ticket ids (below `before`). A store of
    more than one chunk is counted by `WORKERS` child processes (the texts'
    words are CPU work the GIL would serialize).
    """
    conn = store.read()
    changes = changes_now(conn)  # before reading: a ticket solved meanwhile counts next time
    last = int(conn.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0])
    upto = before or 2**62
    newest = last if before is None else min(last, _ticket_id_below(conn, before))
    ranges = [
        (s, min(s + TRAIN_CHUNK - 1, last), s + TRAIN_CHUNK > newest - ROUTING_WINDOW)
        for s in range(1, last + 1, TRAIN_CHUNK)
    ]
    counts: dict[str, dict[str, int]] = {}
    by_tag: dict[str, dict[str, int]] = {}
    routing = Routing()
    solved = last_number = 0
    for chunk in _chunks(store, ranges, upto, progress, last):
        for tone, priority, n, newest in chunk.by_tone:
            by = counts.setdefault(tone, {})
            by[priority] = by.get(priority, 0) + n
            solved += n
            last_number = max(last_number, newest)
        for tag, priority, n in chunk.by_tag:
            by = by_tag.setdefault(tag, {})
            by[priority] = by.get(priority, 0) + n
        routing.merge(chunk.routing)
    # PostgreSQL's index keeps no per-term counts: similar tickets count terms there.
    messages, terms = term_counts(conn) if store.url is None else (0, {})
    model = AssistModel(
        solved=solved,
        last_number=last_number,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        priority_by_tone=counts,
        priority_by_tag=by_tag,
        term_messages=terms,
        messages=messages,
        routing=routing.pruned(),
        changes=changes,
    )
    if write:
        write_model(model_path(store.path), model)
        _loaded.pop(model_path(store.path), None)
    return model


def _ticket_id_below(conn: sqlite3.Connection, number: int) -> int:
    row = conn.execute("SELECT max(id) FROM ticket WHERE number < ?", (number,)).fetchone()
    return int(row[0] or 0)


def _chunks(
    store: Store,
    ranges: list[tuple[int, int, bool]],
    upto: int,
    progress: Callable[[int, int], None] | None,
    last: int,
) -> Iterator[_Chunk]:
    """Each range counted, in order, with progress after each."""
    if len(ranges) > 1 and store.url is None:
        spawn = multiprocessing.get_context("spawn")  # no forking a process with threads
        with ProcessPoolExecutor(WORKERS, mp_context=spawn) as pool:
            futures = [pool.submit(_count_file, store.path, *r[:2], upto, r[2]) for r in ranges]
            for (_, end, _), future in zip(ranges, futures, strict=True):
                yield future.result()
                if progress is not None:
                    progress(end, last)
        return
    for start, end, words in ranges:
        yield _count(store.read(), start, end, upto, words)
        if progress is not None:
            progress(end, last)


def term_counts(conn: sqlite3.Connection) -> tuple[int, dict[str, int]]:
    """(messages, indexed term -> messages holding it) for terms in `TERMS_FROM` or more.

    Read from a temporary vocabulary over the message index, so a store from before
    the index's own vocabulary table (and a read-only one) is read the same way.
    """
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.assist_terms"
        " USING fts5vocab(main, message_fts, 'row')"
    )
    terms = {
        str(term): int(n)
        for term, n in conn.execute(
            "SELECT term, doc FROM temp.assist_terms WHERE doc >= ?", (TERMS_FROM,)
        )
    }
    messages = int(conn.execute("SELECT coalesce(max(id), 0) FROM message").fetchone()[0])
    return messages, terms


def model_for(path: Path) -> AssistModel | None:
    """The model beside the store at `path` (read again only when its file changed)."""
    where = model_path(path)
    try:
        stamp = where.stat().st_mtime_ns
    except OSError:
        return None
    held = _loaded.get(where)
    if held is None or held[0] != stamp:
        held = (stamp, read_model(where))
        _loaded[where] = held
    return held[1]


def store_path(conn: sqlite3.Connection) -> Path:
    """The file of a connection's main database (the rules' writer has no `Store`)."""
    return Path(conn.execute("PRAGMA database_list").fetchone()[2])


def model_of(conn: sqlite3.Connection) -> AssistModel | None:
    """The model beside a connection's store file; none for a PostgreSQL store (the
    model is a file beside a SQLite store): its readers count what they need instead."""
    return model_for(store_path(conn)) if isinstance(conn, sqlite3.Connection) else None


def solved_count(conn: sqlite3.Connection, *, upto: int | None = None) -> int:
    """Solved tickets, counted up to `upto` when only "enough or not" matters."""
    limit = "" if upto is None else f" LIMIT {int(upto)}"
    return int(
        conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM ticket WHERE {_SOLVED}{limit}) AS solved"
        ).fetchone()[0]
    )


def too_little_history(conn: sqlite3.Connection) -> str | None:
    """One line saying why nothing is suggested, when history is too short; else None."""
    solved = solved_count(conn, upto=MIN_HISTORY)
    if solved >= MIN_HISTORY:
        return None
    return (
        f"too little history to suggest: {solved} solved ticket{'s' * (solved != 1)}"
        f" (suggestions start at {MIN_HISTORY})"
    )


def changes_now(conn: sqlite3.Connection) -> int:
    """The store's change counter: every write stamps the tickets it touched with it."""
    row = conn.execute("SELECT value FROM counter WHERE name = 'sync'").fetchone()
    return int(row[0]) if row is not None else 0


def solved_since(conn: sqlite3.Connection, changes: int, upto: int) -> int:
    """Solved tickets changed after the counter stood at `changes`, counted up to `upto`:
    an index range over the changed tickets only, so the app can ask on every ticket."""
    return int(
        conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM ticket WHERE sync_version > ? AND {_SOLVED}"
            " LIMIT ?)",
            (changes, upto),
        ).fetchone()[0]
    )


def model_due(store: Store) -> bool:
    """No usable model yet with history enough, or `REFRESH_AFTER` tickets solved since
    it was trained."""
    conn = store.read()
    model = model_for(store.path)
    if model is None:
        return too_little_history(conn) is None
    return solved_since(conn, model.changes, REFRESH_AFTER) >= REFRESH_AFTER


_TRAIN_CHILD = (
    "import sys; from pathlib import Path; from deskterm.store.assist_model import train_file;"
    " train_file(Path(sys.argv[1]))"
)


def train_in_child(path: Path) -> None:
    """`train` the store at `path` in a child process (the app's: its words are CPU work
    that would hold the interface's interpreter), waiting for it to finish. A plain
    interpreter, not multiprocessing: nothing of the app's threads is copied or pickled."""
    subprocess.run(
        [sys.executable, "-c", _TRAIN_CHILD, str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def train_file(path: Path) -> None:
    """`train` the store at `path` (a child process's whole work)."""
    store = Store(path)
    try:
        train(store)
    finally:
        store.close()


def tone_unread(conn: sqlite3.Connection) -> int:
    """Tickets whose urgency and mood were never read (a store from before them)."""
    return int(conn.execute("SELECT count(*) FROM ticket WHERE urgent_words IS NULL").fetchone()[0])
