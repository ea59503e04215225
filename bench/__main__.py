"""Run the benchmarks: `python -m bench [--tickets N] [--db PATH] [--only NAME]`.

Each area is a module with `NAMES` (what `--only` accepts) and `run(ctx, only)`
returning figures; add an area by adding it to AREAS.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import (
    app_bench,
    assist_bench,
    backends_bench,
    cli_bench,
    cli_write_bench,
    ingest_bench,
    kb_bench,
    live_bench,
    mail_bench,
    outbox_bench,
    query_bench,
    reports_bench,
    rules_bench,
    server_bench,
    store_bench,
    sync_load_bench,
)
from bench.common import RESULTS, Context, Figure, print_table

AREAS = {
    "store": store_bench,
    "queries": query_bench,
    "cli": cli_bench,
    "cli-write": cli_write_bench,
    "app": app_bench,
    "rules": rules_bench,
    "outbox": outbox_bench,
    "mail": mail_bench,
    "ingest": ingest_bench,
    "server": server_bench,
    "sync-load": sync_load_bench,
    "backends": backends_bench,
    "assist": assist_bench,
    "reports": reports_bench,
    "kb": kb_bench,
    "live": live_bench,
}


def main(argv: list[str] | None = None) -> int:
    names = sorted({n for area in AREAS.values() for n in area.NAMES} | set(AREAS))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="demo size (1000000)")
    parser.add_argument("--db", type=Path, help="reuse this store (built there if missing)")
    parser.add_argument("--only", choices=names, help="run one area or figure")
    parser.add_argument("--runs", type=int, default=200, help="runs per warm figure (200)")
    parser.add_argument("--rebuild", action="store_true", help="build the cached store again")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN")
    args = parser.parse_args(argv)
    db = args.db or RESULTS / f"demo-{args.tickets}.db"
    ctx = Context(db=db, tickets=args.tickets, runs=args.runs, plans=args.plans)
    figures: list[Figure] = []
    load = os.getloadavg()[0]
    wanted_areas = [
        (name, area)
        for name, area in AREAS.items()
        if args.only is None or args.only == name or args.only in area.NAMES
    ]
    # The big demo store is built only when an area that reads it will run.
    if any(getattr(area, "NEEDS_STORE", True) for _, area in wanted_areas):
        figures += store_bench.prepare(ctx, rebuild=args.rebuild, only=args.only)
    for area_name, area in wanted_areas:
        wanted = True
        if wanted:
            only = None if args.only in (None, area_name) else args.only
            figures += area.run(ctx, only)
    print_table(figures)
    ctx.notes.append(
        f"load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
        f" on {os.cpu_count()} CPUs: figures are noisier above ~1 per CPU"
    )
    for note in ctx.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
