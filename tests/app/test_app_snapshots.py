"""SVG snapshots of the main screens on the seeded store, frozen clock, UTC, no blink.

Update with `pytest tests/test_app_snapshots.py --snapshot-update`, then review the SVGs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.app import make_app, seeded_copy, settle
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Message stamps are local time: pin the zone so snapshots match everywhere."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def keys_then_settle(*keys: str):
    async def run(pilot: Pilot) -> None:  # type: ignore[type-arg]  # any app's pilot
        app = pilot.app
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        for widget in app.screen.query("TextArea, Input"):
            if isinstance(widget, TextArea | Input):
                widget.cursor_blink = False
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(seeded_copy(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("3", "j"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ticket(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(seeded_copy(tmp_path))
    assert snap_compare(
        app, terminal_size=size, run_before=keys_then_settle("3", "j", "j", "enter")
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_composer_with_picker(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(seeded_copy(tmp_path))
    keys = ("3", "j", "j", "enter", "r", "H", "i", "ctrl+t", "r", "e")
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle(*keys))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(seeded_copy(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("question_mark"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_reports(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(seeded_copy(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("R"))
