"""The one binding table of the app: stable ids, default keys, descriptions.

Screens build their `BINDINGS` from here, the `?` help screen lists it, the
command palette offers it, and `[keys]` in the config remaps it by id through
`App.set_keymap` (one id may name the same action on several screens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

APP = "app"
QUEUE = "queue"
TICKET = "ticket"
COMPOSER = "composer"
REPORTS = "reports"
CHIP_KEYS = 5  # the ticket screen's routing chips 1..5 each have their digit key
KB = "kb"


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One binding: `id` is what `[keys]` in the config remaps."""

    id: str
    keys: str
    action: str
    description: str
    scope: str
    show: bool = False
    priority: bool = False
    label: str = ""  # short footer text; the description when empty


TABLE: tuple[KeySpec, ...] = (
    # everywhere
    KeySpec("help", "question_mark", "help", "Help: every key here", APP, show=True, label="Help"),
    KeySpec("palette", "ctrl+p", "command_palette", "Command palette", APP, priority=True),
    KeySpec("quit", "ctrl+q", "quit", "Quit", APP, priority=True),
    # queue
    KeySpec("down", "j,down", "cursor_down", "Next ticket in the list", QUEUE),
    KeySpec("up", "k,up", "cursor_up", "Previous ticket in the list", QUEUE),
    KeySpec("page_down", "pagedown,ctrl+d", "page_down", "Page down", QUEUE),
    KeySpec("page_up", "pageup,ctrl+u", "page_up", "Page up", QUEUE),
    KeySpec("top", "g", "top", "Top (press g twice)", QUEUE),
    KeySpec("home", "home", "top(True)", "Top", QUEUE),
    KeySpec("bottom", "G,end", "bottom", "Bottom (loads further pages)", QUEUE),
    KeySpec("open", "enter", "open_ticket", "Open the ticket", QUEUE, show=True, label="Open"),
    KeySpec(
        "search", "slash", "search", "Search / narrow this view", QUEUE, show=True, label="Search"
    ),
    KeySpec("clear_search", "escape", "clear_search", "Clear the search", QUEUE),
    KeySpec("mark", "x", "mark", "Mark for a bulk action", QUEUE, show=True, label="Mark"),
    KeySpec("status", "s", "status", "Set status", QUEUE, show=True, label="Status"),
    KeySpec("priority", "p", "priority", "Set priority", QUEUE, show=True, label="Priority"),
    KeySpec("assign", "a", "assign", "Assign", QUEUE, show=True, label="Assign"),
    KeySpec("tags", "t", "tags", "Add or remove tags", QUEUE, show=True, label="Tags"),
    KeySpec("refresh", "ctrl+r", "refresh", "Reload the view", QUEUE),
    KeySpec("quit_queue", "q", "app.quit", "Quit", QUEUE, show=True, label="Quit"),
    KeySpec("reports", "R", "app.reports", "Reports: KPIs and charts", QUEUE, label="Reports"),
    KeySpec("kb", "K", "app.kb", "Knowledge base: sections, search, articles", QUEUE),
    KeySpec("log_call", "L", "app.log_call", "Log a phone call or walk-in as a ticket", QUEUE),
    *(
        KeySpec(f"view_{n}", str(n), f"switch_view({n - 1})", f"View {n}", QUEUE)
        for n in range(1, 10)
    ),
    # ticket
    KeySpec("back", "escape,q", "back", "Back to the queue", TICKET, show=True, label="Back"),
    KeySpec("scroll_down", "j,down", "scroll_thread(1)", "Scroll the thread down", TICKET),
    KeySpec("scroll_up", "k,up", "scroll_thread(-1)", "Scroll the thread up", TICKET),
    KeySpec("next_ticket", "right_square_bracket,J", "step_ticket(1)", "Next ticket", TICKET),
    KeySpec("prev_ticket", "left_square_bracket", "step_ticket(-1)", "Previous ticket", TICKET),
    KeySpec("reply", "r", "compose('reply')", "Reply", TICKET, show=True, label="Reply"),
    KeySpec("note", "n", "compose('note')", "Internal note", TICKET, show=True, label="Note"),
    KeySpec("canned", "c", "canned", "Canned reply", TICKET, show=True, label="Canned"),
    KeySpec("status", "s", "status", "Set status", TICKET, show=True, label="Status"),
    KeySpec("priority", "p", "priority", "Set priority", TICKET, label="Priority"),
    KeySpec("assign", "a", "assign", "Assign", TICKET, label="Assign"),
    KeySpec("tags", "t", "tags", "Add or remove tags", TICKET, label="Tags"),
    KeySpec("merge", "m", "merge", "Merge into another ticket", TICKET),
    KeySpec("history", "h", "history", "History of changes", TICKET),
    KeySpec("unfold", "z", "unfold", "Show or fold quoted text", TICKET),
    KeySpec("attachment", "o", "open_attachment", "Open an attachment", TICKET),
    KeySpec("save_attachment", "d", "save_attachment", "Save attachments to downloads", TICKET),
    KeySpec("editor", "e", "editor", "Write in $EDITOR", TICKET),
    KeySpec("kb", "K", "app.kb", "Knowledge base: sections, search, articles", TICKET),
    KeySpec("similar", "i", "toggle_similar", "Similar solved tickets, with why", TICKET),
    KeySpec(
        "accept_suggestions",
        "y",
        "accept_suggestions",
        "Accept the suggested tags, group and priority",
        TICKET,
        label="Accept",
    ),
    *(
        KeySpec(
            f"accept_suggestion_{n}",
            str(n),
            f"accept_suggestion({n - 1})",
            f"Accept suggestion {n} only",
            TICKET,
        )
        for n in range(1, CHIP_KEYS + 1)
    ),
    KeySpec(
        "undo",
        "ctrl+z",
        "undo_send",
        "Undo a reply not sent yet (text back in the composer)",
        TICKET,
        show=True,
        label="Undo send",
    ),
    # composer (the focused TextArea gets ordinary keys; these are priority)
    KeySpec("send", "ctrl+s", "send", "Send", COMPOSER, show=True, label="Send", priority=True),
    KeySpec(
        "composer_editor",
        "ctrl+o",
        "editor",
        "Write in $EDITOR",
        COMPOSER,
        show=True,
        label="$EDITOR",
    ),
    KeySpec(
        "composer_canned",
        "ctrl+t",
        "canned",
        "Insert a canned reply",
        COMPOSER,
        show=True,
        label="Canned",
    ),
    KeySpec(
        "composer_kb",
        "ctrl+b",
        "kb_insert",
        "Insert a knowledge-base article's link or text",
        COMPOSER,
        show=True,
        label="KB",
    ),
    KeySpec(
        "close_composer",
        "escape",
        "close_composer",
        "Close (keeps the draft)",
        COMPOSER,
        show=True,
        label="Close",
    ),
    KeySpec(
        "discard", "ctrl+g", "discard", "Discard the draft", COMPOSER, show=True, label="Discard"
    ),
    # reports
    KeySpec("reports_back", "escape,q", "back", "Back", REPORTS, show=True, label="Back"),
    KeySpec("period_today", "t", "period('today')", "Today", REPORTS, show=True, label="Today"),
    KeySpec("period_7d", "w", "period('7d')", "Last 7 days", REPORTS, show=True, label="7 d"),
    KeySpec("period_30d", "m", "period('30d')", "Last 30 days", REPORTS, show=True, label="30 d"),
    KeySpec(
        "period_quarter",
        "u",
        "period('quarter')",
        "Last 91 days",
        REPORTS,
        show=True,
        label="Quarter",
    ),
    KeySpec("period_all", "A", "period('all')", "All time", REPORTS, show=True, label="All"),
    KeySpec(
        "period_custom",
        "c",
        "custom_period",
        "Custom period: SINCE..UNTIL",
        REPORTS,
        show=True,
        label="Custom",
    ),
    KeySpec(
        "grouping",
        "b",
        "grouping",
        "Table by agent, tag, group, channel, mailbox",
        REPORTS,
        show=True,
        label="Group by",
    ),
    # knowledge base
    KeySpec("kb_back", "escape", "back", "Back", KB, show=True, label="Back"),
    KeySpec("kb_search", "slash", "search", "Search articles", KB, show=True, label="Search"),
)


def specs(scope: str) -> list[KeySpec]:
    return [spec for spec in TABLE if spec.scope == scope]


def bindings(scope: str) -> list[Binding]:
    """Textual bindings for one scope, with ids so the keymap can remap them."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.label or spec.description,
            show=spec.show,
            priority=spec.priority,
            tooltip=spec.description,
            id=spec.id,
        )
        for spec in specs(scope)
    ]


def display_keys(keys: str) -> str:
    """`right_square_bracket,J` -> `] J` for the help screen."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
    }
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def help_rows(scopes: tuple[str, ...], keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(id, keys, description) for the given scopes, with the config's remaps applied."""
    rows = []
    for scope in scopes:
        for spec in specs(scope):
            rows.append((spec.id, display_keys(keymap.get(spec.id, spec.keys)), spec.description))
    return rows


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in the config that name no binding (reported once at start)."""
    known = {spec.id for spec in TABLE}
    return sorted(set(keymap) - known)
