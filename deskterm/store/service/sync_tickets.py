"""A page of the server's tickets written into a replica: each table in one statement.

A pull brings tickets whole (`queries.sync.pull_page`); a first join brings every one
of them, 500 to a page. Written a ticket at a time that was about twenty statements
per ticket (its customer twice, its group, each tag, each message, its merge). Here
the page's people, groups and tags are written and read back once, its messages take
ids counted on from the largest (the page holds the write lock, so nobody else takes
one), and every table gets one `executemany`; the search rows are held to the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from deskterm.store.queries.sync import (
    EVENT_FIELDS,
    FILE_FIELDS,
    MESSAGE_FIELDS,
    TICKET_FIELDS,
    TIME_FIELDS,
)
from deskterm.store.search.index import SearchIndex

_TICKET_COLUMNS = [f for f in TICKET_FIELDS if f != "message_count"]
_CHILDREN = ("message", "event", "ticket_tag", "time_entry", "ticket_read")
_CHUNK = 500  # ids or names in one IN (...): under SQLite's limit of bound values


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class TicketPage:
    """Writes pages of pulled tickets on `conn` (inside the caller's transaction).

    `agent_id` finds an agent by address (the writer's cache); `me` is the replica's
    agent, whose read marks the server sends.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        search: SearchIndex,
        agent_id: Callable[[str | None], int | None],
        me: int | None,
        now: str,
    ) -> None:
        self.conn = conn
        self.search = search
        self.agent_id = agent_id
        self.me = me
        self.now = now

    def write(self, tickets: list[dict[str, Any]]) -> None:
        """Each ticket replaces the replica's copy (by uid, else number) or is added."""
        if not tickets:
            return
        customers = self._customers(tickets)
        groups = self._named("agent_group", {t["group"] for t in tickets if t["group"]})
        tags = self._named("tag", {tag for t in tickets for tag in t["tags"]})
        found = self._local(tickets)
        self.clear([ticket_id for ticket_id, _subject in found.values()])
        for ticket_id, subject in found.values():
            self.search.drop_ticket(ticket_id, subject)
        next_id = self._next_id("ticket")
        ids: list[int] = []
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        for index, data in enumerate(tickets):
            values = {f: data[f] for f in _TICKET_COLUMNS}
            values["customer_id"] = customers[data["customer"]["email"]]
            values["assignee_id"] = self.agent_id(data["assignee"])
            values["group_id"] = groups.get(data["group"]) if data["group"] else None
            values["message_count"] = len(data["messages"])
            if index in found:
                values["id"] = found[index][0]
                changed_rows.append(values)
            else:
                values["id"] = next_id
                next_id += 1
                new_rows.append(values)
            ids.append(values["id"])
        columns = [*_TICKET_COLUMNS, "customer_id", "assignee_id", "group_id", "message_count"]
        if new_rows:
            self.conn.executemany(
                f"INSERT INTO ticket (id, {', '.join(columns)})"
                f" VALUES (:id, {', '.join(':' + c for c in columns)})",
                new_rows,
            )
        if changed_rows:
            sets = ", ".join(f"{c} = :{c}" for c in columns)
            self.conn.executemany(f"UPDATE ticket SET {sets} WHERE id = :id", changed_rows)
        self.search.add_tickets(
            (ticket_id, t["subject"]) for ticket_id, t in zip(ids, tickets, strict=True)
        )
        self._children(ids, tickets, customers, tags)
        # After the page's rows: a ticket may be merged into one later in the page. A
        # copy here merged offline is not merged on the server (yet): its op runs again.
        self.conn.executemany(
            "UPDATE ticket SET merged_into_id = (SELECT id FROM ticket WHERE number = ?)"
            " WHERE number = ?",
            [
                (t["merged_into"], t["number"])
                for index, t in enumerate(tickets)
                if t["merged_into"] is not None or index in found
            ],
        )

    def clear(self, ticket_ids: Sequence[int]) -> None:
        """Take these tickets' messages (and their search rows), events, tags, time entries
        and read marks out: what the server sends replaces them whole."""
        for chunk in _chunks(ticket_ids):
            where = f"ticket_id IN ({_marks(chunk)})"
            old = self.conn.execute(f"SELECT id, body_text FROM message WHERE {where}", chunk)
            self.search.drop_messages((mid, body or "") for mid, body in old.fetchall())
            self.conn.execute(
                f"DELETE FROM message_attachment WHERE message_id IN"
                f" (SELECT id FROM message WHERE {where})",
                chunk,
            )
            for table in _CHILDREN:
                self.conn.execute(f"DELETE FROM {table} WHERE {where}", chunk)

    def _children(
        self,
        ids: list[int],
        tickets: list[dict[str, Any]],
        customers: dict[str, int],
        tags: dict[str, int],
    ) -> None:
        agent = self.agent_id
        message_id = self._next_id("message")
        messages: list[tuple[Any, ...]] = []
        bodies: list[tuple[int, str]] = []
        files: list[tuple[Any, ...]] = []
        for ticket_id, data in zip(ids, tickets, strict=True):
            for message in data["messages"]:
                author = message["author_customer"]
                messages.append(
                    (
                        message_id,
                        ticket_id,
                        agent(message["author_agent"]),
                        customers[author] if author else None,
                        *(message[f] for f in MESSAGE_FIELDS),
                    )
                )
                bodies.append((message_id, message["body_text"]))
                files.extend((message_id, *(f[k] for k in FILE_FIELDS)) for f in message["files"])
                message_id += 1
        columns = ", ".join(f'"{f}"' for f in MESSAGE_FIELDS)
        self.conn.executemany(
            f"INSERT INTO message (id, ticket_id, author_agent_id, author_customer_id, {columns})"
            f" VALUES (?, ?, ?, ?, {_marks(MESSAGE_FIELDS)})",
            messages,
        )
        self.search.add_messages(bodies)
        self.conn.executemany(
            f"INSERT INTO message_attachment (message_id, {', '.join(FILE_FIELDS)})"
            f" VALUES (?, {_marks(FILE_FIELDS)})",
            files,
        )
        pairs = zip(ids, tickets, strict=True)
        self.conn.executemany(
            "INSERT INTO ticket_tag (ticket_id, tag_id) VALUES (?, ?)",
            [(ticket_id, tags[tag]) for ticket_id, data in pairs for tag in data["tags"]],
        )
        self.conn.executemany(
            f"INSERT INTO time_entry (ticket_id, agent_id, {', '.join(TIME_FIELDS)})"
            f" VALUES (?, ?, {_marks(TIME_FIELDS)})",
            [
                (ticket_id, agent(e["agent"]), *(e[k] for k in TIME_FIELDS))
                for ticket_id, data in zip(ids, tickets, strict=True)
                for e in data["time"]
            ],
        )
        if self.me is not None:
            self.conn.executemany(
                "INSERT INTO ticket_read (agent_id, ticket_id, read_at) VALUES (?, ?, ?)",
                [
                    (self.me, ticket_id, data["read_at"])
                    for ticket_id, data in zip(ids, tickets, strict=True)
                    if data["read_at"] is not None
                ],
            )
        self.conn.executemany(
            f"INSERT INTO event (ticket_id, actor_agent_id, {', '.join(EVENT_FIELDS)})"
            f" VALUES (?, ?, {_marks(EVENT_FIELDS)})",
            [
                (ticket_id, agent(e["actor_agent"]), *(e[f] for f in EVENT_FIELDS))
                for ticket_id, data in zip(ids, tickets, strict=True)
                for e in data["events"]
            ],
        )

    def _customers(self, tickets: list[dict[str, Any]]) -> dict[str, int]:
        """Every address the page names, written once: a name given replaces the stored
        one (the last given wins, as one by one); the id is the customer merged into."""
        names: dict[str, str] = {}
        for data in tickets:
            customer = data["customer"]
            for email, name in (
                (customer["email"], customer["name"]),
                *((m["author_customer"], "") for m in data["messages"] if m["author_customer"]),
            ):
                if name or email not in names:
                    names[email] = name or ""
        self.conn.executemany(
            "INSERT INTO customer (email, name, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (email) DO UPDATE SET name = excluded.name"
            " WHERE excluded.name NOT IN ('', customer.name)",  # unchanged: no trigram rewrite
            [(email, name, self.now) for email, name in names.items()],
        )
        return self._ids(
            "SELECT email, coalesce(merged_into_id, id) FROM customer WHERE email IN", list(names)
        )

    def _named(self, table: str, names: Iterable[str]) -> dict[str, int]:
        """Ids of groups or tags by name, made where missing."""
        wanted = sorted(names)
        self.conn.executemany(
            f"INSERT INTO {table} (name) VALUES (?) ON CONFLICT DO NOTHING",
            [(name,) for name in wanted],
        )
        return self._ids(f"SELECT name, id FROM {table} WHERE name IN", wanted)

    def _ids(self, select: str, keys: Sequence[Any]) -> dict[Any, int]:
        found: dict[Any, int] = {}
        for chunk in _chunks(keys):
            found.update(
                (key, int(row_id))
                for key, row_id in self.conn.execute(f"{select} ({_marks(chunk)})", chunk)
            )
        return found

    def _local(self, tickets: list[dict[str, Any]]) -> dict[int, tuple[int, str]]:
        """The replica's copies of the page's tickets, by their place in the page: found
        by uid (made here offline), else by number."""
        by_uid = self._rows("uid", [t["uid"] for t in tickets if t["uid"]])
        by_number = self._rows("number", [t["number"] for t in tickets])
        found: dict[int, tuple[int, str]] = {}
        for index, data in enumerate(tickets):
            row = by_uid.get(data["uid"]) if data["uid"] else None
            row = row or by_number.get(data["number"])
            if row is not None:
                found[index] = row
        return found

    def _rows(self, key: str, values: Sequence[Any]) -> dict[Any, tuple[int, str]]:
        rows: dict[Any, tuple[int, str]] = {}
        for chunk in _chunks(values):
            for value, ticket_id, subject in self.conn.execute(
                f"SELECT {key}, id, subject FROM ticket WHERE {key} IN ({_marks(chunk)})", chunk
            ):
                rows[value] = (int(ticket_id), str(subject))
        return rows

    def _next_id(self, table: str) -> int:
        """The id SQLite would give the next row (no AUTOINCREMENT: the largest plus one)."""
        return int(self.conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])
