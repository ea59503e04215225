"""`deskterm fetch`, `import`, `quarantine`, `reingest` and `thread explain`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deskterm.cli.common import JsonOpt, ctx_of
from deskterm.errors import UsageError

if TYPE_CHECKING:
    from deskterm.channels.imap import FetchReport
    from deskterm.channels.intake import Tally
    from deskterm.store.service.ingest import IngestResult

quarantine_app = typer.Typer(
    rich_markup_mode=None,
    help="Mails that could not be parsed or came from a blocked sender, kept whole.",
    no_args_is_help=True,
)
thread_app = typer.Typer(
    rich_markup_mode=None, help="Why a mail landed on its ticket.", no_args_is_help=True
)

_BatchOpt = Annotated[
    int | None, typer.Option("--batch-size", min=1, max=1000, help="Mails per transaction.")
]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr (one task per label); a no-op when not wanted."""
    if not enabled or not sys.stderr.isatty():
        yield lambda label, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                from rich.text import Text

                from deskterm.safetext import line

                tasks[label] = bar.add_task(Text(line(label)).plain, total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)

        yield update


def _summary(label: str, tally: Tally) -> str:
    return (
        f"{label}: {tally.new} new, {tally.threaded} threaded, "
        f"{tally.quarantined} quarantined, {tally.duplicates} duplicates skipped"
    )


def fetch(
    ctx: typer.Context,
    watch: Annotated[
        bool, typer.Option("--watch", help="Stay connected (IDLE) for new mail.")
    ] = False,
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="Only this [[mailbox]] address.")
    ] = None,
    batch_size: _BatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pull new mail from every [[mailbox]] over IMAP into tickets."""
    from deskterm.channels.imap import MailboxFetcher, fetch_all
    from deskterm.channels.intake import IntakeSettings, parser
    from deskterm.errors import ConfigError

    context = ctx_of(ctx)
    context.store(create=True)  # a first fetch makes the store
    if context.runtime().replica:
        raise UsageError(f"{context.store_path()}: a replica: the team server fetches the mail")
    config = context.config
    boxes = [b for b in config.mailbox if mailbox is None or b.address.lower() == mailbox.lower()]
    if not boxes:
        where = f" {mailbox!r}" if mailbox else ""
        raise ConfigError(f"{config.source or 'config'}: no [[mailbox]]{where} to fetch from")
    settings = IntakeSettings.from_config(config, batch_size)
    ingest = context.runtime().mail_ingest(settings)
    with parser(settings) as parse, _progress(not as_json and not watch) as progress:
        fetchers = [
            MailboxFetcher(box, ingest, settings, parse, on_progress=progress) for box in boxes
        ]
        if watch:
            _watch(fetchers, as_json)
            return
        reports = fetch_all(fetchers)
    _print_reports(reports, as_json)
    if any(r.error for r in reports):
        raise typer.Exit(1)


def _print_reports(reports: list[FetchReport], as_json: bool) -> None:
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in reports])
    else:
        for report in reports:
            if report.error is None:
                print(_summary(report.address, report.tally))
    for report in reports:
        if report.error:
            print(f"deskterm: {report.error}", file=sys.stderr)


def _watch(fetchers: list[Any], as_json: bool) -> None:
    import json
    import signal
    import threading

    from deskterm.channels.imap import watch_all

    stop = threading.Event()
    lock = threading.Lock()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)

    def report(r: FetchReport) -> None:
        with lock:
            if r.error:
                print(f"deskterm: {r.error}", file=sys.stderr, flush=True)
            elif r.tally.total:
                text = json.dumps(r.to_json()) if as_json else _summary(r.address, r.tally)
                print(text, flush=True)

    try:
        watch_all(fetchers, stop, report)
    except KeyboardInterrupt:
        stop.set()


def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".eml files, mbox files, Maildir folders.")],
    batch_size: _BatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take mail from files into tickets, through the same pipeline as fetch."""
    from deskterm.channels.intake import IntakeSettings, parser
    from deskterm.channels.mail_files import collect, import_mail

    context = ctx_of(ctx)
    settings = IntakeSettings.from_config(context.config, batch_size)
    refs = collect(paths)
    ingest = context.runtime().mail_ingest(settings)
    with parser(settings) as parse, _progress(not as_json) as progress:
        tally = import_mail(
            refs, ingest, settings, parse, on_progress=lambda d, t: progress("import", d, t)
        )
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"mails": len(refs), **tally.to_json()})
    else:
        print(_summary(f"{len(refs)} mails", tally))


# quarantine --------------------------------------------------------------------------


