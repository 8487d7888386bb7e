"""Learning without an operator: what each model version trained on and how it did on the site's newest decisions,
the record of every change of the active model, and the lease that lets one retraining run at a time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("decisions_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("training", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("site_comparison", sa.JSON(), nullable=True))
    op.create_table(
        "model_activations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("from_version", sa.String(length=64), nullable=True),
        sa.Column("to_version", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('register', 'promote', 'rollback')", name=op.f("ck_model_activations_action")),
        sa.CheckConstraint("actor IN ('cli', 'console', 'auto')", name=op.f("ck_model_activations_actor")),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["moderators.id"], name=op.f("fk_model_activations_moderator_id_moderators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_activations")),
    )
    op.create_index(op.f("ix_model_activations_created_at"), "model_activations", ["created_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index(op.f("ix_model_activations_created_at"), table_name="model_activations")
    op.drop_table("model_activations")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("site_comparison")
        batch.drop_column("training")
        batch.drop_column("decisions_seen_at")
