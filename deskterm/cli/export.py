"""`deskterm export`: tickets with their messages, streamed as JSON Lines or CSV.

Pages through the query by keyset like `tickets list --all`, reading one thread
at a time, so memory stays flat on any store size; a bar on stderr shows how far.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import ctx_of
from deskterm.cli.output import progress_bar, spreadsheet_cell

if TYPE_CHECKING:
    from deskterm.store.queries.records import TicketDetail

CSV_COLUMNS = (
    "ticket", "subject", "status", "priority", "channel", "customer_email", "customer_name",
    "assignee", "group", "tags", "ticket_created_at", "message_id", "kind", "author",
    "from_email", "created_at", "sent_at", "body",
)  # fmt: skip


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def export(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Option("--query", "-q", help="Only tickets matching (the search syntax).")
    ] = "",
    fmt: Annotated[Format, typer.Option("--format", help="jsonl or csv.")] = Format.JSONL,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, help="Tickets listed per page (memory against round trips).")
    ] = 500,
) -> None:
    """Tickets with their messages as JSON Lines or CSV, streamed, with a progress bar."""
    from deskterm.query.syntax import parse_query
    from deskterm.store.queries.tickets import count_tickets, get_ticket, list_tickets

    c = ctx_of(ctx)
    parsed = parse_query(query)
    store, qctx = c.store(), c.query_context()
    total = count_tickets(store, parsed, qctx)
    target = nullcontext(sys.stdout) if out is None else out.open("w", encoding="utf-8", newline="")
    with target as stream, progress_bar("exporting tickets", total) as update:
        write = _csv_writer(stream) if fmt is Format.CSV else _jsonl_writer(stream)
        done, after = 0, None
        while True:
            page = list_tickets(store, parsed, qctx, after=after, limit=batch)
            for row in page.rows:
                write(get_ticket(store, row.number))
                done += 1
                update(done, total)
            if page.next is None:
                break
            after = page.next
    if out is not None:
        print(f"exported {done} ticket{'s' if done != 1 else ''} to {out}", file=sys.stderr)


def _jsonl_writer(stream: IO[str]) -> Callable[[TicketDetail], None]:
    """One ticket a line, as `tickets show --json` prints it."""

    def write(detail: TicketDetail) -> None:
        stream.write(json.dumps(detail.to_json(), ensure_ascii=False) + "\n")

    return write


def _csv_writer(stream: IO[str]) -> Callable[[TicketDetail], None]:
    """One message a row, its ticket's fields repeated on each, no cell run as a formula."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)

    def write(detail: TicketDetail) -> None:
        t = detail.to_json()
        head = [
            t["number"], t["subject"], t["status"], t["priority"], t["channel"],
            t["customer"]["email"], t["customer"]["name"], t["assignee"] or "", t["group"] or "",
            " ".join(t["tags"]), t["created_at"],
        ]  # fmt: skip
        for m in t["messages"]:
            row = [*head, m["id"], m["kind"], m["author"], m["from"]["email"], m["created_at"],
                   m["sent_at"] or "", m["body"]]  # fmt: skip
            writer.writerow([spreadsheet_cell(cell) for cell in row])

    return write
