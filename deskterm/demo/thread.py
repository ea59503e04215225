"""One demo ticket's life, simulated: messages and events as the service layer writes them.

A ticket is played forward from its first message: triage (assignee, tags,
priority), replies, customer answers, notes, holds, solves, reopens, the
automatic close, until its story ends or reaches `now`. Status changes go
through `records.status_change`, the service layer's own definition, so the
fields agree with the events. Times are integer microseconds since the
Unix epoch, UTC; the team's business hours are 08:00-18:00 UTC on weekdays.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from deskterm.demo import text
from deskterm.store.service.records import status_change

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_OPEN_AT = 8 * HOUR
_CLOSE_AT = 18 * HOUR
SUPPORT_ADDR = "support@deskterm.demo"

# A message waiting to be written: everything but its id, plus the event it causes.
# (kind, author_agent_id, author_customer_id, from_name, from_addr, to_addrs, subject,
#  body, message_id, event_actor_id, event_actor, event_kind or None)
Msg = tuple[
    str, int | None, int | None, str, str, str, str, str, str | None, int | None, str, str | None
]
# (actor_agent_id, actor, kind, old, new)
Ev = tuple[int | None, str, str, str | None, str | None]
# (time, ticket id, message or None, events after the message's own event)
Item = tuple[int, int, Msg | None, list[Ev]]


@dataclass(frozen=True)
class AgentInfo:
    id: int
    name: str
    email: str
    langs: tuple[str, ...]
    groups: tuple[str, ...]
    weight: float

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str
    email: str
    vip: bool

    @property
    def first(self) -> str:
        return self.name.split()[0] if self.name else ""


@dataclass
class World:
    """What threads draw on: agents, customers by language, group and tag ids."""

    agents: list[AgentInfo]
    customers: dict[str, list[CustomerInfo]]
    group_ids: dict[str, int]
    tag_ids: dict[str, int] = field(default_factory=dict)
    canned: dict[str, str] = field(default_factory=dict)  # canned reply templates by name

    def tag_id(self, name: str) -> int:
        tid = self.tag_ids.get(name)
        if tid is None:
            tid = self.tag_ids[name] = len(self.tag_ids) + 1
        return tid


@dataclass
class TicketState:
    """The ticket row's fields as the thread leaves them."""

    status: str = "new"
    priority: str = "normal"
    assignee_id: int | None = None
    first_response_at: int | None = None
    solved_at: int | None = None
    reopen_count: int = 0
    message_count: int = 0
    updated_at: int = 0
    tags: list[str] = field(default_factory=list)

    def change_status(self, new: str, t: int, aid: int | None, actor: str) -> list[Ev]:
        """Move to status `new` at `t`; the events it writes (none if it is the status)."""
        change = status_change(self.status, new, self.solved_at, self.reopen_count, t)
        if change is None:
            return []
        self.status, self.solved_at = change.status, change.solved_at
        self.reopen_count = change.reopen_count
        return [(aid, actor, kind, old, to) for kind, old, to in change.events]


def _cum(weights: dict[str, int] | dict[str, float]) -> tuple[list[str], list[float]]:
    return list(weights), list(accumulate(weights.values()))


_LANGS = _cum({"en": 85, "ko": 5, "zh": 5, "ja": 5})
_TOPICS = _cum(text.TOPIC_WEIGHTS)
_CJK_TOPICS = _cum(text.CJK_TOPIC_WEIGHTS)
_PRIORITIES = _cum({"low": 15, "normal": 60, "high": 18, "urgent": 7})
_CHANNELS = _cum({"email": 80, "web": 15, "phone": 5})
# How many messages a thread is planned to have: most 1-4, a long tail to 15.
_LENGTHS = _cum(
    {
        str(n): w
        for n, w in enumerate((0, 14, 46, 19, 10, 4, 2, 1.5, 1, 1, 0.5, 0.5, 0.4, 0.3, 0.3, 0.3))
    }
)
# First agent touch after creation, by priority (log-uniform between the bounds, seconds).
_FIRST_TOUCH = {
    "urgent": (120, 3600),
    "high": (600, 4 * 3600),
    "normal": (900, 8 * 3600),
    "low": (1800, 30 * 3600),
}


