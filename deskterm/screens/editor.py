"""Handing a draft to the agent's $EDITOR and taking the text back.

The app suspends (the editor owns the terminal) and resumes when it exits; the
draft goes through a private temporary file that is removed either way.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported

from deskterm.errors import DesktermError


def edit_text(app: App[object], text: str, prefix: str) -> str:
    """`text` as the agent left it in $VISUAL or $EDITOR (vi by default).

    Raises DesktermError with one line when the terminal cannot hand over, the
    editor cannot run, or it exits with an error (the draft is then unchanged).
    """
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            with app.suspend():
                code = subprocess.call([*shlex.split(editor), str(path)])
        except SuspendNotSupported:
            raise DesktermError("this terminal cannot hand over to $EDITOR") from None
        except OSError as exc:
            raise DesktermError(f"cannot run {editor!r}: {exc.strerror}") from exc
        if code != 0:
            raise DesktermError(f"{editor} exited with {code}; the draft is unchanged")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
