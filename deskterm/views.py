"""Queue views, shared by the app's number keys, `tickets list --view` and `deskterm views`.

Built-in views come first, then the config's `[[views]]`, then views stored in
the store (`deskterm views add`); a later view of the same name replaces an
earlier one. Keys 1-9 switch to the first nine.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.errors import UsageError

KEYED = 9  # views the number keys reach


@dataclass(frozen=True)
class ViewDef:
    name: str
    query: str
    needs_sla: bool = False  # shown only when SLA policies are configured
    meaning: str = ""  # what a built-in view holds, in words
    source: str = "built-in"  # built-in | config | store


# "Open" means new or open everywhere: waiting on the customer (pending, on hold)
# has views of its own.
BUILTIN_VIEWS: tuple[ViewDef, ...] = (
    ViewDef(
        "My open",
        "status:new,open assignee:me",
        meaning="new and open tickets assigned to you ([agent] email)",
    ),
    ViewDef(
        "Unassigned",
        "status:new,open assignee:none",
        meaning="new and open tickets nobody is assigned to",
    ),
    ViewDef("All open", "status:new,open", meaning="every new and open ticket"),
    ViewDef(
        "Pending",
        "status:pending,on_hold",
        meaning="tickets waiting on the customer (pending) or on a third party (on hold)",
    ),
    ViewDef(
        "Breaching soon",
        "status:new,open,pending,on_hold due<4h sort:due",
        needs_sla=True,
        meaning="unresolved tickets with an SLA target due within 4 hours or overdue,"
        " soonest first (only with [[sla.policy]])",
    ),
    ViewDef(
        "Recently solved",
        "status:solved,closed updated<7d",
        meaning="tickets solved or closed in the last 7 days",
    ),
)


def all_views(
    configured: list[tuple[str, str]],
    *,
    sla: bool = False,
    stored: list[tuple[str, str]] | None = None,
) -> list[ViewDef]:
    """Built-in views, then the configured and stored ones (later names win)."""
    views = {v.name.lower(): v for v in BUILTIN_VIEWS if sla or not v.needs_sla}
    for source, pairs in (("config", configured), ("store", stored or [])):
        for name, query in pairs:
            views[name.lower()] = ViewDef(name, query, source=source)
    return list(views.values())


def find_view(views: list[ViewDef], name: str) -> ViewDef:
    key = name.strip().lower()
    for index, view in enumerate(views, 1):
        if view.name.lower() == key or str(index) == key:
            return view
    names = ", ".join(v.name for v in views)
    raise UsageError(f"no view named {name!r} (views: {names})")
