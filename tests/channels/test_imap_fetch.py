"""IMAP fetch against a real Dovecot: incremental, exactly once, IDLE, failures in one line."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import make_msgid
from pathlib import Path

import pytest
from helpers.processes import group_alive, proc_stats

from deskterm.channels.imap import PREFETCH, FetchReport, MailboxFetcher, fetch_all
from deskterm.channels.intake import POOL_THRESHOLD, IntakeSettings, Parser
from deskterm.config import MailboxConfig
from deskterm.errors import AuthError, MailError, StoreError
from deskterm.store.queries.mail import get_ingest_status
from deskterm.store.schema.db import open_store
from deskterm.store.service.ingest import MailIngest

pytestmark = pytest.mark.server
PASSWORD_ENV = "DESKTERM_TEST_IMAP_PASSWORD"
HANG_S = 60.0  # only turns a hang into a failure


def mail(n: int, to: str = "support@desk.test") -> bytes:
    return (
        f"From: Person {n} <p{n}@cust.test>\r\nTo: {to}\r\nSubject: Question {n}\r\n"
        f"Message-ID: {make_msgid(domain='fetch.test')}\r\n"
        f"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nHello number {n}.\r\n"
    ).encode()


def box_config(account, **changes) -> MailboxConfig:
    values = dict(
        address=f"{account.user}@desk.test",
        imap_host=account.host,
        imap_port=account.port,
        imap_security="plain",
        imap_user=account.user,
        password_env=PASSWORD_ENV,
    )
    values.update(changes)
    return MailboxConfig(**values)


@pytest.fixture
def password(imap_account, monkeypatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account.password


def fetcher(store, box, *, batch: int = 5, on_batch=None) -> MailboxFetcher:
    settings = IntakeSettings(batch_size=batch)
    ingest = MailIngest(store, own_addresses=[box.address])
    return MailboxFetcher(box, ingest, settings, Parser(settings), on_batch=on_batch)


def messages(store) -> int:
    return int(store.read().execute("SELECT count(*) FROM message").fetchone()[0])


def test_first_and_incremental_fetch_marks_seen(store, imap_account, password) -> None:
    for n in range(7):
        imap_account.append(mail(n))
    box = box_config(imap_account)
    report = fetcher(store, box, batch=3).fetch_once()
    assert (report.tally.new, report.tally.duplicates) == (7, 0)
    with imap_account.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["UNSEEN"])) == 0
    imap_account.append(mail(7))
    imap_account.append(mail(8))
    report = fetcher(store, box).fetch_once()
    assert report.tally.new == 2
    assert messages(store) == 9
    status = get_ingest_status(store)
    assert status.mailboxes[0].last_uid == 9 and status.mailboxes[0].last_fetch_at is not None


def test_move_after_fetch_and_two_mailboxes_one_message(store, dovecot, monkeypatch) -> None:
    # The same mail CC'd to two support addresses (two accounts) is one message.
    users = [dovecot.new_user("mv"), dovecot.new_user("mv")]
    raw = mail(1, to="a@desk.test, b@desk.test")
    boxes = []
    for user, secret in users:
        dovecot.append(user, "INBOX", b"Delivered-To: " + user.encode() + b"\r\n" + raw)
        monkeypatch.setenv(f"PW_{user}", secret)
        boxes.append(
            MailboxConfig(
                address=f"{user}@desk.test", imap_host=dovecot.host, imap_port=dovecot.port,
                imap_security="plain", imap_user=user, password_env=f"PW_{user}",
                after_fetch="move", move_to="Done",
            )
        )  # fmt: skip
    reports = fetch_all([fetcher(store, b) for b in boxes])
    assert sorted((r.tally.new, r.tally.duplicates) for r in reports) == [(0, 1), (1, 0)]
    assert messages(store) == 1
    with dovecot.connect(users[0][0]) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Done")[b"EXISTS"] == 1


def test_uidvalidity_change_resyncs_without_duplicates(store, imap_account, password) -> None:
    for n in range(4):
        imap_account.append(mail(n))
    box = box_config(imap_account)
    assert fetcher(store, box).fetch_once().tally.new == 4
    imap_account.change_uidvalidity()
    imap_account.append(mail(4))
    report = fetcher(store, box).fetch_once()
    assert (report.tally.new, report.tally.duplicates) == (1, 4)
    assert messages(store) == 5


def test_connection_dropped_mid_fetch_then_rerun_exactly_once(
    store, imap_account, password
) -> None:
    # Enough batches that the drop lands before the downloads ahead (PREFETCH) run out.
    total = 4 * (PREFETCH + 8)
    for n in range(total):
        imap_account.append(mail(n))
    box = box_config(imap_account)
    batches = []

    def kill_after_first(address, results) -> None:
        batches.append(len(results))
        if len(batches) == 1:
            imap_account.kill_connections()

    with pytest.raises(MailError, match="connection lost"):
        fetcher(store, box, batch=4, on_batch=kill_after_first).fetch_once()
    assert 0 < messages(store) < total
    assert get_ingest_status(store).mailboxes[0].last_error
    fetcher(store, box, batch=4).fetch_once()
    assert messages(store) == total
    status = get_ingest_status(store).mailboxes[0]
    assert status.last_error is None


def test_seen_mode_marks_what_a_dead_run_stored_but_left_unseen(
    store, imap_account, password
) -> None:
    total = 4 * (PREFETCH + 8)
    for n in range(total):
        imap_account.append(mail(n))
    box = box_config(imap_account)  # after_fetch = "seen"
    batches: list[int] = []

    def drop_after_first_commit(address, results) -> None:
        batches.append(len(results))
        if len(batches) == 1:  # stored, not yet marked: as a kill -9 here would leave it
            imap_account.kill_connections()

    with pytest.raises(MailError, match="connection lost"):
        fetcher(store, box, batch=4, on_batch=drop_after_first_commit).fetch_once()
    stored = messages(store)
    with imap_account.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["UNSEEN"])) > total - stored  # stored mail left unseen
    fetcher(store, box, batch=4).fetch_once()
    assert messages(store) == total
    with imap_account.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == []


def test_wrong_password_is_one_line(store, imap_account, monkeypatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    with pytest.raises(AuthError, match="login refused") as info:
        fetcher(store, box_config(imap_account)).fetch_once()
    assert "\n" not in str(info.value)
    assert messages(store) == 0


def write_config(path: Path, account, **extra: str) -> Path:
    lines = [
        "[[mailbox]]",
        f'address = "{account.user}@desk.test"',
        f'imap_host = "{account.host}"',
        f"imap_port = {account.port}",
        f'imap_security = "{extra.pop("security", "plain")}"',
        f'imap_user = "{account.user}"',
        f'password_env = "{PASSWORD_ENV}"',
    ]
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_failures_are_one_line_and_nonzero(run_cli, imap_account, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", imap_account)
    db = str(tmp_path / "d.db")
    env = {PASSWORD_ENV: "wrong"}
    bad = run_cli("--config", str(config), "--db", db, "fetch", env=env)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "login refused" in bad.stderr
    # A closed port.
    closed = tmp_path / "closed.toml"
    closed.write_text(
        config.read_text().replace(f"imap_port = {imap_account.port}", "imap_port = 9")
    )
    down = run_cli("--config", str(closed), "--db", db, "fetch", env=env)
    assert down.returncode == 1 and down.stderr.count("\n") == 1
    assert "cannot reach" in down.stderr
    # TLS against a plain-text port.
    tls = write_config(tmp_path / "tls.toml", imap_account, security="tls")
    failed = run_cli("--config", str(tls), "--db", db, "fetch", env=env)
    assert failed.returncode == 1 and "TLS failed" in failed.stderr
    assert failed.stderr.count("\n") == 1
    ok = run_cli("--config", str(config), "--db", db, "fetch", "--json",
                 env={PASSWORD_ENV: imap_account.password})  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def deskterm_cmd(config: Path, db: Path, *args: str) -> list[str]:
    exe = Path(sys.executable).with_name("deskterm")
    return [str(exe), "--config", str(config), "--db", str(db), *args]


def wait_for(predicate, timeout: float = 120.0) -> bool:
    """Until `predicate()` holds; `timeout` only turns a hang into a failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_watch_delivers_new_mail_on_idle_push(imap_account, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", imap_account)
    db = tmp_path / "d.db"
    imap_account.append(mail(0))
    env = {**os.environ, PASSWORD_ENV: imap_account.password}
    proc = subprocess.Popen(
        deskterm_cmd(config, db, "fetch", "--watch"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        store = None

        def count() -> int:
            nonlocal store
            try:
                store = store or open_store(db)
            except StoreError:
                return 0  # not there yet, or created but not yet a store
            return messages(store)

        assert wait_for(lambda: count() == 1), proc.stderr
        # The watcher only wakes on the server's IDLE news (it renews IDLE after 25
        # minutes and never polls): the second mail arriving at all proves the push.
        imap_account.append(mail(1))
        assert wait_for(lambda: count() == 2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        if store is not None:
            store.close()
    assert proc.returncode == 0


def test_mail_arriving_during_a_pass_is_fetched_without_waiting_for_idle(
    store, imap_account, password
) -> None:
    """The server tells of it in answer to the pass's own commands, not to IDLE, so a
    watcher that only waited for IDLE's news slept until the 25-minute renewal."""
    imap_account.append(mail(0))
    stop, reports = threading.Event(), list[FetchReport]()
    watcher = fetcher(store, box_config(imap_account))

    def arrives_mid_pass(_address: str, done: int, total: int) -> None:
        if total and done == 0 and not reports:
            imap_account.append(mail(1))  # after the pass's search, before it marks seen

    watcher.on_progress = arrives_mid_pass

    def report(done: FetchReport) -> None:
        reports.append(done)
        if messages(store) == 2:
            stop.set()

    thread = threading.Thread(target=watcher.watch, args=(stop, report), daemon=True)
    thread.start()
    try:
        assert stop.wait(HANG_S), f"the second mail was never fetched: {reports}"
    finally:
        stop.set()
        thread.join(HANG_S)
    assert not any(r.error for r in reports), [r.error for r in reports]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_fetch_then_rerun_exactly_once(imap_account, tmp_path: Path, seed) -> None:
    """Ten kill -9 at random moments of `deskterm fetch`, then a re-run (x3 seeds = 30)."""
    rng = random.Random(seed)
    config = write_config(tmp_path / "c.toml", imap_account)
    db = tmp_path / "d.db"
    env = {**os.environ, PASSWORD_ENV: imap_account.password}
    total = 0
    for n in range(20):
        imap_account.append(mail(n))
        total += 1
    for _ in range(10):
        for _ in range(2):
            imap_account.append(mail(total))
            total += 1
        proc = subprocess.Popen(
            deskterm_cmd(config, db, "fetch", "--batch-size", str(rng.choice([1, 2, 3]))),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.2))
        proc.kill()
        proc.wait()
    done = subprocess.run(
        deskterm_cmd(config, db, "fetch", "--json"), env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    store = open_store(db)
    try:
        conn = store.read()
        assert messages(store) == total
        assert conn.execute("SELECT count(DISTINCT subject) FROM message").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM mail_receipt").fetchone()[0] == total
    finally:
        store.close()


def _count_stored(db: Path) -> int:
    """Messages committed so far, read without opening the store (no migration, no lock)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute("SELECT count(*) FROM message").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def test_kill_9_with_the_parse_pool_running_leaves_no_process(imap_account, tmp_path: Path) -> None:
    """Past POOL_THRESHOLD mails fetch parses in processes; a kill -9 must take them along."""
    config = write_config(tmp_path / "c.toml", imap_account)
    db = tmp_path / "d.db"
    total = POOL_THRESHOLD + 600
    imap_account.append_many([mail(n) for n in range(total)])
    proc = subprocess.Popen(
        deskterm_cmd(config, db, "fetch", "--batch-size", "10"),
        env={**os.environ, PASSWORD_ENV: imap_account.password},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: everything it starts is in it
    )
    try:
        assert wait_for(lambda: _count_stored(db) > 0 or proc.poll() is not None, 60)
        helpers = [pid for pid, st in proc_stats() if st["pgrp"] == proc.pid and pid != proc.pid]
        assert proc.poll() is None and len(helpers) >= 3  # forkserver, tracker, workers
        proc.kill()
        proc.wait()
        assert wait_for(lambda: not group_alive(proc.pid), 15), [
            (pid, st["comm"]) for pid, st in proc_stats() if st["pgrp"] == proc.pid
        ]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=15)
    assert 0 < _count_stored(db) < total
