"""Each reply's language (issue 21), its queue index, and the site's settings (what to do with a reply in a language
the model does not cover).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: replies stored before detection existed, and replies too short to tell, have
    # no language. batch_alter_table: SQLite adds the column in place (no table copy for a nullable column).
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    op.create_index(
        op.f("ix_comments_language_queue"),
        "comments",
        ["language", "status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "site_settings",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["moderators.id"], name=op.f("fk_site_settings_moderator_id_moderators")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_settings")),
    )


def downgrade() -> None:
    op.drop_table("site_settings")
    op.drop_index(op.f("ix_comments_language_queue"), table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("language")
