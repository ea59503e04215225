"""The sync ops: how a replica writes down a service call, and how the server runs it again.

Each op is a service method's name and its arguments, with tickets named by `ref`
(`#number` for a ticket the server numbered, the uid for one made offline). The server
re-runs the op through its own service as the pushing agent, so rules, SLA and the
outbox run once, there. Conflict rules (README, "Sync"): fields are last writer wins in
the server's order (the loser stays in the audit trail); messages are appended; an edit
of a ticket merged elsewhere is refused with a notice, a message to it goes to the ticket
it joined with a notice; nothing is dropped without a notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from deskterm.errors import NotFoundError, SyncError, UsageError
from deskterm.mail.compose import OutgoingAttachment
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, to_db
from deskterm.store.service import kb_sync, people_sync
from deskterm.store.service.batch import reader
from deskterm.store.service.outbox import read_attachments
from deskterm.store.service.sync_journal import Command

if TYPE_CHECKING:
    from deskterm.store.service import Service


def ref_of(store: Store, number: int) -> str:
    row = store.read().execute("SELECT uid FROM ticket WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return str(row[0]) if row[0] else f"#{number}"


@dataclass(frozen=True)
class Target:
    """A ticket an op names, as found on the server."""

    number: int
    merged_into: int | None


def resolve(store: Store, ref: str) -> Target:
    """The server's ticket for a ref; a ticket merged away also says where it went.

    Read inside the push's batch: a ticket an earlier op of the same push made is found.
    """
    if ref.startswith("#") and ref[1:].isdecimal():
        where, key = "number = ?", int(ref[1:])
    else:
        where, key = "uid = ?", ref  # type: ignore[assignment]  # a uid, not a number
    row = (
        reader(store)
        .execute(
            "SELECT t.number, m.number FROM ticket t LEFT JOIN ticket m ON m.id = t.merged_into_id"
            f" WHERE t.{where}",
            (key,),
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"ticket {ref} is not on the server (deleted, or never arrived)")
    return Target(int(row[0]), None if row[1] is None else int(row[1]))


# --- encoders: a replica's call -> the op (kwargs may gain what the local call needs too) ---


def encode_create(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    names = ("subject", "body", "customer_email", "customer_name")
    call = dict(zip(names, args, strict=False))
    kwargs["uid"] = kwargs.get("uid") or uuid.uuid4().hex
    for key in ("priority", "status", "channel", "assignee", "group", "uid"):
        if kwargs.get(key) is not None:
            call[key] = str(kwargs[key])
    call["tags"] = list(kwargs.get("tags", ()))
    call.update({k: v for k, v in kwargs.items() if k in names})
    return Command("create_ticket", call, [kwargs["uid"]])


def _message_encoder(name: str) -> Callable[..., Command]:
    def encode(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
        call = dict(zip(("number", "body"), args, strict=False)) | kwargs
        ref = ref_of(service.store, int(call.pop("number")))
        call.pop("when", None)  # the server's clock decides
        return Command(name, {"ticket": ref, **call}, [ref])

    return encode


def encode_send(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    """A reply to be mailed: the server queues it in its outbox, so it goes out once, from there.

    Attached files are read once, here: the local call stores them, the op names them by
    content (sha256), and `sync` uploads the ones the server lacks before pushing the op.
    """
    call = dict(zip(("number", "body"), args, strict=False))
    ref = ref_of(service.store, int(kwargs.get("number", call.pop("number"))))
    body = kwargs.get("body", call.get("body"))
    extra = {k: kwargs[k] for k in ("status", "quote_original") if kwargs.get(k) is not None}
    files = [*read_attachments(kwargs.pop("attachments", ())), *kwargs.get("attached", ())]
    kwargs["attached"] = files
    if files:
        extra["files"] = [
            {"sha256": sha256(f.data).hexdigest(), "name": f.filename, "mime_type": f.mime_type}
            for f in files
        ]
    return Command("send_reply", {"ticket": ref, "body": body, **extra}, [ref])


def encode_mark_read(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    """A read mark names the ticket as the agent saw it (its `updated_at` here)."""
    number = int(args[0] if args else kwargs["number"])
    row = (
        service.store.read()
        .execute("SELECT updated_at FROM ticket WHERE number = ?", (number,))
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    kwargs["seen"] = seen = kwargs.get("seen") or from_db(row[0])
    ref = ref_of(service.store, number)
    return Command("mark_read", {"ticket": ref, "seen": to_db(seen)}, [ref])


def encode_log_time(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    """Time logged here ended when it was logged here, not when the server hears of it."""
    call = dict(zip(("number", "seconds"), args, strict=False)) | kwargs
    kwargs["when"] = when = call.get("when") or service.clock()
    ref = ref_of(service.store, int(call["number"]))
    args_ = {"ticket": ref, "seconds": call["seconds"], "note": call.get("note", "")}
    return Command("log_time", args_ | {"when": to_db(when)}, [ref])


def encode_track_time(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    call = dict(zip(("number", "started_at", "seconds"), args, strict=False)) | kwargs
    ref = ref_of(service.store, int(call["number"]))
    return Command(
        "track_time",
        {"ticket": ref, "started_at": to_db(call["started_at"]), "seconds": call["seconds"]},
        [ref],
    )


def encode_canned(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    call = dict(zip(("number", "name"), args, strict=False)) | kwargs
    ref = ref_of(service.store, int(call.pop("number")))
    return Command("apply_canned", {"ticket": ref, **call}, [ref])


def encode_update(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    numbers: Sequence[int] = args[0] if args else kwargs["numbers"]
    refs = [ref_of(service.store, int(n)) for n in numbers]
    call: dict[str, Any] = {"tickets": refs}
    for key in ("status", "priority", "subject"):
        if kwargs.get(key) is not None:
            call[key] = kwargs[key]
    for key in ("assignee", "group"):  # absent keeps, None clears
        if key in kwargs and not _unset(kwargs[key]):
            call[key] = kwargs[key]
    for key in ("add_tags", "remove_tags"):
        call[key] = list(kwargs.get(key, ()))
    return Command("update_tickets", call, refs)


def _unset(value: object) -> bool:
    from deskterm.store.service.tickets import UNSET

    return value is UNSET


def encode_merge(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    source, target = (ref_of(service.store, int(n)) for n in args[:2])
    return Command("merge", {"source": source, "target": target}, [source, target])


def encode_canned_save(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    call = dict(zip(("name", "body", "actions"), args, strict=False)) | kwargs
    return Command("save_canned", call)


def encode_canned_remove(
    service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Command:
    return Command("remove_canned", {"name": args[0] if args else kwargs["name"]})


# --- runners: the server runs an op again; the answer is a notice for the agent, if any ---

Runner = Callable[["Service", dict[str, Any]], str | None]


def _live(service: Service, ref: str, what: str) -> int:
    """The ticket an edit applies to; a merge elsewhere wins over the edit."""
    target = resolve(service.store, ref)
    if target.merged_into is not None:
        raise UsageError(
            f"{what} of ticket #{target.number} not applied: it was merged into"
            f" #{target.merged_into} meanwhile"
        )
    return target.number


def run_create(service: Service, args: dict[str, Any]) -> str | None:
    args = dict(args)
    service.create_ticket(args.pop("subject"), args.pop("body"), args.pop("customer_email"), **args)
    return None


def _run_message(method: str) -> Runner:
    def run(service: Service, args: dict[str, Any]) -> str | None:
        args = dict(args)
        target = resolve(service.store, args.pop("ticket"))
        notice = None
        number = target.number
        if target.merged_into is not None:
            notice = (
                f"ticket #{target.number} was merged into #{target.merged_into} meanwhile;"
                f" your {method.split('_')[-1]} was added there"
            )
            number = target.merged_into
        getattr(service, method)(number, **args)
        return notice

    return run


def run_send(service: Service, args: dict[str, Any]) -> str | None:
    """A reply from a replica; its files were uploaded before the push (by content)."""
    args = dict(args)
    wanted = args.pop("files", [])
    conn = reader(service.store)
    files = []
    for item in wanted:
        row = conn.execute(
            "SELECT data FROM attachment WHERE sha256 = ?", (item["sha256"],)
        ).fetchone()
        if row is None:
            raise SyncError(f"the file {item['name']!r} of this reply never reached the server")
        files.append(OutgoingAttachment(item["name"], bytes(row[0]), item["mime_type"]))
    return _run_message("send_reply")(service, args | {"attached": files})


def run_mark_read(service: Service, args: dict[str, Any]) -> str | None:
    """A read mark is the agent's own: the later of theirs here and there stays."""
    target = resolve(service.store, args["ticket"])
    service.mark_read(target.merged_into or target.number, seen=from_db(args["seen"]))
    return None


