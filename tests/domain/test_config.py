"""The config file: defaults, one-line errors naming file and key, the example."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from deskterm.config import Config, load_config, parse_config
from deskterm.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def _uncommented() -> str:
    """The example with every commented-out key and table switched on."""
    out = []
    for line in EXAMPLE.read_text().splitlines():
        match = re.match(r"^# ?(\[\[?[a-z.]+\]\]?|[a-z_]+ = .*?)(\s+#.*)?$", line)
        out.append(match.group(1) if match else line)
    return "\n".join(out)


def _keys(cls: type, prefix: str = "") -> set[str]:
    keys = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        tp = hints[f.name]
        inner = typing.get_args(tp)[0] if typing.get_origin(tp) is list else tp
        name = f"{prefix}{f.name}"
        keys.add(name)
        if isinstance(inner, type) and dataclasses.is_dataclass(inner):
            keys |= _keys(inner, name + ".")
    return keys


def test_example_parses_as_is_and_fully_uncommented() -> None:
    assert parse_config(EXAMPLE.read_bytes(), EXAMPLE) == Config(source=EXAMPLE)
    full = parse_config(_uncommented().encode(), EXAMPLE)
    assert full.mailbox and full.views and full.sla.policy and full.sla.calendars


def test_example_documents_every_key() -> None:
    text = _uncommented()
    for key in sorted(_keys(Config)):
        leaf = key.rsplit(".", 1)[-1]
        assert re.search(rf"(^|\[|\.){leaf}( =|\]|\.)", text, re.M), f"{key} undocumented"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[agent\n", "bad TOML"),
        ('[agent]\nemial = "x"\n', "agent.emial: unknown key"),
        ("[ui]\npage_size = 5\n", "ui: page_size: must be 10-500"),
        ('[ui]\npage_size = "x"\n', "ui.page_size: must be a whole number"),
        ('[[views]]\nname = "a"\nquery = "status:nope"\n', "views[0]: query: bad query"),
        ('[[mailbox]]\nimap_host = "x"\n', "mailbox[0].address: is required"),
        ('[[mailbox]]\naddress = "a@b"\nimap_security = "ssl"\n', "must be one of tls"),
        ('[sla.calendar]\ntimezone = "Mars/Base"\n', "unknown timezone 'Mars/Base'"),
        ('[sla.calendar.hours]\nmon = "9-17"\n', "is not a span like 09:00-17:00"),
        (
            '[[sla.policy]]\nname = "x"\nfirst_reply = { normal = "soon" }\n',
            "sla.policy[0].first_reply.normal: 'soon' is not a duration",
        ),
        ('[[sla.policy]]\nname = "x"\ncalendar = "nope"\n', "unknown calendar 'nope'"),
        ("[sla]\nwarning_fraction = 2\n", "warning_fraction: must be between 0 and 1"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_default_config_means_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DESKTERM_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_config() == Config()


def test_missing_named_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
