"""Reports read from the rollups: a few hundred rows a period, whatever the store's size.

Counts are sums over `report_count` (one row per day and key). A percentile
finds its bucket in `report_hist`, then reads that one bucket's durations from
`report_duration` in order: exact, and bounded by a bucket, not by the period.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from deskterm.errors import StoreError
from deskterm.reports.calendar_spec import DEFAULT_SPEC, calendar_of, describe
from deskterm.reports.facts import (
    ALL_AGENTS,
    BUCKETS_PER_DOUBLING,
    DURATIONS,
    ROLLUP_VERSION,
    TARGETS,
    day_date,
    day_number,
)
from deskterm.reports.model import (
    AGE_BUCKETS,
    FEEDBACK,
    DayRow,
    Feedback,
    GroupRow,
    Kpis,
    Percentiles,
    Period,
    Report,
)
from deskterm.store.schema.db import Store

MEASURES = ("calendar", "business")
_BACKLOG = ("backlog_in", "backlog_out")


class FeedbackSource(Protocol):
    """Where the survey and knowledge-base figures of a period come from (see FEEDBACK):
    the one place they enter a report, for the current and the previous period alike."""

    def __call__(self, store: Store, period: Period) -> Feedback: ...


@dataclass(frozen=True)
class ReportSettings:
    """What the config adds: the cost of an agent-hour (None: not configured), and the
    source of the feedback figures (None: every one is "no data")."""

    cost_per_agent_hour: float | None = None
    feedback: FeedbackSource | None = None

    def feedback_of(self, store: Store, period: Period) -> Feedback:
        if self.feedback is None:
            return Feedback({}, {})
        return self.feedback(store, period)


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM report_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def rollups_ready(store: Store) -> bool:
    """False for a store made before the rollups existed, until `report --rebuild`."""
    db = store.read()
    return _meta(db, "state") != "stale" and _meta(db, "version") == ROLLUP_VERSION


def stored_calendar_spec(store: Store) -> str | None:
    return _meta(store.read(), "calendar")


def report_today(store: Store, now: datetime) -> date:
    """The date `now` has in the report calendar's timezone: where "today" and the
    last 30 days end for the team, whose days the rollups count."""
    return now.astimezone(calendar_of(_meta(store.read(), "calendar") or DEFAULT_SPEC).tz).date()


def first_day(store: Store) -> date | None:
    """The first day anything happened: the start of "all time"."""
    row = store.read().execute("SELECT min(day) FROM report_count").fetchone()
    return None if row is None or row[0] is None else day_date(int(row[0]))


def _nearest_rank(total: int, pct: int) -> int:
    return max(1, math.ceil(pct / 100 * total))


class _Reader:
    """One period's reads on one connection."""

    def __init__(self, db: sqlite3.Connection, period: Period) -> None:
        self.db = db
        self.lo, self.hi = day_number(period.since), day_number(period.until)

    def counts(self) -> dict[tuple[str, str, str], int]:
        return {
            (m, d, k): int(n)
            for m, d, k, n in self.db.execute(
                "SELECT metric, dim, key, sum(n) FROM report_count WHERE day BETWEEN ? AND ?"
                " GROUP BY metric, dim, key",
                (self.lo, self.hi),
            )
        }

    def percentiles(self, metric: str, measure: str) -> Percentiles:
        """Desk-wide: from the rows of everyone together."""
        rows = self._hist(metric, measure, f"agent_id = {ALL_AGENTS}")
        return self._pick(metric, measure, None, rows.get(ALL_AGENTS, []))

    def agent_percentiles(self, metric: str, measure: str) -> dict[int, Percentiles]:
        """Per agent id (0: nobody)."""
        rows = self._hist(metric, measure, "agent_id >= 0")
        return {agent: self._pick(metric, measure, agent, r) for agent, r in rows.items()}

    def _hist(self, metric: str, measure: str, who: str) -> dict[int, list[tuple[int, int]]]:
        hist: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for agent, bucket, n in self.db.execute(
            "SELECT agent_id, bucket, sum(n) FROM report_hist WHERE metric = ? AND measure = ?"
            f" AND day BETWEEN ? AND ? AND {who} GROUP BY agent_id, bucket",
            (metric, measure, self.lo, self.hi),
        ):
            hist[agent].append((bucket, int(n)))
        return hist

    def _pick(
        self, metric: str, measure: str, agent: int | None, rows: list[tuple[int, int]]
    ) -> Percentiles:
        rows = sorted(r for r in rows if r[1])
        total = sum(n for _, n in rows)
        if not total:
            return Percentiles(0, None, None)
        found = []
        for pct in (50, 90):
            rank, below = _nearest_rank(total, pct), 0
            for bucket, n in rows:
                if below + n >= rank:
                    found.append(self._value(metric, measure, agent, bucket, rank - below - 1))
                    break
                below += n
        return Percentiles(total, found[0], found[1])

    def _value(self, metric: str, measure: str, agent: int | None, bucket: int, skip: int) -> float:
        column = "calendar_s" if measure == "calendar" else "business_s"
        sql = (
            f"SELECT {column} FROM report_duration WHERE metric = ? AND {measure}_bucket = ?"
            " AND day BETWEEN ? AND ?"
        )
        params: list[object] = [metric, bucket, self.lo, self.hi]
        if agent is not None:
            sql += " AND agent_id = ?"
            params.append(agent)
        row = self.db.execute(
            sql + f" ORDER BY {column} LIMIT 1 OFFSET ?", [*params, skip]
        ).fetchone()
        if row is None:
            raise StoreError("the report rollups disagree: run `deskterm report --rebuild`")
        return float(row[0])


