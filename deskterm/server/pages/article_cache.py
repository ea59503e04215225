"""Rendered article pages, kept until the knowledge base changes.

An article's page is the same HTML for every visitor (its view is counted apart, see
`view_counts`), so it is rendered once and kept. Saving or removing any article
changes `kb_version` (a page shows other articles too: related ones, links), and the
first request that sees the new version drops every kept page. Pages are kept up to a
total size, the least recently read going first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

Version = tuple[int, int]  # `queries.kb.kb_version`
Key = tuple[str, str]  # slug, the "did this answer" vote shown ("", "yes", "no")
MAX_BYTES = 32 * 1024 * 1024  # 10,000 articles of 3 KB pages, with room


class ArticlePages:
    """HTML by (slug, vote), for one version of the knowledge base; thread-safe (the
    pages are served from a pool of threads)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._lock = threading.Lock()
        self._pages: OrderedDict[Key, str] = OrderedDict()
        self._version: Version | None = None
        self._size = 0
        self._max = max_bytes

    def get(self, version: Version, key: Key) -> str | None:
        with self._lock:
            if version != self._version:
                self._pages.clear()
                self._size, self._version = 0, version
                return None
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, version: Version, key: Key, html: str) -> None:
        """Keep `html`, read at `version` or later; not when a newer version is in."""
        with self._lock:
            if version != self._version or key in self._pages or len(html) > self._max:
                return
            self._pages[key] = html
            self._size += len(html)
            while self._size > self._max:
                _key, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped)
