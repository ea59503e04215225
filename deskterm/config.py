"""The config file: one typed model, loaded from TOML with errors naming file and key.

Where it is: `--config PATH`, else $DESKTERM_CONFIG, else the platform's config
dir (XDG on Linux: ~/.config/deskterm/config.toml). A missing default file means
defaults; a missing file that was asked for by name is an error.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deskterm.errors import ConfigError

APP_NAME = "deskterm"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentConfig(_Section):
    """Who you are: the agent recorded on your changes and meant by `assignee:me`."""

    name: str = ""
    email: str = ""


class StoreConfig(_Section):
    path: Path | None = None

    @field_validator("path")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value else None


class UiConfig(_Section):
    theme: str = "textual-dark"
    page_size: int = Field(default=50, ge=10, le=500)


class ViewConfig(_Section):
    name: str
    query: str

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        from deskterm.errors import QuerySyntaxError
        from deskterm.store.query_syntax import parse_query

        try:
            parse_query(value)
        except QuerySyntaxError as exc:
            raise ValueError(str(exc)) from None
        return value


class MailboxConfig(_Section):
    """One support address: IMAP in, SMTP out."""

    address: str
    name: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_security: Literal["tls", "starttls", "plain"] = "tls"
    imap_user: str = ""
    folder: str = "INBOX"
    after_fetch: Literal["seen", "move"] = "seen"
    move_to: str = "Processed"
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: Literal["tls", "starttls", "plain"] = "tls"
    smtp_user: str = ""
    password_env: str = ""
    password_command: str = ""
    smtp_password_env: str = ""
    smtp_password_command: str = ""


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: AgentConfig = AgentConfig()
    store: StoreConfig = StoreConfig()
    ui: UiConfig = UiConfig()
    keys: dict[str, str] = {}
    views: list[ViewConfig] = []
    mailbox: list[MailboxConfig] = []
    source: Path | None = Field(default=None, exclude=True)


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_store_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "deskterm.db"


def config_path(explicit: Path | None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (so it must exist)."""
    if explicit is not None:
        return explicit.expanduser(), True
    env = os.environ.get("DESKTERM_CONFIG")
    if env:
        return Path(env).expanduser(), True
    return default_config_path(), False


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_config(explicit: Path | None = None) -> Config:
    path, named = config_path(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(f"{path}: config file not found (run `deskterm init`)") from None
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror})") from exc
    return parse_config(raw, path)


def parse_config(raw: bytes, path: Path) -> Config:
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: bad TOML: {exc}") from None
    try:
        return Config.model_validate({**data, "source": path})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key(tuple(err["loc"]))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see config.example.toml)"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        raise ConfigError(f"{path}: {key}: {msg}") from None


def example_text() -> str:
    return Path(__file__).with_name("config.example.toml").read_text(encoding="utf-8")