# Odds of an urgent line in the first message by priority, of an upset line by purpose,
# and of a calm line denying urgency: wording follows the labels, loosely, with noise.
_URGENT_ODDS = {"urgent": 0.6, "high": 0.2, "normal": 0.03, "low": 0.0}
_UPSET_ODDS = {"first": 0.04, "chase": 0.25, "reopen": 0.35, "info": 0.02}
_CALM_ODDS = {"low": 0.2, "normal": 0.04}
# Which canned reply an agent reaches for, by topic and purpose; how often they do, and
# how often they pick one that does not quite fit (history is never clean).
_CANNED_FOR = {
    ("refund", "resolve"): "Refund issued",
    ("login", "resolve"): "Password reset steps",
    ("shipping", "progress"): "Shipping delay",
    ("shipping", "resolve"): "Shipping delay",
    ("bug", "ask"): "Ask for a screenshot",
    ("bug", "progress"): "Bug acknowledged",
    ("feature-request", "resolve"): "Feature request noted",
}
_CANNED_ODDS, _CANNED_MISFIT = 0.6, 0.12
# Triage gets a ticket's topic wrong this often: history to learn from is never clean.
_MISLABEL = 0.07
_TOPIC_TAGS = {
    "en": [tuple(t["tags"]) for t in text.TOPICS.values()],
    "cjk": list(text.CJK_TOPIC_TAGS.values()),
}


def canned_text(template: str, first_name: str, number: int, agent_first: str) -> str:
    """A demo canned reply as its template renders for one ticket (without Jinja: fast)."""
    return (
        template.replace('{{ customer.first_name | default("there") }}', first_name or "there")
        .replace("{{ ticket.number }}", str(number))
        .replace("{{ agent.first_name }}", agent_first)
    )