def _pct(part: float, whole: float) -> float | None:
    return None if not whole else 100.0 * part / whole


def _working_seconds(spec: str, period: Period) -> float:
    """The calendar's working time from the period's first local midnight to the one after it."""
    calendar = calendar_of(spec)
    start = datetime.combine(period.since, time(0), calendar.tz)
    end = datetime.combine(period.until + timedelta(days=1), time(0), calendar.tz)
    return calendar.between(start, end).total_seconds()


def _kpis(
    store: Store,
    period: Period,
    spec: str,
    settings: ReportSettings,
    feedback: Feedback,
    backlog: DayRow,
    agents: int,
    *,
    per_agent: bool = False,
) -> tuple[Kpis, dict[tuple[str, str, str], int], dict[str, dict[int, Percentiles]]]:
    """The KPIs, the period's counts, and (`per_agent`) first-reply percentiles per agent."""
    reader = _Reader(store.read(), period)
    counts = reader.counts()

    def total(metric: str) -> int:
        return counts.get((metric, "", ""), 0)

    values: dict[str, float | int | None] = {m: total(m) for m in ("new", "solved", "reopened")}
    for metric in DURATIONS:
        for measure in MEASURES:
            overall = reader.percentiles(metric, measure)
            values[f"{metric}_{measure}_median_s"] = overall.median_s
            values[f"{metric}_{measure}_p90_s"] = overall.p90_s
        values[f"{metric}_count"] = overall.count
    spreads = {
        f"first_reply_{m}": reader.agent_percentiles("first_reply", m) if per_agent else {}
        for m in MEASURES
    }
    for target in TARGETS:
        met, breached = total(f"sla_met_{target}"), total(f"sla_breached_{target}")
        values[f"sla_{target}_met"] = met
        values[f"sla_{target}_breached"] = breached
        values[f"sla_{target}_met_pct"] = _pct(met, met + breached)
    values["backlog"] = backlog.backlog
    for (label, *_), n in zip(AGE_BUCKETS, backlog.ages, strict=True):
        values[f"backlog_age_{label}"] = n
    values["fcr_pct"] = _pct(total("fcr"), total("fcr_base"))
    values["reopen_rate_pct"] = _pct(total("reopened"), total("solved"))
    for name in FEEDBACK:
        values[name] = feedback.desk.get(name)
    seconds = total("time")
    values["time_on_tickets_s"] = seconds
    working = _working_seconds(spec, period) * agents
    values["utilization_pct"] = _pct(seconds, working)
    cost = settings.cost_per_agent_hour
    values["cost_per_ticket"] = (
        cost * seconds / 3600 / total("solved") if cost is not None and total("solved") else None
    )
    return Kpis(values), counts, spreads


