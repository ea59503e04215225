"""`K`: the knowledge base (sections, search, the article), and from the composer a picker
that puts an article's link or text into the reply.

Reads run in workers; only the newest search's answer is shown. Article text is
untrusted: escape sequences are removed, raw HTML stays text, links are not opened,
and titles are plain text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from markdown_it import MarkdownIt
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from deskterm import keys, safetext
from deskterm.store.queries.kb import ArticleRecord, get_article, list_articles, search_articles
from deskterm.widgets.fmt import plain
from deskterm.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from deskterm.screens.host import DeskHost
    from deskterm.store.schema.db import Store

SEARCH_LIMIT = 50


def _parser() -> MarkdownIt:
    """Markdown as written; raw HTML in an article is shown as text, never interpreted."""
    return MarkdownIt("gfm-like", {"html": False})


def article_markdown(article: ArticleRecord) -> str:
    return safetext.clean(article.body)


def article_url(base: str, slug: str) -> str:
    """The public address of an article on the server's pages (a path when none is set)."""
    from urllib.parse import quote

    path = f"/kb/{quote(slug)}"
    return base.rstrip("/") + path if base else path


class ArticleSearch(Vertical):
    """A search box over a list of articles: grouped by section until something is typed.

    Posts `Shown` when the highlighted article changes and `Chosen` on enter; the
    screen around it reads the article.
    """

    class Shown(Message):
        def __init__(self, article: ArticleRecord) -> None:
            super().__init__()
            self.article = article

    class Chosen(Message):
        def __init__(self, article: ArticleRecord) -> None:
            super().__init__()
            self.article = article

    class _Found(Message):
        def __init__(self, asked: str, articles: list[ArticleRecord]) -> None:
            super().__init__()
            self.asked = asked
            self.articles = articles

    def __init__(self, store: Store, *, published_only: bool = False, id: str | None = None):
        super().__init__(id=id)
        self.store = store
        self.published_only = published_only
        self.rows: list[ArticleRecord | None] = []  # None: a section heading
        self.asked = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search articles (English, 한국어, 中文…)", id="kb-search")
        yield OptionList(id="kb-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self.query_one(Input).focus()
        self._find("")

    @on(Input.Changed, "#kb-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.asked = event.value
        self._find(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-search")
    def _find(self, text: str) -> None:
        if text.strip():
            found = search_articles(
                self.store,
                text,
                published_only=self.published_only,
                limit=SEARCH_LIMIT,
                prefix_last=True,
            )
        else:
            found = list_articles(self.store, published_only=self.published_only)
        self.post_message(self._Found(text, found))

    def on_article_search__found(self, event: _Found) -> None:
        event.stop()
        if event.asked != self.asked:
            return  # a newer search is on its way
        self.rows = []
        options: list[Option] = []
        grouped = not event.asked.strip()
        section: str | None = None
        for article in event.articles:
            if grouped and article.section != section:
                section = article.section
                self.rows.append(None)
                options.append(Option(plain(section or "(no section)", "bold"), disabled=True))
            self.rows.append(article)
            label = plain(article.title)
            if not article.published:
                label.append("  draft", "italic dim")
            options.append(Option(label))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options)
        if not options:
            listing.add_option(Option(Text("no article matches"), disabled=True))
            return
        listing.highlighted = next(i for i, row in enumerate(self.rows) if row is not None)

    @property
    def highlighted(self) -> ArticleRecord | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.rows):
            return None
        return self.rows[index]

    def move(self, delta: int) -> None:
        listing = self.query_one(OptionList)
        listing.action_cursor_down() if delta > 0 else listing.action_cursor_up()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        article = self.highlighted
        if article is not None:
            self.post_message(self.Shown(article))

    @on(Input.Submitted, "#kb-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        article = self.highlighted
        if article is not None:
            self.post_message(self.Chosen(article))


class ArticleView(VerticalScroll):
    """One article: its title and facts as plain text, its body through Markdown."""

    def compose(self) -> ComposeResult:
        yield Static(id="kb-title")
        yield Static(id="kb-facts")
        yield Markdown(parser_factory=_parser, open_links=False, id="kb-body")

    def show(self, article: ArticleRecord) -> None:
        self.query_one("#kb-title", Static).update(plain(article.title, "bold"))
        facts = " · ".join(
            part
            for part in (
                article.section,
                article.status,
                article.locale,
                ", ".join(article.tags),
                f"/kb/{article.slug}",
            )
            if part
        )
        self.query_one("#kb-facts", Static).update(plain(facts, "dim"))
        self.query_one("#kb-body", Markdown).update(article_markdown(article))
        self.scroll_home(animate=False)


class KbScreen(Screen[None]):
    """Sections and search on the left, the highlighted article on the right."""

    CSS_PATH = "kb.tcss"
    KEY_SCOPES = (keys.KB,)
    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.bindings(keys.KB),
        Binding("down,ctrl+j", "move(1)", "Down", show=False),
        Binding("up,ctrl+k", "move(-1)", "Up", show=False),
    ]

    class Read(Message):
        def __init__(self, article: ArticleRecord) -> None:
            super().__init__()
            self.article = article

    def __init__(self, desk: DeskHost) -> None:
        super().__init__()
        self.desk = desk
        self.store = desk.open_store_or_fail()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield ArticleSearch(self.store, id="kb-side")
            yield ArticleView(id="kb-view")
        yield KeyFooter()

    def action_move(self, delta: int) -> None:
        self.query_one(ArticleSearch).move(delta)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_read(self) -> None:
        self.query_one(ArticleView).focus()

    def action_search(self) -> None:
        self.query_one("#kb-search", Input).focus()

    def on_article_search_shown(self, event: ArticleSearch.Shown) -> None:
        self._read(event.article.slug)

    def on_article_search_chosen(self, event: ArticleSearch.Chosen) -> None:
        self.query_one(ArticleView).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-read")
    def _read(self, slug: str) -> None:
        self.post_message(self.Read(get_article(self.store, slug)))

    def on_kb_screen_read(self, event: Read) -> None:
        shown = self.query_one(ArticleSearch).highlighted
        if shown is not None and shown.slug == event.article.slug:
            self.query_one(ArticleView).show(event.article)


@dataclass(frozen=True)
class Insert:
    """What the composer gets from the picker: text to insert, and the article it names."""

    slug: str
    text: str


class KbPickerModal(ModalScreen[Insert | None]):
    """From the composer: find an article; enter inserts its link, ctrl+y its text."""

    CSS_PATH = "kb.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Cancel"),
        Binding("down,ctrl+j", "move(1)", "Down", show=False),
        Binding("up,ctrl+k", "move(-1)", "Up", show=False),
        Binding("ctrl+y", "insert_text", "Insert the text"),
    ]

    class Read(Message):
        def __init__(self, article: ArticleRecord, as_text: bool | None) -> None:
            super().__init__()
            self.article = article
            self.as_text = as_text  # None: only to show it

    def __init__(self, store: Store, base_url: str) -> None:
        super().__init__()
        self.store = store
        self.base_url = base_url

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="kb-picker") as box:
            box.border_title = "Knowledge base"
            yield Static(
                Text("enter: insert the link · ctrl+y: insert the text · escape: cancel"),
                classes="modal-hint",
            )
            with Horizontal():
                yield ArticleSearch(self.store, published_only=True, id="kb-side")
                yield ArticleView(id="kb-view")

    def action_move(self, delta: int) -> None:
        self.query_one(ArticleSearch).move(delta)

    def on_article_search_shown(self, event: ArticleSearch.Shown) -> None:
        self._read(event.article.slug, None)

    def on_article_search_chosen(self, event: ArticleSearch.Chosen) -> None:
        self.dismiss(self._link(event.article))

    def action_insert_text(self) -> None:
        article = self.query_one(ArticleSearch).highlighted
        if article is not None:
            self._read(article.slug, True)

    def _link(self, article: ArticleRecord) -> Insert:
        title = safetext.line(article.title)
        return Insert(article.slug, f"{title}: {article_url(self.base_url, article.slug)}")

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-read")
    def _read(self, slug: str, as_text: bool | None) -> None:
        self.post_message(self.Read(get_article(self.store, slug), as_text))

    def on_kb_picker_modal_read(self, event: Read) -> None:
        if event.as_text:
            self.dismiss(Insert(event.article.slug, safetext.clean(event.article.body)))
            return
        shown = self.query_one(ArticleSearch).highlighted
        if shown is not None and shown.slug == event.article.slug:
            self.query_one(ArticleView).show(event.article)
