"""Built-in queue views, shared by the app's number keys and `tickets list --view`."""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.errors import UsageError


@dataclass(frozen=True)
class ViewDef:
    name: str
    query: str
    needs_sla: bool = False  # shown only when SLA policies are configured


BUILTIN_VIEWS: tuple[ViewDef, ...] = (
    ViewDef("My open", "status:new,open,pending assignee:me"),
    ViewDef("Unassigned", "status:new,open assignee:none"),
    ViewDef("All open", "status:new,open"),
    ViewDef("Pending", "status:pending,on_hold"),
    ViewDef("Breaching soon", "status:new,open,pending,on_hold due<4h sort:due", needs_sla=True),
    ViewDef("Recently solved", "status:solved,closed updated<7d"),
)


def all_views(configured: list[tuple[str, str]], *, sla: bool = False) -> list[ViewDef]:
    """Built-in views, then the configured and stored ones (later names win)."""
    views = {v.name.lower(): v for v in BUILTIN_VIEWS if sla or not v.needs_sla}
    for name, query in configured:
        views[name.lower()] = ViewDef(name, query)
    return list(views.values())


def find_view(views: list[ViewDef], name: str) -> ViewDef:
    key = name.strip().lower()
    for index, view in enumerate(views, 1):
        if view.name.lower() == key or str(index) == key:
            return view
    names = ", ".join(v.name for v in views)
    raise UsageError(f"no view named {name!r} (views: {names})")
