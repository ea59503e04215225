"""Pytest fixtures for the real servers, registered for every test by tests/conftest.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskterm.store.schema.db import Store, open_store
from helpers.imap import DovecotServer, ImapAccount
from helpers.postgres import PostgresDatabase, PostgresServer
from helpers.processes import make_shared_dir
from helpers.smtp import SmtpServer, make_tls_files
from helpers.store import fresh_store_file


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot per test session (so one per xdist worker). Prefer `imap_account`."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def dovecot_private() -> Iterator[DovecotServer]:
    """A Dovecot of this test's own (0.05 s to start), for stop/restart/outage tests."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> Iterator[ImapAccount]:
    """A fresh user (unique name, random password, empty INBOX) on the session Dovecot."""
    dovecot.start()  # no-op unless an earlier test left it stopped
    user, password = dovecot.new_user()
    try:
        yield ImapAccount(dovecot, user, password)
    finally:
        if dovecot.running:
            dovecot.remove_user(user)
        else:
            dovecot.users.pop(user, None)
            shutil.rmtree(dovecot.home_root / user, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 cluster per test session (initdb once, about 1.5 s)."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A fresh, empty database for this test; dropped (WITH FORCE) afterwards."""
    postgres_server.start()
    db = postgres_server.create_database()
    try:
        yield db
    finally:
        postgres_server.drop_database(db.name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store lives, once per backend: a SQLite file (not made yet), then a fresh
    database on the real PostgreSQL (under CI=true a missing PostgreSQL fails)."""
    if request.param == "sqlite":
        return tmp_path / "server.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def either_store(store_location: Path | str) -> Iterator[Store]:
    """An open, empty store at head: a SQLite file, then a PostgreSQL database."""
    if isinstance(store_location, Path):
        store_location = fresh_store_file(store_location)
    store = open_store(store_location)
    yield store
    store.close()


@pytest.fixture
def postgres_url(postgres_db: PostgresDatabase) -> str:
    """SQLAlchemy URL of this test's database: postgresql+psycopg://postgres@127.0.0.1:P/db."""
    return postgres_db.url


@pytest.fixture(params=["sqlite", "postgresql"])
def server_store(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a server's store lives: a SQLite file, or a fresh PostgreSQL database
    (a test using it runs on both)."""
    if request.param == "sqlite":
        return tmp_path / "server.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def postgres_dsn(postgres_db: PostgresDatabase) -> str:
    """Plain psycopg URL of the same database as `postgres_url`."""
    return postgres_db.dsn


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A recording aiosmtpd (AUTH offered, not required) on its own port."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls_files() -> Iterator[tuple[Path, Path]]:
    """(certfile, keyfile): a self-signed certificate for localhost, made once per session."""
    directory = make_shared_dir("deskterm-tls-")
    try:
        yield make_tls_files(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def smtp_server_tls(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """aiosmtpd requiring STARTTLS and AUTH (SMTP_USER/SMTP_PASSWORD). Trust `tls_files[0]`."""
    server = SmtpServer(auth_required=True, tls=tls_files)
    server.start()
    try:
        yield server
    finally:
        server.stop()