@quarantine_app.command("ls")
def quarantine_ls(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include resolved entries.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mails kept aside: unparseable, or from a blocked sender (the reason says which)."""
    from deskterm.store.queries.mail import list_quarantine

    rows = list_quarantine(ctx_of(ctx).store(), include_resolved=show_all)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in rows])
        return
    from deskterm.cli.output import age, table

    table(
        ("id", "age", "size", "state", "source", "reason"),
        (
            (r.id, age(r.created_at), r.size, "resolved" if r.resolved_at else "held", r.source,
             r.reason)
            for r in rows
        ),
        (6, 5, 9, 8, 36, 60),
    )  # fmt: skip


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="Quarantine id (see `quarantine ls`).")],
    raw: Annotated[bool, typer.Option("--raw", help="Write the raw mail bytes to stdout.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """One quarantined mail: where it came from, why, and its first header lines."""
    from deskterm.store.queries.mail import get_quarantine, get_raw_mail

    store = ctx_of(ctx).store()
    record = get_quarantine(store, entry)
    data = get_raw_mail(store, record.raw_mail_id)
    if raw:
        sys.stdout.buffer.write(data)
        return
    head = data[:4096].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    headers = head.decode("utf-8", "replace").splitlines()[:30]
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({**record.to_json(), "headers": headers})
        return
    from deskterm.safetext import line

    for label, value in (
        ("id", record.id),
        ("source", record.source),
        ("reason", record.reason),
        ("size", f"{record.size:,} bytes"),
        ("state", "resolved" if record.resolved_at else "held"),
        ("message", record.message_id or "-"),
    ):
        print(f"{label:8} {line(str(value))}")
    print()
    for header in headers:
        print(line(header))


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    entries: Annotated[list[int] | None, typer.Argument(help="Quarantine ids.")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="Every held entry.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Parse quarantined mails again (after a fix or a raised size limit)."""
    from deskterm.channels.intake import IntakeSettings
    from deskterm.store.queries.mail import list_quarantine

    context = ctx_of(ctx)
    if retry_all:
        ids = [r.id for r in list_quarantine(context.store())]
    elif entries:
        ids = list(entries)
    else:
        raise UsageError("give quarantine ids or --all")
    settings = IntakeSettings.from_config(context.config)
    ingest = context.runtime().mail_ingest(settings)
    results = [(i, ingest.retry_quarantined(i, settings.max_bytes)) for i in ids]
    _print_results(results, as_json)


def _print_results(results: list[tuple[int, IngestResult]], as_json: bool) -> None:
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(
            [
                {"id": i, "outcome": r.outcome.value, "ticket": r.ticket_number,
                 "message_id": r.message_id, "rule": r.rule or None, "reason": r.reason}
                for i, r in results
            ]
        )  # fmt: skip
        return
    from deskterm.safetext import line

    for ident, r in results:
        where = f" #{r.ticket_number}" if r.ticket_number else ""
        print(line(f"{ident}: {r.outcome.value}{where} {r.reason}".rstrip()))


def reingest(
    ctx: typer.Context,
    messages: Annotated[list[int] | None, typer.Argument(help="Message ids.")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every message kept with its raw mail.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Parse stored raw mail again and update messages in place (after a parser fix)."""
    from deskterm.channels.intake import IntakeSettings
    from deskterm.errors import MailError
    from deskterm.store.queries.mail import messages_with_raw

    context = ctx_of(ctx)
    if not every and not messages:
        raise UsageError("give message ids or --all")
    settings = IntakeSettings.from_config(context.config)
    ingest = context.runtime().mail_ingest(settings)
    store = context.store()

    def ids() -> Iterator[int]:
        if not every:
            yield from messages or []
            return
        after = 0
        while chunk := messages_with_raw(store, after):
            yield from chunk
            after = chunk[-1]

    changed = unchanged = 0
    failed: list[str] = []
    for ident in ids():
        try:
            if ingest.reingest(ident, settings.max_bytes):
                changed += 1
            else:
                unchanged += 1
        except MailError as exc:
            failed.append(f"message {ident}: {exc}")
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"changed": changed, "unchanged": unchanged, "failed": failed})
    else:
        print(f"{changed} changed, {unchanged} unchanged, {len(failed)} failed")
    for problem in failed:
        print(f"deskterm: {problem}", file=sys.stderr)
    if failed:
        raise typer.Exit(1)


@thread_app.command("explain")
def thread_explain(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A stored message id, or a .eml file.")],
    as_json: JsonOpt = False,
) -> None:
    """Which threading rule put a mail where it is (or would put a file), and why."""
    from deskterm.channels.intake import IntakeSettings
    from deskterm.store.queries.mail import explain_file, explain_message

    context = ctx_of(ctx)
    settings = IntakeSettings.from_config(context.config)
    own = settings.own_addresses(context.config)
    path = Path(target)
    if target.isdecimal() and not path.exists():
        result = explain_message(context.store(), int(target), settings.tag_prefix, own)
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{target}: not a message id or a readable file") from exc
        result = explain_file(context.store(), raw, settings.tag_prefix, own, settings.max_bytes)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(result.to_json())
        return
    from deskterm.safetext import line

    for text in result.lines():
        print(line(text))
