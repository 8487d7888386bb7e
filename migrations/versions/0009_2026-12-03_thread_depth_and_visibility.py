"""Threads keep a shape readers can trust: each comment's depth, and how many of its ancestors are not published.

A take-down hid only the comment itself: its published replies stayed in `total`, were served by id and took new
replies. comments.hidden_ancestors lets readers' queries skip a hidden subtree without walking up each chain, and
comments.depth lets a new reply attach no deeper than REPLYGUARD_MAX_THREAD_DEPTH. Replies already stored get both
from one walk down every thread, and the articles whose published count held hidden replies are counted again
(with a new revision, so cached pages go). The index on parent_id serves the walk down a subtree at a take-down.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

comments = sa.table(
    "comments",
    sa.column("id"),
    sa.column("parent_id"),
    sa.column("article_id"),
    sa.column("status"),
    sa.column("depth"),
    sa.column("hidden_ancestors"),
)
articles = sa.table("articles", sa.column("id"), sa.column("published_count"), sa.column("revision"))


def _recount(*, visible_only: bool) -> None:
    """Count again the published comments of every article that has published replies under a hidden ancestor."""
    affected = sa.select(comments.c.article_id).where(comments.c.status == "published", comments.c.hidden_ancestors > 0)
    counted = [comments.c.article_id == articles.c.id, comments.c.status == "published"]
    if visible_only:
        counted.append(comments.c.hidden_ancestors == 0)
    count = sa.select(sa.func.count()).select_from(comments).where(*counted).scalar_subquery()
    op.execute(
        sa.update(articles)
        .where(articles.c.id.in_(affected))
        .values(published_count=count, revision=articles.c.revision + 1)
    )


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("depth", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("hidden_ancestors", sa.Integer(), server_default="0", nullable=False))
    op.create_index(
        "ix_comments_parent",
        "comments",
        ["parent_id"],
        sqlite_where=sa.text("parent_id IS NOT NULL"),
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )
    # One recursive walk down from the top level (portable: WITH RECURSIVE and UPDATE ... FROM on both databases).
    walk = (
        sa.select(
            comments.c.id,
            sa.literal_column("0").label("depth"),
            sa.literal_column("0").label("hidden"),
            comments.c.status,
        )
        .where(comments.c.parent_id.is_(None))
        .cte("walk", recursive=True)
    )
    child = comments.alias("child")
    walk = walk.union_all(
        sa.select(
            child.c.id,
            walk.c.depth + 1,
            walk.c.hidden + sa.case((walk.c.status == "published", 0), else_=1),
            child.c.status,
        ).where(child.c.parent_id == walk.c.id)
    )
    op.execute(
        sa.update(comments)
        .where(comments.c.id == walk.c.id, walk.c.depth > 0)
        .values(depth=walk.c.depth, hidden_ancestors=walk.c.hidden)
    )
    _recount(visible_only=True)


def downgrade() -> None:
    _recount(visible_only=False)  # before this revision, every published comment counted
    op.drop_index("ix_comments_parent", table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("hidden_ancestors")
        batch.drop_column("depth")
