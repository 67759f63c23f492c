"""task workflow: close-out request date, one-time form tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00

Written by hand. `tasks.closeout_requested_on` is the local date of
`closeout_requested_at`, kept so the task list can filter overdue tasks in SQL;
existing rows are filled in from the timestamp in the configured time zone.
`used_form_tokens` remembers the one-time token of each submitted create-type
form (progress report, milestone, urge) so a double submission saves once.
"""
import os
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    """Add the request date (backfilled) and the token table."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closeout_requested_on", sa.Date(), nullable=True))
    _backfill_request_dates()

    op.create_table(
        "used_form_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_used_form_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_used_form_tokens")),
    )


def _backfill_request_dates():
    """Set closeout_requested_on from closeout_requested_at (stored naive UTC) for existing tasks."""
    zone = ZoneInfo(os.environ.get("TRACKER_TIMEZONE", "Asia/Shanghai"))
    tasks = sa.table("tasks", sa.column("id", sa.Integer), sa.column("closeout_requested_at", sa.DateTime),
                     sa.column("closeout_requested_on", sa.Date))
    bind = op.get_bind()
    rows = bind.execute(sa.select(tasks.c.id, tasks.c.closeout_requested_at)
                        .where(tasks.c.closeout_requested_at.is_not(None))).all()
    for task_id, requested_at in rows:
        local_day = requested_at.replace(tzinfo=UTC).astimezone(zone).date()
        bind.execute(tasks.update().where(tasks.c.id == task_id).values(closeout_requested_on=local_day))


def downgrade():
    """Drop the token table and the request date."""
    op.drop_table("used_form_tokens")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("closeout_requested_on")
