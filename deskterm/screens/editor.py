"""Handing a draft to the agent's $EDITOR and taking the text back.

The app suspends (the editor owns the terminal) and resumes when it exits.
"""

from __future__ import annotations

from textual.app import App, SuspendNotSupported

from deskterm.editor import edit_in_editor
from deskterm.errors import DesktermError


def edit_text(app: App[object], text: str, prefix: str) -> str:
    """`text` as the agent left it in $VISUAL or $EDITOR (vi by default).

    Raises DesktermError with one line when the terminal cannot hand over, the
    editor cannot run, or it exits with an error (the draft is then unchanged).
    """
    try:
        return edit_in_editor(text, prefix, handover=app.suspend)
    except SuspendNotSupported:
        raise DesktermError("this terminal cannot hand over to $EDITOR") from None
