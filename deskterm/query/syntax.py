"""The one query language of deskterm, parsed once for the app, CLI, views and server.

    refund status:open,pending tag:billing from:ana@example.com
    created>2026-01-01 updated<7d assignee:me priority:high,urgent is:unread "exact phrase"
    mood:upset urgent:yes csat:not_good

Free words are searched in subjects and bodies; fields filter. Values separated
by commas are alternatives (OR); different fields must all hold (AND); `tag:` given
twice needs both tags. Dates are YYYY-MM-DD (local time) or an age: 30m, 12h, 7d,
2w; `updated<7d` means "updated less than seven days ago".
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from deskterm.errors import QuerySyntaxError
from deskterm.vocab import Priority, Status

LIST_FIELDS = (
    "status",
    "priority",
    "assignee",
    "tag",
    "from",
    "customer",
    "group",
    "channel",
    "sla",
    "sort",
    "is",
    "mood",
    "urgent",
    "csat",
)
DATE_FIELDS = ("created", "updated", "due")
FIELDS = (*LIST_FIELDS, *DATE_FIELDS)
SLA_VALUES = ("breached", "ok", "none", "any")
SORTS = ("updated", "due", "created")
IS_VALUES = ("unread", "read")
# The tone of the latest customer message (see deskterm.assist.tone).
MOOD_VALUES = ("upset", "calm")
URGENT_VALUES = ("yes", "no")
# The latest satisfaction survey answer: a rating (deskterm.kb.survey.Rating), none, any.
CSAT_VALUES = ("great", "okay", "not_good", "none", "any")
_OPS = (">=", "<=", ">", "<", ":")
_TOKEN = re.compile(r"^(-?)([a-z_]+)(>=|<=|>|<|:)(.*)$", re.S)
_AGE = re.compile(r"^(\d{1,6})([mhdw])\Z")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class DateFilter:
    field: str  # created | updated
    op: str  # one of _OPS
    value: str  # the text as written: 2026-01-01 or 7d


@dataclass(frozen=True)
class TicketQuery:
    """A parsed query; `str()` gives back a canonical query string that parses to it."""

    words: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    assignee: tuple[str, ...] = ()
    tag: tuple[tuple[str, ...], ...] = ()  # each inner tuple is one `tag:` (OR inside)
    from_: tuple[str, ...] = ()
    customer: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    sla: tuple[str, ...] = ()
    sort: str = ""  # "" is newest activity first
    is_: tuple[str, ...] = ()  # unread | read, for the agent running the query
    mood: tuple[str, ...] = ()  # upset | calm
    urgent: tuple[str, ...] = ()  # yes | no
    csat: tuple[str, ...] = ()  # great | okay | not_good | none | any
    dates: tuple[DateFilter, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return format_query(self)

    def merged(self, other: TicketQuery) -> TicketQuery:
        """Both queries at once (a view narrowed by a search)."""
        return TicketQuery(
            words=self.words + other.words,
            status=_intersect(self.status, other.status),
            priority=_intersect(self.priority, other.priority),
            assignee=other.assignee or self.assignee,
            tag=self.tag + other.tag,
            from_=other.from_ or self.from_,
            customer=self.customer + other.customer,
            group=other.group or self.group,
            channel=_intersect(self.channel, other.channel),
            sla=other.sla or self.sla,
            sort=other.sort or self.sort,
            dates=self.dates + other.dates,
            is_=tuple(dict.fromkeys(self.is_ + other.is_)),
            mood=_intersect(self.mood, other.mood),
            urgent=_intersect(self.urgent, other.urgent),
            csat=_intersect(self.csat, other.csat),
        )

    @property
    def is_empty(self) -> bool:
        return self == TicketQuery()


def _intersect(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    if not a or not b:
        return a or b
    both = tuple(x for x in a if x in b)
    # An empty intersection must still match nothing, not everything.
    return both or ("\x00none",)


def _split(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError:
        raise QuerySyntaxError(f"bad query: unclosed quote in {text!r}") from None


def _values(name: str, raw: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if not values:
        raise QuerySyntaxError(f"bad query: {name}: needs a value, e.g. {name}:{_example(name)}")
    return values


def _example(name: str) -> str:
    return {
        "status": "open,pending",
        "priority": "urgent",
        "assignee": "me",
        "tag": "billing",
        "from": "ana@example.com",
        "customer": "acme",
        "group": "support",
        "channel": "email",
        "created": ">2026-01-01",
        "updated": "<7d",
        "due": "<2h",
        "sla": "breached",
        "sort": "due",
        "is": "unread",
        "mood": "upset",
        "urgent": "yes",
        "csat": "not_good",
    }.get(name, "value")


def _check_choice(name: str, values: tuple[str, ...], choices: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        norm = value.lower().replace("-", "_")
        if norm not in choices:
            raise QuerySyntaxError(
                f"bad query: {name}:{value!r} is not a {name} (choose from {', '.join(choices)})"
            )
        out.append(norm)
    return tuple(dict.fromkeys(out))


def parse_date_value(value: str) -> None:
    age = _AGE.match(value)
    if age:
        if int(age.group(1)) * {"m": 1, "h": 60, "d": 1440, "w": 10080}[age.group(2)] > 5e7:
            raise QuerySyntaxError(f"bad query: {value!r} is more than a century")
        return
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise QuerySyntaxError(
            f"bad query: {value!r} is not a date (YYYY-MM-DD) or an age (30m, 12h, 7d, 2w)"
        ) from None
    if not 1900 <= day.year <= 9000:
        raise QuerySyntaxError(f"bad query: {value!r} is out of range (years 1900-9000)")


def parse_query(text: str) -> TicketQuery:
    """Parse `text`; raise QuerySyntaxError with one line naming the bad part."""
    words: list[str] = []
    lists: dict[str, list[str]] = {name: [] for name in LIST_FIELDS}
    tags: list[tuple[str, ...]] = []
    dates: list[DateFilter] = []
    for token in _split(text):
        if not token.strip():
            continue
        match = _TOKEN.match(token)
        if match is None or (match.group(2) not in FIELDS and match.group(3) != ":"):
            words.append(token)
            continue
        negated, name, op, raw = match.groups()
        if name not in FIELDS:
            if name.startswith("http") or "/" in raw[:2]:  # a URL is a word, not a field
                words.append(token)
                continue
            raise QuerySyntaxError(
                f"bad query: unknown field {name!r} in {token!r} (fields: {', '.join(FIELDS)})"
            )
        if negated:
            raise QuerySyntaxError(f"bad query: negation is not supported yet ({token!r})")
        if name == "due":
            if op == ":" or not _AGE.match(raw):
                raise QuerySyntaxError(
                    f"bad query: {token!r}: use due<2h (due within) or due>1d (due later)"
                )
            parse_date_value(raw)
            dates.append(DateFilter(name, op, raw))
            continue
        if name in DATE_FIELDS:
            if op == ":" and _AGE.match(raw):
                raise QuerySyntaxError(
                    f"bad query: {token!r}: use {name}<{raw} (newer) or {name}>{raw} (older)"
                )
            parse_date_value(raw)
            dates.append(DateFilter(name, op, raw))
            continue
        if op != ":":
            raise QuerySyntaxError(f"bad query: {token!r}: {name} takes ':' (e.g. {name}:value)")
        values = _values(name, raw)
        if name == "status":
            values = _check_choice(name, values, tuple(s.value for s in Status))
        elif name == "priority":
            values = _check_choice(name, values, tuple(p.value for p in Priority))
        elif name == "channel":
            values = _check_choice(name, values, ("email", "web", "phone"))
        elif name == "sla":
            values = _check_choice(name, values, SLA_VALUES)
        elif name == "is":
            values = _check_choice(name, values, IS_VALUES)
        elif name == "mood":
            values = _check_choice(name, values, MOOD_VALUES)
        elif name == "urgent":
            values = _check_choice(name, values, URGENT_VALUES)
        elif name == "csat":
            values = _check_choice(name, values, CSAT_VALUES)
        elif name == "sort":
            values = _check_choice(name, values, SORTS)
            if len(values) > 1 or lists["sort"]:
                raise QuerySyntaxError(f"bad query: {token!r}: sort by one field")
        elif name in ("tag", "from"):
            values = tuple(v.lower() for v in values)
        if name == "tag":
            tags.append(values)
        else:
            lists[name].extend(v for v in values if v not in lists[name])
    return TicketQuery(
        words=tuple(words),
        status=tuple(lists["status"]),
        priority=tuple(lists["priority"]),
        assignee=tuple(lists["assignee"]),
        tag=tuple(tags),
        from_=tuple(lists["from"]),
        customer=tuple(lists["customer"]),
        group=tuple(lists["group"]),
        channel=tuple(lists["channel"]),
        sla=tuple(lists["sla"]),
        sort="" if lists["sort"] == ["updated"] else "".join(lists["sort"]),
        dates=tuple(dates),
        is_=tuple(lists["is"]),
        mood=tuple(lists["mood"]),
        urgent=tuple(lists["urgent"]),
        csat=tuple(lists["csat"]),
    )


def quote_value(value: str) -> str:
    if value and not re.search(r"[\s\"',]", value):
        return value
    # POSIX shell quoting: shlex joins 'it'"'"'s' back into it's.
    return "'" + value.replace("'", "'\"'\"'") + "'"


def format_query(query: TicketQuery) -> str:
    """The canonical text of `query`: fields in a fixed order, then the free words."""
    parts: list[str] = []
    for name, values in (
        ("status", query.status),
        ("priority", query.priority),
        ("assignee", query.assignee),
    ):
        if values:
            parts.append(f"{name}:" + ",".join(quote_value(v) for v in values))
    parts.extend("tag:" + ",".join(quote_value(v) for v in tag) for tag in query.tag)
    for name, values in (
        ("from", query.from_),
        ("customer", query.customer),
        ("group", query.group),
        ("channel", query.channel),
        ("sla", query.sla),
        ("sort", (query.sort,) if query.sort else ()),
        ("is", query.is_),
        ("mood", query.mood),
        ("urgent", query.urgent),
        ("csat", query.csat),
    ):
        if values:
            parts.append(f"{name}:" + ",".join(quote_value(v) for v in values))
    parts.extend(f"{d.field}{d.op}{d.value}" for d in query.dates)
    parts.extend(quote_value(word) for word in query.words)
    return " ".join(parts)


def resolve_date(value: str, now: datetime, tz_now: datetime) -> datetime:
    """An absolute aware time for a date value: a local midnight or now minus an age."""
    age = _AGE.match(value)
    if age:
        return now - timedelta(**{_AGE_UNITS[age.group(2)]: int(age.group(1))})
    day = datetime.strptime(value, "%Y-%m-%d")
    return day.replace(tzinfo=tz_now.tzinfo)


def with_words(query: TicketQuery, words: tuple[str, ...]) -> TicketQuery:
    return replace(query, words=words)