class ThreadMaker:
    """Deterministic ticket lives from one random generator (tone lines from a second)."""

    def __init__(
        self, rng: random.Random, world: World, now: int, extra_rng: random.Random | None = None
    ) -> None:
        self.rng = rng
        # Apart from `rng`, so tone lines and canned replies left every other draw as it was.
        self.extra_rng = extra_rng or random.Random(0)
        self.world = world
        self.now = now
        self._agents: dict[tuple[str, str], tuple[list[AgentInfo], list[float]]] = {}
        for lang in ("en", "ko", "zh", "ja"):
            for group in world.group_ids:
                pool = [a for a in world.agents if lang in a.langs and group in a.groups]
                if not pool:
                    pool = [a for a in world.agents if lang in a.langs] or world.agents
                self._agents[(lang, group)] = (pool, list(accumulate(a.weight for a in pool)))

    # -- small helpers ------------------------------------------------------------

    def _pick(self, seq: tuple[str, ...] | list[str]) -> str:
        return seq[int(self.rng.random() * len(seq))]

    def _weighted(self, table: tuple[list[str], list[float]]) -> str:
        names, cum = table
        return names[bisect(cum, self.rng.random() * cum[-1])]

    def _delay(self, lo: float, hi: float) -> int:
        return int(lo * (hi / lo) ** self.rng.random() * SECOND)

    def agent_time(self, t: int) -> int:
        """`t`, or mostly the next business-hours moment when it falls outside them."""
        day, rest = divmod(t, DAY)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        if weekday < 5 and _OPEN_AT <= rest < _CLOSE_AT:
            return t
        if self.rng.random() < 0.08:  # someone on call answers anyway
            return t
        if weekday >= 5 or rest >= _CLOSE_AT:
            day += 1
            while (day + 3) % 7 >= 5:
                day += 1
        return day * DAY + _OPEN_AT + int(self.rng.random() * 3 * HOUR)

    def customer_time(self, t: int) -> int:
        """Customers write at any hour, but mostly not at night."""
        day, rest = divmod(t, DAY)
        if rest < 7 * HOUR and self.rng.random() < 0.8:
            return day * DAY + 7 * HOUR + self._delay(60, 4 * 3600)
        if rest >= 21 * HOUR and self.rng.random() < 0.6:
            return (day + 1) * DAY + 7 * HOUR + self._delay(60, 4 * 3600)
        return t

    # -- text ------------------------------------------------------------------

    def _en_customer_first(self, topic: text.Topic, opening: str, first: str) -> str:
        rnd = self.rng.random
        details = topic["detail"]
        parts = [opening]
        for _ in range(int(rnd() * 3.2)):
            parts.append(self._pick(details))
        parts.append(self._pick(text.CUSTOMER_ASKS))
        said = " ".join(dict.fromkeys(parts))
        body = f"{self._pick(text.GREETINGS)}\n\n{said}\n\n{self._pick(text.SIGNOFFS)}"
        return f"{body}\n{first}" if first else body

    def _en_reply(self, topic: text.Topic, purpose: str, cust_first: str, agent: AgentInfo) -> str:
        lines = topic[purpose]
        parts = [self._pick(text.AGENT_OPENERS), self._pick(lines)]
        if self.rng.random() < 0.4:
            parts.append(self._pick(lines))
        parts.append(self._pick(text.AGENT_CLOSERS))
        hello = f"Hi {cust_first}," if cust_first else "Hi there,"
        return (
            f"{hello}\n\n{' '.join(dict.fromkeys(parts))}\n\n"
            f"{self._pick(text.AGENT_SIGNOFFS)}\n{agent.first}"
        )

    def _en_follow(self, bank: tuple[str, ...], topic: text.Topic, first: str, agent: str) -> str:
        parts = [self._pick(bank)]
        if self.rng.random() < 0.35:
            parts.append(self._pick(topic["detail"]))
        hello = f"Hi {agent}," if self.rng.random() < 0.5 else self._pick(text.GREETINGS)
        return f"{hello}\n\n{' '.join(parts)}\n\n{self._pick(text.SIGNOFFS)}\n{first}"

    def _with_tone(self, body: str, lang: str, purpose: str, priority: str) -> str:
        """`body` with an urgent, upset or calm line after its first line, at their odds."""
        roll = self.extra_rng.random
        lines = []
        if purpose == "first" and roll() < _URGENT_ODDS[priority]:
            lines.append(self.extra_rng.choice(text.URGENT_LINES[lang]))
        elif purpose == "first" and roll() < _CALM_ODDS.get(priority, 0.0):
            lines.append(self.extra_rng.choice(text.CALM_LINES[lang]))
        if roll() < _UPSET_ODDS.get(purpose, 0.0):
            lines.append(self.extra_rng.choice(text.UPSET_LINES[lang]))
        if not lines:
            return body
        head, _, rest = body.partition("\n")
        return f"{head}\n{' '.join(lines)}\n{rest}"

    def _mislabel(self, tags: list[str], topic_tags: tuple[str, ...], lang: str) -> list[str]:
        """`tags`, or now and then another topic's tags in place of this topic's."""
        if self.extra_rng.random() >= _MISLABEL:
            return tags
        pool = _TOPIC_TAGS["en" if lang == "en" else "cjk"]
        wrong = self.extra_rng.choice([p for p in pool if p != topic_tags])
        return [*wrong, *(t for t in tags if t not in topic_tags)]

    def _canned(self, topic: str, purpose: str) -> str | None:
        """The canned reply an agent uses for this reply, if any (English tickets)."""
        fits = _CANNED_FOR.get((topic, purpose))
        roll = self.extra_rng.random
        if fits is None or roll() >= _CANNED_ODDS:
            return None
        if roll() < _CANNED_MISFIT:
            return self.extra_rng.choice(sorted(set(_CANNED_FOR.values()) - {fits}))
        return fits

    # -- one ticket ---------------------------------------------------------------

    def make(self, tid: int, t0: int) -> tuple[TicketState, str, int, int, str, list[Item]]:
        """Play ticket `tid` from `t0`: (state, subject, customer, group, channel, items)."""
        rng = self.rng
        rnd = rng.random
        now = self.now
        lang = self._weighted(_LANGS)
        if lang == "en":
            topic_name = self._weighted(_TOPICS)
            topic = text.TOPICS[topic_name]
            tags = list(topic["tags"])
            extra = text.EXTRA_TAGS.get(topic_name)
            if extra and rnd() < 0.5:
                tags.append(self._pick(extra))
        else:
            topic_name = self._weighted(_CJK_TOPICS)
            topic = text.CJK[lang][topic_name]
            tags = list(text.CJK_TOPIC_TAGS[topic_name])
        group = text.TOPIC_GROUP[topic_name]
        pool = self.world.customers[lang]
        n = len(pool)
        cust = pool[int(rnd() * n) if rnd() < 0.7 else int(rnd() * max(1, n // 20))]
        if cust.vip:
            tags.append("vip")
        state = TicketState(priority=self._weighted(_PRIORITIES))
        if cust.vip and state.priority in ("low", "normal") and rnd() < 0.5:
            state.priority = "high"
        channel = self._weighted(_CHANNELS)
        agents, cum = self._agents[(lang, group)]
        agent = agents[bisect(cum, rnd() * cum[-1])]
        slots = {
            "order": rng.randrange(10000, 99999),
            "invoice": rng.randrange(2000, 9999),
            "feature": self._pick(text.FEATURES),
            "product": self._pick(text.PRODUCTS),
            "days": rng.randrange(3, 22),
            "amount": self._pick(text.AMOUNTS),
            "plan": self._pick(text.PLANS),
            "device": self._pick(text.DEVICES),
            "version": f"{rng.randrange(3, 6)}.{rng.randrange(0, 12)}",
            "bug": rng.randrange(1000, 4999),
            "colleague": self._pick([a.first for a in self.world.agents if a is not agent]),
        }
        # The opening line goes with the subject (the banks list them in step).
        which = int(rnd() * len(topic["subjects"]))
        subject = topic["subjects"][which].format(**slots)
        opening = topic["open"][which % len(topic["open"])]
        planned = int(self._weighted(_LENGTHS))
        cust_first = cust.first if lang == "en" else cust.name
        common = text.CJK_COMMON.get(lang, {})

        def customer_body(purpose: str) -> str:
            return self._with_tone(plain_body(purpose), lang, purpose, state.priority)

        def plain_body(purpose: str) -> str:
            if lang == "en":
                if purpose == "first":
                    return self._en_customer_first(topic, opening, cust_first).format(**slots)
                bank = {
                    "info": text.FOLLOW_INFO,
                    "chase": text.FOLLOW_CHASE,
                    "reopen": text.FOLLOW_REOPEN,
                    "thanks": text.FOLLOW_THANKS,
                }[purpose]
                return self._en_follow(bank, topic, cust_first, agent.first).format(**slots)
            if purpose == "first":
                lines = [self._pick(common["greet"]), opening]
                if rnd() < 0.7:
                    lines.append(self._pick(topic["detail"]))
                lines.append(self._pick(common["signoff"]))
                return ("\n".join(lines) + f"\n{cust.name}").format(**slots)
            return (self._pick(common[purpose]) + f"\n{cust.name}").format(**slots)

        def reply_body(purpose: str) -> str:
            if lang == "en":
                return self._en_reply(topic, purpose, cust_first, agent).format(**slots)
            lines = topic.get(purpose) or common[purpose]
            return "\n".join(
                (
                    self._pick(common["agent_greet"]).format(name=cust.name),
                    self._pick(lines).format(**slots),
                    self._pick(common["closer"]),
                    self._pick(common["agent_signoff"]),
                    agent.first,
                )
            )

        items: list[Item] = []
        sent = 0

        def customer_msg(t: int, body: str, event: str | None) -> Msg:
            nonlocal sent
            sent += 1
            mid = (
                None
                if channel == "web"
                else f"<{tid}.{sent}.{t % 999983:x}@{cust.email.split('@')[1]}>"
            )
            subj = subject if sent == 1 else "Re: " + subject
            return (
                "customer",
                None,
                cust.id,
                cust.name,
                cust.email,
                SUPPORT_ADDR,
                subj,
                body,
                mid,
                None,
                "customer",
                event,
            )

        def agent_msg(kind: str, body: str, who: AgentInfo) -> Msg:
            return (
                kind,
                who.id,
                None,
                who.name,
                who.email,
                "",
                subject,
                body,
                None,
                who.id,
                who.name,
                "reply" if kind == "reply" else "note",
            )

        last_purpose = ""

        def reply(t: int, target: str | None) -> tuple[Msg, list[Ev]]:
            nonlocal last_purpose
            purpose = {"solved": "resolve", "pending": "ask"}.get(target or "", "progress")
            evs: list[Ev] = []
            canned = self._canned(topic_name, purpose) if lang == "en" else None
            if canned is None:
                msg = agent_msg("reply", reply_body(purpose), agent)
            else:
                body = canned_text(self.world.canned[canned], cust_first, tid, agent.first)
                msg = agent_msg("reply", body, agent)
                evs.append((agent.id, agent.name, "canned", None, canned))
            if state.first_response_at is None:
                state.first_response_at = t
            if target is None and state.status == "new":
                target = "open"
            if target is not None:
                evs += state.change_status(target, t, agent.id, agent.name)
            last_purpose = purpose
            return msg, evs

        # The customer's first message opens the ticket.
        items.append(
            (
                t0,
                tid,
                customer_msg(t0, customer_body("first"), None),
                [(None, "system", "created", None, f"#{tid}")],
            )
        )
        state.message_count = 1
        t = t0
        last = "customer"
        age = now - t0
        done = age < 3 * DAY and rnd() < 0.15  # not looked at yet

        # Triage: the agent takes the ticket, sets the priority, tags it.
        if not done:
            t = self.agent_time(t0 + self._delay(*_FIRST_TOUCH[state.priority]))
            if t > now:
                done = True
            else:
                evs: list[Ev] = []
                if rnd() < 0.08 and state.priority != "urgent":
                    old = state.priority
                    state.priority = "urgent" if old == "high" else "high"
                    evs.append((agent.id, agent.name, "priority", old, state.priority))
                evs.append((agent.id, agent.name, "assignee", None, agent.email))
                state.assignee_id = agent.id
                topic_tags = tuple(
                    topic["tags"] if lang == "en" else text.CJK_TOPIC_TAGS[topic_name]
                )
                tags = self._mislabel(tags, topic_tags, lang)
                for tag in tags:
                    evs.append((agent.id, agent.name, "tag_added", None, tag))
                state.tags = tags
                items.append((t, tid, None, evs))

        fate = rnd()
        purpose = "first"
        while not done and state.message_count < planned:
            remaining = planned - state.message_count
            if last == "reply" and rnd() < 0.9:
                # The customer answers the last reply.
                t = self.customer_time(t + self._delay(600, 2.5 * 86400))
                if last_purpose == "ask":
                    purpose = "info"
                elif last_purpose == "resolve":
                    purpose = "thanks" if remaining == 1 or rnd() < 0.3 else "reopen"
                else:
                    purpose = "chase"
                if t > now:
                    break
                evs = []
                msg = customer_msg(t, customer_body(purpose), "customer_message")
                if state.status != "new":
                    evs += state.change_status("open", t, None, "customer")
                last = "customer"
            elif last != "note" and remaining >= 2 and rnd() < 0.12:
                # An internal note, sometimes by a colleague.
                who = agent if rnd() < 0.6 else self._pick_colleague(agent)
                t = t + self._delay(60, 3 * 3600)
                if t > now:
                    break
                bank = text.NOTES if lang == "en" else text.NOTES[:3]
                msg, evs = agent_msg("note", self._pick(bank).format(**slots), who), []
                last = "note"
            else:
                # The agent replies; the last planned reply ends the story by its fate.
                if remaining == 1:
                    target = "solved" if fate < 0.82 else "pending" if fate < 0.9 else None
                else:
                    target = "pending" if rnd() < 0.55 else "solved" if rnd() < 0.12 else None
                t = self.agent_time(t + self._delay(300, 6 * 3600)) + SECOND
                if t > now:
                    break
                msg, evs = reply(t, target)
                last = "reply"
            items.append((t, tid, msg, evs))
            state.message_count += 1
        else:
            if not done:
                hold = self._pick(text.HOLD_NOTES).format(**slots)
                self._ending(
                    state,
                    t,
                    last,
                    purpose,
                    fate,
                    agent,
                    items,
                    reply,
                    lambda body: agent_msg("note", body, agent),
                    hold,
                )
        state.updated_at = items[-1][0]
        return state, subject, cust.id, self.world.group_ids[group], channel, items

    def _pick_colleague(self, agent: AgentInfo) -> AgentInfo:
        others = [a for a in self.world.agents if a is not agent]
        return others[int(self.rng.random() * len(others))]

    def _ending(
        self,
        state: TicketState,
        t: int,
        last: str,
        purpose: str,
        fate: float,
        agent: AgentInfo,
        items: list[Item],
        reply: Callable[[int, str | None], tuple[Msg, list[Ev]]],
        note: Callable[[str], Msg],
        hold_note: str,
    ) -> None:
        """After the planned messages: a last answer, a hold, the auto-solve and auto-close."""
        now = self.now
        tid = items[0][1]

        def change(t: int, new: str, aid: int | None, actor: str) -> bool:
            if t > now:
                return False
            evs = state.change_status(new, t, aid, actor)
            if evs:
                items.append((t, tid, None, evs))
            return True

        if last == "customer":
            t = self.agent_time(t + self._delay(300, 8 * 3600)) + SECOND
            if purpose in ("first", "thanks"):
                # Nothing to answer (a thank-you, a duplicate, spam): solved without a reply.
                if fate < 0.95 and not change(t, "solved", agent.id, agent.name):
                    return
            elif t > now:
                return
            else:
                msg, evs = reply(t, "solved")
                items.append((t, tid, msg, evs))
                state.message_count += 1
        elif state.status == "open" and fate > 0.93:
            # Waiting on someone else: a note, on hold, and solved weeks later.
            t = self.agent_time(t + self._delay(600, 86400)) + SECOND
            if t > now:
                return
            items.append((t, tid, note(hold_note), []))
            state.message_count += 1
            t += 2 * SECOND
            if not change(t, "on_hold", agent.id, agent.name):
                return
            t = self.agent_time(t + self._delay(7 * 86400, 28 * 86400)) + SECOND
            if t > now:
                return
            msg, evs = reply(t, "solved")
            items.append((t, tid, msg, evs))
            state.message_count += 1
        if state.status == "pending":
            t = t + 7 * DAY
            if not change(t, "solved", None, "rule:auto-solve"):
                return
        if state.status == "solved":
            t = t + 4 * DAY + self._delay(60, 3600)
            change(t, "closed", None, "system")
