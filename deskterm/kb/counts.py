"""What the knowledge base counts, for deflection and for the reports."""

from __future__ import annotations

from enum import StrEnum


class KbEventKind(StrEnum):
    VIEW = "view"  # a public article page was read
    HELPFUL = "helpful"  # "did this answer your question?": yes
    NOT_HELPFUL = "not_helpful"  # ... no
    LINKED = "linked"  # an agent put the article's link or text into a reply
    SUGGESTION_OPENED = "suggestion_opened"  # an article suggested on /contact was opened
    CONTACTED = "contacted"  # a contact form was sent (naming the suggested article read, if any)
