"""bulletins: the units an issued bulletin asked for a 情况说明, kept with it

Revision ID: 0010_wt15c_explain_units
Revises: 0009_wt14d_period_kinds
Create Date: 2026-12-02 16:30:00

Written by hand. Issuing a bulletin freezes its ranking; the dashboard marks the units
that bulletin asked for a written explanation, so the ids are stored when it is issued
(comma-separated unit ids, "" for none). NULL for bulletins issued before: the dashboard
gathers that month's figures again for them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_wt15c_explain_units"
down_revision = "0009_wt15a_corrections"
branch_labels = None
depends_on = None


def upgrade():
    """Add bulletins.explain_unit_ids."""
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("explain_unit_ids", sa.Text(), nullable=True))


def downgrade():
    """Drop the column."""
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_column("explain_unit_ids")
