"""Unsent replies and notes, kept in a small JSON file next to the store.

A draft survives leaving the ticket and quitting the app. The file is written
whole to a temporary file and renamed over the old one, so a crash mid-write
leaves the previous version, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Draft:
    """What the composer holds for one ticket; `canned` names a reply whose actions run on send."""

    kind: str  # reply | note
    body: str
    canned: str | None = None


def drafts_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".drafts.json")


class Drafts:
    """Drafts by ticket number: changed on the UI thread, saved from a worker."""

    def __init__(self, path: Path, data: dict[int, Draft] | None = None) -> None:
        self.path = path
        self._data: dict[int, Draft] = dict(data or {})
        self._version = 0
        self._saved_version = 0
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> Drafts:
        """Read the file; a missing or unreadable one gives no drafts (never an error)."""
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        data: dict[int, Draft] = {}
        if isinstance(raw, dict):
            for key, value in raw.items():
                if not (isinstance(key, str) and key.isdecimal() and isinstance(value, dict)):
                    continue
                body, kind, canned = value.get("body"), value.get("kind"), value.get("canned")
                if isinstance(body, str) and kind in ("reply", "note"):
                    data[int(key)] = Draft(kind, body, canned if isinstance(canned, str) else None)
        return cls(path, data)

    def get(self, number: int) -> Draft | None:
        return self._data.get(number)

    def put(self, number: int, draft: Draft | None) -> bool:
        """Set or (with None or an empty body and no canned reply) drop a draft; True if changed."""
        if draft is not None and not draft.body.strip() and draft.canned is None:
            draft = None
        if self._data.get(number) == draft:
            return False
        if draft is None:
            self._data.pop(number, None)
        else:
            self._data[number] = draft
        self._version += 1
        return True

    @property
    def dirty(self) -> bool:
        return self._version != self._saved_version

    def snapshot(self) -> tuple[int, dict[str, dict[str, Any]]]:
        return self._version, {str(n): asdict(d) for n, d in sorted(self._data.items())}

    def save(self, version: int, data: dict[str, dict[str, Any]]) -> None:
        """Write one snapshot atomically; an older snapshot never overwrites a newer one."""
        with self._lock:
            if version < self._saved_version:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".drafts-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, ensure_ascii=False, indent=1)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._saved_version = version

    def flush(self) -> None:
        """Save now if anything changed (at exit, on the UI thread: a few KB)."""
        if self.dirty:
            self.save(*self.snapshot())
