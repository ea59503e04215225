"""An article as an author writes it: Markdown with front matter, and the slug its URL uses.

The same text is what `deskterm kb edit` hands to $EDITOR and what `kb export` writes
to a file, so one parser reads both (python-frontmatter: YAML between `---` lines).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from deskterm.errors import UsageError

PUBLISHED = "published"
DRAFT = "draft"
STATUSES = (PUBLISHED, DRAFT)
FRONT_MATTER_KEYS = ("title", "slug", "section", "tags", "status", "locale", "updated")

_SLUG = re.compile(r"[^\w]+")
_VALID_SLUG = re.compile(r"\w+(?:-\w+)*")
_LOCALE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
MAX_SLUG = 80
# Section and tags are keys of an index (related articles); PostgreSQL refuses an index
# row over ~2,700 bytes, and these bounds keep one well under it in any script.
MAX_SECTION = 80
MAX_TAGS = 16
MAX_TAG = 32


def slugify(title: str) -> str:
    """The URL name of a title: lower case words joined by `-` (Hangul and Han stay letters)."""
    words = _SLUG.sub(" ", unicodedata.normalize("NFKC", title).lower().replace("_", " ")).split()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > MAX_SLUG:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug


@dataclass(frozen=True)
class ArticleDraft:
    """What an author controls; the store adds ids, the updated time and the slug history."""

    title: str
    body: str
    slug: str = ""
    section: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    status: str = DRAFT
    locale: str = "en"
    updated: datetime | None = None  # from a file's front matter: kept on import

    def checked(self) -> ArticleDraft:
        """The draft made whole (a slug from the title, tags tidy) or a one-line UsageError."""
        title = " ".join(self.title.split())
        if not title:
            raise UsageError("an article needs a title")
        slug = self.slug.strip() or slugify(title)
        if not slug:
            raise UsageError(f"cannot make a slug from the title {title!r}; give --slug")
        if not _VALID_SLUG.fullmatch(slug) or len(slug) > MAX_SLUG or slug != slug.lower():
            raise UsageError(
                f"slug {slug!r}: use lower-case letters, digits and single dashes"
                f" (at most {MAX_SLUG})"
            )
        if self.status not in STATUSES:
            raise UsageError(f"status {self.status!r}: use {' or '.join(STATUSES)}")
        locale = self.locale.strip() or "en"
        if not _LOCALE.fullmatch(locale):
            raise UsageError(f"locale {locale!r}: use a language tag such as en, ko or pt-BR")
        tags = tuple(
            dict.fromkeys(t for t in (" ".join(x.lower().split()) for x in self.tags) if t)
        )
        section = " ".join(self.section.split())
        if len(section) > MAX_SECTION:
            raise UsageError(f"section {section[:20]!r}...: at most {MAX_SECTION} characters")
        if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
            raise UsageError(f"tags: at most {MAX_TAGS}, each at most {MAX_TAG} characters")
        return replace(self, title=title, slug=slug, section=section, tags=tags, locale=locale)


def parse(text: str, *, default_slug: str = "") -> ArticleDraft:
    """An article from Markdown with front matter; `default_slug` (a file's name) if none given."""
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"the front matter is not valid YAML{where}") from None
    meta: dict[str, Any] = dict(post.metadata)
    unknown = sorted(set(meta) - set(FRONT_MATTER_KEYS))
    if unknown:
        raise UsageError(
            f"unknown front matter key {unknown[0]!r} (known: {', '.join(FRONT_MATTER_KEYS)})"
        )
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list):
        raise UsageError(f"tags: a list of words, not {tags!r}")
    return ArticleDraft(
        title=_text(meta, "title"),
        body=post.content.strip() + "\n",
        slug=_text(meta, "slug") or default_slug,
        section=_text(meta, "section"),
        tags=tuple(str(t) for t in tags),
        status=_text(meta, "status") or DRAFT,
        locale=_text(meta, "locale") or "en",
        updated=_when(meta.get("updated")),
    ).checked()


def _when(value: object) -> datetime | None:
    """The `updated` key as an aware UTC time (YAML reads a date or a datetime itself)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(f"updated: {value!r} is not a date (use 2026-01-31)") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise UsageError(f"updated: {value!r} is not a date (use 2026-01-31)")


def _text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise UsageError(f"{key}: plain text, not {value!r}")
    return str(value)


def render(draft: ArticleDraft, updated: datetime | None = None) -> str:
    """The article as a Markdown file with front matter (what `parse` reads back)."""
    import frontmatter

    meta: dict[str, Any] = {
        "title": draft.title,
        "slug": draft.slug,
        "section": draft.section,
        "tags": list(draft.tags),
        "status": draft.status,
        "locale": draft.locale,
    }
    if updated is not None:
        meta["updated"] = updated.isoformat()
    post = frontmatter.Post(draft.body.strip() + "\n", **meta)
    return str(frontmatter.dumps(post, sort_keys=False, allow_unicode=True)) + "\n"
