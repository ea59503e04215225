"""What assist learns from a store, as a versioned file beside it.

Three things are counted here, once, by `deskterm assist train` (and again in the
background as history grows):
- how the team sets priority for mail that reads urgent or upset, and for tickets
  of each tag (a VIP tag raises it; a vote of ten similar tickets sees neither),
  over all solved history;
- how many messages hold each indexed term (document frequency), so finding
  similar tickets weighs a term by a lookup instead of counting its hits in the
  search index per query (the count was most of its time at a million tickets);
- which words go with which tag, group and canned reply (`assist.routing`).
The file never leaves the machine; a file of another version is not used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskterm.assist.routing import Routing

MODEL_VERSION = 4
# Below this many solved tickets suggestions say why they are missing instead.
MIN_HISTORY = 10
# Retrain when this many tickets were solved since the model was trained.
REFRESH_AFTER = 500
# The tone classes of a ticket's latest customer message.
TONES = ("urgent", "upset", "calm")
# A tag weighs in priority once this many solved tickets carried it.
TAG_FROM = 20
# A tag is named as a reason for a priority it makes this many times likelier.
TAG_LIFT = 1.5
# Terms in fewer messages are left out of the model: counting them per query is as
# cheap as a lookup, and the file stays small.
TERMS_FROM = 20


def model_path(store_path: Path) -> Path:
    """`desk.db` -> `desk.assist.json`: beside the store, named after it."""
    return store_path.with_name(store_path.stem + ".assist.json")


def tone_class(urgent_words: str | None, upset_words: str | None) -> str:
    """Urgent wins over upset: an urgent and angry customer is urgent first."""
    if urgent_words:
        return "urgent"
    return "upset" if upset_words else "calm"


@dataclass(frozen=True)
class AssistModel:
    """Solved tickets' priorities counted by the tone of their latest customer message."""

    solved: int  # solved tickets it learned from
    last_number: int  # the newest ticket number it saw
    trained_at: str  # ISO time
    priority_by_tone: dict[str, dict[str, int]] = field(default_factory=dict)
    priority_by_tag: dict[str, dict[str, int]] = field(default_factory=dict)
    # Indexed term (as the search index holds it: porter stem, CJK pair) -> messages
    # holding it, for terms in at least `TERMS_FROM` messages; out of `messages`.
    term_messages: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    routing: Routing = field(default_factory=Routing)
    changes: int = (
        0  # the store's change counter when it was trained: "solved since" counts from it
    )
    version: int = MODEL_VERSION

    def priority_shares(self, tone: str, tags: Iterable[str] = ()) -> dict[str, float]:
        """priority -> its likelihood for mail of this tone on a ticket with `tags`: the
        share of solved tickets of the tone that had it, times how much likelier each
        known tag makes it (naive Bayes: P(tag | priority) / P(tag))."""
        counts = self.priority_by_tone.get(tone, {})
        total = sum(counts.values())
        if not total:
            return {}
        scores = {p: n / total * self._lift(p, tags) for p, n in counts.items()}
        norm = sum(scores.values())
        return {p: score / norm for p, score in scores.items()}

    def priority_tags(self, priority: str, tags: Iterable[str]) -> tuple[str, ...]:
        """The `tags` that make `priority` at least `TAG_LIFT` times likelier."""
        return tuple(sorted(t for t in tags if self._lift(priority, (t,)) >= TAG_LIFT))

    def _lift(self, priority: str, tags: Iterable[str]) -> float:
        everyone = self._priority_totals()
        n = everyone.get(priority, 0)
        all_n = sum(everyone.values())
        lift = 1.0
        for tag in tags:
            counts = self.priority_by_tag.get(tag, {})
            tagged = sum(counts.values())
            if tagged < TAG_FROM or not n:
                continue
            lift *= ((counts.get(priority, 0) + 0.5) / (n + 1.0)) / (tagged / all_n)
        return lift

    def _priority_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.priority_by_tone.values():
            for p, n in counts.items():
                totals[p] = totals.get(p, 0) + n
        return totals

    def summary(self) -> list[str]:
        """What it learned, a line a tone: `urgent (1,204 tickets): urgent 61%, high 22%`."""
        lines = [f"learned from {self.solved:,} solved tickets (up to #{self.last_number})"]
        if self.term_messages:
            lines.append(
                f"term weights: {len(self.term_messages):,} terms in {self.messages:,} messages"
            )
        for tone in TONES:
            counts = self.priority_by_tone.get(tone, {})
            if not counts:
                continue
            shares = sorted(self.priority_shares(tone).items(), key=lambda kv: (-kv[1], kv[0]))
            text = ", ".join(f"{p} {share:.0%}" for p, share in shares)
            lines.append(f"{tone} mail ({sum(counts.values()):,} tickets): priority {text}")
        raised = []
        for tag, counts in self.priority_by_tag.items():
            best = max(counts, key=lambda p: (self._lift(p, (tag,)), p))
            lift = self._lift(best, (tag,))
            if lift >= TAG_LIFT:
                raised.append((-lift, tag, best, sum(counts.values())))
        for lift, tag, best, n in sorted(raised)[:3]:
            lines.append(f"{tag} tickets ({n:,}): priority {best} {-lift:.1f}x as likely")
        lines += self.routing.summary()
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "solved": self.solved,
            "last_number": self.last_number,
            "trained_at": self.trained_at,
            "priority_by_tone": self.priority_by_tone,
            "priority_by_tag": self.priority_by_tag,
            "messages": self.messages,
            "term_messages": self.term_messages,
            "routing": self.routing.to_json(),
            "changes": self.changes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssistModel | None:
        """None for a file of another version (or not a model): it is trained again."""
        if not isinstance(data, dict) or data.get("version") != MODEL_VERSION:
            return None
        return cls(
            solved=int(data["solved"]),
            last_number=int(data["last_number"]),
            trained_at=str(data["trained_at"]),
            priority_by_tone=_counts(data["priority_by_tone"]),
            priority_by_tag=_counts(data["priority_by_tag"]),
            term_messages={str(t): int(n) for t, n in data["term_messages"].items()},
            messages=int(data["messages"]),
            routing=Routing.from_json(data["routing"]),
            changes=int(data.get("changes", 0)),
        )


def _counts(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {str(k): {str(p): int(n) for p, n in counts.items()} for k, counts in data.items()}


def read_model(path: Path) -> AssistModel | None:
    """The model at `path`; None when missing, unreadable or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        return AssistModel.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def write_model(path: Path, model: AssistModel) -> None:
    """Written whole, then renamed over the old one: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(model.to_json(), indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)
