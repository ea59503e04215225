"""What the CLI prints from untrusted text: no raw C1 controls, capped floods, aligned columns."""

from __future__ import annotations

import json

from helpers.cli import cli_stdout
from rich.cells import cell_len

from deskterm.store.service import Service

NAMES = ("Chen Wei", "陈伟", "Zoe\u200b\u200b\u200b", "Jose\u0301 Ruiz")


def test_json_escapes_c1_controls_and_reads_back_the_same(service: Service) -> None:
    subject = "Invoice \x9b31m red \x85 \x7f end"
    service.create_ticket(subject, "body", "ana@example.com")
    out = cli_stdout(service.store.path, "tickets", "list", "--json")
    assert not any("\x7f" <= ch <= "\x9f" for ch in out)
    assert [row["subject"] for row in json.loads(out)] == [subject]
    shown = cli_stdout(service.store.path, "tickets", "show", "1", "--json")
    assert not any("\x7f" <= ch <= "\x9f" for ch in shown)
    assert json.loads(shown)["subject"] == subject


def test_plain_list_aligns_wide_and_zero_width_names(service: Service) -> None:
    for n, name in enumerate(NAMES):
        service.create_ticket(f"Subject {n}", "body", f"c{n}@example.com", name)
    lines = cli_stdout(service.store.path, "tickets", "list").splitlines()[1:]
    starts = {cell_len(row[: row.index("Subject")]) for row in lines}
    assert len(lines) == len(NAMES) and len(starts) == 1


def test_combining_and_zero_width_floods_are_capped(service: Service) -> None:
    flood = "Z" + "\u0301" * 200 + "a" + "\u200b" * 200 + "lgo"
    service.create_ticket(flood, "body", "ana@example.com")
    row = cli_stdout(service.store.path, "tickets", "list").splitlines()[1]
    assert row.count("\u0301") == 3 and row.count("\u200b") == 1
