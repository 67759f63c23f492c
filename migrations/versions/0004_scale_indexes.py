"""indexes for province scale (100,000 tasks): list order, unit lists, search, inbox

Revision ID: 0004_scale_indexes
Revises: 0003_alerts
Create Date: 2026-11-23 12:00:00

Written by hand; each index was chosen with EXPLAIN ANALYZE on PostgreSQL 15
with `flask seed-scale` data (300 units, 100,000 tasks, 500,000 reports), before
and after, as benchmarks/RESULTS.md records:

- tasks (status, deadline_on, id, closeout_requested_on) replaces tasks
  (status): the default list order reads each status in deadline order and
  stops after one page (task_queries.OpenFirstPagination) instead of sorting
  every task; overdue tasks (red) are counted from the index alone;
- tasks (lead_unit_id, status, deadline_on, id) replaces tasks (lead_unit_id):
  a unit's tasks by status and deadline, and the ids of the tasks a unit leads
  (the unit users' visibility) read from the index alone;
- task_co_units (unit_id, task_id) replaces task_co_units (unit_id): the tasks
  a unit co-organizes, from the index alone;
- tasks: one GIN trigram index (pg_trgm) on title, code, problem and measures
  for the list's search (ILIKE '%…%'), PostgreSQL only. pg_trgm ships with
  PostgreSQL and is a trusted extension (13+): the database owner may create
  it; otherwise a superuser runs `CREATE EXTENSION pg_trgm` once. On SQLite
  the same index name holds an empty partial index (WHERE 0), so the models
  describe one schema for both;
- notifications (user_id, created_at, id): the inbox, newest first, one page;
- milestones (done_at, due_on, task_id): the tasks with an overdue milestone
  (a yellow light), from the index alone.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_scale_indexes"
down_revision = "0003_alerts"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("title", "code", "problem", "measures")


def trigram_opclass(bind):
    """gin_trgm_ops qualified by the schema pg_trgm lives in, installing the extension when missing."""
    find = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")
    schema = bind.exec_driver_sql(find).scalar()
    if schema is None:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = bind.exec_driver_sql(find).scalar()
    # Qualified: the extension may live in another schema than the one on the search path.
    return f"{schema}.gin_trgm_ops"


def upgrade():
    """Swap the single-column indexes for the composite ones; add the search and inbox indexes."""
    bind = op.get_bind()
    op.drop_index("ix_tasks_status", table_name="tasks")
    op.drop_index("ix_tasks_lead_unit_id", table_name="tasks")
    op.create_index("ix_tasks_status_deadline", "tasks", ["status", "deadline_on", "id", "closeout_requested_on"])
    op.create_index("ix_tasks_lead_unit_status", "tasks", ["lead_unit_id", "status", "deadline_on", "id"])
    op.drop_index("ix_task_co_units_unit_id", table_name="task_co_units")
    op.create_index("ix_task_co_units_unit_task", "task_co_units", ["unit_id", "task_id"])
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"])
    op.create_index("ix_milestones_open_due", "milestones", ["done_at", "due_on", "task_id"])
    if bind.dialect.name == "postgresql":
        opclass = trigram_opclass(bind)
        op.create_index("ix_tasks_text_trgm", "tasks", list(TEXT_COLUMNS), postgresql_using="gin",
                        postgresql_ops=dict.fromkeys(TEXT_COLUMNS, opclass))
    else:
        op.create_index("ix_tasks_text_trgm", "tasks", list(TEXT_COLUMNS), sqlite_where=sa.text("0"))


def downgrade():
    """Back to the single-column indexes (pg_trgm stays installed: other things may use it)."""
    op.drop_index("ix_tasks_text_trgm", table_name="tasks")
    op.drop_index("ix_milestones_open_due", table_name="milestones")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index("ix_task_co_units_unit_task", table_name="task_co_units")
    op.create_index("ix_task_co_units_unit_id", "task_co_units", ["unit_id"])
    op.drop_index("ix_tasks_lead_unit_status", table_name="tasks")
    op.drop_index("ix_tasks_status_deadline", table_name="tasks")
    op.create_index("ix_tasks_lead_unit_id", "tasks", ["lead_unit_id"])
    op.create_index("ix_tasks_status", "tasks", ["status"])
