"""A mail's own time: its Date header, when it can be believed against when it arrived.

Imported archives arrive years after they were written, and IMAP hands replies
over before their parents, so the time a mail reached us says little about its
place in a conversation. The Date header says more, unless the sender's clock
or mailer is broken: dates before 1980 (epoch zero and worse) and dates more
than a day after the mail reached us are not believed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
CLOCK_SLACK = timedelta(days=1)


def sent_at(date: datetime | None, received: datetime) -> datetime | None:
    """`date` (the parsed Date header) if plausible for a mail received at `received`."""
    if date is None:
        return None
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    if date < EARLIEST or date > received + CLOCK_SLACK:
        return None
    return date
