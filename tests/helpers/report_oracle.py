"""Every report KPI by brute force from the event log, messages and time entries.

Written apart from `deskterm.reports` on purpose: reopenings come from `reopened`
events (not status changes), the backlog from replaying each ticket's status up
to the period's end (not from daily moves), FCR from `ticket.reopen_count`.
Days are the calendar's days: a moment's date in its timezone, periods from
local midnight to local midnight.
Slow (a Python loop over every ticket), which is the point: it is the reference.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from deskterm.sla.calendar import BusinessCalendar

RESOLVED = ("solved", "closed")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _nearest_rank(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def _pct(part: float, whole: float) -> float | None:
    return None if not whole else 100.0 * part / whole


class Oracle:
    def __init__(self, db: sqlite3.Connection, calendar: BusinessCalendar) -> None:
        self.cal = calendar
        self.tickets = {
            r[0]: r
            for r in db.execute(
                "SELECT id, created_at, status, channel, group_id, reopen_count, merged_into_id"
                " FROM ticket"
            )
        }
        self.messages: dict[int, list[tuple[str, datetime, int | None, str | None]]] = defaultdict(
            list
        )
        for tid, kind, at, agent, box in db.execute(
            "SELECT ticket_id, kind, created_at, author_agent_id, mailbox FROM message"
            " ORDER BY created_at, id"
        ):
            self.messages[tid].append((kind, _t(at), agent, box))
        self.events: dict[int, list[tuple[str, str | None, str | None, datetime, int | None]]] = (
            defaultdict(list)
        )
        for tid, kind, old, new, at, agent in db.execute(
            "SELECT ticket_id, kind, old, new, created_at, actor_agent_id FROM event ORDER BY id"
        ):
            self.events[tid].append((kind, old, new, _t(at), agent))
        self.tags: dict[int, set[str]] = defaultdict(set)
        for tid, name in db.execute(
            "SELECT ticket_id, name FROM ticket_tag JOIN tag ON tag.id = tag_id"
        ):
            self.tags[tid].add(name)
        self.time = [
            (_t(at), seconds, agent)
            for at, seconds, agent in db.execute(
                "SELECT started_at, seconds, agent_id FROM time_entry"
            )
        ]
        self.agents = int(db.execute("SELECT count(*) FROM agent").fetchone()[0])
        self.answers = [
            (tid, rating, effort, _t(at))
            for tid, rating, effort, at in db.execute(
                "SELECT ticket_id, rating, effort, answered_at FROM survey_answer ORDER BY id"
            )
        ]
        self.kb_uses = [
            (kind, article, _t(at))
            for kind, article, at in db.execute("SELECT kind, article_id, created_at FROM kb_event")
        ]

    def _initial(self, tid: int) -> str:
        statuses = [e for e in self.events[tid] if e[0] == "status"]
        return statuses[0][1] or "" if statuses else self.tickets[tid][2]

    def _merged_at(self, tid: int) -> datetime | None:
        return next((e[3] for e in self.events[tid] if e[0] == "merged_into"), None)

    def solves(self, tid: int) -> list[tuple[datetime, int | None]]:
        created = _t(self.tickets[tid][1])
        out: list[tuple[datetime, int | None]] = []
        if self._initial(tid) in RESOLVED:
            out.append((created, None))
        merged = self._merged_at(tid)
        for kind, old, new, at, agent in self.events[tid]:
            if kind != "status" or old in RESOLVED or new not in RESOLVED:
                continue
            if merged == at and new == "closed":
                continue
            out.append((at, agent))
        return out

    def first_reply(self, tid: int) -> tuple[datetime, int | None] | None:
        created = _t(self.tickets[tid][1])
        return next(
            ((at, a) for k, at, a, _ in self.messages[tid] if k == "reply" and at >= created),
            None,
        )

    def next_replies(self, tid: int) -> list[tuple[datetime, datetime, int | None]]:
        created = _t(self.tickets[tid][1])
        thread = [(k, at, a) for k, at, a, _ in self.messages[tid] if at >= created]
        out = []
        answered_once = False
        waiting: datetime | None = None
        for kind, at, agent in thread:
            if kind == "reply":
                if answered_once and waiting is not None:
                    out.append((waiting, at, agent))
                answered_once, waiting = True, None
            elif kind == "customer" and answered_once and waiting is None:
                waiting = at
        return out

    def status_at(self, tid: int, moment: datetime) -> str:
        status = self._initial(tid)
        for kind, _old, new, at, _agent in self.events[tid]:
            if kind == "status" and at < moment:
                status = new or ""
        return status

    def local(self, at: datetime) -> date:
        """The day a moment falls on for the team: its date in the calendar's zone."""
        return at.astimezone(self.cal.tz).date()

    def kpis(self, since: date, until: date) -> dict[str, float | int | None]:
        def inside(at: datetime) -> bool:
            return since <= self.local(at) <= until

        cal = self.cal
        out: dict[str, float | int | None] = {}
        out["new"] = sum(1 for t in self.tickets.values() if inside(_t(t[1])))
        solves = {tid: self.solves(tid) for tid in self.tickets}
        out["solved"] = sum(1 for s in solves.values() for at, _ in s if inside(at))
        out["reopened"] = sum(
            1 for ev in self.events.values() for e in ev if e[0] == "reopened" and inside(e[3])
        )
        spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for tid, t in self.tickets.items():
            created = _t(t[1])
            first = self.first_reply(tid)
            if first and inside(first[0]):
                spans["first_reply"].append((created, first[0]))
            for start, end, _ in self.next_replies(tid):
                if inside(end):
                    spans["next_reply"].append((start, end))
            for at, _ in solves[tid]:
                if inside(at):
                    spans["resolution"].append((created, at))
        for metric in ("first_reply", "next_reply", "resolution"):
            cal_s = [(b - a).total_seconds() for a, b in spans[metric]]
            bus_s = [cal.between(a, b).total_seconds() for a, b in spans[metric]]
            out[f"{metric}_calendar_median_s"] = _nearest_rank(cal_s, 50)
            out[f"{metric}_calendar_p90_s"] = _nearest_rank(cal_s, 90)
            out[f"{metric}_business_median_s"] = _nearest_rank(bus_s, 50)
            out[f"{metric}_business_p90_s"] = _nearest_rank(bus_s, 90)
            out[f"{metric}_count"] = len(cal_s)
        for target in ("first_reply", "next_reply", "resolution"):
            met = sum(
                1
                for ev in self.events.values()
                for e in ev
                if e[0] == "sla_met" and e[2] == target and inside(e[3])
            )
            breached = sum(
                1
                for ev in self.events.values()
                for e in ev
                if e[0] == "sla_breached" and e[2] == target and inside(e[3])
            )
            out[f"sla_{target}_met"] = met
            out[f"sla_{target}_breached"] = breached
            out[f"sla_{target}_met_pct"] = _pct(met, met + breached)
        end = datetime.combine(until + timedelta(days=1), time(0), cal.tz)
        ages = [0] * 5
        backlog = 0
        for tid, t in self.tickets.items():
            created = _t(t[1])
            if created >= end or self.status_at(tid, end) in RESOLVED:
                continue
            backlog += 1
            age = (until - self.local(created)).days
            ages[0 if age < 1 else 1 if age < 3 else 2 if age < 7 else 3 if age < 30 else 4] += 1
        out["backlog"] = backlog
        for label, n in zip(("0_1d", "1_3d", "3_7d", "7_30d", "30d_plus"), ages, strict=True):
            out[f"backlog_age_{label}"] = n
        fcr = base = 0
        for tid, t in self.tickets.items():
            if t[2] not in RESOLVED or t[6] is not None or not solves[tid]:
                continue
            if not inside(solves[tid][-1][0]):
                continue
            base += 1
            replies = sum(1 for m in self.messages[tid] if m[0] == "reply")
            fcr += replies == 1 and t[5] == 0
        out["fcr_pct"] = _pct(fcr, base)
        out["reopen_rate_pct"] = _pct(int(out["reopened"] or 0), int(out["solved"] or 0))
        out |= self.feedback(inside)
        seconds = sum(s for at, s, _ in self.time if inside(at))
        out["time_on_tickets_s"] = seconds
        start = datetime.combine(since, time(0), cal.tz)
        working = cal.between(start, end).total_seconds() * self.agents
        out["utilization_pct"] = _pct(seconds, working)
        out["cost_per_ticket"] = None
        return out

    def volume_by(self, dim: str, since: date, until: date) -> dict[str, dict[str, int]]:
        """new/solved/reopened per tag, group (id), channel or mailbox, as tickets are now."""

        def keys(tid: int) -> list[str]:
            t = self.tickets[tid]
            if dim == "tag":
                return sorted(self.tags[tid])
            if dim == "group":
                return [] if t[4] is None else [str(t[4])]
            if dim == "channel":
                return [t[3]]
            box = next((m[3] for m in self.messages[tid] if m[0] == "customer" and m[3]), None)
            return [] if box is None else [box]

        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for tid, t in self.tickets.items():
            for key in keys(tid):
                if since <= self.local(_t(t[1])) <= until:
                    out[key]["new"] += 1
                for at, _ in self.solves(tid):
                    if since <= self.local(at) <= until:
                        out[key]["solved"] += 1
                for e in self.events[tid]:
                    if e[0] == "reopened" and since <= self.local(e[3]) <= until:
                        out[key]["reopened"] += 1
        return {k: dict(v) for k, v in out.items()}

    def feedback(self, inside: Callable[[datetime], bool]) -> dict[str, float | int | None]:
        """Survey and knowledge-base figures: each ticket's last answer given in the period."""
        last = {tid: (rating, effort) for tid, rating, effort, at in self.answers if inside(at)}
        ratings = [rating for rating, _ in last.values()]
        efforts = [effort for _, effort in last.values() if effort is not None]
        uses = [(kind, article) for kind, article, at in self.kb_uses if inside(at)]
        opened = sum(1 for kind, _ in uses if kind == "suggestion_opened")
        read_first = sum(1 for kind, article in uses if kind == "contacted" and article)
        great, bad = ratings.count("great"), ratings.count("not_good")
        return {
            "csat_answers": len(ratings),
            "csat_good_pct": _pct(great, len(ratings)),
            "happiness_score": _pct(great - bad, len(ratings)),
            "effort_avg": sum(efforts) / len(efforts) if efforts else None,
            "kb_views": sum(1 for kind, _ in uses if kind == "view"),
            "kb_linked": sum(1 for kind, _ in uses if kind == "linked"),
            "deflection_pct": _pct(max(opened - read_first, 0), opened),
        }
