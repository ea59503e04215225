"""Handing text to the person's $VISUAL or $EDITOR and taking it back (app and CLI alike).

The text goes through a private temporary file that is removed either way.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from deskterm.errors import DesktermError


def edit_in_editor(
    text: str,
    prefix: str,
    *,
    suffix: str = ".txt",
    handover: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> str:
    """`text` as left in the editor (vi by default); `handover` frees the terminal meanwhile.

    Raises DesktermError with one line when the editor cannot run or exits with an
    error (the text is then unchanged).
    """
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            with handover():
                code = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as exc:
            raise DesktermError(f"cannot run {editor!r}: {exc.strerror}") from exc
        if code != 0:
            raise DesktermError(f"{editor} exited with {code}; the text is unchanged")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
