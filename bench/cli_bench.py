"""Cold start of the CLI in a fresh process, against bare `python -c pass`; and every
shape of the query matrix as `deskterm search --json`, the whole process timed and its
peak memory read (goal: 0.3 s and 100 MB each at 1M tickets)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Context, Figure
from bench.query_bench import store_shapes

NAMES = ("cli",)
RUNS = 5
HELP_GOAL_S = 0.15
LIST_GOAL_S = 0.5
SEARCH_GOAL_S = 0.3
SEARCH_GOAL_MB = 100
SEARCH_RUNS = 3


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
    figures += _searches(ctx, exe, python)
    return figures


def _peak(argv: list[str]) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit status, CPU seconds) of `argv` run to its end.

    The CPU time is what a busy machine's wall time hides: the process's own work."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, usage.ru_maxrss / 1024, child.returncode, cpu


def _searches(ctx: Context, exe: Path, python: float | None) -> list[Figure]:
    """Each matrix shape through the CLI: median wall time of SEARCH_RUNS, worst peak RSS."""
    raw = sqlite3.connect(ctx.db)
    try:
        texts = store_shapes(raw)
    finally:
        raw.close()
    figures = []
    worst: tuple[float, str] = (0.0, "")
    for text in texts:
        argv = [str(exe), "--db", str(ctx.db), "search", text, "--json"]
        _peak(argv)  # warms the OS file cache for this shape's pages
        runs = [_peak(argv) for _ in range(SEARCH_RUNS)]
        if any(run[2] for run in runs):
            ctx.notes.append(f"cli search {text!r} failed (exit {runs[0][2]})")
            continue
        took = sorted(run[0] for run in runs)[SEARCH_RUNS // 2]
        cpu = sorted(run[3] for run in runs)[SEARCH_RUNS // 2]
        mb = max(run[1] for run in runs)
        worst = max(worst, (took, text))
        figures.append(
            Figure("cli", f"search {text[:27]}", took, "s", f"{ctx.tickets:,} tickets", python,
                   f"<= {SEARCH_GOAL_S} s, {SEARCH_GOAL_MB} MB",
                   took <= SEARCH_GOAL_S and mb <= SEARCH_GOAL_MB,
                   extra=f"peak {mb:.0f} MB, CPU {cpu * 1e3:.0f} ms")
        )  # fmt: skip
    ctx.notes.append(
        f"slowest CLI search: {worst[1]!r}, {worst[0]:.2f} s ({ctx.tickets:,} tickets)"
    )
    return figures
