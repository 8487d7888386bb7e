"""Imports from the systems sites leave (issue 17): what each import brought in, by its id in the source file, and
"import" as a decision's actor (the status a reply had where it came from), and an index of each article's replies in
time order for the exports.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_actor"), type_="check")
        batch.create_check_constraint(
            op.f("ck_decisions_actor"), "actor IN ('model', 'moderator', 'reports', 'import')"
        )
    op.create_table(
        "imported_items",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("article_id", sa.String(length=128), nullable=True),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("as_label", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('article', 'comment')", name=op.f("ck_imported_items_kind")),
        sa.PrimaryKeyConstraint("source", "kind", "source_id", name=op.f("pk_imported_items")),
    )
    op.create_index(op.f("ix_imported_items_comment_id"), "imported_items", ["comment_id"], unique=False)
    op.create_index("ix_comments_article_time", "comments", ["article_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_comments_article_time", table_name="comments")
    op.drop_index(op.f("ix_imported_items_comment_id"), table_name="imported_items")
    op.drop_table("imported_items")
    # The decisions imports recorded cannot stay under the old constraint: they go with what recorded them.
    op.execute("DELETE FROM decisions WHERE actor = 'import'")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_actor"), type_="check")
        batch.create_check_constraint(op.f("ck_decisions_actor"), "actor IN ('model', 'moderator', 'reports')")
