"""Options and helpers shared by several commands."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.context import Context
from deskterm.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable field names).")]


def address(value: str | None) -> str | None:
    """Option callback: an e-mail address typed by a person must look like one."""
    if not value:
        return value
    from deskterm.mail.addresses import is_valid

    if not is_valid(value.strip()):
        raise typer.BadParameter(f"{value!r} is not an e-mail address")
    return value.strip()


def ctx_of(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def read_body(body_file: Path | None, body: str | None) -> str:
    """The message text from --body, --body-file PATH, or --body-file - (stdin)."""
    if body is not None and body_file is not None:
        raise UsageError("give --body or --body-file, not both")
    if body is not None:
        return body
    if body_file is None:
        raise UsageError("give the text with --body TEXT or --body-file PATH (- for stdin)")
    if str(body_file) == "-":
        return sys.stdin.read()
    try:
        return body_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{body_file}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise UsageError(f"{body_file}: not UTF-8 text") from None


def parse_numbers(values: list[str]) -> list[int]:
    """Ticket numbers from arguments; `-` reads more from stdin (spaces, commas, #)."""
    tokens: list[str] = []
    for value in values:
        if value == "-":
            tokens.extend(sys.stdin.read().replace(",", " ").split())
        else:
            tokens.extend(value.replace(",", " ").split())
    numbers = []
    for token in tokens:
        text = token.lstrip("#")
        if not text.isdecimal():
            raise UsageError(f"{token!r} is not a ticket number")
        numbers.append(int(text))
    if not numbers:
        raise UsageError("no ticket numbers given")
    return numbers
