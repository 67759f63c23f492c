"""weekly alerts: unit group robots, outbox recipients, who started a job run

Revision ID: 0003_alerts
Revises: 0002
Create Date: 2026-11-24 09:00:00

Written by hand. A unit may have a WeCom or DingTalk group robot (URL, kind,
optional DingTalk signing secret) that receives its weekly alert. Each outbox
row remembers the user (email) or unit (group robot) it is for, so the admin
page can say who received what and a robot's secret is read when sending.
A job run started from the admin page records who started it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_alerts"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    """Add the webhook columns, the outbox recipients and the job run's starter."""
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=200), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_outbox_user_id_users"), "users", ["user_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_outbox_unit_id_units"), "units", ["unit_id"], ["id"])

    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_job_runs_started_by_id_users"), "users", ["started_by_id"], ["id"])


def downgrade():
    """Drop what upgrade added."""
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_job_runs_started_by_id_users"), type_="foreignkey")
        batch_op.drop_column("started_by_id")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_unit_id_units"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_outbox_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_user_id"))
        batch_op.drop_column("unit_id")
        batch_op.drop_column("user_id")

    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("webhook_kind")