def _days(store: Store, period: Period) -> tuple[DayRow, tuple[DayRow, ...]]:
    """The backlog (with its ages) at the end of the day before the period, and each
    day's volume and backlog: one pass over the backlog moves serves both periods."""
    db = store.read()
    lo, hi = day_number(period.since), day_number(period.until)
    volume: dict[int, dict[str, int]] = defaultdict(dict)
    for day, metric, n in db.execute(
        "SELECT day, metric, n FROM report_count WHERE day BETWEEN ? AND ? AND dim = ''"
        " AND key = '' AND metric IN ('new', 'solved', 'reopened')",
        (lo, hi),
    ):
        volume[day][metric] = int(n)
    # Net backlog moves by (day, creation day); the ages need the recent creation days.
    moves: dict[int, list[tuple[int, int]]] = defaultdict(list)
    running: dict[int, int] = defaultdict(int)
    backlog = 0
    oldest = lo - AGE_BUCKETS[-1][1]
    for day, metric, key, n in db.execute(
        "SELECT day, metric, key, n FROM report_count WHERE day <= ? AND dim = 'created'"
        " AND metric IN ('backlog_in', 'backlog_out')",
        (hi,),
    ):
        delta = int(n) if metric == "backlog_in" else -int(n)
        created = int(key)
        if day < lo:
            backlog += delta
            if created >= oldest:
                running[created] += delta
        else:
            moves[day].append((created, delta))

    def ages(day: int) -> tuple[int, ...]:
        young = [
            sum(running.get(day - age, 0) for age in range(low, high + 1))
            for _label, low, high in AGE_BUCKETS[:-1]
        ]
        return (*young, backlog - sum(young))

    eve = DayRow(day_date(lo - 1), 0, 0, 0, backlog, ages(lo - 1))
    rows = []
    for day in range(lo, hi + 1):
        for created, delta in moves.get(day, ()):
            backlog += delta
            running[created] += delta
        v = volume.get(day, {})
        rows.append(
            DayRow(
                day_date(day),
                v.get("new", 0),
                v.get("solved", 0),
                v.get("reopened", 0),
                backlog,
                ages(day),
            )
        )
    return eve, tuple(rows)


def weekly(days: tuple[DayRow, ...]) -> tuple[DayRow, ...]:
    """Days summed into weeks starting Monday (the first and last may be partial)."""
    weeks: list[DayRow] = []
    for row in days:
        monday = row.start - timedelta(days=row.start.weekday())
        if weeks and weeks[-1].start == max(monday, days[0].start):
            last = weeks[-1]
            weeks[-1] = DayRow(
                last.start,
                last.new + row.new,
                last.solved + row.solved,
                last.reopened + row.reopened,
                row.backlog,
                row.ages,
            )
        else:
            weeks.append(DayRow(max(monday, days[0].start), row.new, row.solved, row.reopened,
                                row.backlog, row.ages))  # fmt: skip
    return tuple(weeks)


