"""Time on a ticket as the app counts it: gaps between actions up to the idle cut-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskterm.reports.active_time import ActiveTime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_gaps_count_up_to_the_cut_off_and_a_pause_starts_anew() -> None:
    counter = ActiveTime(idle_cutoff=300)
    counter.active(at(0))
    counter.active(at(30))  # 30 s
    counter.active(at(70))  # 40 s
    counter.active(at(70 + 600))  # ten idle minutes: nothing
    counter.active(at(690))  # 20 s
    counter.pause()  # the terminal lost focus
    counter.active(at(900))  # the gap across the pause: nothing
    counter.active(at(905))  # 5 s
    assert counter.take() == (at(0), 95)
    assert counter.take() is None  # taken: nothing left
    counter.active(at(905.5))
    assert counter.take() is None  # half a second is not an entry yet


def test_zero_cut_off_counts_nothing() -> None:
    counter = ActiveTime(idle_cutoff=0)
    for s in range(10):
        counter.active(at(s))
    assert counter.take() is None
