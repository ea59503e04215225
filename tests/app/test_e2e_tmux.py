"""End to end: the real `deskterm demo` in tmux, driven by keys, read with capture-pane."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.processes import skip_or_fail


@pytest.fixture
def tmux(
    tmp_path: Path, deskterm_bin: str
) -> Iterator[tuple[Callable[..., None], Callable[[], str]]]:
    if shutil.which("tmux") is None:
        skip_or_fail("tmux not installed: bash run.sh test installs it")
    name = f"deskterm-{uuid.uuid4().hex[:8]}"
    editor = tmp_path / "editor.sh"  # an $EDITOR that writes a line and exits
    editor.write_text('#!/bin/sh\nprintf "written in the editor\\n" >> "$1"\n')
    editor.chmod(0o755)
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "TERM": "xterm-256color",
        "EDITOR": str(editor),
    }
    # Textual would size to COLUMNS and LINES; VISUAL would win over EDITOR.
    for var in ("DESKTERM_CONFIG", "COLUMNS", "LINES", "VISUAL"):
        env.pop(var, None)
    command = (
        f"{deskterm_bin} demo --tickets 150 --path {tmp_path / 'demo.db'};"
        f" echo DESKTERM-EXITED-$?; sleep 60"
    )
    subprocess.run(
        ["tmux", "-L", name, "new-session", "-d", "-s", name, "-x", "120", "-y", "36", command],
        check=True,
        env=env,
    )

    def keys(*names: str) -> None:
        subprocess.run(["tmux", "-L", name, "send-keys", "-t", name, *names], check=True)

    def screen() -> str:
        return subprocess.run(
            ["tmux", "-L", name, "capture-pane", "-p", "-t", name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    try:
        yield keys, screen
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], check=False)


def wait_for(
    screen: Callable[[], str], check: Callable[[str], bool], what: str, timeout: float = 60.0
) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen()
        if check(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


def test_demo_in_tmux_queue_ticket_editor_help_quit(tmux) -> None:
    keys, screen = tmux

    def rows(text: str) -> list[str]:
        lines = text.splitlines()
        header = next((i for i, line in enumerate(lines) if "Subject" in line), None)
        below = [] if header is None else lines[header + 1 :]
        # A row's first cell may hold a mark: • marked, ! urgent, ~ upset.
        below = [ln.lstrip().removeprefix("•").removeprefix("!").removeprefix("~") for ln in below]
        return [ln for ln in below if ln.split() and ln.split()[0].isdigit()]

    def first_row(text: str) -> str | None:
        found = rows(text)
        return found[0] if found else None

    def all_open_shown(text: str) -> bool:
        """The list holds as many rows as the "All open" tab counts (or a screenful)."""
        count = re.search(r"3 All open (\d+)", text)
        return count is not None and len(rows(text)) == min(int(count.group(1)), 25)

    # "All open" (view 3): how many tickets are the agent's own depends on the day the
    # demo is dated to, and can be none.
    wait_for(screen, lambda s: first_row(s) is not None or "no tickets" in s, "the queue")
    keys("3")
    queue = wait_for(screen, all_open_shown, "the All open view")
    row = first_row(queue)
    assert row is not None
    number = row.split()[0]
    keys("Enter")
    # The thread and the customer pane both painted (the pane's counts line is always there;
    # "Other tickets" only when the first row's customer has more than one).
    wait_for(screen, lambda s: f"#{number} " in s and " unresolved" in s, f"ticket #{number}")
    keys("e")  # the app hands the terminal to $EDITOR and takes the draft back
    wait_for(screen, lambda s: "written in the editor" in s, "the editor's text in the composer")
    keys("Escape")  # close the composer (the draft stays)
    keys("Escape")
    wait_for(screen, lambda s: "All open" in s, "back on the queue")
    keys("?")
    wait_for(screen, lambda s: "Keys" in s and "Next ticket in the list" in s, "the help")
    keys("Escape")
    keys("C-q")
    wait_for(screen, lambda s: "DESKTERM-EXITED-0" in s, "a clean exit")
