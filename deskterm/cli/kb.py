"""`deskterm kb ...`: knowledge-base articles from the terminal, and as a folder of files."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of, read_body
from deskterm.errors import UsageError

if TYPE_CHECKING:
    from deskterm.kb.article import ArticleDraft
    from deskterm.store.queries.kb import ArticleRecord

app = typer.Typer(
    rich_markup_mode=None,
    help="Knowledge base: list, show, add, edit, rm, search, import, export, stats.",
    no_args_is_help=True,
)

SlugArg = Annotated[str, typer.Argument(help="The article's slug (an old slug works too).")]
_SectionOpt = Annotated[str | None, typer.Option(help="Section the article is listed under.")]
_TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeat for more).")]
_StatusOpt = Annotated[str | None, typer.Option(help="published or draft.")]
_LocaleOpt = Annotated[str | None, typer.Option(help="Language tag, such as en or ko.")]
_BodyOpt = Annotated[str | None, typer.Option(help="The Markdown text.")]
_BodyFileOpt = Annotated[Path | None, typer.Option(help="Markdown file, - for stdin.")]


def _table(articles: list[ArticleRecord]) -> None:
    from deskterm.cli.output import age, table

    table(
        ("slug", "title", "section", "status", "locale", "updated"),
        (
            (a.slug, a.title, a.section or "-", a.status, a.locale, age(a.updated_at))
            for a in articles
        ),
        (28, 40, 18, 9, 6, 7),
    )


def _emit(articles: list[ArticleRecord], as_json: bool) -> None:
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([a.to_json() for a in articles])
    else:
        _table(articles)


@app.command("list")
def list_(
    ctx: typer.Context,
    section: _SectionOpt = None,
    locale: _LocaleOpt = None,
    published: Annotated[bool, typer.Option(help="Only published articles.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Articles by section and title."""
    from deskterm.store.queries.kb import list_articles

    store = ctx_of(ctx).store()
    _emit(list_articles(store, published_only=published, section=section, locale=locale), as_json)


