"""`deskterm tickets ...` and `deskterm search`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, address, ctx_of, parse_numbers, read_body
from deskterm.cli.paging import AfterOpt, AllOpt, LimitOpt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from deskterm.cli.context import Context
    from deskterm.store.queries.records import TicketDetail, TicketRow

app = typer.Typer(
    rich_markup_mode=None, help="List, show and change tickets.", no_args_is_help=True
)

_HEADERS = ("#", "status", "prio", "updated", "assignee", "customer", "subject")
_WIDTHS = (7, 8, 7, 7, 14, 22, 60)


def print_ticket_rows(rows: "list[TicketRow]", *, header: bool = True) -> None:
    from deskterm.cli.output import age, table
    from deskterm.vocab import status_label

    table(
        _HEADERS,
        (
            (
                r.number,
                status_label(r.status),
                r.priority,
                age(r.updated_at),
                r.assignee or "-",
                r.customer_name or r.customer_email,
                r.subject,
            )
            for r in rows
        ),
        _WIDTHS,
        header=header,
    )


def _list(
    c: "Context", query_text: str, *, limit: int, after: str | None, all_pages: bool, as_json: bool
) -> None:
    from deskterm.cli.paging import print_pages
    from deskterm.query.syntax import parse_query
    from deskterm.store.queries.tickets import list_tickets
    from deskterm.store.search.order import Cursor

    query = parse_query(query_text)
    store, qctx = c.store(), c.query_context()

    def fetch(cursor: str | None) -> "tuple[Sequence[TicketRow], str | None]":
        page = list_tickets(
            store, query, qctx, after=Cursor.decode(cursor) if cursor else None, limit=limit
        )
        return page.rows, page.next.encode() if page.next else None

    print_pages(
        fetch,
        after,
        all_pages=all_pages,
        as_json=as_json,
        to_json=lambda row: row.to_json(),
        print_rows=lambda rows, header: print_ticket_rows(list(rows), header=header),
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    view: Annotated[str | None, typer.Option(help="A view by name or number.")] = None,
    status: Annotated[str | None, typer.Option(help="Statuses, comma separated.")] = None,
    assignee: Annotated[str | None, typer.Option(help="me, none, or an agent.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeat: all needed).")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Query syntax.")] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    all_pages: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List tickets, newest activity first (default: open and new)."""
    from deskterm.query.syntax import quote_value
    from deskterm.views import find_view

    c = ctx_of(ctx)
    parts = []
    if view:
        parts.append(find_view(c.views(), view).query)
    if status:
        parts.append(f"status:{status}")
    if assignee:
        parts.append(f"assignee:{quote_value(assignee)}")
    parts.extend(f"tag:{quote_value(t)}" for t in tag or [])
    if query:
        parts.append(query)
    text = " ".join(parts) if parts else "status:new,open"
    _list(c, text, limit=limit, after=after, all_pages=all_pages, as_json=as_json)


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words and fields, e.g. 'refund status:open'.")],
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    all_pages: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Search tickets with the query syntax (same as `/` in the app)."""
    _list(ctx_of(ctx), query, limit=limit, after=after, all_pages=all_pages, as_json=as_json)


@app.command()
def show(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    as_json: JsonOpt = False,
) -> None:
    """A ticket with its whole thread."""
    from deskterm.store.queries.tickets import get_ticket

    detail = get_ticket(ctx_of(ctx).store(), number)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(detail.to_json())
    else:
        _print_detail(detail)


def _print_detail(d: "TicketDetail") -> None:
    from deskterm.safetext import clean, line
    from deskterm.vocab import status_label

    t = d.ticket
    print(f"#{t.number}  {line(t.subject)}")
    print(
        f"status {status_label(t.status)} · priority {t.priority}"
        f" · assignee {line(t.assignee or '-')}"
        f" · group {line(t.group or '-')} · tags {', '.join(t.tags) or '-'}"
    )
    print(
        f"customer {line(d.customer.name)} <{line(d.customer.email)}>"
        + (f" · {line(d.customer.organization)}" if d.customer.organization else "")
    )
    if d.merged_into:
        print(f"merged into #{d.merged_into}")
    for m in d.messages:
        who = line(m.author or m.from_addr)
        late = f" (received {m.received_late:%Y-%m-%d %H:%M})" if m.received_late else ""
        print(f"\n--- [{m.id}] {m.kind} · {who} · {m.written_at:%Y-%m-%d %H:%M} UTC{late}")
        for a in m.attachments:
            print(f"    📎 {line(a.filename)} ({a.mime_type}, {a.size} bytes)")
        print(clean(m.body_text).rstrip())


@app.command("save-attachment")
def save_attachment_cmd(
    ctx: typer.Context,
    attachment_id: Annotated[int, typer.Argument(help="Attachment id (tickets show N --json).")],
    to: Annotated[
        Path | None,
        typer.Option(help="Folder; default: [ui] downloads, else the platform's downloads."),
    ] = None,
) -> None:
    """Save an attachment to a folder, never over a file; prints the path written."""
    from deskterm.attachment_files import downloads_folder, save_attachment

    c = ctx_of(ctx)
    folder = to if to is not None else downloads_folder(c.config.ui.downloads)
    typer.echo(save_attachment(c.store(), attachment_id, folder))


@app.command()
def history(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    as_json: JsonOpt = False,
) -> None:
    """The audit trail: who changed what, old -> new, when."""
    from deskterm.cli.output import emit_json, table
    from deskterm.store.queries.tickets import list_events

    events = list_events(ctx_of(ctx).store(), number)
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    table(
        ("when", "who", "what", "old", "new"),
        (
            (f"{e.created_at:%Y-%m-%d %H:%M}", e.actor, e.kind, e.old or "", e.new or "")
            for e in events
        ),
        (16, 18, 16, 20, 30),
    )


@app.command()
def new(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="Subject line.")],
    customer: Annotated[
        str, typer.Option("--from", help="Customer's email address.", callback=address)
    ],
    name: Annotated[str, typer.Option(help="Customer's name.")] = "",
    body: Annotated[str | None, typer.Option(help="First message text.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="File with the text, - for stdin.")] = None,
    priority: Annotated[str, typer.Option(help="low, normal, high, urgent.")] = "normal",
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeatable).")] = None,
    assign: Annotated[str | None, typer.Option(help="Agent name or email.")] = None,
    channel: Annotated[str, typer.Option(help="email, web, phone.")] = "phone",
    duration: Annotated[
        str | None, typer.Option(help="Length of the call or visit (15m, 1h30m): time on ticket.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a ticket on behalf of a customer (a call, a walk-in, a chat)."""
    from deskterm.time_spent import parse_time_spent
    from deskterm.vocab import Channel, parse_choice

    seconds = parse_time_spent(duration) if duration is not None else None
    service = ctx_of(ctx).service()
    created = service.create_ticket(
        subject,
        read_body(body_file, body),
        customer,
        name,
        priority=priority,
        tags=tag or (),
        assignee=assign,
        channel=parse_choice(Channel, channel, "channel").value,
    )
    if seconds:
        service.log_time(created.number, seconds, note=f"{channel} with the customer")
    import sys

    from deskterm.store.service.sync_apply import is_provisional

    provisional = is_provisional(created.number)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(
            {
                "number": created.number,
                "message_id": created.message_id,
                "provisional": provisional,
            }
        )
    else:
        print(created.number)
        if provisional:
            print("provisional number: the server numbers it at `deskterm sync`", file=sys.stderr)


