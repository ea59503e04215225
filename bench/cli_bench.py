"""Cold start of the CLI in a fresh process, against bare `python -c pass`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import Context, Figure

NAMES = ("cli",)
RUNS = 5
HELP_GOAL_S = 0.15
LIST_GOAL_S = 0.5


def _time(argv: list[str], runs: int = RUNS) -> tuple[float | None, str]:
    """Median wall time of `argv` in a new process, or None and why it failed."""
    samples = []
    for _ in range(runs + 1):  # the first run warms the OS file cache
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - start)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return None, lines[-1] if lines else f"exit {done.returncode}"
    samples = sorted(samples[1:])
    return samples[len(samples) // 2], ""


def run(ctx: Context, only: str | None) -> list[Figure]:
    exe = Path(sys.executable).with_name("deskterm")
    python, _ = _time([sys.executable, "-c", "pass"])
    figures = []
    if not exe.exists():
        ctx.notes.append(f"cli skipped: no {exe} (pip install -e . installs the entry point)")
        return []
    for label, argv, goal, goal_s in (
        ("deskterm --help", [str(exe), "--help"], "<= 0.15 s", HELP_GOAL_S),
        ("tickets list --json", [str(exe), "--db", str(ctx.db), "tickets", "list", "--json"],
         "<= 0.5 s", LIST_GOAL_S),
    ):  # fmt: skip
        took, why = _time(argv)
        if took is None:
            ctx.notes.append(f"cli '{label}' skipped: {why}")
            continue
        size = "process start" if "help" in label else f"{ctx.tickets:,} tickets"
        figures.append(
            Figure("cli", f"{label} (median of {RUNS})", took, "s", size, python, goal,
                   took <= goal_s)
        )  # fmt: skip
    return figures
