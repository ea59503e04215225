"""The field dialogs the queue (on marked tickets) and the ticket screen share.

Each dialog answers with a string (or None on escape); `field_change` turns the
answer into `update_tickets` arguments, so both screens change fields alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deskterm.screens.modals import ChoiceModal, TextModal
from deskterm.store.queries.records import AgentRecord
from deskterm.vocab import Priority, Status

NOBODY = "\x00nobody"
TAGS_HINT = "billing -vip   (a leading - removes)"


def status_dialog(title: str, current: str | None = None) -> ChoiceModal:
    return ChoiceModal(title, [(s.value, s.value.replace("_", " ")) for s in Status], current)


def priority_dialog(title: str, current: str | None = None) -> ChoiceModal:
    return ChoiceModal(title, [(p.value, p.value) for p in Priority], current)


def assign_dialog(title: str, agents: Sequence[AgentRecord]) -> ChoiceModal:
    choices = [(NOBODY, "Unassigned")]
    for agent in agents:
        label = f"{agent.name} <{agent.email}>" + (" (away)" if agent.away else "")
        choices.append((agent.email, label))
    return ChoiceModal(title, choices)


def tags_dialog(title: str, suggestions: Sequence[str]) -> TextModal:
    return TextModal(title, placeholder=TAGS_HINT, suggestions=list(suggestions))


def field_change(what: str, value: str | None) -> dict[str, Any] | None:
    """`update_tickets` arguments for a dialog's answer; None when there is nothing to do."""
    if value is None:
        return None
    if what == "assignee":
        return {"assignee": None if value == NOBODY else value}
    if what == "tags":
        adds, removes = split_tags(value)
        return {"add_tags": adds, "remove_tags": removes} if adds or removes else None
    return {what: value}


def split_tags(text: str) -> tuple[list[str], list[str]]:
    """`billing -vip +urgent` -> (['billing', 'urgent'], ['vip'])."""
    adds, removes = [], []
    for word in text.replace(",", " ").split():
        if word.startswith("-") and len(word) > 1:
            removes.append(word[1:])
        elif word.lstrip("+"):
            adds.append(word.lstrip("+"))
    return adds, removes
