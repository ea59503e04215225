"""The orders a ticket list can walk, as keysets: (sort column, id), never OFFSET;
and the cursor that says where a page of one ends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a keyset page ends: the last row's sort key (as stored) and id."""

    key: str
    id: int

    def encode(self) -> str:
        return f"{self.key}|{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        from deskterm.errors import UsageError

        stamp, _, ident = text.rpartition("|")
        if not stamp or not ident.isdecimal():
            raise UsageError(f"bad cursor {text!r}: pass the value printed as next_cursor")
        return cls(stamp, int(ident))


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
