"""Sanitize mail HTML and render it as readable text, in time linear in its size.

HTML from mail is hostile twice over: its content (scripts, handlers, odd URL
schemes) and its shape. The stdlib parser and html5ever (behind nh3) both go
quadratic on inputs such as a million `<` or `&#`, or deeply nested tags, so
we first tokenize linearly ourselves, rebuild a flat, well-formed document
from allowed tags only, and give nh3 that to sanitize for good. The text
rendering (shown when a mail has no text/plain part) keeps paragraphs, line
breaks, `- ` bullets and short link targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape, unescape

import nh3

_URL_SCHEMES = {"http", "https", "mailto", "cid", "tel"}
_RAW_TEXT = frozenset(
    {"script", "style", "title", "template", "noscript", "xml", "svg", "textarea"}
)
_RCDATA = frozenset({"title", "textarea"})
# The title stays: it often names the mail ("Ihre Rechnung"), and other help desks show it.
_SKIP_CONTENT = _RAW_TEXT - _RCDATA
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figure", "footer", "form", "header", "main", "nav", "section",
        "table", "tbody", "thead", "tfoot", "tr", "ul", "ol", "pre", "caption",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "title"})
_CELL = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area"})
_KEEP = frozenset(
    {
        *_BLOCK, *_PARAGRAPH, *_CELL, "a", "abbr", "b", "big", "cite", "code", "del", "em",
        "font", "i", "ins", "kbd", "li", "mark", "q", "s", "small", "span", "strike",
        "strong", "sub", "sup", "u", "br", "hr", "img", "colgroup", "col",
    }
) - {"title"}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "font": {"color"},
    "ol": {"start"},
}
_MAX_DEPTH = 64
_MAX_LINK = 60
# nh3 (html5ever) slows down superlinearly on huge or entity-dense text; past these
# bounds our own allowlist rebuild, which is already a full sanitizer, stands alone.
_NH3_MAX_CHARS = 2_000_000
_NH3_MAX_ENTITIES = 100_000
_SAFE_URL = re.compile(r"(https?|mailto|cid|tel):|[^:]*(/|$)", re.IGNORECASE)
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*)>|<[!?/][^>]*>", re.DOTALL
)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]*))?""")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_NEEDS_ATTRIBUTES = frozenset(_ATTRIBUTES)

Token = tuple[str, str, dict[str, str]]  # ("text"|"start"|"end", tag or text, attributes)


