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
