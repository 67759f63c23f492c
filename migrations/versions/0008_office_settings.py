"""office settings: the values an office changes between months, kept in the database

Revision ID: 0008_office_settings
Revises: 0007_delivery
Create Date: 2026-12-02 09:00:00

Written by hand. One row per setting the office changed from its default (the
environment variable of the same name); a missing row means the default. The
audit trail keeps every change with its old and new value.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_office_settings"
down_revision = "0007_delivery"
branch_labels = None
depends_on = None


def upgrade():
    """Add the office_settings table."""
    op.create_table(
        "office_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_office_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_settings")),
        sa.UniqueConstraint("key", name=op.f("uq_office_settings_key")),
    )


def downgrade():
    """Drop the table."""
    op.drop_table("office_settings")
