"""Rules as the engine sees them, built from `[[rules]]` in the config."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from deskterm.errors import ConfigError, QuerySyntaxError
from deskterm.query.syntax import TicketQuery, parse_query

if TYPE_CHECKING:
    from deskterm.config import RuleConfig


class Trigger(StrEnum):
    TICKET_CREATED = "ticket_created"
    CUSTOMER_REPLIED = "customer_replied"
    AGENT_REPLIED = "agent_replied"
    FIELD_CHANGED = "field_changed"
    TIME = "time"  # checked every minute against the query


FIELDS = ("status", "priority", "assignee", "group", "tags", "csat")
ASSIGN_MODES = ("round_robin", "least_loaded")


@dataclass(frozen=True)
class Actions:
    set_status: str | None = None
    set_priority: str | None = None
    set_group: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    assign: str | None = None  # an agent, or round_robin:GROUP / least_loaded:GROUP
    canned: str | None = None  # apply this canned reply (a reply, with its actions)
    auto_mail: str | None = None  # send this canned reply as an automatic mail (loop-safe)
    note: str | None = None
    # Apply the suggested tags, group and priority whose confidence is at least this.
    apply_suggestion: float | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    trigger: Trigger
    query: TicketQuery = field(default_factory=TicketQuery)
    field: str | None = None  # for field_changed
    to: str | None = None  # for field_changed: the new value, if it matters
    sender_domains: tuple[str, ...] = ()
    mailbox: str | None = None
    business_hours: str | None = None  # "open" | "closed"
    calendar: str = "business"
    actions: Actions = Actions()
    enabled: bool = True


def rules_from_config(configs: list[RuleConfig]) -> tuple[Rule, ...]:
    rules = []
    names: set[str] = set()
    for index, cfg in enumerate(configs):
        where = f"rules[{index}]"
        if cfg.name in names:
            raise ConfigError(f"{where}.name: two rules are named {cfg.name!r}")
        names.add(cfg.name)
        try:
            trigger = Trigger(cfg.trigger)
        except ValueError:
            raise ConfigError(
                f"{where}.trigger: {cfg.trigger!r} (choose from {', '.join(Trigger)})"
            ) from None
        try:
            query = parse_query(cfg.query)
        except QuerySyntaxError as exc:
            raise ConfigError(f"{where}.query: {exc}") from None
        if trigger is Trigger.FIELD_CHANGED and cfg.field not in FIELDS:
            raise ConfigError(f"{where}.field: choose from {', '.join(FIELDS)}")
        if trigger is Trigger.TIME and query.is_empty:
            raise ConfigError(
                f"{where}.query: a time rule needs a query (e.g. status:pending updated>5d)"
            )
        if cfg.business_hours not in ("", "open", "closed"):
            raise ConfigError(f"{where}.business_hours: open or closed")
        if cfg.assign and ":" in cfg.assign and cfg.assign.split(":")[0] not in ASSIGN_MODES:
            raise ConfigError(
                f"{where}.assign: use an agent, round_robin:GROUP or least_loaded:GROUP"
            )
        actions = Actions(
            set_status=cfg.set_status or None,
            set_priority=cfg.set_priority or None,
            set_group=cfg.set_group or None,
            add_tags=tuple(cfg.add_tags),
            remove_tags=tuple(cfg.remove_tags),
            assign=cfg.assign or None,
            canned=cfg.canned or None,
            auto_mail=cfg.auto_mail or None,
            note=cfg.note or None,
            apply_suggestion=cfg.apply_suggestion or None,
        )
        if not 0 <= cfg.apply_suggestion <= 1:
            raise ConfigError(
                f"{where}.apply_suggestion: a confidence from 0 to 1 (0.8 applies what"
                " 80% of the similar tickets' weight agrees on), not {cfg.apply_suggestion}"
            )
        if actions == Actions():
            raise ConfigError(f"{where}: the rule has no action")
        rules.append(
            Rule(
                name=cfg.name,
                trigger=trigger,
                query=query,
                field=cfg.field or None,
                to=cfg.to or None,
                sender_domains=tuple(d.lower().lstrip("@") for d in cfg.sender_domains),
                mailbox=cfg.mailbox.lower() or None,
                business_hours=cfg.business_hours or None,
                calendar=cfg.calendar,
                actions=actions,
                enabled=cfg.enabled,
            )
        )
    return tuple(rules)
