"""`deskterm report`: JSON and CSV shapes, options, old stores."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from fnmatch import fnmatch
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.cli.report import DEFINITIONS
from deskterm.errors import DesktermError
from deskterm.store.service import Service

runner = CliRunner()
DAY = "2026-03-02"  # the test clock's day


@pytest.fixture
def desk(service: Service, clock) -> Path:
    for n in range(3):
        number = service.create_ticket(
            f"Q{n}", "help", f"c{n}@example.com", tags=["billing"]
        ).number
        clock.advance(minutes=30)
        service.add_reply(number, "done", status="solved" if n else "pending")
    service.log_time(1, 900)
    return service.store.path


def invoke(db: Path, *args: str):
    config = db.with_name("config.toml")
    if not config.exists():
        config.write_text("[report]\ncost_per_agent_hour = 40.0\n")
    return runner.invoke(app, ["--db", str(db), "report", *args],
                         env={"DESKTERM_CONFIG": str(config)})  # fmt: skip


def test_json_has_every_documented_kpi(desk: Path) -> None:
    result = invoke(desk, "--since", DAY, "--until", DAY, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["since"], data["until"], data["days"]) == (DAY, DAY, 1)
    kpis = data["kpis"]
    assert (kpis["new"], kpis["solved"], kpis["first_reply_count"]) == (3, 2, 3)
    assert kpis["first_reply_calendar_median_s"] == 1800.0
    assert kpis["csat_good_pct"] is None and kpis["deflection_pct"] is None
    assert kpis["cost_per_ticket"] == pytest.approx(40 * 0.25 / 2)
    assert set(data["previous"]) == set(kpis)
    # Every field is defined: by name or by a pattern such as first_reply_*.
    heads = [re.split(r"\s{2,}", line)[0] for line in DEFINITIONS.splitlines() if line[:1] != " "]
    names = [name for head in heads for name in head.split(", ")]
    for name in kpis:
        assert any(fnmatch(name, pattern.strip()) for pattern in names), name


def test_readme_states_the_definitions_of_report_help() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert DEFINITIONS in readme
    assert DEFINITIONS in runner.invoke(app, ["report", "--help"]).stdout.replace("\n  ", "\n")


def test_csv_opens_as_a_table(desk: Path) -> None:
    result = invoke(desk, "--since", DAY, "--until", DAY, "--csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.count(b"\r\n") == result.stdout_bytes.count(b"\n")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["metric", "value", "previous", "change"]
    values = {r[0]: r[1:] for r in rows[1:]}
    assert values["new"] == ["3", "0", "3"]
    assert values["csat_good_pct"] == ["", "", ""]


@pytest.mark.parametrize(
    ("by", "first"),
    [("agent", "agent"), ("tag", "tag"), ("day", "day"), ("week", "day"), ("channel", "channel")],
)
def test_by_rows_in_csv_and_json(desk: Path, by: str, first: str) -> None:
    rows = list(csv.reader(io.StringIO(invoke(desk, "--since", DAY, "--until", DAY, "--by", by,
                                                "--csv").stdout)))  # fmt: skip
    assert rows[0][0] == first
    data = json.loads(invoke(desk, "--since", DAY, "--until", DAY, "--by", by, "--json").stdout)
    assert data["by"] == by and next(list(r) for r in data["rows"]) == rows[0]
    assert len(data["rows"]) == len(rows) - 1 >= 1


def test_text_shows_no_data_and_changes(desk: Path) -> None:
    out = invoke(desk, "--since", DAY, "--until", DAY).stdout
    assert "business time on business (UTC, mon 09:00-17:00" in out
    assert any(line.split()[:2] == ["csat_good_pct", "no"] for line in out.splitlines())
    assert any(line.split() == ["new", "3", "0", "+3"] for line in out.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "mood"), "unknown --by 'mood' (choose from agent, tag, group, day, week, "
                           "mailbox, channel)"),
        (("--since", "last tuesday"), "bad --since 'last tuesday': give YYYY-MM-DD, today, "
                                      "or a length like 7d or 12w"),
        (("--since", "2026-03-05", "--until", DAY), f"--since 2026-03-05 is after --until {DAY}"),
        (("--json", "--csv"), "give --json or --csv, not both"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line_errors(desk: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke(desk, *args)
    assert isinstance(result.exception, DesktermError)
    assert str(result.exception) == message


def test_an_old_store_asks_for_a_rebuild_then_reports(desk: Path) -> None:
    db = sqlite3.connect(desk)
    db.execute("UPDATE report_meta SET value = 'stale' WHERE key = 'state'")
    db.execute("DELETE FROM report_count")
    db.commit()
    refused = invoke(desk, "--since", DAY, "--until", DAY)
    assert isinstance(refused.exception, DesktermError)
    assert "run `deskterm report --rebuild`" in str(refused.exception)
    rebuilt = invoke(desk, "--since", DAY, "--until", DAY, "--json", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["kpis"]["new"] == 3
    assert "rebuilt the report tables from 3 tickets" in rebuilt.stderr


def test_help_defines_every_metric() -> None:
    out = runner.invoke(app, ["report", "--help"]).stdout
    for word in ("first_reply_*", "fcr_pct", "backlog_age_*", "utilization_pct", "nearest-rank"):
        assert word in out


def test_csv_names_never_run_as_formulas(service: Service, clock) -> None:
    """A tag typed by anyone opens in a spreadsheet as text, not as a formula."""
    number = service.create_ticket("Q", "help", "c@example.com", tags=["=1+2"]).number
    clock.advance(minutes=5)
    service.add_reply(number, "done", status="solved")
    rows = list(csv.reader(io.StringIO(invoke(service.store.path, "--since", DAY, "--until", DAY,
                                              "--by", "tag", "--csv").stdout)))  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["'=1+2"]
