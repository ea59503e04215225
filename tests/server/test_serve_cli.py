"""`deskterm agent add` then `deskterm serve` as real processes: the token printed once works."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from helpers.processes import HOST, START_TIMEOUT, free_port, kill_group, live_processes


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, "deskterm serve exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # not listening yet: poll again
    raise AssertionError("deskterm serve did not answer /healthz")


def test_serve_answers_the_token_agent_add_printed(
    tmp_path: Path, deskterm_bin: str, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    db = tmp_path / "team.db"
    added = run_cli("--db", str(db), "agent", "add", "Ada", "--email", "ada@x.test")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    listed = run_cli("--db", str(db), "agent", "list")
    assert "ada@x.test" in listed.stdout and token not in listed.stdout

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    proc = subprocess.Popen(
        [deskterm_bin, "--db", str(db), "serve", "--host", HOST, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    live_processes.add(proc)
    url = f"http://{HOST}:{port}"
    try:
        _wait_healthy(url, proc)
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "ada@x.test"
        assert httpx.get(f"{url}/api/v1/me").status_code == 401
    finally:
        kill_group(proc, signal.SIGTERM)
        live_processes.discard(proc)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert f"on {url}" in out
