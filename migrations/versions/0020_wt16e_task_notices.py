"""task notices: 督办通知单 / 催办通知单 with their 文号, and the per-year counters that number them

Revision ID: 0020_wt16e_task_notices
Revises: 0010_wt15c_explain_units
Create Date: 2026-12-02 17:00:00

Written by hand. Tasks dispatched (and urges made) before this revision have no
notice and no 文号: numbers are given only at dispatch and urge from now on.
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_wt16e_task_notices"
down_revision = "0010_wt15c_explain_units"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_counters",
        sa.Column("series", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "supervision_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("urge_id", sa.Integer, sa.ForeignKey("urges.id"), unique=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("reply_due_on", sa.Date, nullable=False),
        sa.Column("late_items", sa.JSON),
        sa.Column("issued_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "year", "number", name="uq_supervision_notices_number"),
    )
    op.create_index("ix_supervision_notices_task", "supervision_notices", ["task_id", "kind", "issued_at"])


def downgrade():
    op.drop_index("ix_supervision_notices_task", table_name="supervision_notices")
    op.drop_table("supervision_notices")
    op.drop_table("document_counters")
