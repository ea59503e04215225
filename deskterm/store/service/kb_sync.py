"""Knowledge-base writes as sync ops: a replica names an article by its uid, which never
changes, so an edit made offline finds the article on the server even after a slug change."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from deskterm.errors import NotFoundError
from deskterm.kb.article import ArticleDraft
from deskterm.store.schema.db import Store
from deskterm.store.service.batch import reader
from deskterm.store.service.sync_journal import Command

if TYPE_CHECKING:
    from deskterm.store.service import Service


def _uid_of(store: Store, slug: str) -> str:
    row = store.read().execute("SELECT uid FROM article WHERE slug = ?", (slug,)).fetchone()
    if row is None:
        raise NotFoundError(f"no article {slug!r} (see `deskterm kb list`)")
    return str(row[0])


def _slug_of(store: Store, uid: str) -> str | None:
    """On the server, inside a push: sees articles an earlier op of the same push made."""
    row = reader(store).execute("SELECT slug FROM article WHERE uid = ?", (uid,)).fetchone()
    return None if row is None else str(row[0])


def encode_save(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    draft: ArticleDraft = args[0] if args else kwargs["draft"]
    slug_before = kwargs.get("slug_before")
    if slug_before is None:
        kwargs["uid"] = kwargs.get("uid") or uuid.uuid4().hex
        uid = kwargs["uid"]
    else:
        uid = _uid_of(service.store, slug_before)
    return Command(
        "save_article", {"uid": uid, "new": slug_before is None, "draft": _fields(draft)}
    )


def _fields(draft: ArticleDraft) -> dict[str, Any]:
    fields = dataclasses.asdict(draft.checked())
    fields["tags"] = list(fields["tags"])
    fields["updated"] = draft.updated.isoformat() if draft.updated else None
    return fields


def _draft(fields: dict[str, Any]) -> ArticleDraft:
    from datetime import datetime

    fields = dict(fields)
    fields["tags"] = tuple(fields["tags"])
    fields["updated"] = datetime.fromisoformat(fields["updated"]) if fields["updated"] else None
    return ArticleDraft(**fields)


def encode_import(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    """Every draft with the uid it has (or gets) here, so later edits name the same article."""
    drafts: list[ArticleDraft] = list(args[0] if args else kwargs["drafts"])
    conn = service.store.read()
    uids = []
    for draft in drafts:
        row = conn.execute(
            "SELECT uid FROM article WHERE slug = ?", (draft.checked().slug,)
        ).fetchone()
        uids.append(str(row[0]) if row else uuid.uuid4().hex)
    kwargs["uids"] = uids
    return Command("import_articles", {"drafts": [_fields(d) for d in drafts], "uids": uids})


def encode_remove(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    slug = args[0] if args else kwargs["slug"]
    return Command("remove_article", {"uid": _uid_of(service.store, slug)})


def encode_count(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    call = dict(zip(("kind", "slug"), args, strict=False)) | kwargs
    from deskterm.store.service.sync_ops import ref_of  # sync_ops lists this module's runners

    slug, ticket = call.get("slug"), call.get("ticket")
    refs = [] if ticket is None else [ref_of(service.store, int(ticket))]
    return Command(
        "count_kb",
        {
            "kind": str(call["kind"]),
            "uid": None if slug is None else _uid_of(service.store, slug),
            "ticket": refs[0] if refs else None,
        },
        refs,
    )


def run_save(service: Service, args: dict[str, Any]) -> str | None:
    draft = _draft(args["draft"])
    current = _slug_of(service.store, args["uid"])
    if args["new"] and current is None:
        service.save_article(draft, uid=args["uid"])
        return None
    if current is None:
        return f"the article {draft.title!r} was removed on the server meanwhile; edit not applied"
    service.save_article(draft, slug_before=current)
    return None


def run_import(service: Service, args: dict[str, Any]) -> str | None:
    """On the server, an article named by uid is the one to change, whatever its slug there."""
    drafts = [_draft(fields) for fields in args["drafts"]]
    for draft, uid in zip(drafts, args["uids"], strict=True):
        current = _slug_of(service.store, uid)
        if current is not None and current != draft.checked().slug:
            service.save_article(draft, slug_before=current)
    service.import_articles(drafts, uids=args["uids"])
    return None


def run_remove(service: Service, args: dict[str, Any]) -> str | None:
    current = _slug_of(service.store, args["uid"])
    if current is not None:
        service.remove_article(current)
    return None


def run_count(service: Service, args: dict[str, Any]) -> str | None:
    slug = None if args["uid"] is None else _slug_of(service.store, args["uid"])
    if args["uid"] is not None and slug is None:
        return None  # the article went away on the server: nothing left to count it on
    from deskterm.store.service.sync_ops import resolve

    ticket = None
    if args["ticket"] is not None:
        target = resolve(service.store, args["ticket"])
        ticket = target.merged_into or target.number
    service.count_kb(args["kind"], slug, ticket=ticket)
    return None