def run_log_time(service: Service, args: dict[str, Any]) -> str | None:
    target = resolve(service.store, args["ticket"])
    service.log_time(
        target.merged_into or target.number,
        int(args["seconds"]),
        note=str(args["note"]),
        when=from_db(args["when"]),
    )
    return None


def run_track_time(service: Service, args: dict[str, Any]) -> str | None:
    target = resolve(service.store, args["ticket"])
    service.track_time(
        target.merged_into or target.number, from_db(args["started_at"]), int(args["seconds"])
    )
    return None


def run_canned(service: Service, args: dict[str, Any]) -> str | None:
    args = dict(args)
    number = _live(service, args.pop("ticket"), "canned reply")
    service.apply_canned(number, **args)
    return None


def run_update(service: Service, args: dict[str, Any]) -> str | None:
    args = dict(args)
    numbers = [_live(service, ref, "the change") for ref in args.pop("tickets")]
    service.update_tickets(numbers, **args)
    return None


def run_merge(service: Service, args: dict[str, Any]) -> str | None:
    source = _live(service, args["source"], "the merge")
    target = _live(service, args["target"], "the merge")
    service.merge(source, target)
    return None


def run_canned_save(service: Service, args: dict[str, Any]) -> str | None:
    service.save_canned(**args)
    return None


def run_canned_remove(service: Service, args: dict[str, Any]) -> str | None:
    service.remove_canned(args["name"])
    return None


RUNNERS: dict[str, Runner] = {
    "create_ticket": run_create,
    "add_reply": _run_message("add_reply"),
    "add_note": _run_message("add_note"),
    "send_reply": run_send,
    "mark_read": run_mark_read,
    "log_time": run_log_time,
    "track_time": run_track_time,
    "apply_canned": run_canned,
    "update_tickets": run_update,
    "merge": run_merge,
    "save_canned": run_canned_save,
    "remove_canned": run_canned_remove,
    "save_article": kb_sync.run_save,
    "import_articles": kb_sync.run_import,
    "remove_article": kb_sync.run_remove,
    "count_kb": kb_sync.run_count,
    "save_view": people_sync.run_save_view,
    "remove_view": people_sync.run_remove_view,
    "set_away": people_sync.run_set_away,
}
encode_reply = _message_encoder("add_reply")
encode_note = _message_encoder("add_note")
