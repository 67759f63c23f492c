"""indicators as offices judge them: hand marks, tasks answering later periods, follow-ups

Revision ID: 0009_indicator_continuity
Revises: 0008_office_settings
Create Date: 2026-12-02 16:30:00

Written by hand. indicator_marks keeps every hand mark (weak / not weak / cleared)
the office set on a result, the latest in force; task_result_links records the
later periods' results an open task was linked to instead of a second task;
tasks gain the task a follow-up was made for and the reason a second open task
was made for the same indicator and lead unit.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_indicator_continuity"
down_revision = "0008_office_settings"
branch_labels = None
depends_on = None


def upgrade():
    """Add the two tables and the two task columns."""
    op.create_table(
        "indicator_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["result_id"], ["indicator_results.id"],
                                name=op.f("fk_indicator_marks_result_id_indicator_results")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_indicator_marks_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_marks")),
    )
    op.create_index(op.f("ix_indicator_marks_result_id"), "indicator_marks", ["result_id"])
    op.create_table(
        "task_result_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_result_links_task_id_tasks")),
        sa.ForeignKeyConstraint(["result_id"], ["indicator_results.id"],
                                name=op.f("fk_task_result_links_result_id_indicator_results")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_task_result_links_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_result_links")),
        sa.UniqueConstraint("task_id", "result_id", name=op.f("uq_task_result_links_task_id_result_id")),
    )
    op.create_index(op.f("ix_task_result_links_task_id"), "task_result_links", ["task_id"])
    op.create_index(op.f("ix_task_result_links_result_id"), "task_result_links", ["result_id"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("follow_up_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duplicate_reason", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_tasks_follow_up_of_id_tasks"), "tasks", ["follow_up_of_id"], ["id"])
        batch.create_index(op.f("ix_tasks_follow_up_of_id"), ["follow_up_of_id"])


def downgrade():
    """Drop them."""
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index(op.f("ix_tasks_follow_up_of_id"))
        batch.drop_constraint(op.f("fk_tasks_follow_up_of_id_tasks"), type_="foreignkey")
        batch.drop_column("duplicate_reason")
        batch.drop_column("follow_up_of_id")
    op.drop_table("task_result_links")
    op.drop_table("indicator_marks")
