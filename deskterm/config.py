"""The config file: one typed model, loaded from TOML with errors naming file and key.

Where it is: `--config PATH`, else $DESKTERM_CONFIG, else the platform's config
dir (XDG on Linux: ~/.config/deskterm/config.toml). A missing default file means
defaults; a missing file that was asked for by name is an error.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deskterm.errors import ConfigError

APP_NAME = "deskterm"
# Plain dataclasses checked by `_build` below: a pydantic model cost 0.2 s of
# start-up for every command, a third of the budget of `tickets list`.


@dataclass(frozen=True)
class AgentConfig:
    """Who you are: the agent recorded on your changes and meant by `assignee:me`."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class ServerConfig:
    """The team server this store is a replica of (written by `deskterm join`)."""

    url: str = ""
    token_command: str = ""  # prints the agent token (else DESKTERM_TOKEN, else join's file)


@dataclass(frozen=True)
class StoreConfig:
    path: Path | None = None


@dataclass(frozen=True)
class UiConfig:
    theme: str = "textual-dark"
    page_size: int = 50
    downloads: str = ""  # where `d` saves attachments; "" is the platform's downloads folder
    idle_minutes: float = 5.0  # time on a ticket stops counting after this long idle; 0: off

    def check(self) -> str | None:
        if not 0 <= self.idle_minutes <= 120:
            return "idle_minutes: must be 0-120"
        return None if 10 <= self.page_size <= 500 else "page_size: must be 10-500"


@dataclass(frozen=True)
class ViewConfig:
    name: str
    query: str

    def check(self) -> str | None:
        from deskterm.errors import QuerySyntaxError
        from deskterm.query.syntax import parse_query

        try:
            parse_query(self.query)
        except QuerySyntaxError as exc:
            return f"query: {exc}"
        return None


Security = Literal["tls", "starttls", "plain"]


@dataclass(frozen=True)
class MailboxConfig:
    """One support address: IMAP in, SMTP out."""

    address: str
    name: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_security: Security = "tls"
    imap_user: str = ""
    folder: str = "INBOX"
    after_fetch: Literal["seen", "move"] = "seen"
    move_to: str = "Processed"
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: Security = "tls"
    smtp_user: str = ""
    password_env: str = ""
    password_command: str = ""
    smtp_password_env: str = ""
    smtp_password_command: str = ""


_WEEKDAYS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class CalendarConfig:
    """Business hours: a timezone, weekly spans, holidays."""

    name: str = "business"
    timezone: str = "UTC"
    hours: dict[str, str] = field(default_factory=lambda: dict(_WEEKDAYS))
    holidays_country: str = ""
    holidays_subdivision: str = ""
    extra_holidays: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyConfig:
    """One SLA policy: targets per priority, and which tickets it covers."""

    name: str
    first_reply: dict[str, str] = field(default_factory=dict)
    next_reply: dict[str, str] = field(default_factory=dict)
    resolution: dict[str, str] = field(default_factory=dict)
    priorities: list[str] = field(default_factory=list)
    organization: str = ""
    tag: str = ""
    mailbox: str = ""
    calendar: str = "business"


@dataclass(frozen=True)
class SlaConfig:
    warning_fraction: float = 0.75
    pause_statuses: list[str] = field(default_factory=lambda: ["pending", "on_hold"])
    calendar: CalendarConfig = CalendarConfig()
    calendars: list[CalendarConfig] = field(default_factory=list)
    policy: list[PolicyConfig] = field(default_factory=list)

    def check(self) -> str | None:
        if not 0 < self.warning_fraction < 1:
            return "warning_fraction: must be between 0 and 1"
        from deskterm.errors import ConfigError
        from deskterm.sla.settings import settings_from_config

        try:
            settings_from_config(self)
        except ConfigError as exc:
            return str(exc)
        return None


@dataclass(frozen=True)
class MailConfig:
    """Mail in and out: limits and batches for fetching, the undo window, automatic mail."""

    undo_seconds: int = 10
    quote_original: bool = True
    subject_tag_prefix: str = "#"
    auto_ack: bool = True
    auto_ack_template: str = ""
    solved_notice: bool = True
    solved_notice_template: str = ""
    auto_daily_cap: int = 10
    retry_base_seconds: int = 30
    retry_max_seconds: int = 3600
    max_attempts: int = 20
    max_mail_bytes: int = 25_000_000
    fetch_batch: int = 50
    parse_workers: int = 0

    def check(self) -> str | None:
        if self.undo_seconds < 0 or self.auto_daily_cap < 0 or self.max_attempts < 1:
            return "undo_seconds and auto_daily_cap must be >= 0, max_attempts >= 1"
        if self.retry_base_seconds < 1 or self.retry_max_seconds < self.retry_base_seconds:
            return "retry_base_seconds must be >= 1 and <= retry_max_seconds"
        if self.max_mail_bytes < 1024 or self.fetch_batch < 1 or self.parse_workers < 0:
            return "max_mail_bytes must be >= 1024, fetch_batch >= 1, parse_workers >= 0"
        return None


