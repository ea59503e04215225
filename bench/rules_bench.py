"""SLA countdowns over a large open queue, and the rule engine's cost per mail."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Context, Figure

if TYPE_CHECKING:
    from deskterm.store.service import RuleSet, Service

NAMES = ("sla", "rules")
NEEDS_STORE = False
OPEN_TICKETS = 100_000
RULES = 100


def _countdowns() -> list[Figure]:
    from deskterm.config import CalendarConfig, SlaConfig
    from deskterm.sla.policy import countdown
    from deskterm.sla.settings import calendars_from_config

    cal = calendars_from_config(
        SlaConfig(calendar=CalendarConfig(timezone="Europe/Berlin", holidays_country="DE"))
    )["business"]
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    rnd = random.Random(1)
    dues = [now + timedelta(minutes=rnd.randint(-3000, 20000)) for _ in range(OPEN_TICKETS)]
    t0 = time.perf_counter()
    raw = [due - now for due in dues]  # calendar time only: the baseline
    raw_s = time.perf_counter() - t0
    cal.between(now, now + timedelta(days=30))  # holidays loaded once, as in the app
    t0 = time.perf_counter()
    states = [countdown(due, now, cal) for due in dues]
    took = time.perf_counter() - t0
    assert len(states) == len(raw)
    return [
        Figure(
            "sla",
            "countdowns (business + calendar)",
            took,
            "s",
            f"{OPEN_TICKETS:,} open tickets",
            raw=raw_s,
            goal="<= 1 s",
            ok=took <= 1.0,
        )
    ]


def _rules() -> list[Figure]:
    from deskterm.config import RuleConfig, SlaConfig
    from deskterm.rules.model import rules_from_config
    from deskterm.sla.settings import calendars_from_config
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, RuleSet, Service

    folder = Path(tempfile.mkdtemp(prefix="deskterm-bench-rules-"))
    store = open_store(folder / "rules.db", create=True)
    base = Service(store, Actor.system())
    base.add_group("billing")
    words = ["refund", "invoice", "login", "password", "shipping", "crash", "export", "api"]
    configs = [
        RuleConfig(
            name=f"rule {i}",
            trigger=("ticket_created", "customer_replied")[i % 2],
            query=f"{words[i % len(words)]} priority:{('low', 'normal', 'high', 'urgent')[i % 4]}",
            sender_domains=[f"customer{i}.test"] if i % 3 == 0 else [],
            add_tags=[f"t{i}"],
            set_group="billing" if i % 5 == 0 else "",
        )
        for i in range(RULES)
    ]
    ruleset = RuleSet(rules_from_config(configs), calendars_from_config(SlaConfig()))
    plain = Service(store, Actor.system())
    ruled = Service(store, Actor.system()).with_rules(ruleset)

    def one(service: Service, i: int) -> float:
        t0 = time.perf_counter()
        service.create_ticket(
            f"Refund for order {i}", "Please refund my invoice.", f"c{i}@customer{i % 7}.test"
        )
        return time.perf_counter() - t0

    for i in range(20):  # warm caches and compiled statements
        one(plain, i)
        one(ruled, i)
    runs = 150
    base_times = [one(plain, 1000 + i) for i in range(runs)]
    rule_times = [one(ruled, 2000 + i) for i in range(runs)]
    raw = statistics.median(base_times)
    with_rules = statistics.median(rule_times)
    evaluate = _evaluate_only(ruled, ruleset, runs)
    store.close()
    return [
        Figure(
            "rules",
            f"new ticket with {RULES} rules",
            with_rules,
            "s",
            f"{RULES} rules, median of {runs}",
            raw=raw,
            extra="(raw: the same create without rules)",
        ),
        Figure(
            "rules",
            "evaluate all rules for one mail",
            evaluate,
            "s",
            f"{RULES} rules, median of {runs}",
            goal="<= 5 ms",
            ok=evaluate <= 0.005,
            extra="(snapshot + every condition)",
        ),
    ]


def _evaluate_only(service: Service, ruleset: RuleSet, runs: int) -> float:
    """The engine's own work for one event: one snapshot, then every rule's conditions."""
    from deskterm.rules.engine import conditions_hold
    from deskterm.store.queries.rules import ticket_snapshot

    now = datetime.now(UTC)
    times = []
    db = service.store.read()
    (ticket_id,) = db.execute("SELECT max(id) FROM ticket").fetchone()
    for _ in range(runs):
        t0 = time.perf_counter()
        snap = ticket_snapshot(db, ticket_id)
        for rule in ruleset.rules:
            conditions_hold(rule, snap, now, ruleset.calendars)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(ctx: Context, only: str | None) -> list[Figure]:
    figures: list[Figure] = []
    if only in (None, "sla"):
        figures += _countdowns()
    if only in (None, "rules"):
        figures += _rules()
    return figures
