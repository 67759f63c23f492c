"""Shared fixtures: a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL).

The schema is built once per session by running the Alembic migrations, so every
test also proves the migrations match the models; each test then starts from
empty tables.
"""
import os
import time
from datetime import date

import pytest
from flask_migrate import upgrade

from tracker import create_app
from tracker.extensions import db
from tracker.models import RectificationTask, Unit, User

DEMO_PASSWORD = "test-password-1"

# The fixtures of the helper modules, for every test module that asks for them by name.
# Listed before any module that imports them (dashboard_helpers uses workflow_helpers),
# so pytest rewrites their asserts.
pytest_plugins = [
    "tests.alerts_helpers", "tests.delivery_helpers", "tests.bulletin_helpers", "tests.indicator_helpers",
    "tests.workflow_helpers", "tests.dashboard_helpers",
]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """TEST_DATABASE_URL when set, else a SQLite file in a temp dir."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    """Run the migrations once against the test database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
    return database_url


def empty_tables():
    """Delete every row, children first, so each test starts clean."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(migrated, tmp_path):
    """A fresh app on the migrated database with empty tables."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": migrated,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    })
    with app.app_context():
        empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        # Each test's app has its own engine and pool: close its connections now, not when the
        # garbage collector gets to it (a PostgreSQL pass once ran out of connection slots).
        db.engine.dispose()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield


def wait_for(condition, timeout, step=0.2):
    """Poll `condition` until it is true or `timeout` seconds pass; returns its last value.

    Tests that wait for another process or thread use this, never a fixed sleep: a busy
    machine only makes them wait longer.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def make_unit(name, kind="department"):
    """Add a unit."""
    unit = Unit(name=name, kind=kind)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_user(username, role, unit=None, **fields):
    """Add a user with the test password."""
    user = User(username=username, display_name=fields.pop("display_name", username), role=role,
                unit=unit, **fields)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def make_task(title, lead_unit, status="in_progress", deadline_on=date(2026, 12, 31), co_units=(), **fields):
    """Add a task."""
    task = RectificationTask(title=title, lead_unit=lead_unit, status=status, deadline_on=deadline_on,
                             original_deadline_on=fields.pop("original_deadline_on", deadline_on), **fields)
    task.co_units = list(co_units)
    db.session.add(task)
    db.session.flush()
    return task


@pytest.fixture
def world(app):
    """Two units, a user of every role, and tasks led by each unit plus one shared.

    Returns ids (not objects) so tests can use them across app contexts.
    """
    with app.app_context():
        water = make_unit("县水利局")
        town = make_unit("城关镇", "town")
        other = make_unit("县商务局")
        users = {
            "admin": make_user("admin", "admin"),
            "supervisor": make_user("supervisor", "supervisor"),
            "leader": make_user("leader", "leader", title="分管农业副县长"),
            "principal": make_user("principal", "leader", title="县长", is_principal=True),
            "unithead": make_user("unithead", "unit_head", water),
            "unitstaff": make_user("unitstaff", "unit_staff", water),
            "otherhead": make_user("otherhead", "unit_head", other),
            "townstaff": make_user("townstaff", "unit_staff", town),
        }
        own = make_task("农村安全饮水整改", water, responsible_leader=users["leader"])
        shared = make_task("河道清淤配合任务", other, co_units=[water])
        foreign = make_task("外贸进出口攻坚", other)
        draft = make_task("水利草稿任务", water, status="draft")
        town_task = make_task("城关镇污水管网", town)
        db.session.commit()
        return {
            "units": {"water": water.id, "town": town.id, "other": other.id},
            "users": {k: u.id for k, u in users.items()},
            "tasks": {"own": own.id, "shared": shared.id, "foreign": foreign.id, "draft": draft.id,
                      "town": town_task.id},
        }


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, username="supervisor", password=DEMO_PASSWORD):
        """Post the login form."""
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):
        """Post the logout form."""
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """Login helper bound to the test client."""
    return AuthActions(client)
