"""data version counter: figures cached per change of the data (tracker/caching.py)

Revision ID: 0005_data_version
Revises: 0004_scale_indexes
Create Date: 2026-11-23 04:00:00

Written by hand. One row per counter ("figures"); every commit that changes
tasks, their records, units, people or assessment results raises it, and each
web process keeps the dashboard's and the task list's counts only as long as
the counter it read is unchanged (benchmarks/RESULTS.md).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_data_version"
down_revision = "0004_scale_indexes"
branch_labels = None
depends_on = None


def upgrade():
    """Create the counter table with the figures' counter at 0."""
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "figures", "version": 0}])


def downgrade():
    """Drop the counter table."""
    op.drop_table("data_versions")
