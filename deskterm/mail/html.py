"""Sanitize mail HTML and render it as readable text for the terminal.

HTML from mail is hostile: nh3 keeps only harmless markup for anything that
shows it as HTML, and the text rendering (what the terminal shows when a mail
has no text/plain part) keeps paragraphs, line breaks, list bullets and short
link targets, so an agent reads what the customer saw.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_URL_SCHEMES = {"http", "https", "mailto", "cid", "tel"}
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml", "svg"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figure", "footer", "form", "header", "main", "nav", "section",
        "table", "tbody", "thead", "tfoot", "tr", "ul", "ol", "pre",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
_CELL = frozenset({"td", "th"})
_MAX_LINK = 60
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")


def sanitize(html: str) -> str:
    """Return HTML safe to store and show: no script, style, handlers or odd URL schemes."""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")


class _TextRenderer(HTMLParser):
    """Collect visible text, turning block structure into newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0
        self._links: list[tuple[str, int]] = []

    def _newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag == "br":
            self._newline()
        elif tag in _PARAGRAPH:
            self._newline(2)
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _CELL:
            self.parts.append(" ")
        elif tag == "hr":
            self.parts.append("\n----\n")
        elif tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self._pre_depth += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._links.append((href.strip(), len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP and tag != "a":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _PARAGRAPH:
            self._newline(2)
        elif tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            self._append_link(href, "".join(self.parts[start:]))

    def _append_link(self, href: str, label: str) -> None:
        """Show a link target after its text only when short and not already visible."""
        target = href[7:] if href.lower().startswith("mailto:") else href
        label = label.strip()
        if not target or len(target) > _MAX_LINK or target in label:
            return
        if href.lower().startswith(("http://", "https://", "mailto:")) and label:
            self.parts.append(f" ({target})")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.parts.append(data.replace("\n", "\x00"))
        else:
            self.parts.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Render HTML as plain text: paragraphs, breaks, `- ` bullets, `text (url)` links."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    text = "".join(renderer.parts)
    lines = (line.strip(" ") for line in text.split("\n"))
    text = "\n".join(lines).replace("\x00", "\n")
    text = _TRAILING.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip("\n")
