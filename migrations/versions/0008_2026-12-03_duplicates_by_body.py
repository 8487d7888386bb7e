"""The duplicate check keys on the body, whoever sent it: comments.body_hash, indexed with created_at.

Keyed by email, the check answered `pending` only when the address matched someone's recent reply, so anyone could
test a guessed address against a published reply. The (email, created_at) index served that check alone and goes.
Replies stored before this revision have no hash: they stop counting as earlier copies, which matters only for the
one duplicate window (60 minutes by default) after the upgrade.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("body_hash", sa.String(length=32), nullable=True))
    op.create_index("ix_comments_body_recent", "comments", ["body_hash", "created_at"])
    op.drop_index("ix_comments_author_recent", table_name="comments")


def downgrade() -> None:
    op.create_index("ix_comments_author_recent", "comments", ["email", "created_at"])
    op.drop_index("ix_comments_body_recent", table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("body_hash")
