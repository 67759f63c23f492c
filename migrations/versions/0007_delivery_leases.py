"""delivery: per-message outbox leases, job-run heartbeats, run-now requests, scheduler beats

Revision ID: 0007_delivery
Revises: 0006_sign_ins
Create Date: 2026-11-25 09:00:00

Written by hand (issue 13). Each outbox message is claimed on its own with a
lease (owner, until) renewed while it is sent; `sending_at` marks a send in
progress, so a lease that runs out with it set is a send cut off by a crash,
counted in `interrupted_sends` and shown on the outbox page. A job run records
which process runs it and that process's last heartbeat, so a run whose
process died is taken over. "Run now" on the jobs page only writes a
job_requests row that the scheduler picks up; each scheduler process writes
its heartbeat into scheduler_beats, which the page shows.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_delivery"
down_revision = "0006_sign_ins"
branch_labels = None
depends_on = None


def upgrade():
    """Add the lease and heartbeat columns and the two tables."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sending_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("interrupted_sends", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))

    op.create_table(
        "job_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("force", sa.Boolean(), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=True),
        sa.Column("pending_key", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("picked_by", sa.String(length=80), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["job_run_id"], ["job_runs.id"], name=op.f("fk_job_requests_job_run_id_job_runs")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_job_requests_requested_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_requests")),
        sa.UniqueConstraint("job", "pending_key", name=op.f("uq_job_requests_job_pending_key")),
    )
    op.create_table(
        "scheduler_beats",
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_scheduler_beats")),
    )


def downgrade():
    """Drop what upgrade added."""
    op.drop_table("scheduler_beats")
    op.drop_table("job_requests")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("owner")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("interrupted_sends")
        batch_op.drop_column("sending_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
