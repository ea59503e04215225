"""Build a realistic demo store: months of multi-language support history, fast.

The team, canned replies and views go through the service layer (a few rows);
tickets, messages and events are simulated (`thread`) and bulk-loaded
(`store.bulk`) in chunks of CHUNK tickets. Messages and events are written in
time order across tickets, so ids grow with created_at as in a live store
(search returns the newest hits by rowid): a chunk's rows wait in `pending`
until no later ticket can have anything earlier. One `random.Random(seed)`
drives everything, so a seed always gives the same store.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.assist.tone import read_tone
from deskterm.demo import people
from deskterm.demo.thread import DAY, HOUR, SECOND, AgentInfo, Item, ThreadMaker, World
from deskterm.errors import StoreError
from deskterm.store.schema.db import open_store
from deskterm.store.service.bulk import BulkLoader
from deskterm.store.service.records import event_row

if TYPE_CHECKING:
    from deskterm.sla.policy import SlaSettings

CHUNK = 10_000
MAX_HISTORY_DAYS = 182
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Tickets per hour of a weekday (UTC, the team's time); weekends get a third.
_HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 17, 18, 16, 12, 15, 16, 15, 13, 9, 6, 4, 3, 2, 2, 1)


@dataclass(frozen=True)
class DemoSummary:
    path: Path | str
    tickets: int
    messages: int
    events: int
    customers: int
    organizations: int
    agents: int
    history_days: int
    seconds: float
    me_email: str = people.ME_EMAIL

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def to_micros(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def time_text(micros: int, _days: dict[int, str] = {}) -> str:  # noqa: B006 - a cache
    """`timefmt.to_db` of a UTC time in microseconds, without building a datetime."""
    day, rest = divmod(micros, DAY)
    prefix = _days.get(day)
    if prefix is None:
        prefix = _days[day] = from_micros(day * DAY).strftime("%Y-%m-%d ")
    secs, us = divmod(rest, SECOND)
    hours, secs = divmod(secs, 3600)
    mins, secs = divmod(secs, 60)
    return f"{prefix}{hours:02d}:{mins:02d}:{secs:02d}.{us:06d}"


def creation_times(rng: random.Random, count: int, start: int, now: int) -> list[int]:
    """`count` sorted times in (start, now]: business hours, quiet weekends, slow growth."""
    days = range(start // DAY, now // DAY + 1)
    weights: list[float] = []
    for i, day in enumerate(days):
        weekend = (day + 3) % 7 >= 5
        growth = 0.75 + 0.5 * i / max(1, len(days) - 1)
        hours = [
            w if start <= day * DAY + h * HOUR and day * DAY + h * HOUR < now else 0
            for h, w in enumerate(_HOURS)
        ]
        weights.append(sum(hours) * growth * (0.3 if weekend else 1.0))
    per_day = [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=count):
        per_day[i] += 1
    times: list[int] = []
    for day, n in zip(days, per_day, strict=True):
        if not n:
            continue
        base = day * DAY
        ok = [w if start <= base + h * HOUR < now else 0 for h, w in enumerate(_HOURS)]
        cum = list(accumulate(ok))
        hours = rng.choices(range(24), cum_weights=cum, k=n)
        stamps = [min(now, base + h * HOUR + int(rng.random() * HOUR)) for h in hours]
        times.extend(sorted(stamps))
    return times


def _setup_team(location: Path | str, start: datetime) -> World:
    """Agents, groups, canned replies and views through the service layer."""
    from deskterm.store.service import Actor, Service

    store = open_store(location, create=True)
    try:
        if store.read().execute("SELECT 1 FROM ticket LIMIT 1").fetchone() is not None:
            raise StoreError(
                f"{store.where}: holds tickets; a demo is built only into an empty store"
            )
        service = Service(store, Actor(None, "system"), clock=lambda: start)
        agents = [
            AgentInfo(
                service.ensure_agent(spec.name, spec.email, spec.role),
                spec.name,
                spec.email,
                spec.langs,
                spec.groups,
                spec.weight,
            )
            for spec in people.AGENTS
        ]
        group_ids = {
            group: service.add_group(group, [a.email for a in agents if group in a.groups])
            for group in people.GROUPS
        }
        for name, body, actions in people.CANNED:
            service.save_canned(name, body, actions)
        for position, (name, query) in enumerate(people.VIEWS, start=1):
            service.save_view(name, query, position)
    finally:
        store.close()
    canned = {name: body for name, body, _ in people.CANNED}
    return World(agents=agents, customers={}, group_ids=group_ids, canned=canned)


def build_demo(
    path: Path | str,
    tickets: int = 2000,
    *,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    report_calendar: str | None = None,
    sla: SlaSettings | None = None,
) -> DemoSummary:
    """Build a demo store of `tickets` tickets at `path` (a new file, or the URL of an
    empty PostgreSQL database: a team server's store).

    `report_calendar` is the calendar spec the reports measure business time on;
    `sla` the policies whose past outcomes (targets met and breached) are recorded.
    """
    began = time.perf_counter()
    if isinstance(path, Path):
        path = path.expanduser()
        if path.exists():
            raise StoreError(f"{path}: exists; a demo store is built only into a new file")
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    now_us = to_micros(now)
    history_days = min(MAX_HISTORY_DAYS, max(30, tickets // 20))
    start_us = now_us - history_days * DAY
    world = _setup_team(path, from_micros(start_us - 60 * DAY))
    orgs = people.make_orgs(rng, max(12, min(3000, tickets // 300)))
    world.customers, org_of = people.make_customers(rng, max(60, tickets // 4), orgs)
    maker = ThreadMaker(rng, world, now_us, random.Random(seed + 1))
    starts = creation_times(rng, tickets, start_us, now_us)
    first_seen: dict[int, int] = {}
    messages = events = 0
    with BulkLoader(path) as bulk:
        bulk.drop_indexes()
        bulk.add_rows(
            "organization",
            ("id", "name", "domain", "created_at"),
            [(o.id, o.name, o.domain, time_text(start_us - 90 * DAY)) for o in orgs],
        )
        pending: list[Item] = []
        for lo in range(0, tickets, CHUNK):
            hi = min(tickets, lo + CHUNK)
            rows: list[tuple[object, ...]] = []
            tag_rows: list[tuple[int, int]] = []
            for tid in range(lo + 1, hi + 1):
                t0 = starts[tid - 1]
                state, subject, customer, group, channel, items = maker.make(tid, t0)
                first_seen.setdefault(customer, t0)
                rows.append(
                    (
                        tid,
                        tid,
                        subject,
                        state.status,
                        state.priority,
                        channel,
                        customer,
                        state.assignee_id,
                        group,
                        time_text(t0),
                        time_text(state.updated_at),
                        None
                        if state.first_response_at is None
                        else time_text(state.first_response_at),
                        None if state.solved_at is None else time_text(state.solved_at),
                        state.reopen_count,
                        state.message_count,
                        None,
                    )
                )
                tag_rows.extend((tid, world.tag_id(tag)) for tag in dict.fromkeys(state.tags))
                pending.extend(items)
            bulk.add_tickets(rows)
            bulk.add_rows("ticket_tag", ("ticket_id", "tag_id"), tag_rows)
            # Everything before the next chunk's first ticket is final: write it in time order.
            pending.sort(key=itemgetter(0))
            cut = (
                len(pending)
                if hi == tickets
                else bisect_left(pending, starts[hi], key=itemgetter(0))
            )
            wrote_messages, wrote_events = _write_items(bulk, pending[:cut], messages)
            del pending[:cut]
            messages += wrote_messages
            events += wrote_events
            bulk.commit()
            if progress is not None:
                progress(hi, tickets)
        bulk.add_rows("tag", ("id", "name"), [(i, n) for n, i in world.tag_ids.items()])
        customers = [c for pool in world.customers.values() for c in pool]
        bulk.add_rows(
            "customer",
            ("id", "email", "name", "organization_id", "created_at"),
            [
                (
                    c.id,
                    c.email,
                    c.name,
                    org_of[c.id - 1],
                    time_text(first_seen.get(c.id, start_us - 30 * DAY - c.id * SECOND)),
                )
                for c in customers
            ],
        )
        bulk.set_counter("ticket", tickets)
        bulk.finish()
        if sla is not None:
            events += bulk.record_sla_history(sla, now)
        bulk.rebuild_reports(report_calendar)
    return DemoSummary(
        path=path,
        tickets=tickets,
        messages=messages,
        events=events,
        customers=len(customers),
        organizations=len(orgs),
        agents=len(world.agents),
        history_days=history_days,
        seconds=time.perf_counter() - began,
    )


def _write_items(bulk: BulkLoader, items: list[Item], last_id: int) -> tuple[int, int]:
    """Messages (ids from last_id + 1) and events of `items`, already in time order."""
    message_rows: list[tuple[object, ...]] = []
    event_rows: list[tuple[object, ...]] = []
    add_message = message_rows.append
    add_event = event_rows.append
    # What an agent did last on a ticket is what they last saw of it (as the service
    # marks it): a later customer message makes it unread to them.
    reads: dict[tuple[int, int], str] = {}
    # Each ticket's latest customer message (body, subject if it opened the ticket).
    latest: dict[int, tuple[str, str]] = {}
    # The time an agent spent on each reply or note, tracked as the app would: 2-17
    # minutes before it, spread by message id (the same seed gives the same store).
    time_rows: list[tuple[object, ...]] = []
    mid = last_id
    for t, tid, msg, evs in items:
        stamp = time_text(t)
        if msg is not None:
            mid += 1
            kind, agent_id, cust_id, name, addr, to, subject, body, msg_id, ev_id, actor, ev = msg
            if agent_id is not None:
                reads[(agent_id, tid)] = stamp
                spent = 120 + (mid * 2654435761) % 900
                time_rows.append(
                    (tid, agent_id, time_text(t - spent * SECOND), spent, "tracked", "")
                )
            elif kind == "customer":
                latest[tid] = (body, "" if subject.startswith("Re: ") else subject)
            add_message(
                (
                    mid,
                    tid,
                    kind,
                    agent_id,
                    cust_id,
                    name,
                    addr,
                    to,
                    "",
                    subject,
                    body,
                    None,
                    msg_id,
                    None,
                    None,
                    stamp,
                )
            )
            if ev is not None:
                add_event(event_row(tid, ev_id, actor, ev, None, mid, stamp))
        for ev_agent, ev_actor, ev_kind, old, new in evs:
            add_event(event_row(tid, ev_agent, ev_actor, ev_kind, old, new, stamp))
            if ev_agent is not None:
                reads[(ev_agent, tid)] = stamp
    bulk.add_messages(message_rows)
    bulk.add_events(event_rows)
    bulk.add_rows(
        "time_entry",
        ("ticket_id", "agent_id", "started_at", "seconds", "source", "note"),
        time_rows,
    )
    bulk.add_read_marks((agent, tid, stamp) for (agent, tid), stamp in reads.items())
    bulk.add_tones((tid, read_tone(body, subject)) for tid, (body, subject) in latest.items())
    return mid - last_id, len(event_rows)
