"""The CLI in-process through Typer's runner, against one store, as agent Sam Lee."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from deskterm.cli import app

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
