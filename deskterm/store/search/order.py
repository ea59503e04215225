"""The orders a ticket list can walk, as keysets: (sort column, id), never OFFSET."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sort:
    """A keyset order: the column, its direction, and its index in a ticket row."""

    column: str
    descending: bool
    row_index: int

    @property
    def order(self) -> str:
        way = "DESC" if self.descending else "ASC"
        return f" ORDER BY {self.column} {way}, t.id {way}"

    @property
    def after(self) -> str:
        return f"({self.column}, t.id) {'<' if self.descending else '>'} (?, ?)"

    def reversed(self) -> Sort:
        return Sort(self.column, not self.descending, self.row_index)


SORTS = {
    "": Sort("t.updated_at", True, 11),
    "created": Sort("t.created_at", True, 10),
    "due": Sort("t.due_at", False, 18),  # soonest due first; tickets without SLA left out
}
