"""One paging contract for every listing: `--limit`, `--after CURSOR`, `--all`.

A page that is not the last ends with `more: --after 'CURSOR' (or --all)` on
stderr; `--all` walks every page. JSON output is one array either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from deskterm.cli.output import json_text

R = TypeVar("R")

LimitOpt = Annotated[int, typer.Option(min=1, max=1000, help="Rows per page.")]
AfterOpt = Annotated[str | None, typer.Option(help="Continue after this cursor.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every page, not just one.")]


def print_pages(
    fetch: Callable[[str | None], tuple[Sequence[R], str | None]],
    after: str | None,
    *,
    all_pages: bool,
    as_json: bool,
    to_json: Callable[[R], Any],
    print_rows: Callable[[Sequence[R], bool], None],
) -> None:
    """Print the page after `after` (or all of them) and say how to get the next one.

    `fetch(cursor)` returns a page of rows and the cursor after it (None: the last).
    `print_rows(rows, with_header)` prints a page as text.
    """
    first = True
    if as_json:
        sys.stdout.write("[")
    while True:
        rows, after = fetch(after)
        if as_json:
            for row in rows:
                sys.stdout.write(("\n  " if first else ",\n  ") + json_text(to_json(row)))
                first = False
        else:
            print_rows(rows, first)
            first = False
        if after is None or not all_pages:
            break
    if as_json:
        sys.stdout.write("\n]\n" if not first else "]\n")
    if after is not None and not all_pages:
        print(f"more: --after '{after}' (or --all)", file=sys.stderr)
