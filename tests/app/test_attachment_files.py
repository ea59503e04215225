"""Attachments onto disk: safe names, never over a file, one-line errors; `d` in the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app import HOSTILE_FILE, _attach, make_app, make_config, seeded_copy, settle

from deskterm.attachment_files import safe_filename, save_attachment
from deskterm.config import UiConfig
from deskterm.errors import DesktermError
from deskterm.screens.modals import ChoiceModal
from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store


def attachment_ids(store_path: Path) -> dict[str, int]:
    store = open_store(store_path)
    try:
        rows = store.read().execute("SELECT filename, id FROM message_attachment").fetchall()
        return {str(name): int(id_) for name, id_ in rows}
    finally:
        store.close()


def test_names_stay_inside_and_never_replace_a_file(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    ids = attachment_ids(path)
    store = open_store(path)
    folder = tmp_path / "out"
    first = save_attachment(store, ids["receipt.txt"], folder)
    second = save_attachment(store, ids["receipt.txt"], folder)
    assert (first.name, second.name) == ("receipt.txt", "receipt (1).txt")
    assert first.read_bytes() == second.read_bytes() == b"receipt 1042\n"
    hostile = save_attachment(store, ids[HOSTILE_FILE], folder)
    assert hostile.parent == folder and "\x1b" not in hostile.name and "\u202e" not in hostile.name
    assert safe_filename("../../etc/passwd") == "_.._etc_passwd"
    assert safe_filename("..") == "attachment"
    with pytest.raises(DesktermError, match=r"cannot save receipt.txt in .*blocker"):
        (tmp_path / "blocker").write_text("a file, not a folder")
        save_attachment(store, ids["receipt.txt"], tmp_path / "blocker" / "sub")
    with pytest.raises(DesktermError, match="no attachment 999"):
        save_attachment(store, 999, folder)
    store.close()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["receipt.txt", "receipt (1).txt", hostile.name]
    )


def test_cli_saves_and_prints_the_path(run_cli, tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    ids = attachment_ids(path)
    done = run_cli(
        "--db", str(path), "tickets", "save-attachment", str(ids["receipt.txt"]),
        "--to", str(tmp_path / "keep"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == tmp_path / "keep" / "receipt.txt"
    assert (tmp_path / "keep" / "receipt.txt").read_bytes() == b"receipt 1042\n"
    missing = run_cli("--db", str(path), "tickets", "save-attachment", "999")
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines() == ["deskterm: no attachment 999"]


async def test_d_saves_one_or_all_to_the_downloads_folder(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    downloads = tmp_path / "downloads"
    app = make_app(path, make_config(ui=UiConfig(downloads=str(downloads))))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")  # the newest open ticket: Mallory's, one attachment
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.detail is not None
        message_id = screen.detail.messages[0].id
        await pilot.press("d")
        await settle(app, pilot)
        saved = list(downloads.iterdir())
        assert len(saved) == 1 and saved[0].read_bytes() == b"%PDF-1.4 not really"
        assert any(f"in {downloads}" in n.message for n in app._notifications)

        await pilot.press("escape")
        await settle(app, pilot)
        _attach(path, message_id, "log.txt", b"the log")  # a second file arrives
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")  # the first choice: all of them
        await settle(app, pilot)
        names = sorted(p.name for p in downloads.iterdir())
        assert len(names) == 3 and "log.txt" in names  # the pdf again, under a new name
        assert (downloads / "log.txt").read_bytes() == b"the log"