def _attributes(source: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(source):
        value = match.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        found.setdefault(match.group(1).lower(), unescape(value))
    return found


def tokens(html: str) -> Iterator[Token]:
    """Yield text, start and end tokens in time linear in the input.

    Tags need a closing `>`, so nothing after the last one is searched for tags;
    that keeps a million unclosed `<` from costing a scan each.
    """
    last_gt = html.rfind(">")
    lower: str | None = None
    position = 0
    while position <= last_gt:
        match = _TOKEN.search(html, position, last_gt + 1)
        if match is None:
            break
        if match.start() > position:
            yield ("text", unescape(html[position : match.start()]), {})
        position = match.end()
        name = match.group(2)
        if name is None:
            continue  # comment, doctype, CDATA, processing instruction, bogus end tag
        name = name.lower()
        if match.group(1):
            yield ("end", name, {})
            continue
        attrs = _attributes(match.group(3)) if name in _NEEDS_ATTRIBUTES else {}
        yield ("start", name, attrs)
        if name in _RAW_TEXT and not match.group(3).endswith("/"):
            lower = html.lower() if lower is None else lower
            close = lower.find(f"</{name}", position)
            close = len(html) if close < 0 else close
            content = html[position:close]
            yield ("text", unescape(content) if name in _RCDATA else content, {})
            position = close
    if position < len(html):
        tail = html[position:]
        comment = tail.find("<!--")
        yield ("text", unescape(tail if comment < 0 else tail[:comment]), {})


def _link_suffix(href: str, label: str) -> str:
    """A link's target after its text, only when short and not already visible."""
    lowered = href.lower()
    target = href[7:] if lowered.startswith("mailto:") else href
    if not label.strip() or not target or len(target) > _MAX_LINK or target in label:
        return ""
    if not lowered.startswith(("http://", "https://", "mailto:")):
        return ""
    return f" ({target})"


def _start_tag(name: str, attrs: dict[str, str]) -> str:
    shown = []
    for key, value in attrs.items():
        if key not in _ATTRIBUTES[name] or (key in {"href", "src"} and not _SAFE_URL.match(value)):
            continue
        shown.append(f' {key}="{escape(value)}"')
    return f"<{name}{''.join(shown)}>"


class _Renderer:
    """One pass over the tokens building both the safe HTML and the readable text."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.skip = 0
        self.pre = 0
        self.link: tuple[str, int] | None = None

    def feed(self, html: str) -> None:
        for kind, value, attrs in tokens(html):
            if kind == "text":
                if not self.skip:
                    self.html.append(value.replace("&", "&amp;").replace("<", "&lt;"))
                    text = value.replace("\n", "\x00") if self.pre else _SPACES.sub(" ", value)
                    self.text.append(text)
            elif value in _SKIP_CONTENT:
                self.skip = self.skip + 1 if kind == "start" else max(0, self.skip - 1)
            elif not self.skip:
                if value in _KEEP:
                    self._markup(kind, value, attrs)
                self._layout(kind, value, attrs)

    def _markup(self, kind: str, name: str, attrs: dict[str, str]) -> None:
        """Keep allowed tags balanced and at most `_MAX_DEPTH` deep."""
        if kind == "start":
            if name not in _VOID and len(self.stack) >= _MAX_DEPTH:
                return
            self.html.append(_start_tag(name, attrs) if name in _ATTRIBUTES else f"<{name}>")
            if name not in _VOID:
                self.stack.append(name)
        elif name in self.stack:
            while self.stack:
                top = self.stack.pop()
                self.html.append(f"</{top}>")
                if top == name:
                    break

    def _layout(self, kind: str, name: str, attrs: dict[str, str]) -> None:
        """Turn block structure into newlines, bullets and link targets."""
        parts = self.text
        if name == "a":
            if kind == "start":
                self.link = (attrs.get("href", "").strip(), len(parts))
            elif self.link is not None:
                href, begin = self.link
                parts.append(_link_suffix(href, "".join(parts[begin:])))
                self.link = None
        elif name == "br":
            parts.append("\n")
        elif name in _PARAGRAPH:
            parts.append("\n\n")
        elif name in _BLOCK:
            if name == "pre":
                self.pre = max(0, self.pre + (1 if kind == "start" else -1))
            parts.append("\n")
        elif name == "li" and kind == "start":
            parts.append("\n- ")
        elif name in _CELL and kind == "start":
            parts.append(" ")
        elif name == "hr":
            parts.append("\n----\n")

    def result(self) -> tuple[str, str]:
        html = "".join([*self.html, *(f"</{tag}>" for tag in reversed(self.stack))])
        if len(html) <= _NH3_MAX_CHARS and html.count("&") <= _NH3_MAX_ENTITIES:
            html = nh3.clean(
                html,
                tags=set(_KEEP),
                attributes=_ATTRIBUTES,
                url_schemes=_URL_SCHEMES,
                link_rel="noopener noreferrer nofollow",
            )
        text = "\n".join(line.strip(" ") for line in "".join(self.text).split("\n"))
        return html, _BLANK_LINES.sub("\n\n", text.replace("\x00", "\n")).strip("\n")


def render(html: str) -> tuple[str, str]:
    """Return (sanitized HTML, readable text) for one HTML document, in one pass."""
    renderer = _Renderer()
    renderer.feed(html)
    return renderer.result()


def html_to_text(html: str) -> str:
    """Render HTML as plain text: paragraphs, breaks, `- ` bullets, `text (url)` links."""
    return render(html)[1]
