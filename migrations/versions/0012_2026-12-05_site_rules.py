"""Site rules: list entries, premoderation modes, sanctions of authors, and the audit of their changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LISTS = (
    "blocked_emails",
    "blocked_email_domains",
    "banned_phrases",
    "suspect_phrases",
    "blocked_link_domains",
    "allowed_link_domains",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _moderator(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["moderators.id"], name=op.f(f"fk_{table}_{column}_moderators"))


def upgrade() -> None:
    op.create_table(
        "rule_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("list", _LISTS), name=op.f("ck_rule_entries_list")),
        _moderator("moderator_id", "rule_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_entries")),
        sa.UniqueConstraint("list", "key", name=op.f("uq_rule_entries_list_key")),
    )
    op.create_table(
        "moderation_modes",
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            _in("mode", ("model", "first-reply-held", "all-held", "closed")), name=op.f("ck_moderation_modes_mode")
        ),
        _moderator("moderator_id", "moderation_modes"),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_moderation_modes")),
    )
    op.create_table(
        "author_sanctions",
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("kind", ("ban", "shadow_ban", "suspension")), name=op.f("ck_author_sanctions_kind")),
        sa.CheckConstraint(
            "kind != 'suspension' OR expires_at IS NOT NULL", name=op.f("ck_author_sanctions_suspension_ends")
        ),
        _moderator("moderator_id", "author_sanctions"),
        sa.PrimaryKeyConstraint("email_key", name=op.f("pk_author_sanctions")),
    )
    op.create_table(
        "rule_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _moderator("moderator_id", "rule_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_changes")),
    )


def downgrade() -> None:
    op.drop_table("rule_changes")
    op.drop_table("author_sanctions")
    op.drop_table("moderation_modes")
    op.drop_table("rule_entries")
