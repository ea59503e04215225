"""What every bench module shares: the run context, figures, timing, the table."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")


@dataclass
class Context:
    """One bench run: the store under test and what is known about it."""

    db: Path
    tickets: int
    runs: int
    plans: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """One measured number, its data size, its raw baseline and its goal."""

    area: str
    name: str
    value: float
    unit: str
    size: str
    raw: float | None = None
    goal: str = ""
    ok: bool | None = None
    extra: str = ""

    @property
    def ratio(self) -> float | None:
        if self.raw is None or not self.raw:
            return None
        return self.value / self.raw

    def line(self) -> str:
        ratio = f"{self.ratio:5.1f}x raw ({fmt(self.raw, self.unit)})" if self.ratio else ""
        verdict = {True: "ok", False: "MISSED", None: ""}[self.ok]
        goal = f"goal {self.goal} {verdict}".strip() if self.goal else ""
        return (
            f"{self.area:6} {self.name:34} {fmt(self.value, self.unit):>12}  {ratio:28}"
            f" {goal:28} {self.size} {self.extra}".rstrip()
        )


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        if value < 0.001:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.2f} s"
    return f"{value:,.0f} {unit}"


@dataclass(frozen=True)
class Timing:
    median: float
    p95: float
    runs: int


def measure(fn: Callable[[], object], runs: int, warmup: int = 3) -> Timing:
    """Median and 95th percentile wall time of `fn` over `runs` calls after `warmup`."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return Timing(
        statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], runs
    )


def print_table(figures: list[Figure]) -> None:
    print()
    print("=" * 100)
    print(f"{'area':6} {'figure':34} {'value':>12}  {'vs raw baseline':28} {'goal':28} data")
    print("-" * 100)
    for figure in figures:
        print(figure.line())


def postgres_cluster(ctx: Context, area: str) -> Any | None:
    """A started throwaway PostgreSQL cluster (the tests' own helper), or None with a note
    saying why there is none (pytest's helpers or the PostgreSQL binaries missing)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        from helpers.postgres import PostgresServer  # type: ignore[import-not-found]  # tests/
    except Exception as exc:
        ctx.notes.append(f"{area} skipped: {exc}")
        return None
    cluster = PostgresServer()
    cluster.start()
    return cluster


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far: a server's own cost."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
