"""Mail from files: .eml files, mbox files and Maildir folders, for `deskterm import`.

Each mail is read lazily (a 10,000-mail mbox is indexed, not loaded) and goes
through the same ingest as fetched mail; its dedupe key makes a re-import free.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from deskterm.channels.intake import IntakeSettings, Job, Parser, Tally, resolve
from deskterm.errors import UsageError
from deskterm.store.service.ingest import Incoming, IngestResult, MailIngest

MAIL_SUFFIXES = {".eml", ".box", ".mbox", ".mail"}
# An mbox envelope line: "From sender@host Mon Jan  1 00:00:00 2024".
_ENVELOPE = re.compile(rb"^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", re.MULTILINE)


@dataclass(frozen=True)
class MailRef:
    """One mail in a file source: a label for messages and a loader for its bytes."""

    label: str
    load: Callable[[], bytes]


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".mbox" or path.name.lower() in {"mbox", "inbox"}:
        return True
    with path.open("rb") as handle:
        head = handle.read(5)
        if head != b"From ":
            return False
        # One envelope line is a single mail saved with it (parse skips it); two make an mbox.
        handle.seek(0)
        found = 0
        for line in handle:
            if _ENVELOPE.match(line):
                found += 1
                if found > 1:
                    return True
    return False


def _mbox_refs(path: Path) -> list[MailRef]:
    box = mailbox.mbox(path, create=False)
    keys = box.keys()  # builds the table of contents once
    return [MailRef(f"{path}#{n + 1}", partial(box.get_bytes, key)) for n, key in enumerate(keys)]


def _maildir_refs(path: Path) -> list[MailRef]:
    box = mailbox.Maildir(path, factory=None, create=False)
    refs = [MailRef(f"{path}/{key}", partial(box.get_bytes, key)) for key in sorted(box.keys())]
    for name in sorted(box.list_folders()):
        refs.extend(_maildir_refs(path / f".{name}"))
    return refs


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _file_refs(path: Path) -> list[MailRef]:
    if _is_mbox(path):
        return _mbox_refs(path)
    return [MailRef(str(path), path.read_bytes)]


def collect(paths: Iterable[Path]) -> list[MailRef]:
    """Every mail under `paths`, in a stable order; a bad path is a one-line error."""
    refs: list[MailRef] = []
    for path in paths:
        path = path.expanduser()
        try:
            if path.is_dir():
                if _is_maildir(path):
                    refs.extend(_maildir_refs(path))
                    continue
                for child in sorted(path.rglob("*")):
                    if child.is_file() and child.suffix.lower() in MAIL_SUFFIXES:
                        refs.extend(_file_refs(child))
                    elif child.is_dir() and _is_maildir(child):
                        refs.extend(_maildir_refs(child))
            elif path.is_file():
                refs.extend(_file_refs(path))
            else:
                raise UsageError(f"{path}: no such file or folder")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        except mailbox.Error as exc:
            raise UsageError(f"{path}: not a readable mailbox ({exc})") from exc
    return refs


def _chunks(refs: Sequence[MailRef], size: int) -> Iterator[Sequence[MailRef]]:
    for i in range(0, len(refs), size):
        yield refs[i : i + size]


def import_mail(
    refs: Sequence[MailRef],
    ingest: MailIngest,
    settings: IntakeSettings,
    parser: Parser,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    on_batch: Callable[[list[IngestResult]], None] | None = None,
) -> Tally:
    """Take every mail of `refs` in through the fetch pipeline (no receipts: no UIDs)."""
    tally = Tally()
    total = len(refs)
    if parser.want_pool(total):
        parser.start_pool()
    size = max(settings.batch_size, 200)
    done = 0
    pending: Future[list[Incoming]] | list[Incoming] | None = None
    for chunk in _chunks(refs, size):
        jobs: list[Job] = [(ref.load(), ref.label, None, None) for ref in chunk]
        parsed = parser.submit(jobs)
        if pending is not None:
            done += _store(ingest, pending, tally, on_batch)
            if on_progress:
                on_progress(done, total)
        pending = parsed
    if pending is not None:
        done += _store(ingest, pending, tally, on_batch)
        if on_progress:
            on_progress(done, total)
    return tally


def _store(
    ingest: MailIngest,
    pending: Future[list[Incoming]] | list[Incoming],
    tally: Tally,
    on_batch: Callable[[list[IngestResult]], None] | None,
) -> int:
    items = resolve(pending)
    results = ingest.ingest(items)
    tally.add(results)
    if on_batch:
        on_batch(results)
    return len(items)
