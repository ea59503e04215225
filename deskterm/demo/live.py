"""What makes a demo store look live: its own config, SLA due times, mail waiting to go.

A demo store alone has no SLA policies, rules or mailbox, so the countdowns,
`due<2h`, `sla show`, `rules test` and the outbox would show nothing. `deskterm
demo` writes `demo.toml` beside the store (policies on two calendars, a few
rules, a mailbox whose SMTP server is nowhere), computes the due times and
queues a few replies that stay in the outbox, retrying, for anyone to see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.demo import people

if TYPE_CHECKING:
    from deskterm.store.service import Service

DEMO_MAILBOX = "support@deskterm.demo"
QUEUED_REPLIES = 3
_REPLY = (
    "Thanks for your patience. I have passed this on to the team and will write\n"
    "again as soon as I hear back.\n"
)

# Port 9 (discard) on this machine: nothing listens there, so every send is
# refused at once and the mail waits in the outbox, retrying, without a network.
_CONFIG = """\
# The config of a deskterm demo store, written by `deskterm demo`.
# Use it from the CLI:  export DESKTERM_CONFIG={config}

[agent]
name = {agent_name}
email = {agent_email}

[store]
path = {store}

[[mailbox]]
address = "{mailbox}"
name = "Demo Support"
smtp_host = "127.0.0.1"          # nowhere: replies wait in the outbox (`deskterm outbox ls`)
smtp_port = 9
smtp_security = "plain"

[sla]
warning_fraction = 0.75

[sla.calendar]
name = "business"
timezone = "Europe/London"
holidays_country = "GB"
[sla.calendar.hours]
mon = "09:00-17:30"
tue = "09:00-17:30"
wed = "09:00-17:30"
thu = "09:00-17:30"
fri = "09:00-17:00"

[[sla.calendars]]
name = "seoul"
timezone = "Asia/Seoul"
holidays_country = "KR"
hours = {{ mon = "09:00-12:00,13:00-18:00", tue = "09:00-12:00,13:00-18:00", \
wed = "09:00-12:00,13:00-18:00", thu = "09:00-12:00,13:00-18:00", fri = "09:00-12:00,13:00-18:00" }}

[[sla.policy]]
name = "VIP"
tag = "vip"
calendar = "24x7"
first_reply = {{ default = "1h" }}
next_reply = {{ default = "2h" }}
resolution = {{ default = "24h" }}

[[sla.policy]]
name = "Billing (Seoul team)"
tag = "billing"
calendar = "seoul"
first_reply = {{ urgent = "1h", high = "2h", default = "4h" }}
next_reply = {{ default = "8h" }}
resolution = {{ default = "3d" }}

[[sla.policy]]
name = "Standard"
calendar = "business"
first_reply = {{ urgent = "1h", high = "2h", normal = "4h", low = "8h" }}
next_reply = {{ default = "8h" }}
resolution = {{ urgent = "8h", default = "5d" }}

[[rules]]
name = "Outages are urgent"
trigger = "ticket_created"
query = "outage"
set_priority = "urgent"
add_tags = ["outage"]

[[rules]]
name = "Refunds to Billing"
trigger = "ticket_created"
query = "refund"
set_group = "Billing"
assign = "round_robin:Billing"

[[rules]]
name = "VIP replies get a note"
trigger = "customer_replied"
query = "tag:vip"
note = "A VIP customer wrote again: answer within the hour."

[[rules]]
name = "Urgent goes to Technical"
trigger = "field_changed"
field = "priority"
to = "urgent"
set_group = "Technical"

[[rules]]
name = "Close pending after two weeks"
trigger = "time"
query = "status:pending updated>14d"
set_status = "solved"
"""


def write_config(store: Path, final: Path) -> Path:
    """Write the config beside `store` (demo.db: demo.toml), naming `final` as the store.

    (A default demo is built in a temporary folder and then moved to `final`.)
    """
    path = store.with_suffix(".toml")
    path.write_text(
        _CONFIG.format(
            config=final.with_suffix(".toml"),
            agent_name=_toml(people.ME_NAME),
            agent_email=_toml(people.ME_EMAIL),
            store=_toml(str(final)),
            mailbox=DEMO_MAILBOX,
        ),
        encoding="utf-8",
    )
    return path


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_live(service: Service) -> list[int]:
    """Due times for every unresolved ticket, then a few replies queued as mail.

    The replies go to colleagues' newest tickets first: a reply makes its ticket
    pending, and a small demo's "My open" view must not be emptied by them.

    `service` acts as the demo agent with the demo config's SLAs and mailbox;
    returns the outbox ids of the queued replies.
    """
    service.recompute_sla()
    numbers = [
        int(row[0])
        for row in service.store.read().execute(
            "SELECT t.number FROM ticket t LEFT JOIN agent a ON a.id = t.assignee_id"
            " WHERE t.status IN ('new', 'open') AND t.channel = 'email'"
            " ORDER BY a.email IS ? ASC, t.updated_at DESC LIMIT ?",
            (people.ME_EMAIL, QUEUED_REPLIES),
        )
    ]
    queued = []
    for number in numbers:
        _message_id, outbox_id = service.send_reply(number, _REPLY)
        if outbox_id is not None:
            queued.append(outbox_id)
    return queued
