"""sign-ins recorded server-side; the login throttle remembers its last failure

Revision ID: 0006_sign_ins
Revises: 0005_data_version
Create Date: 2026-12-02 05:00:00

Written by hand. One row per sign-in: the session cookie and the remember cookie
carry a random id whose sha256 is `token_hash`, and every request reads its row
by that unique index, so logging out, "sign out everywhere", a password change,
an admin's reset and a deactivation end every copy of those cookies (issue 13).
`login_throttles.last_failed_at` lets a user name's failures be forgotten a while
after the last one (the growing sign-in delay). Neither table raises the figure
cache's counter (tracker/caching.py: FIGURE_TABLES).

Cookies made before this revision carry a user id, which matches no sign-in:
after the upgrade everybody signs in once more.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_sign_ins"
down_revision = "0005_data_version"
branch_labels = None
depends_on = None


def upgrade():
    """Create sign_ins and add login_throttles.last_failed_at."""
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("is_remembered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_ins_token_hash")),
    )
    with op.batch_alter_table("sign_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_ins_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failed_at", sa.DateTime(), nullable=True))


def downgrade():
    """Drop sign_ins and login_throttles.last_failed_at."""
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_column("last_failed_at")
    with op.batch_alter_table("sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_ins_user_id"))
    op.drop_table("sign_ins")
