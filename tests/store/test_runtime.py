"""The runtime: the Service built from the config, and solo mode's background jobs.

Real store files, a real SMTP server on loopback, real threads; the tests wait for
what the listener is told, never for a fixed time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.outbox import mailbox_for
from helpers.smtp import SmtpServer
from helpers.store import Desk, make_desk

from deskterm.channels.sender import SendReport
from deskterm.config import AgentConfig, Config, MailConfig, RuleConfig
from deskterm.errors import DesktermError
from deskterm.runtime import Runtime, Timings
from deskterm.runtime.listener import SyncStatus
from deskterm.runtime.solo import Every
from deskterm.store.queries.mail import IngestStatus
from deskterm.store.queries.tickets import get_ticket_row

FAST = Timings(poll=0.02, minute=0.02, sender=0.05)
WAIT = 10.0


class Recorder:
    """A listener that keeps every call, and lets a test wait for one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self._changed = threading.Condition()

    def _add(self, name: str, value: object) -> None:
        with self._changed:
            self.calls.append((name, value))
            self._changed.notify_all()

    def named(self, name: str) -> list[object]:
        with self._changed:
            return [value for called, value in self.calls if called == name]

    def wait_for(self, check: Callable[[], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(check, timeout=WAIT), f"timed out; calls: {self.calls}"

    def store_touched(self) -> None:
        self._add("store_touched", None)

    def ingest_read(self, status: IngestStatus) -> None:
        self._add("ingest_read", status)

    def background_written(self, numbers: list[int], errors: list[str]) -> None:
        self._add("background_written", (numbers, errors))

    def send_reported(self, report: SendReport) -> None:
        self._add("send_reported", report)

    def sync_changed(self, status: SyncStatus) -> None:
        self._add("sync_changed", status)

    def background_failed(self, error: BaseException) -> None:
        self._add("background_failed", error)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_desk(tmp_path)


def config(**kwargs: object) -> Config:
    return Config(agent=AgentConfig(name="me", email="me@desk.test"), **kwargs)  # type: ignore[arg-type]  # loose overrides, checked by Config


def runtime_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("deskterm-")}


def test_service_acts_as_the_configured_agent(desk: Desk) -> None:
    runtime = Runtime(config(), desk.path, clock=desk.clock)
    with pytest.raises(DesktermError, match="not open yet"):
        runtime.service()
    runtime.open()
    me = runtime.identify()
    assert me is not None and me.id == desk.me_id
    number = runtime.service().create_ticket("Printer", "It is on fire", "ana@example.com").number
    runtime.service().update_tickets([number], status="pending")
    conn = desk.raw()
    actors = conn.execute(
        "SELECT e.actor_agent_id, e.actor FROM event e JOIN ticket t ON t.id = e.ticket_id"
        " WHERE t.number = ? AND e.kind = 'status'",
        (number,),
    ).fetchall()
    conn.close()
    assert actors == [(desk.me_id, "me")]
    runtime.close()


def test_no_configured_agent_works_as_the_first_admin(desk: Desk) -> None:
    runtime = Runtime(Config(), desk.path)
    runtime.open()
    me = runtime.identify()
    assert me is not None and me.email == "me@desk.test" and me.role == "admin"
    runtime.close()


def test_store_watch_tells_of_other_commits_until_stopped(desk: Desk) -> None:
    before = runtime_threads()
    runtime = Runtime(config(), desk.path, clock=desk.clock, timings=FAST)
    runtime.open()
    recorder = Recorder()
    runtime.start(recorder)
    assert len(recorder.named("ingest_read")) == 1  # read once, before start returns
    assert recorder.named("store_touched") == []
    started = runtime_threads() - before
    assert {t.name for t in started} == {"deskterm-store-watch"}  # no SLA, rules or mailbox

    desk.svc.create_ticket("Fresh mail", "Hello", "ola@example.no")  # another connection
    recorder.wait_for(lambda: recorder.named("store_touched") != [])
    recorder.wait_for(lambda: len(recorder.named("ingest_read")) >= 2)

    runtime.stop()
    assert not any(t.is_alive() for t in started)
    runtime.start(recorder)  # stopped stays stopped
    assert runtime_threads() - before == set()
    runtime.close()


def test_minute_loop_runs_time_rules(desk: Desk) -> None:
    """Time rules run each minute, and the report rollups catch up after them."""
    number = desk.svc.create_ticket("Waiting on you", "Any news?", "ana@example.com").number
    desk.svc.update_tickets([number], status="pending")
    rule = RuleConfig(name="stale", trigger="time", query="status:pending", add_tags=["stale"])
    runtime = Runtime(config(rules=[rule]), desk.path, clock=desk.clock, timings=FAST)
    runtime.open()
    runtime.identify()
    recorder = Recorder()
    runtime.start(recorder)
    recorder.wait_for(lambda: recorder.named("background_written") != [])
    runtime.stop()
    assert recorder.named("background_written")[0] == ([number], [])
    assert "stale" in get_ticket_row(runtime.store, number).tags
    assert recorder.named("background_failed") == []
    # ... then brings the report rollups up to date, the rule's tag included.
    assert runtime.store.read().execute("SELECT count(*) FROM report_due").fetchone()[0] == 0
    runtime.close()


def test_sender_delivers_and_the_watch_sees_its_commit(desk: Desk, smtp_server: SmtpServer) -> None:
    number = desk.svc.create_ticket("Refund", "Where is it?", "ana@example.com").number
    settings = config(mailbox=[mailbox_for(smtp_server)], mail=MailConfig(undo_seconds=0))
    runtime = Runtime(settings, desk.path, clock=desk.clock, timings=Timings(poll=60, sender=60))
    runtime.open()
    runtime.identify()
    recorder = Recorder()
    runtime.start(recorder)
    runtime.service().send_reply(number, "On its way")
    runtime.nudge_sender()  # the sender's own interval is a minute: only the nudge sends now
    recorder.wait_for(lambda: recorder.named("store_touched") != [])
    runtime.stop()
    (report,) = recorder.named("send_reported")
    assert isinstance(report, SendReport) and report.sent == 1 and report.errors == []
    assert b"On its way" in smtp_server.messages[0].content
    runtime.close()


def test_a_failing_pass_is_reported_and_the_loop_goes_on() -> None:
    failures: list[BaseException] = []
    passes: list[int] = []
    done = threading.Event()

    def job() -> None:
        passes.append(1)
        if len(passes) == 1:
            raise DesktermError("the store is locked")
        done.set()

    loop = Every("test", 0.01, job, failures.append)
    loop.start()
    assert done.wait(WAIT)
    loop.stop(WAIT)
    assert not loop.is_alive()
    assert [str(f) for f in failures] == ["the store is locked"]
