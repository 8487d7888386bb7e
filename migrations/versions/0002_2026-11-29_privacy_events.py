"""Privacy events: the audit of exports, erasures and retention purges (never the email itself).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:30:18.290657
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("comments_affected", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('export', 'erase', 'purge')", name=op.f("ck_privacy_events_action")),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["moderators.id"], name=op.f("fk_privacy_events_moderator_id_moderators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_events")),
    )


def downgrade() -> None:
    op.drop_table("privacy_events")
