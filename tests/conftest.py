"""Shared fixtures: seeded stores, the CLI as a subprocess, real servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.store import ME
from hypothesis import settings

from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service

pytest_plugins = ["helpers.fixtures"]

IN_CI = os.environ.get("CI") == "true"

# CI must be repeatable: the same examples every run (new ones are found locally,
# where hypothesis explores at random, and then become regression tests).
settings.register_profile("ci", derandomize=True, database=None)
if IN_CI:
    settings.load_profile("ci")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(tmp_path / "desk.db", create=True)
    yield st
    st.close()


@pytest.fixture
def service(store: Store, clock: Clock) -> Service:
    """A Service acting as agent Sam Lee, with a second agent and a group."""
    system = Service(store, Actor.system(), clock)
    me = system.ensure_agent(*ME, role="admin")
    system.ensure_agent("Kim Park", "kim@desk.test")
    system.add_group("support", [ME[1], "kim@desk.test"])
    return Service(store, Actor(me, ME[0]), clock)


@pytest.fixture
def deskterm_bin() -> str:
    """The installed console script (proves the packaging, not just the module)."""
    found = Path(sys.executable).with_name("deskterm")
    path = str(found) if found.exists() else shutil.which("deskterm")
    assert path, "the deskterm console script is not installed (pip install -e .)"
    return path


@pytest.fixture
def run_cli(deskterm_bin: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `deskterm ARGS` as a real process; its config is tmp_path/xdg/deskterm/config.toml."""

    def run(
        *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
        full_env.update(
            {
                "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
                "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_CACHE_HOME": str(tmp_path / "cache"),
                "NO_COLOR": "1",
            }
        )
        full_env.update(env or {})
        return subprocess.run(
            [deskterm_bin, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=120,
            check=False,
        )

    return run