@app.command()
def update(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(help="Ticket numbers, or - to read stdin.")],
    status: Annotated[str | None, typer.Option(help="New status.")] = None,
    priority: Annotated[str | None, typer.Option(help="New priority.")] = None,
    assign: Annotated[str | None, typer.Option(help="Agent, or 'none' to unassign.")] = None,
    group: Annotated[str | None, typer.Option(help="Group, or 'none'.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Add a tag (repeatable).")] = None,
    untag: Annotated[list[str] | None, typer.Option(help="Remove a tag (repeatable).")] = None,
    subject: Annotated[str | None, typer.Option(help="New subject.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change one or many tickets at once (all or nothing)."""
    from deskterm.errors import UsageError

    nums = parse_numbers(numbers)
    kwargs: dict[str, object] = {}
    if assign is not None:
        kwargs["assignee"] = None if assign.lower() == "none" else assign
    if group is not None:
        kwargs["group"] = None if group.lower() == "none" else group
    if not (status or priority or kwargs or tag or untag or subject):
        raise UsageError("nothing to change: give --status, --priority, --assign, --tag ...")
    changed = (
        ctx_of(ctx)
        .service()
        .update_tickets(
            nums,
            status=status,
            priority=priority,
            add_tags=tag or (),
            remove_tags=untag or (),
            subject=subject,
            **kwargs,  # type: ignore[arg-type]  # only assignee/group: str | None each
        )
    )
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"changed": changed})
    else:
        print(
            f"changed {len(changed)} of {len(set(nums))} ticket(s)"
            + (": " + " ".join(f"#{n}" for n in changed) if changed else "")
        )


