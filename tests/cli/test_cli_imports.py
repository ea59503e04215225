"""What a CLI write on a SQLite store loads: nothing of PostgreSQL (it costs start-up time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from deskterm.cli import main
sys.argv = ["deskterm", *sys.argv[1:]]
try:
    main()
finally:
    print("LOADED:" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] == "psycopg")))
"""


def test_a_sqlite_write_never_imports_psycopg(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    made = run_cli("--db", str(db), "tickets", "new", "--subject", "hi", "--from", "c@x.example",
                   "--body", "b")  # fmt: skip
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), XDG_DATA_HOME=str(tmp_path / "data"))
    update = ["--db", str(db), "tickets", "update", "1", "--priority", "high"]
    done = subprocess.run([sys.executable, "-c", PROBE, *update], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "changed 1 of 1 ticket(s): #1" in done.stdout
    assert done.stdout.strip().endswith("LOADED:"), done.stdout
