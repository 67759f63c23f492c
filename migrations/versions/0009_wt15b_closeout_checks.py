"""close-out that checks, and partial extensions

Revision ID: 0009_wt15b_closeout_checks
Revises: 0008_office_settings
Create Date: 2026-12-02 16:30:00

Written by hand. An extension may be approved to an earlier date than the one asked
(approved_deadline_on; rows approved before keep the date asked, copied here). A
close-out request keeps the percent done the unit stated, the reason when it is below
100 %, what the unit chose for its pending extension request, and one note per
milestone open at the time (done now, or why it stays open).
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_wt15b_closeout_checks"
down_revision = "0009_wt14d_period_kinds"
branch_labels = None
depends_on = None


def upgrade():
    """Add the columns and the milestone notes table; approved extensions granted the date asked."""
    with op.batch_alter_table("extension_requests") as batch:
        batch.add_column(sa.Column("approved_deadline_on", sa.Date(), nullable=True))
    op.execute("UPDATE extension_requests SET approved_deadline_on = requested_deadline_on WHERE status = 'approved'")
    with op.batch_alter_table("closeout_requests") as batch:
        batch.add_column(sa.Column("percent_done", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("percent_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("extension_choice", sa.String(length=10), nullable=True))
    op.create_table(
        "closeout_milestone_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closeout_request_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("is_done", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["closeout_request_id"], ["closeout_requests.id"], ondelete="CASCADE",
                                name=op.f("fk_closeout_milestone_notes_closeout_request_id_closeout_requests")),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestones.id"], ondelete="CASCADE",
                                name=op.f("fk_closeout_milestone_notes_milestone_id_milestones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closeout_milestone_notes")),
        sa.UniqueConstraint("closeout_request_id", "milestone_id",
                            name=op.f("uq_closeout_milestone_notes_closeout_request_id_milestone_id")),
    )
    op.create_index(op.f("ix_closeout_milestone_notes_closeout_request_id"), "closeout_milestone_notes",
                    ["closeout_request_id"])


def downgrade():
    """Drop the table and the columns."""
    op.drop_index(op.f("ix_closeout_milestone_notes_closeout_request_id"), table_name="closeout_milestone_notes")
    op.drop_table("closeout_milestone_notes")
    with op.batch_alter_table("closeout_requests") as batch:
        batch.drop_column("extension_choice")
        batch.drop_column("percent_reason")
        batch.drop_column("percent_done")
    with op.batch_alter_table("extension_requests") as batch:
        batch.drop_column("approved_deadline_on")
