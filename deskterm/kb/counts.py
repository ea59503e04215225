"""What the knowledge base counts, for deflection and for the reports."""

from __future__ import annotations

from enum import StrEnum


class KbEventKind(StrEnum):
    VIEW = "view"  # a public article page was read
    HELPFUL = "helpful"  # "did this answer your question?": yes
    NOT_HELPFUL = "not_helpful"  # ... no
    LINKED = "linked"  # an agent put the article's link or text into a reply
    ABANDONED = "abandoned"  # a contact form left unsent after reading a suggested article
    CONTACTED = "contacted"  # a contact form sent (the other side of abandoned)
