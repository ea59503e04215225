"""The message row's columns, one list for the writers and for sync.

The writers (`store/service/records`, the ingest batch writer, bulk loads) insert
messages in this order; a sync pull reads, and a replica applies, the columns a
message travels with: these, less the row ids (a replica keeps its own ids).
"""

from __future__ import annotations

MESSAGE_COLUMNS = (
    "id",
    "ticket_id",
    "kind",
    "author_agent_id",
    "author_customer_id",
    "from_name",
    "from_addr",
    "to_addrs",
    "cc_addrs",
    "subject",
    "body_text",
    "body_html",
    "message_id",
    "in_reply_to",
    "references",
    "created_at",
)
# What a message that came as mail adds (the ingest batch writer writes these too).
MAIL_COLUMNS = ("raw_mail_id", "dedupe_key", "mailbox", "auto_kind", "sent_at")
# Ids of other rows in this store: never sent to a replica or the server.
ROW_IDS = ("id", "ticket_id", "author_agent_id", "author_customer_id")
