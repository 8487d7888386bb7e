"""The queue's indexes hold only replies their authors did not delete (issue 19): every queue page, folder count and
backlog read asks for `deleted_at IS NULL`, which the full indexes could not answer. With it in the index's own
predicate, PostgreSQL counts a folder by an index-only scan instead of reading rows (at 1M comments the console's
capped folder counts took 11.5-15.5 ms by table scans), and SQLite reads no row to skip a deleted one.

Same names and columns as before (0001, 0013), now partial. The rejected replies the retention job purges are
found without them (a daily background scan).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "deleted_at IS NULL"
INDEXES = {
    "ix_comments_queue": ["status", "created_at", "id"],
    "ix_comments_article_queue": ["article_id", "status", "created_at", "id"],
    "ix_comments_language_queue": ["language", "status", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="comments")
        op.create_index(
            name, "comments", columns, postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE)
        )


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="comments")
        op.create_index(name, "comments", columns)
