"""What a CLI write on a SQLite store loads: only what the write needs (each module costs
start-up time on every command): nothing of PostgreSQL, of the app, of the assist
model and tone cues when no message is written, or of the holidays library once a
country's dates are known."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

PROBE = """
import sys
split = sys.argv.index("--")
unneeded = sys.argv[1:split]
sys.argv = ["deskterm", *sys.argv[split + 1:]]
from deskterm.cli import main
try:
    main()
finally:
    print("LOADED:" + ",".join(sorted(
        m for m in sys.modules if any(m == u or m.startswith(u + ".") for u in unneeded)
    )))
"""

# Nothing of PostgreSQL or the app; no assist model or tone cues when no customer text is
# written; no holidays once the year's dates are kept.
WRITE_UNNEEDED = ("psycopg", "textual", "holidays", "deskterm.assist",
                  "deskterm.store.queries.suggest")  # fmt: skip

CALENDAR = """
[agent]
name = "Sam Lee"
email = "sam@example.com"

[sla.calendar]
name = "business"
timezone = "Europe/London"
holidays_country = "GB"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00" }

[[sla.policy]]
name = "Standard"
calendar = "business"
first_reply = { default = "4h" }
resolution = { default = "2d" }
"""


@pytest.fixture
def write(run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
          ) -> Callable[..., list[str]]:  # fmt: skip
    """A store with one ticket; `write(*args)` runs `deskterm --db DB args` in a fresh
    process and returns the modules of interest it loaded."""
    db = tmp_path / "s.db"
    made = run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    assert made.returncode == 0, made.stderr
    (tmp_path / "xdg" / "deskterm" / "config.toml").write_text(CALENDAR)
    made = run_cli("--db", str(db), "tickets", "new", "--subject", "hi", "--from", "c@x.example",
                   "--body", "b")  # fmt: skip
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))  # fmt: skip

    def run(*args: str, unneeded: tuple[str, ...] = WRITE_UNNEEDED) -> list[str]:
        """The modules of `unneeded` (and their submodules) that `deskterm ARGS` loaded."""
        probe = [sys.executable, "-c", PROBE, *unneeded, "--", "--db", str(db), *args]
        done = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=120,
                              check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "changed 1 of 1 ticket(s): #1" in done.stdout or args[1] == "list"
        loaded = done.stdout.strip().rsplit("LOADED:", 1)[1]
        return loaded.split(",") if loaded else []

    return run


def test_a_write_loads_only_what_it_needs(write: Callable[..., list[str]]) -> None:
    # `tickets new` above already met the calendar: GB's dates are known.
    assert write("tickets", "update", "1", "--priority", "high") == []
    assert write("tickets", "update", "1", "--status", "pending", "--tag", "x") == []


def test_holidays_load_only_until_the_year_is_known(write: Callable[..., list[str]],
                                                    tmp_path: Path) -> None:  # fmt: skip
    for kept in (tmp_path / "cache" / "deskterm" / "holidays").iterdir():
        kept.unlink()
    assert "holidays" in write("tickets", "update", "1", "--priority", "high")
    assert write("tickets", "update", "1", "--priority", "low") == []


def test_a_listing_loads_no_orm_and_no_package_metadata(write: Callable[..., list[str]]) -> None:
    # Reads use sqlite3; the calendar check reads the holidays version from a folder name.
    unneeded = ("sqlalchemy", "sqlmodel", "importlib.metadata", "holidays", "textual")
    assert write("tickets", "list", unneeded=unneeded) == []
