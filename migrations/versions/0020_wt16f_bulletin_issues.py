"""bulletins: 第N期 taken at issue, figures frozen with the issue, 作废 and 更正, the .docx beside the PDF, the signed final PDF

Revision ID: 0020_wt16f_bulletin_issues
Revises: 0010_wt15c_explain_units
Create Date: 2026-12-02 17:30:00

Written by hand. A draft has no number until it is issued (issue_no NULL); a month may
now have several rows: at most one draft and one live issued bulletin (partial unique
indexes), plus voided ones, each corrected by a later issue naming it (replaces_id).
figures_json keeps the figures an issue printed; bulletins issued before this revision
get them rebuilt from history by `flask bulletin freeze-figures` (run once after upgrading).
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_wt16f_bulletin_issues"
down_revision = "0020_wt16e_task_notices"
branch_labels = None
depends_on = None


def upgrade():
    """Nullable issue_no, month no longer unique, the new columns and the per-month partial unique indexes."""
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_constraint("uq_bulletins_month", type_="unique")
        batch.alter_column("issue_no", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch.add_column(sa.Column("figures_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("docx_path", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("docx_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signed_path", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("signed_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("signed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("signed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_bulletins_signed_by_id_users", "users", ["signed_by_id"], ["id"])
        batch.create_foreign_key("fk_bulletins_voided_by_id_users", "users", ["voided_by_id"], ["id"])
        batch.create_foreign_key("fk_bulletins_replaces_id_bulletins", "bulletins", ["replaces_id"], ["id"])
    for status in ("draft", "issued"):
        op.create_index(f"uq_bulletins_{status}_month", "bulletins", ["month"], unique=True,
                        sqlite_where=sa.text(f"status = '{status}'"), postgresql_where=sa.text(f"status = '{status}'"))


def downgrade():
    """Back to one numbered row per month (fails while a month has a voided issue or a draft has no number)."""
    for status in ("draft", "issued"):
        op.drop_index(f"uq_bulletins_{status}_month", "bulletins")
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_constraint("fk_bulletins_signed_by_id_users", type_="foreignkey")
        batch.drop_constraint("fk_bulletins_replaces_id_bulletins", type_="foreignkey")
        batch.drop_constraint("fk_bulletins_voided_by_id_users", type_="foreignkey")
        for column in ("signed_by_id", "signed_at", "signed_sha256", "signed_path", "replaces_id", "void_reason", "voided_by_id", "voided_at", "docx_sha256", "docx_path",
                       "figures_json", "as_of"):
            batch.drop_column(column)
        batch.alter_column("issue_no", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_bulletins_month", ["month"])
