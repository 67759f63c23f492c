"""Do the migrations build the schema the models describe, on an empty database?"""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tracker import create_app
from tracker.extensions import db


def assert_schema_matches_models(app):
    """Compare the live schema with the models; any difference is a missing migration."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_empty_sqlite_then_downgrade(tmp_path):
    """Does `flask db upgrade` build every table on an empty SQLite file, and downgrade cleanly?"""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert_schema_matches_models(app)
    with app.app_context():
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
def test_upgrade_empty_postgresql_schema():
    """Does `flask db upgrade` build every table in an empty PostgreSQL schema?"""
    url = sa.engine.make_url(os.environ["TEST_DATABASE_URL"])
    schema = "mig_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        app = create_app({"SQLALCHEMY_DATABASE_URI": scoped.render_as_string(hide_password=False)})
        with app.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names(schema=schema))
            db.engine.dispose()
        assert set(db.metadata.tables) <= tables
        assert_schema_matches_models(app)
        with app.app_context():
            db.engine.dispose()
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


PERIOD_KINDS_REVISION = "0009_wt14d_period_kinds"


def test_period_kinds_migration_keeps_what_old_rows_meant(tmp_path):
    """Do old quarter / half-year rows get the kind their dates mean (前三季度, 一季度, 下半年), and fold back?"""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'kinds.sqlite3'}"})
    rows = [  # name, old kind, first day, last day, kind after the upgrade
        ("2026年前三季度考核", "quarter", "2026-01-01", "2026-09-30", "three_quarters"),
        ("2026年一季度", "quarter", "2026-01-01", "2026-03-31", "first_quarter"),
        ("2026年第三季度", "quarter", "2026-07-01", "2026-09-30", "quarter"),
        ("2026年上半年考核", "half_year", "2026-01-01", "2026-06-30", "half_year"),
        ("2025年下半年考核", "half_year", "2025-07-01", "2025-12-31", "second_half"),
        ("2026年10月", "month", "2026-10-01", "2026-10-31", "month"),
        ("2025年度", "year", "2025-01-01", "2025-12-31", "year"),
    ]
    with app.app_context():
        upgrade(revision=PERIOD_KINDS_REVISION + "-1")
        with db.engine.begin() as connection:
            for name, kind, starts_on, ends_on, _new in rows:
                connection.execute(sa.text(
                    "INSERT INTO assessment_periods (name, kind, starts_on, ends_on, rule_bottom_k, rule_last_place,"
                    " rule_behind_progress, default_deadline_days, created_at)"
                    " VALUES (:name, :kind, :starts_on, :ends_on, 3, 1, 1, 90, '2026-01-01 00:00:00')"),
                    {"name": name, "kind": kind, "starts_on": starts_on, "ends_on": ends_on})
        upgrade(revision=PERIOD_KINDS_REVISION)
        with db.engine.connect() as connection:
            after = dict(connection.execute(sa.text(
                "SELECT name, kind || '/' || target_basis FROM assessment_periods")).all())
        assert after == {name: f"{new}/year" for name, _kind, _s, _e, new in rows}
        downgrade(revision=PERIOD_KINDS_REVISION + "-1")
        with db.engine.connect() as connection:
            before = dict(connection.execute(sa.text("SELECT name, kind FROM assessment_periods")).all())
        assert before == {name: kind for name, kind, _s, _e, _new in rows}
