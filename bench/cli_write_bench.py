"""A CLI write from a cold process: `deskterm tickets update N --status ...` on a demo
store with the demo's config (SLA calendars with holidays, rules, a mailbox), against
a bare `python -c "import sqlite3; ..."` making the same change in the same run.
Wall time (goal: under 0.5 s) and CPU time (what a busy machine's wall time hides)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Context, Figure

NAMES = ("cli-write",)
NEEDS_STORE = False  # builds its own demo store with its config
TICKETS = 2_000
RUNS = 7
GOAL_S = 0.5
NUMBER = 5

RAW = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE ticket SET status = ? WHERE number = ?", (sys.argv[2], int(sys.argv[3])))
conn.commit()
"""


def run(ctx: Context, only: str | None) -> list[Figure]:
    exe = Path(sys.executable).with_name("deskterm")
    if not exe.exists():
        ctx.notes.append(f"cli-write skipped: no {exe} (pip install -e . installs it)")
        return []
    # Bytecode as a user's Python writes it: without it every run compiles deskterm again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="deskterm-write-bench-") as tmp:
        store = Path(tmp) / "demo"
        built = subprocess.run(
            [str(exe), "demo", "--no-tui", "--fresh", "--tickets", str(TICKETS),
             "--path", str(store)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if built.returncode != 0:
            ctx.notes.append(f"cli-write skipped: demo failed: {built.stderr.strip()[-200:]}")
            return []
        env |= {"DESKTERM_CONFIG": str(store.with_suffix(".toml")),
                "XDG_CACHE_HOME": str(Path(tmp) / "cache")}  # fmt: skip
        raw = _runs(lambda s: [sys.executable, "-c", RAW, str(store), s, str(NUMBER)], env)
        cli = _runs(lambda s: [str(exe), "tickets", "update", str(NUMBER), "--status", s], env)
    size = f"{TICKETS:,} tickets, demo config"
    return [
        Figure("cli", f"tickets update (wall, median of {RUNS})", cli[0], "s", size, raw[0],
               f"<= {GOAL_S} s", cli[0] <= GOAL_S),
        Figure("cli", f"tickets update (CPU, median of {RUNS})", cli[1], "s", size, raw[1],
               extra="user + system of the process"),
    ]  # fmt: skip


def _runs(argv_for: Callable[[str], list[str]], env: dict[str, str]) -> tuple[float, float]:
    """(median wall, median CPU) of RUNS fresh processes, after one that warms the caches;
    the status alternates so each run really changes the ticket."""
    walls, cpus = [], []
    for i in range(RUNS + 1):
        argv = argv_for(("pending", "open")[i % 2])
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{argv} failed")
        if i:
            walls.append(time.perf_counter() - start)
            cpus.append(usage.ru_utime + usage.ru_stime)
    return sorted(walls)[RUNS // 2], sorted(cpus)[RUNS // 2]
