"""Training assist's model from a store, finding it beside the store, and knowing when
there is too little history to suggest anything.

Training reads solved tickets a range of ids at a time (one GROUP BY each), so a
progress bar moves and a million tickets take seconds, and the search index's own
term counts (an `fts5vocab` table: one pass over the index, 2 s at 3 million
messages); it writes nothing in the store, only the model file beside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
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
from deskterm.store.schema.db import Store

TRAIN_CHUNK = 50_000  # ticket ids per GROUP BY
_SOLVED = "status IN ('solved', 'closed')"
_COUNT_BY_TONE = f"""
    SELECT CASE WHEN urgent_words != '' THEN 'urgent' WHEN upset_words != '' THEN 'upset'
      ELSE 'calm' END, priority, count(*), max(number)
    FROM ticket WHERE id BETWEEN ? AND ? AND {_SOLVED} AND urgent_words IS NOT NULL
      AND number < ?
    GROUP BY 1, 2
"""
_loaded: dict[Path, tuple[int, AssistModel | None]] = {}


def train(
    store: Store,
    *,
    before: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    write: bool = True,
) -> AssistModel:
    """Count solved tickets' priority by tone (of tickets numbered below `before`, if
    given) and, with `write`, store the model beside the store.

    Tickets whose tone was never read (an older store: `deskterm assist rebuild`)
    are left out rather than counted as calm.
    """
    conn = store.read()
    last = int(conn.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0])
    counts: dict[str, dict[str, int]] = {}
    solved = last_number = 0
    for start in range(1, last + 1, TRAIN_CHUNK):
        for tone, priority, n, newest in conn.execute(
            _COUNT_BY_TONE, (start, start + TRAIN_CHUNK - 1, before or 2**62)
        ):
            by = counts.setdefault(tone, {})
            by[priority] = by.get(priority, 0) + int(n)
            solved += int(n)
            last_number = max(last_number, int(newest))
        if progress is not None:
            progress(min(start + TRAIN_CHUNK - 1, last), last)
    # PostgreSQL's index keeps no per-term counts: similar tickets count terms there.
    messages, terms = term_counts(conn) if store.url is None else (0, {})
    model = AssistModel(
        solved=solved,
        last_number=last_number,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        priority_by_tone=counts,
        term_messages=terms,
        messages=messages,
    )
    if write:
        write_model(model_path(store.path), model)
        _loaded.pop(model_path(store.path), None)
    return model


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


def solved_count(conn: sqlite3.Connection, *, upto: int | None = None) -> int:
    """Solved tickets, counted up to `upto` when only "enough or not" matters."""
    limit = "" if upto is None else f" LIMIT {int(upto)}"
    return int(
        conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM ticket WHERE {_SOLVED}{limit})"
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


def model_due(store: Store) -> bool:
    """No usable model yet with history enough, or many tickets solved since training."""
    conn = store.read()
    model = model_for(store.path)
    if model is None:
        return too_little_history(conn) is None
    return solved_count(conn, upto=model.solved + REFRESH_AFTER) >= model.solved + REFRESH_AFTER
