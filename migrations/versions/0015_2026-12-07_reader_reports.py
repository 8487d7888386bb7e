"""Readers' reports of published replies, and "reports" as a decision's actor (a reply reported as illegal content
leaves the public view until a moderator decides).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_actor"), type_="check")
        batch.create_check_constraint(op.f("ck_decisions_actor"), "actor IN ('model', 'moderator', 'reports')")
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("reason IN ('spam', 'abuse', 'off_topic', 'illegal')", name=op.f("ck_reports_reason")),
        sa.CheckConstraint(
            "resolution IN ('kept', 'taken_down', 'dismissed')", name=op.f("ck_reports_resolution")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_reports_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_reports_decision_id_decisions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["moderator_id"], ["moderators.id"], name=op.f("fk_reports_moderator_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("comment_id", "reporter_key", name=op.f("uq_reports_comment_id_reporter_key")),
    )
    op.create_index("ix_reports_open", "reports", ["resolution", "comment_id"], unique=False)
    op.create_index("ix_reports_decision", "reports", ["decision_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reports_decision", table_name="reports")
    op.drop_index("ix_reports_open", table_name="reports")
    op.drop_table("reports")
    # The decisions readers' reports made cannot stay under the old constraint: they go with the reports.
    op.execute("DELETE FROM decisions WHERE actor = 'reports'")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_actor"), type_="check")
        batch.create_check_constraint(op.f("ck_decisions_actor"), "actor IN ('model', 'moderator')")