@app.command()
def search(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(help="Words every article found holds.")],
    locale: _LocaleOpt = None,
    published: Annotated[bool, typer.Option(help="Only published articles.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Articles holding every word, best first (same index rules as ticket search)."""
    from deskterm.store.queries.kb import search_articles

    store = ctx_of(ctx).store()
    found = search_articles(
        store, " ".join(words), published_only=published, locale=locale, limit=limit
    )
    _emit(found, as_json)


@app.command()
def show(ctx: typer.Context, slug: SlugArg, as_json: JsonOpt = False) -> None:
    """One article as a Markdown file with front matter."""
    from deskterm.store.queries.kb import get_article

    article = get_article(ctx_of(ctx).store(), slug)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(article.to_json())
        return
    from deskterm.kb.article import render
    from deskterm.safetext import clean

    sys.stdout.write(clean(render(article.draft(), article.updated_at)))


@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The article's title.")],
    body: _BodyOpt = None,
    body_file: _BodyFileOpt = None,
    slug: Annotated[str | None, typer.Option(help="URL name (default: from the title).")] = None,
    section: _SectionOpt = None,
    tag: _TagOpt = None,
    status: _StatusOpt = None,
    locale: _LocaleOpt = None,
) -> None:
    """Add an article (a draft unless --status published)."""
    from deskterm.kb.article import ArticleDraft

    draft = ArticleDraft(
        title,
        read_body(body_file, body),
        slug or "",
        section or "",
        tuple(tag or ()),
        status or "draft",
        locale or "en",
    )
    print(f"added {ctx_of(ctx).service().save_article(draft)}")


@app.command()
def edit(
    ctx: typer.Context,
    slug: SlugArg,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    body: _BodyOpt = None,
    body_file: _BodyFileOpt = None,
    new_slug: Annotated[
        str | None, typer.Option("--slug", help="New slug (old URL redirects).")
    ] = None,
    section: _SectionOpt = None,
    tag: _TagOpt = None,
    status: _StatusOpt = None,
    locale: _LocaleOpt = None,
) -> None:
    """Change an article; with no option it opens in $EDITOR as Markdown with front matter."""
    from dataclasses import replace

    from deskterm.store.queries.kb import get_article

    c = ctx_of(ctx)
    article = get_article(c.store(), slug)
    current = article.draft()
    options = (title, body, body_file, new_slug, section, tag, status, locale)
    if all(option is None for option in options):
        draft = _edited(current, article.updated_at)
    else:
        draft = replace(
            current,
            title=title if title is not None else current.title,
            body=read_body(body_file, body) if (body is not None or body_file) else current.body,
            slug=new_slug if new_slug is not None else current.slug,
            section=section if section is not None else current.section,
            tags=tuple(tag) if tag is not None else current.tags,
            status=status if status is not None else current.status,
            locale=locale if locale is not None else current.locale,
        )
    if draft == current:
        print(f"unchanged {article.slug}")
        return
    print(f"saved {c.service().save_article(draft, slug_before=article.slug)}")


def _edited(current: ArticleDraft, updated: object) -> ArticleDraft:
    """The article as left in $EDITOR; text that does not parse is kept in a file, not lost."""
    from dataclasses import replace
    from datetime import datetime

    from deskterm.editor import edit_in_editor
    from deskterm.kb.article import parse, render

    text = edit_in_editor(
        render(current, updated if isinstance(updated, datetime) else None),
        f"deskterm-kb-{current.slug}-",
        suffix=".md",
    )
    try:
        return replace(parse(text, default_slug=current.slug), updated=None)
    except UsageError as exc:
        import tempfile

        fd, kept = tempfile.mkstemp(prefix=f"deskterm-kb-{current.slug}-", suffix=".md")
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
        raise UsageError(f"{exc}; nothing saved, your text is in {kept}") from None


@app.command()
def rm(ctx: typer.Context, slug: SlugArg) -> None:
    """Delete an article (and its old slugs)."""
    from deskterm.store.queries.kb import get_article

    c = ctx_of(ctx)
    article = get_article(c.store(), slug)
    c.service().remove_article(article.slug)
    print(f"removed {article.slug}")


@app.command("import")
def import_(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder of .md files with front matter.")],
) -> None:
    """Add or update articles from Markdown files (the slug is the file's name if not given).

    Every file is read and checked first: one bad file saves nothing.
    """
    from deskterm.kb.article import parse

    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    files = sorted(folder.rglob("*.md"))
    if not files:
        raise UsageError(f"{folder}: no .md files")
    drafts = []
    for path in files:
        try:
            drafts.append(parse(path.read_text(encoding="utf-8"), default_slug=path.stem.lower()))
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text") from None
        except UsageError as exc:
            raise UsageError(f"{path}: {exc}") from None
    added, changed = ctx_of(ctx).service().import_articles(drafts)
    print(f"imported {len(drafts)} articles: {added} added, {changed} updated")


@app.command()
def export(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to write SLUG.md files into.")],
) -> None:
    """Write every article as SLUG.md with front matter (what `kb import` reads back)."""
    from deskterm.kb.article import render
    from deskterm.store.queries.kb import get_article, list_articles

    store = ctx_of(ctx).store()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: cannot create ({exc.strerror})") from None
    articles = list_articles(store)
    for listed in articles:
        article = get_article(store, listed.slug)
        (folder / f"{article.slug}.md").write_text(
            render(article.draft(), article.updated_at), encoding="utf-8"
        )
    print(f"exported {len(articles)} articles to {folder}")


@app.command()
def stats(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deflection: article views, helpful votes, links agents inserted, abandoned contacts."""
    from deskterm.store.queries.kb import kb_stats

    found = kb_stats(ctx_of(ctx).store(), _day(since, "since"), _day(until, "until"))
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(found.to_json())
        return
    print(
        f"views {found.views}  helpful {found.helpful}  not helpful {found.not_helpful}"
        f"  linked in replies {found.linked}\n"
        f"suggestions opened on /contact {found.suggestion_opens}  contacted after reading"
        f" {found.contacted_after_reading}  abandoned (deflected) {found.abandoned}"
        f"  contact forms {found.contacted}\n"
    )
    from deskterm.cli.output import table

    table(
        ("slug", "title", "views", "helpful", "no", "linked"),
        ((a.slug, a.title, a.views, a.helpful, a.not_helpful, a.linked) for a in found.articles),
        (28, 36, 6, 7, 4, 6),
    )


def _day(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--{what} {value!r}: use a date like 2026-01-31") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
