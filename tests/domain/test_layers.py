"""The layers contract covers the whole package, and holds.

A new package or top-level module must take its place in the `layers` contract
of pyproject.toml; otherwise nothing would stop it importing upwards.
"""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import deskterm

ROOT = Path(__file__).resolve().parents[2]


def layers() -> list[set[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c.get("id") == "layers")
    assert contract["containers"] == ["deskterm"]
    return [{name.strip() for name in re.split(r"[|:]", layer)} for layer in contract["layers"]]


def test_every_package_and_module_has_one_layer() -> None:
    placed = [name for layer in layers() for name in layer]
    found = {module.name for module in pkgutil.iter_modules(deskterm.__path__)}
    assert sorted(found - set(placed)) == []  # unplaced: give it a layer in pyproject.toml
    assert sorted(set(placed) - found) == []  # a layer names something that is gone
    assert len(placed) == len(set(placed))


def test_the_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--contract", "layers", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout
