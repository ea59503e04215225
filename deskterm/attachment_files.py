"""Attachments out of the store onto disk: to open them, or to keep them.

Names come from mail, so they are cleaned to stay inside the target folder, and
a file never replaces one already there (`report.pdf`, `report (1).pdf`, ...).
A failed write (disk full, no permission) leaves no partial file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from deskterm import safetext
from deskterm.errors import DesktermError
from deskterm.store.queries.tickets import get_attachment_data
from deskterm.store.schema.db import Store

MAX_NAME = 120


def safe_filename(name: str) -> str:
    """A file name that stays inside the folder it is written to."""
    cleaned = safetext.line(name).replace("/", "_").replace("\\", "_").strip(". ")
    return cleaned[:MAX_NAME] or "attachment"


def downloads_folder(configured: str = "") -> Path:
    """`[ui] downloads`, else the platform's downloads folder (XDG on Linux)."""
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_downloads_dir

    return Path(user_downloads_dir())


def save_attachment(store: Store, attachment_id: int, folder: Path) -> Path:
    """Write attachment `attachment_id` into `folder` under a free name; returns the path."""
    filename, data = get_attachment_data(store, attachment_id)
    name = Path(safe_filename(filename))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(10_000):
            path = folder / (name.name if n == 0 else f"{name.stem} ({n}){name.suffix}")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path
    except OSError as exc:
        raise DesktermError(f"cannot save {name.name} in {folder}: {exc.strerror}") from exc
    raise DesktermError(f"cannot save {name.name} in {folder}: too many files of that name")
