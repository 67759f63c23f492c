"""period kinds: 一季度, 前三季度, 下半年 told apart from single quarters and 上半年; the target basis of a period

Revision ID: 0009_wt14d_period_kinds
Revises: 0009_indicator_continuity
Create Date: 2026-12-02 16:30:00

Written by hand. Before this revision a period was a half_year, a quarter, a
month or a year, so a nine-month sheet (1 January – 30 September) had to be a
"quarter". The rows keep their meaning under the new kinds, read from their
dates: a quarter from 1 January to 30 September is three_quarters (前三季度),
one from 1 January to 31 March is first_quarter (一季度), any other stays a
single quarter; a half_year from 1 July to 31 December is second_half (下半年),
any other stays half_year (上半年). Downgrading folds them back.

target_basis says whether the sheet's 目标值 is the year's target ("year", the
default and what every existing period meant) or the period's own ("period").
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0009_wt14d_period_kinds"
down_revision = "0009_indicator_continuity"
branch_labels = None
depends_on = None

periods = sa.table("assessment_periods", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                   sa.column("starts_on", sa.Date), sa.column("ends_on", sa.Date))


def new_kind(kind, starts_on, ends_on):
    """The kind an old row has under the new kinds, from its dates."""
    if kind == "quarter" and (starts_on.month, starts_on.day) == (1, 1):
        if (ends_on.month, ends_on.day) == (9, 30):
            return "three_quarters"
        if (ends_on.month, ends_on.day) == (3, 31):
            return "first_quarter"
    if kind == "half_year" and (starts_on.month, starts_on.day, ends_on.month, ends_on.day) == (7, 1, 12, 31):
        return "second_half"
    return kind


OLD_KIND = {"three_quarters": "quarter", "first_quarter": "quarter", "second_half": "half_year"}


def _as_date(value):
    """A date column's value as a date (SQLite hands back text through a lightweight table)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def upgrade():
    """Add target_basis and give the existing periods their kinds under the new names."""
    with op.batch_alter_table("assessment_periods", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_basis", sa.String(length=10), server_default="year", nullable=False))
    connection = op.get_bind()
    rows = connection.execute(sa.select(periods.c.id, periods.c.kind, periods.c.starts_on, periods.c.ends_on)).all()
    for period_id, kind, starts_on, ends_on in rows:
        kind_now = new_kind(kind, _as_date(starts_on), _as_date(ends_on))
        if kind_now != kind:
            connection.execute(periods.update().where(periods.c.id == period_id).values(kind=kind_now))


def downgrade():
    """Fold the new kinds back into quarter and half_year, and drop target_basis."""
    connection = op.get_bind()
    for kind, old in OLD_KIND.items():
        connection.execute(periods.update().where(periods.c.kind == kind).values(kind=old))
    with op.batch_alter_table("assessment_periods", schema=None) as batch_op:
        batch_op.drop_column("target_basis")
