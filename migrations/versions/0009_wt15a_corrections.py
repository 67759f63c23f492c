"""corrections and returns: every (re)dispatch, the office's deadline adjustments, units' returns

Revision ID: 0009_wt15a_corrections
Revises: 0009_wt14d_period_kinds
Create Date: 2026-12-02 16:30:00

Written by hand. A task's lead unit at any past moment is the unit of its latest
dispatch before it (the bulletins charge a month's task to the unit it had then),
so every dispatched task gets the row of its first dispatch here.
tasks.last_dispatched_at is the latest dispatch (the acceptance clock), first
the first dispatch. The new status "returned" needs no schema change.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_wt15a_corrections"
down_revision = "0009_wt15b_closeout_checks"
branch_labels = None
depends_on = None


def upgrade():
    """Add the three tables and tasks.last_dispatched_at; record the dispatch of every dispatched task."""
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("last_dispatched_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE tasks SET last_dispatched_at = dispatched_at")
    op.create_table(
        "task_dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_dispatches_task_id_tasks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_task_dispatches_unit_id_units")),
        sa.ForeignKeyConstraint(["dispatched_by_id"], ["users.id"],
                                name=op.f("fk_task_dispatches_dispatched_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_dispatches")),
    )
    op.create_index("ix_task_dispatches_task_at", "task_dispatches", ["task_id", "dispatched_at"])
    op.create_index(op.f("ix_task_dispatches_unit_id"), "task_dispatches", ["unit_id"])
    op.execute("INSERT INTO task_dispatches (task_id, unit_id, dispatched_at, kind) "
               "SELECT id, lead_unit_id, dispatched_at, 'dispatch' FROM tasks WHERE dispatched_at IS NOT NULL")
    op.create_table(
        "deadline_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("old_deadline_on", sa.Date(), nullable=False),
        sa.Column("new_deadline_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("adjusted_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_deadline_adjustments_task_id_tasks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["adjusted_by_id"], ["users.id"],
                                name=op.f("fk_deadline_adjustments_adjusted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_adjustments")),
    )
    op.create_index(op.f("ix_deadline_adjustments_task_id"), "deadline_adjustments", ["task_id"])
    op.create_table(
        "task_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("new_unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_returns_task_id_tasks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_task_returns_unit_id_units")),
        sa.ForeignKeyConstraint(["new_unit_id"], ["units.id"], name=op.f("fk_task_returns_new_unit_id_units")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_task_returns_requested_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_task_returns_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_returns")),
    )
    op.create_index(op.f("ix_task_returns_task_id"), "task_returns", ["task_id"])
    op.create_index(op.f("ix_task_returns_unit_id"), "task_returns", ["unit_id"])


def downgrade():
    """Drop the tables and the column (returned tasks go back to 待签收 first)."""
    op.execute("UPDATE tasks SET status = 'assigned' WHERE status = 'returned'")
    op.drop_table("task_returns")
    op.drop_table("deadline_adjustments")
    op.drop_table("task_dispatches")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("last_dispatched_at")
