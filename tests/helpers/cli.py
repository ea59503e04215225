"""The CLI in-process through Typer's runner, against one store, as agent Sam Lee."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from deskterm.cli import app, main

runner = CliRunner()


def cli_stdout(db: Path | str, *args: str, config_dir: Path | None = None) -> str:
    """Run `deskterm --db DB ARGS...`; assert it succeeded and return what it printed.

    The config is beside a store file, or in `config_dir` (for a PostgreSQL URL)."""
    config = (config_dir or Path(db).parent) / "config.toml"
    if not config.exists():
        config.write_text('[agent]\nname = "Sam Lee"\nemail = "sam@desk.test"\n')
    result = runner.invoke(app, ["--db", str(db), *args], env={"DESKTERM_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    return result.stdout


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


def cli_main(db: Path | str, config: Path, *args: str) -> Ran:
    """`deskterm --db DB ARGS` through the console entry point, in-process: its failures
    are the one `deskterm: ...` line on stderr and the exit code a user gets."""
    out, err = io.StringIO(), io.StringIO()
    argv, before = sys.argv, os.environ.get("DESKTERM_CONFIG")
    sys.argv = ["deskterm", "--db", str(db), *args]
    os.environ["DESKTERM_CONFIG"] = str(config)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        sys.argv = argv
        if before is None:
            del os.environ["DESKTERM_CONFIG"]
        else:
            os.environ["DESKTERM_CONFIG"] = before
    return Ran(code, out.getvalue(), err.getvalue())