@dataclass(frozen=True)
class RuleConfig:
    """One automation rule: when (trigger + conditions), then (actions)."""

    name: str
    trigger: str
    query: str = ""
    field: str = ""  # shadows dataclasses.field below: spelled out there
    to: str = ""
    sender_domains: list[str] = dataclasses.field(default_factory=list)
    mailbox: str = ""
    business_hours: str = ""
    calendar: str = "business"
    set_status: str = ""
    set_priority: str = ""
    set_group: str = ""
    add_tags: list[str] = dataclasses.field(default_factory=list)
    remove_tags: list[str] = dataclasses.field(default_factory=list)
    assign: str = ""
    canned: str = ""
    auto_mail: str = ""
    note: str = ""
    apply_suggestion: float = 0.0  # apply suggested routing at this confidence; 0: off
    enabled: bool = True


@dataclass(frozen=True)
class KbConfig:
    """[kb]: the knowledge base's public pages on `deskterm serve`, and links agents insert."""

    public_url: str = ""  # where customers reach the server, e.g. https://help.example.com
    site_name: str = "Help center"
    logo_url: str = ""  # an image shown in the pages' header ("" = the site name only)
    accent: str = "#1d4ed8"  # links and buttons; keep it dark enough on white (contrast)

    def check(self) -> str | None:
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            return "public_url: must start with http:// or https://"
        if not _COLOR.fullmatch(self.accent):
            return f"accent: {self.accent!r} is not a colour like #1d4ed8"
        return None


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class SurveyConfig:
    """[survey]: the satisfaction survey linked from the solved notice.

    The links need an address customers can reach: `public_url`, else [kb] public_url.
    Without either (solo mode, no server) the notice goes out without them.
    """

    enabled: bool = True
    public_url: str = ""  # "" = [kb] public_url
    max_age_days: int = 30  # a link older than this shows "expired" and records nothing

    def check(self) -> str | None:
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            return "public_url: must start with http:// or https://"
        if not 1 <= self.max_age_days <= 3650:
            return "max_age_days: must be between 1 and 3650"
        return None


@dataclass(frozen=True)
class ReportConfig:
    """What reports need beyond the store: the business calendar and the cost of time."""

    calendar: str = ""  # a calendar by name, "" for [sla.calendar]
    cost_per_agent_hour: float = 0.0  # 0: not configured, cost per ticket shows "no data"

    def check(self) -> str | None:
        if self.cost_per_agent_hour < 0:
            return "cost_per_agent_hour: must not be negative"
        return None


@dataclass(frozen=True)
class Config:
    agent: AgentConfig = AgentConfig()
    store: StoreConfig = StoreConfig()
    server: ServerConfig = ServerConfig()
    ui: UiConfig = UiConfig()
    keys: dict[str, str] = field(default_factory=dict)
    views: list[ViewConfig] = field(default_factory=list)
    mailbox: list[MailboxConfig] = field(default_factory=list)
    mail: MailConfig = MailConfig()
    sla: SlaConfig = SlaConfig()
    rules: list[RuleConfig] = field(default_factory=list)
    report: ReportConfig = ReportConfig()
    kb: KbConfig = KbConfig()
    survey: SurveyConfig = SurveyConfig()
    source: Path | None = None

    @property
    def survey_url(self) -> str:
        """Where survey links point ("" = no links: off, or no public address)."""
        if not self.survey.enabled:
            return ""
        return self.survey.public_url or self.kb.public_url

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


class _Bad(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")


def _value(tp: Any, value: Any, key: str) -> Any:
    """Check and convert one TOML value against a type hint."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value(args[0], value, key)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise _Bad(key, f"must be one of {', '.join(map(str, typing.get_args(tp)))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _Bad(key, "must be a list (use [[...]] tables)")
        (item,) = typing.get_args(tp)
        return [_value(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Bad(key, "must be a table")
        return {str(k): _value(str, v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if tp is Path:
        if not isinstance(value, str):
            raise _Bad(key, "must be a path string")
        return Path(value).expanduser()
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is float:
        raise _Bad(key, "must be a number")
    if tp is bool and not isinstance(value, bool):
        raise _Bad(key, "must be true or false")
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _Bad(key, "must be a whole number")
    if tp is str and not isinstance(value, str):
        raise _Bad(key, "must be a string (in quotes)")
    return value


def _build(cls: Any, data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        raise _Bad(key, "must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in data:
        if name not in fields or name == "source":
            raise _Bad(f"{key}.{name}" if key else name, "unknown key (see config.example.toml)")
    kwargs = {
        name: _value(hints[name], v, f"{key}.{name}" if key else name) for name, v in data.items()
    }
    for name, f in fields.items():
        if (
            name not in kwargs
            and f.default is dataclasses.MISSING
            and (f.default_factory is dataclasses.MISSING)
        ):
            raise _Bad(f"{key}.{name}" if key else name, "is required")
    obj = cls(**kwargs)
    problem = obj.check() if hasattr(obj, "check") else None
    if problem:
        raise _Bad(key, problem)
    return obj


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
        config: Config = _build(Config, data, "")
        if config.rules:
            from deskterm.rules.model import rules_from_config

            rules_from_config(config.rules)
    except _Bad as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return config.replace(source=path)


def example_text() -> str:
    return Path(__file__).with_name("config.example.toml").read_text(encoding="utf-8")
