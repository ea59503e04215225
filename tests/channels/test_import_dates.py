"""An mbox of 1997 imported today keeps its mails' own dates, shown beside when they arrived."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

from helpers.cli import cli_stdout
from helpers.mails import customer_mail

from deskterm.mail.dates import sent_at
from deskterm.store.queries.tickets import get_ticket


def test_mbox_of_1997_keeps_the_date(store, tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "1997.mbox")
    box.add(customer_mail("old@customer.test", day=2))
    box.flush()
    cli_stdout(store.path, "import", str(tmp_path / "1997.mbox"))
    (message,) = get_ticket(store, 1).messages
    assert message.written_at == datetime(1997, 3, 2, 9, 0, tzinfo=UTC)
    assert message.received_late is not None and message.received_late.year > 2000
    shown = cli_stdout(store.path, "tickets", "show", "1")
    assert "1997-03-02 09:00 UTC (received " in shown
    assert '"sent_at": "1997-03-02T09:00:00Z"' in cli_stdout(
        store.path, "tickets", "show", "1", "--json"
    )


def test_implausible_dates_are_not_believed() -> None:
    received = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert sent_at(datetime(1970, 1, 1, tzinfo=UTC), received) is None
    assert sent_at(datetime(2026, 3, 4, tzinfo=UTC), received) is None
    assert sent_at(datetime(2026, 3, 3, 6, 0, tzinfo=UTC), received) is not None  # clock skew
    assert sent_at(None, received) is None