@app.command()
def spam(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(help="Ticket numbers, or - to read stdin.")],
) -> None:
    """Close the tickets, tagged spam, and block their senders (later mail is quarantined)."""
    blocked = ctx_of(ctx).service().mark_spam(parse_numbers(numbers))
    print(f"closed as spam; blocked {', '.join(blocked)} (see `deskterm block --list`)")


@app.command()
def merge(
    ctx: typer.Context,
    source: Annotated[int, typer.Argument(help="Ticket to merge away.")],
    target: Annotated[int, typer.Argument(help="Ticket that receives the messages.")],
) -> None:
    """Merge ticket SOURCE into TARGET (SOURCE closes and points to TARGET)."""
    ctx_of(ctx).service().merge(source, target)
    print(f"merged #{source} into #{target}")


@app.command()
def split(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    from_message: Annotated[int, typer.Option("--from", help="Message id (see tickets show).")],
    as_json: JsonOpt = False,
) -> None:
    """Move a message and every later one into a new ticket."""
    created = ctx_of(ctx).service().split(number, from_message)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"number": created.number})
    else:
        print(created.number)


@app.command("time")
def time_(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    spent: Annotated[
        str | None, typer.Argument(help="Time to log: 15m, 1h30m, 1.5h or 1:30.")
    ] = None,
    note: Annotated[str, typer.Option(help="What the time went on.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Log time spent on a ticket (TIME given), or list its time entries."""
    from deskterm.cli.output import emit_json, table
    from deskterm.errors import UsageError
    from deskterm.store.queries.time_entries import list_time_entries
    from deskterm.time_spent import format_time_spent, parse_time_spent

    c = ctx_of(ctx)
    if spent is not None:
        entry_id = c.service().log_time(number, parse_time_spent(spent), note=note)
        if as_json:
            emit_json({"number": number, "id": entry_id})
        else:
            print(f"logged {format_time_spent(parse_time_spent(spent))} on #{number}")
        return
    if note:
        raise UsageError("--note goes with a time to log, e.g. `tickets time 12 15m --note call`")
    entries = list_time_entries(c.store(), number)
    if as_json:
        emit_json([e.to_json() for e in entries])
        return
    table(
        ("started", "agent", "time", "source", "note"),
        (
            (
                f"{e.started_at:%Y-%m-%d %H:%M}",
                e.agent or "-",
                format_time_spent(e.seconds),
                e.source,
                e.note,
            )
            for e in entries
        ),
        (16, 18, 8, 8, 40),
    )
    total = sum(e.seconds for e in entries)
    noun = "entry" if len(entries) == 1 else "entries"
    print(f"total {format_time_spent(total)} in {len(entries)} {noun}")
