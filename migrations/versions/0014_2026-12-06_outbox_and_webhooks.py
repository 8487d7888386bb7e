"""The outbox of messages to deliver (webhook calls, emails), the webhook endpoints they go to, the email addresses
that asked for mail (double opt-in, suppression), the "notify me of replies" flag of comments, and appeals.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("include_email", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["moderators.id"], name=op.f("fk_webhook_endpoints_moderator_id_moderators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('webhook', 'email')", name=op.f("ck_outbox_channel")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead', 'skipped')", name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_outbox_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_index("ix_outbox_endpoint", "outbox", ["endpoint_id", "created_at"], unique=False)
    op.create_index("ix_outbox_recipient_sent", "outbox", ["recipient", "sent_at"], unique=False)
    op.create_index("ix_outbox_channel_sent", "outbox", ["channel", "sent_at"], unique=False)
    op.create_table(
        "email_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("confirm_requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suppressed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suppressed_reason", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "suppressed_reason IN ('unsubscribed', 'bounced', 'complained')",
            name=op.f("ck_email_addresses_suppressed_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_addresses")),
        sa.UniqueConstraint("address", name=op.f("uq_email_addresses_address")),
    )
    op.add_column("comments", sa.Column("notify_replies", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "appeals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'reversed')", name=op.f("ck_appeals_status")),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_appeals_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_appeals_decision_id_decisions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["moderator_id"], ["moderators.id"], name=op.f("fk_appeals_moderator_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_appeals_decision_id")),
    )
    op.create_index(op.f("ix_appeals_comment_id"), "appeals", ["comment_id"], unique=False)
    op.create_index("ix_appeals_status", "appeals", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_appeals_status", table_name="appeals")
    op.drop_index(op.f("ix_appeals_comment_id"), table_name="appeals")
    op.drop_table("appeals")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("notify_replies")
    op.drop_table("email_addresses")
    op.drop_index("ix_outbox_channel_sent", table_name="outbox")
    op.drop_index("ix_outbox_recipient_sent", table_name="outbox")
    op.drop_index("ix_outbox_endpoint", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("webhook_endpoints")
