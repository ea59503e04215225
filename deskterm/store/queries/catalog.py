"""Reads of the desk's people and vocabulary: customers, agents, canned replies, tags, views.

What pickers, side panes and the CLI's directory commands list. Plain `sqlite3`,
like every read (see `queries`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deskterm.errors import NotFoundError
from deskterm.store.queries.records import (
    AgentRecord,
    CannedRecord,
    CustomerRecord,
    GroupRecord,
    OrgRecord,
    ViewRecord,
)
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.search.filters import where_sql

CUSTOMER_PAGE = 50


_CUSTOMER_SQL = """
    SELECT c.id, c.email, c.name, o.name, c.created_at,
      (SELECT count(*) FROM ticket t WHERE t.customer_id = c.id),
      (SELECT count(*) FROM ticket t WHERE t.customer_id = c.id
        AND t.status IN ('new', 'open', 'pending', 'on_hold')),
      c.note
    FROM customer c LEFT JOIN organization o ON o.id = c.organization_id
"""


def _customer(r: Sequence[Any]) -> CustomerRecord:
    return CustomerRecord(r[0], r[1], r[2], r[3], from_db(r[4]), r[5], r[6], r[7])


def get_customer(store: Store, key: int | str) -> CustomerRecord:
    """A customer by id or by email address; a merged one answers as the one it joined."""
    where = "c.id = ?" if isinstance(key, int) else "c.email = lower(?)"
    found = (
        store.read()
        .execute(f"SELECT coalesce(c.merged_into_id, c.id) FROM customer c WHERE {where}", (key,))
        .fetchone()
    )
    row = None
    if found is not None:
        row = store.read().execute(_CUSTOMER_SQL + " WHERE c.id = ?", (found[0],)).fetchone()
    if row is None:
        raise NotFoundError(f"no customer {key}")
    return _customer(row)


def list_customers(
    store: Store,
    *,
    text: str | None = None,
    after: int | None = None,
    limit: int = CUSTOMER_PAGE,
    org_id: int | None = None,
) -> list[CustomerRecord]:
    """Customers by id (keyset on id), optionally matching `text` in email, name or org,
    or of organization `org_id`."""
    conds: list[str] = ["c.merged_into_id IS NULL"]  # merged ones live on in another
    params: list[object] = []
    if org_id is not None:
        conds.append("c.organization_id = ?")
        params.append(org_id)
    if text:
        conds.append("(c.email LIKE ? OR c.name LIKE ? OR o.name LIKE ?)")
        params.extend([f"%{text}%"] * 3)
    if after is not None:
        conds.append("c.id > ?")
        params.append(after)
    sql = _CUSTOMER_SQL + where_sql(conds) + " ORDER BY c.id LIMIT ?"
    return [_customer(r) for r in store.read().execute(sql, (*params, limit))]


def _canned(r: Sequence[Any]) -> CannedRecord:
    return CannedRecord(r[0], r[1], r[2], CannedRecord.parse_actions(r[3]), from_db(r[4]))


def list_canned(store: Store) -> list[CannedRecord]:
    return [
        _canned(r)
        for r in store.read().execute(
            "SELECT id, name, body, actions, updated_at FROM canned_reply ORDER BY name"
        )
    ]


def get_canned(store: Store, name: str) -> CannedRecord:
    row = (
        store.read()
        .execute(
            "SELECT id, name, body, actions, updated_at FROM canned_reply WHERE name = ?", (name,)
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no canned reply named {name!r} (see `deskterm canned list`)")
    return _canned(row)


def list_tags(store: Store) -> list[str]:
    """Every tag name, for suggestions."""
    return [r[0] for r in store.read().execute("SELECT name FROM tag ORDER BY name")]


_AGENT_SQL = "SELECT id, name, email, role, away, signature FROM agent"


def _agent(r: Sequence[Any]) -> AgentRecord:
    return AgentRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5])


def list_agents(store: Store) -> list[AgentRecord]:
    return [_agent(r) for r in store.read().execute(_AGENT_SQL + " ORDER BY name")]


def find_agent(store: Store, key: str) -> AgentRecord:
    sql = _AGENT_SQL + " WHERE lower(email) = lower(?) OR lower(name) = lower(?)"
    row = store.read().execute(sql, (key, key)).fetchone()
    if row is None:
        raise NotFoundError(f"no agent {key!r} (see `deskterm agent list`)")
    return _agent(row)


def find_agent_by_token(store: Store, token_hash: str) -> AgentRecord | None:
    """The agent holding the token with this hash (None: no such token, or revoked)."""
    row = store.read().execute(_AGENT_SQL + " WHERE token_hash = ?", (token_hash,)).fetchone()
    return None if row is None else _agent(row)


def held_tokens(store: Store) -> set[str]:
    """The hashes of every token an agent holds now (one row per agent: a small table)."""
    sql = "SELECT token_hash FROM agent WHERE token_hash IS NOT NULL"
    return {r[0] for r in store.read().execute(sql)}


def agent_id_by_email(store: Store, email: str) -> int | None:
    """The id of the agent with this address (any case), if there is one."""
    row = (
        store.read()
        .execute("SELECT id FROM agent WHERE lower(email) = lower(?)", (email,))
        .fetchone()
    )
    return None if row is None else int(row[0])


def list_views(store: Store) -> list[ViewRecord]:
    return [
        ViewRecord(r[0], r[1], r[2])
        for r in store.read().execute("SELECT name, query, position FROM view ORDER BY position")
    ]


def list_groups(store: Store) -> list[GroupRecord]:
    """Every group with its members' addresses and how many unresolved tickets it holds."""
    conn = store.read()
    members: dict[int, list[str]] = {}
    for group_id, email in conn.execute(
        "SELECT m.group_id, a.email FROM group_member m JOIN agent a ON a.id = m.agent_id"
        " ORDER BY a.email"
    ):
        members.setdefault(group_id, []).append(email)
    return [
        GroupRecord(r[0], r[1], tuple(members.get(r[0], ())), r[2])
        for r in conn.execute(
            "SELECT g.id, g.name, (SELECT count(*) FROM ticket t WHERE t.group_id = g.id"
            " AND t.status IN ('new', 'open', 'pending', 'on_hold')) FROM agent_group g"
            " ORDER BY g.name"
        )
    ]


_ORG_SQL = """
    SELECT o.id, o.name, o.domain,
      (SELECT count(*) FROM customer c
        WHERE c.organization_id = o.id AND c.merged_into_id IS NULL),
      (SELECT count(*) FROM ticket t JOIN customer c ON c.id = t.customer_id
        WHERE c.organization_id = o.id AND t.status IN ('new', 'open', 'pending', 'on_hold'))
    FROM organization o
"""


def list_organizations(store: Store) -> list[OrgRecord]:
    return [OrgRecord(*r) for r in store.read().execute(_ORG_SQL + " ORDER BY o.name")]


def get_organization(store: Store, key: int | str) -> OrgRecord:
    """An organization by id, name or domain."""
    if isinstance(key, int):
        row = store.read().execute(_ORG_SQL + " WHERE o.id = ?", (key,)).fetchone()
    else:
        row = (
            store.read()
            .execute(
                _ORG_SQL + " WHERE lower(o.name) = lower(?) OR o.domain = lower(?)", (key, key)
            )
            .fetchone()
        )
    if row is None:
        raise NotFoundError(f"no organization {key!r} (see `deskterm orgs list`)")
    return OrgRecord(*row)
