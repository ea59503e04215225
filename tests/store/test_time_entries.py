"""Time entries: logged by hand with an event, tracked without one, never moving the ticket."""

from __future__ import annotations

from datetime import timedelta

from helpers.clock import Clock

from deskterm.store.queries.tickets import get_ticket_row, list_events
from deskterm.store.queries.time_entries import list_time_entries
from deskterm.store.service import Service


def test_logged_time_ends_now_and_tracked_time_keeps_the_ticket_in_place(
    service: Service, clock: Clock
) -> None:
    number = service.create_ticket("Printer", "It jams", "ana@example.com").number
    updated = get_ticket_row(service.store, number).updated_at
    clock.advance(hours=1)
    service.log_time(number, 1800, note="  remote session ")
    opened_at = clock.now - timedelta(minutes=3)
    service.track_time(number, opened_at, 150)
    entries = list_time_entries(service.store, number)
    assert [(e.started_at, e.seconds, e.source, e.note, e.agent) for e in entries] == [
        (opened_at, 150, "tracked", "", "Sam Lee"),
        (clock.now - timedelta(minutes=30), 1800, "manual", "remote session", "Sam Lee"),
    ]
    kinds = [(e.kind, e.new) for e in list_events(service.store, number)]
    assert kinds[-1] == ("time_logged", "30m (remote session)")
    assert [k for k, _ in kinds].count("time_logged") == 1
    assert get_ticket_row(service.store, number).updated_at == updated
