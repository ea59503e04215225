"""Where demo stores live: one folder per seed and size, reused for a day, then cleaned up.

Every `deskterm demo` used to leave a new store in the temp folder. Now the same
seed and size open the same store again while it is fresh (its data are dated
from the day it was built), and older demo folders are removed on the way.
"""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
import time
from pathlib import Path

STORE_NAME = "demo.db"
READY = ".ready"  # written last: a folder without it is a build that did not finish
FRESH_SECONDS = 24 * 3600


def demo_root() -> Path:
    """The folder holding this user's demo stores (in the temp folder)."""
    return Path(tempfile.gettempdir()) / f"deskterm-demos-{getpass.getuser()}"


def demo_folder(seed: int, tickets: int) -> Path:
    return demo_root() / f"seed{seed}-{tickets}"


def reusable(folder: Path, now: float | None = None) -> bool:
    """True when `folder` holds a finished demo store built less than a day ago."""
    marker = folder / READY
    try:
        built = marker.stat().st_mtime
    except OSError:
        return False
    return (now or time.time()) - built < FRESH_SECONDS and (folder / STORE_NAME).exists()


def building_folder(folder: Path) -> Path:
    """A new empty sibling of `folder` to build in (renamed into place when done)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))


def finish(built: Path, folder: Path) -> Path:
    """Mark `built` ready and move it to `folder`; if another build got there first, use that."""
    (built / READY).touch()
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    try:
        os.rename(built, folder)
    except OSError:  # a concurrent `deskterm demo` of the same seed and size won
        shutil.rmtree(built, ignore_errors=True)
    return folder / STORE_NAME


def clean_old(keep: Path, now: float | None = None) -> list[Path]:
    """Remove demo folders (finished or abandoned) older than a day, except `keep`."""
    root = demo_root()
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    now = now or time.time()
    for folder in root.iterdir():
        if folder == keep or not folder.is_dir():
            continue
        marker = folder / READY
        try:
            when = (marker if marker.exists() else folder).stat().st_mtime
        except OSError:
            continue
        if now - when >= FRESH_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
