"""A real PostgreSQL cluster on loopback, and throwaway databases in it."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from helpers.processes import (
    HOST,
    PG_BIN_CANDIDATES,
    START_TIMEOUT,
    ServerError,
    free_port,
    kill_group,
    live_processes,
    log_tail,
    make_shared_dir,
    require_binary,
)


@dataclass(frozen=True)
class PostgresDatabase:
    """One database on a `PostgresServer`."""

    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """SQLAlchemy URL with the psycopg 3 driver."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{self.name}"

    @property
    def dsn(self) -> str:
        """Plain libpq/psycopg URL."""
        return f"postgresql://postgres@{self.host}:{self.port}/{self.name}"


class PostgresServer:
    """A throwaway PostgreSQL cluster (trust auth, superuser `postgres`, fsync off).

    initdb runs once per instance (about 1.3 s). As root, initdb and the server run as the
    `postgres` OS user, which is what initdb insists on.
    """

    def __init__(self, port: int | None = None, host: str = HOST) -> None:
        initdb = require_binary("initdb", PG_BIN_CANDIDATES)
        self.bin_dir = Path(initdb).parent
        self.host = host
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port(host)
        self.base_dir: Path = make_shared_dir("deskterm-pg-")
        self.data_dir = self.base_dir / "data"
        self.log_path = self.base_dir / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base_dir, "postgres", "postgres")
        self._proc: subprocess.Popen[bytes] | None = None
        self._counter = itertools.count(1)

    def _user_kwargs(self) -> dict[str, Any]:
        if self._as_postgres:
            return {"user": "postgres", "group": "postgres", "extra_groups": []}
        return {}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **self._user_kwargs(),
        )
        if result.returncode != 0:
            raise ServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if self.running:
            return
        self.initdb()
        attempts = 1 if self._fixed_port else 5
        for attempt in range(attempts):
            try:
                self._spawn()
            except ServerError as exc:
                if attempt == attempts - 1 or "in use" not in str(exc):
                    raise
                self.port = free_port(self.host)
            else:
                self._fixed_port = True  # from now on stop()/start() keep the port
                return

    def _spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-c",
                    f"listen_addresses={self.host}",
                    "-c",
                    f"unix_socket_directories={self.base_dir}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                **self._user_kwargs(),
            )
        self._proc = proc
        live_processes.add(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                live_processes.discard(proc)
                self._proc = None
                raise ServerError(
                    f"postgres exited with {proc.returncode}:\n{log_tail(self.log_path)}"
                )
            if self._ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"postgres did not come up:\n{log_tail(self.log_path)}")

    def _ready(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster; about 0.1 s)."""
        if self._proc is None:
            return
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_group(proc, signal.SIGKILL)
        kill_group(proc, signal.SIGKILL)  # no stray backends left behind
        live_processes.discard(proc)
        self._proc = None

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, dbname: str = "postgres") -> str:
        return PostgresDatabase(dbname, self.host, self.port).url

    def dsn(self, dbname: str = "postgres") -> str:
        return PostgresDatabase(dbname, self.host, self.port).dsn

    def create_database(self, name: str | None = None) -> PostgresDatabase:
        name = name or f"test_{os.getpid()}_{next(self._counter)}_{uuid.uuid4().hex[:6]}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"unsupported database name: {name!r}")
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return PostgresDatabase(name, self.host, self.port)

    def drop_database(self, name: str) -> None:
        if not self.running:
            return
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
