"""Mail in and out: raw mails, mailbox state, receipts, quarantine, outbox.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=True),
        sa.Column("last_uid", sa.Integer(), nullable=False),
        sa.Column("highestmodseq", sa.Integer(), nullable=True),
        sa.Column("last_fetch_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "folder"),
    )
    op.create_table(
        "raw_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "mail_receipt",
        sa.Column("mailbox_state_id", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("raw_mail_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_state_id"],
            ["mailbox_state.id"],
        ),
        sa.ForeignKeyConstraint(
            ["raw_mail_id"],
            ["raw_mail.id"],
        ),
        sa.PrimaryKeyConstraint("mailbox_state_id", "uidvalidity", "uid"),
    )
    op.create_table(
        "auto_mail_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auto_mail_log", schema=None) as batch_op:
        batch_op.create_index("ix_auto_mail_log_addr", ["address", "sent_at"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("rfc_message_id", sa.String(), nullable=False),
        sa.Column("recipients", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_mail_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.ForeignKeyConstraint(
            ["raw_mail_id"],
            ["raw_mail.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ADD COLUMN, not a batch copy: a big message table is not rewritten.
    op.add_column("customer", sa.Column("bounced_at", sa.DateTime(), nullable=True))
    op.add_column("customer", sa.Column("bounce_reason", sa.String(), nullable=True))
    op.add_column("message", sa.Column("raw_mail_id", sa.Integer(), nullable=True))
    op.add_column("message", sa.Column("dedupe_key", sa.String(), nullable=True))
    op.add_column("message", sa.Column("mailbox", sa.String(), nullable=True))
    op.add_column("message", sa.Column("auto_kind", sa.String(), nullable=True))
    op.create_index("ux_message_dedupe_key", "message", ["dedupe_key"], unique=True)
    op.create_index("ix_message_raw_mail", "message", ["raw_mail_id"])


def downgrade() -> None:
    op.drop_index("ix_message_raw_mail", "message")
    op.drop_index("ux_message_dedupe_key", "message")
    for column in ("auto_kind", "mailbox", "dedupe_key", "raw_mail_id"):
        op.drop_column("message", column)
    for column in ("bounce_reason", "bounced_at"):
        op.drop_column("customer", column)
    for table in (
        "quarantine",
        "outbox",
        "auto_mail_log",
        "mail_receipt",
        "raw_mail",
        "mailbox_state",
    ):
        op.drop_table(table)
