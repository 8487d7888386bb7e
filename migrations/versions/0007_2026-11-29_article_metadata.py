"""Article metadata: an excerpt (or full text) for relevance, and where the title and URL came from.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("excerpt", sa.Text(), nullable=True))
        batch.add_column(sa.Column("metadata_source", sa.String(length=16), nullable=True))
        batch.create_check_constraint(op.f("ck_articles_metadata_source"), "metadata_source IN ('operator', 'page')")
    # Until now only an operator (PUT /api/v1/articles/{id}) could set a title or URL.
    op.execute("UPDATE articles SET metadata_source = 'operator' WHERE title IS NOT NULL OR url IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint(op.f("ck_articles_metadata_source"), type_="check")
        batch.drop_column("metadata_source")
        batch.drop_column("excerpt")