def _first_reply_bins(
    spread_db: sqlite3.Connection, period: Period
) -> tuple[tuple[float, float, int], ...]:
    lo, hi = day_number(period.since), day_number(period.until)
    bins: dict[int, int] = defaultdict(int)
    for bucket, n in spread_db.execute(
        "SELECT bucket, sum(n) FROM report_hist WHERE metric = 'first_reply'"
        " AND measure = 'calendar' AND agent_id = -1 AND day BETWEEN ? AND ? GROUP BY bucket",
        (lo, hi),
    ):
        bins[bucket // BUCKETS_PER_DOUBLING] += int(n)
    return tuple((2.0**d - 1, 2.0 ** (d + 1) - 1, bins[d]) for d in sorted(bins) if bins[d])


def _names(store: Store, table: str) -> dict[str, str]:
    return {str(i): str(n) for i, n in store.read().execute(f"SELECT id, name FROM {table}")}


def _rows(
    store: Store,
    by: str,
    counts: dict[tuple[str, str, str], int],
    spreads: dict[str, dict[int, Percentiles]],
    working: float,
    csat: dict[int, float | None],
) -> tuple[GroupRow, ...]:
    if by == "agent":
        names = {"0": "(nobody)", **_names(store, "agent")}
        keys = sorted({k for (_m, d, k) in counts if d == "agent"} | {
            str(a) for a in (*spreads["first_reply_calendar"], *csat)
        }, key=lambda k: str(names.get(k, k)).lower())  # fmt: skip
        rows = []
        for key in keys:

            def n(metric: str, key: str = key) -> int:
                return counts.get((metric, "agent", key), 0)

            frt = {m: spreads[f"first_reply_{m}"].get(int(key)) for m in MEASURES}
            rows.append(
                GroupRow(
                    key,
                    {
                        "agent": names.get(key, f"agent {key}"),
                        "solved": n("solved"),
                        "replies": n("replies"),
                        "first_reply_calendar_median_s": frt["calendar"].median_s
                        if frt["calendar"] else None,
                        "first_reply_business_median_s": frt["business"].median_s
                        if frt["business"] else None,
                        "fcr_pct": _pct(n("fcr"), n("fcr_base")),
                        "csat_good_pct": csat.get(int(key)),
                        "time_on_tickets_s": n("time"),
                        "utilization_pct": _pct(n("time"), working if key != "0" else 0),
                    },
                )
            )  # fmt: skip
        return tuple(rows)
    names = _names(store, "agent_group") if by == "group" else {}
    keys = sorted(
        {k for (_m, d, k) in counts if d == by}, key=lambda k: str(names.get(k, k)).lower()
    )
    return tuple(
        GroupRow(
            key,
            {
                by: names.get(key, key),
                **{m: counts.get((m, by, key), 0) for m in ("new", "solved", "reopened")},
            },
        )
        for key in keys
    )


def build_report(
    store: Store,
    period: Period,
    *,
    by: str | None = None,
    settings: ReportSettings = ReportSettings(),
    compare: bool = True,
) -> Report:
    """Every KPI of `period` (and of the one before it when `compare`), from the rollups."""
    if not rollups_ready(store):
        raise StoreError(
            f"{store.path}: the report tables are missing or from an older deskterm:"
            " run `deskterm report --rebuild` (a few minutes a million tickets)"
        )
    spec = _meta(store.read(), "calendar") or DEFAULT_SPEC
    agents = int(store.read().execute("SELECT count(*) FROM agent").fetchone()[0])
    eve, days = _days(store, period)
    feedback = settings.feedback_of(store, period)
    current, counts, spreads = _kpis(
        store, period, spec, settings, feedback, days[-1], agents, per_agent=by == "agent"
    )
    before = previous = None
    if compare:
        previous = period.previous()  # it ends on the eve of the period
        earlier = settings.feedback_of(store, previous)
        before = _kpis(store, previous, spec, settings, earlier, eve, agents)[0]
    rows: tuple[GroupRow, ...] = ()
    working = _working_seconds(spec, period)
    csat = feedback.csat_by_agent
    if by is not None and by not in ("day", "week"):
        rows = _rows(store, by, counts, spreads, working, csat)
    return Report(
        period=period,
        previous=previous,
        current=current,
        before=before,
        calendar=describe(spec),
        days=weekly(days) if by == "week" else days,
        first_reply_bins=_first_reply_bins(store.read(), period),
        by=by,
        rows=rows,
        tags=rows if by == "tag" else _rows(store, "tag", counts, spreads, working, csat),
    )
