"""The demo's first screen shows SLA countdowns and the mail waiting in the outbox."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.app import screen_text, settle

from deskterm.app import DesktermApp
from deskterm.config import load_config
from deskterm.widgets.ingest_line import IngestLine


async def test_first_screen_shows_countdowns_and_queued_mail(run_cli, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    built = run_cli("demo", "--no-tui", "--tickets", "300", env={"TMPDIR": str(temp)})
    assert built.returncode == 0, built.stderr
    store = Path(built.stdout.strip())
    app = DesktermApp(store, load_config(store.with_suffix(".toml")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        text = screen_text(app)
        assert "Due (business" in text, text
        assert re.search(r"\n.*(\d+[dhm]|-\d+[dhm]).*·", text), text
        line = app.screen.query_one(IngestLine)
        assert line.display
        mail = str(line.render())
        queued = sum(int(n) for n in re.findall(r"(\d+) (?:to send|retrying)", mail))
        assert queued == 3, mail
