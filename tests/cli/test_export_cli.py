"""`deskterm export`: every ticket with its messages, as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

BODY = 'Line one, with a comma\nand "quotes" — 환불'


def test_export_jsonl_and_csv(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")

    def run(*args: str) -> Any:
        done = run_cli("--db", str(db), *args)
        assert done.returncode == 0, done.stderr
        return done

    for n in range(5):
        run("tickets", "new", "--subject", f"환불 {n}", "--from", f"c{n}@x.example", "--body", BODY)
    run("reply", "2", "--body", "Done, refunded.", "--status", "solved")
    run("note", "2", "--body", "checked the bank")

    # JSON Lines: one ticket a line, exactly as `tickets show --json`, across pages of 2.
    lines = run("export", "--batch", "2").stdout.splitlines()
    tickets = [json.loads(x) for x in lines]
    assert sorted(t["number"] for t in tickets) == [1, 2, 3, 4, 5]
    for t in tickets:
        assert t == json.loads(run("tickets", "show", str(t["number"]), "--json").stdout)

    # CSV: one message a row, text round-trips (commas, quotes, newlines, Korean).
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert len(rows) == 7
    two = [r for r in rows if r["ticket"] == "2"]
    assert [(r["kind"], r["status"]) for r in two] == [
        ("customer", "solved"), ("reply", "solved"), ("note", "solved")
    ]  # fmt: skip
    assert two[0]["body"] == BODY and two[0]["customer_email"] == "c1@x.example"

    # A query narrows it; --out writes a file and says so on stderr, stdout stays empty.
    out = tmp_path / "solved.jsonl"
    done = run("export", "--query", "status:solved", "--out", str(out))
    assert done.stdout == "" and done.stderr.strip() == f"exported 1 ticket to {out}"
    assert [json.loads(x)["number"] for x in out.read_text().splitlines()] == [2]

    bad = run_cli("--db", str(db), "export", "--format", "xml")
    assert bad.returncode == 2 and bad.stderr.startswith("deskterm: ")


def test_csv_cells_from_strangers_never_run_as_formulas(run_cli, tmp_path: Path) -> None:
    """Subjects, names and bodies that a spreadsheet would run open as the text they are."""
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    hostile = '=HYPERLINK("http://evil.example","click")'
    made = run_cli("--db", str(db), "tickets", "new", "--subject", hostile, "--from",
                   "x@evil.example", "--name", "@SUM(A1)", "--body", "-2+3\nthen more")  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = run_cli("--db", str(db), "export", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(done.stdout)))
    assert row["subject"] == "'" + hostile
    assert row["customer_name"] == "'@SUM(A1)"
    assert row["body"] == "'-2+3\nthen more"
    assert row["customer_email"] == "x@evil.example" and row["ticket"] == "1"
    # JSON Lines is for programs: the text stays exactly as written.
    (ticket,) = [json.loads(x) for x in run_cli("--db", str(db), "export").stdout.splitlines()]
    assert ticket["subject"] == hostile
