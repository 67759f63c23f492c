"""Does `flask seed-scale` fill an empty database with the data asked for, realistic and reproducible?

Small N on SQLite (the Core executemany path); the PostgreSQL COPY path is run
by `make bench` at full size (benchmarks/RESULTS.md).
"""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tracker import caching, clock
from tracker.extensions import db
from tracker.models import (
    AuditEntry,
    Notification,
    ProgressReport,
    RectificationTask,
    Unit,
    User,
    task_co_units,
)
from tracker.seeding import scale
from tracker.services.tasks import lights

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ARGS = ["seed-scale", "--units", "40", "--tasks", "250", "--reports", "900"]


@pytest.fixture
def seeded(app, runner):
    """The database after `flask seed-scale` with 40 units, 250 tasks, 900 reports, on a frozen day."""
    with clock.frozen(NOON):
        result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    return result.output


def rows(model_or_table):
    """How many rows a table holds."""
    return db.session.scalar(db.select(db.func.count()).select_from(model_or_table))


def test_the_counts_asked_for_are_made(app, seeded):
    """Are there exactly the units, tasks and reports asked for, in two counties, with people in every unit?"""
    assert "Seeded in" in seeded
    with app.app_context():
        assert (rows(Unit), rows(RectificationTask), rows(ProgressReport)) == (40, 250, 900)
        assert caching.data_version() >= 1  # written past the ORM, yet running web processes see it changed
        names = db.session.scalars(db.select(Unit.name)).all()
        assert {name[:3] for name in names} == {"云溪县", "青山县"} and "青山县发展和改革局" in names
        units_with_head = db.session.scalar(db.select(db.func.count(db.distinct(User.unit_id)))
                                            .where(User.role == "unit_head"))
        assert units_with_head == 40


def test_the_data_is_realistic(app, seeded):
    """Are statuses, overdue tasks, co-units of the same county and reports spread as an office's would be?"""
    with app.app_context(), clock.frozen(NOON):
        by_status = dict(db.session.execute(db.select(RectificationTask.status, db.func.count())
                                            .group_by(RectificationTask.status)).all())
        assert set(by_status) == {"draft", "assigned", "in_progress", "pending_review", "closed", "cancelled"}
        assert 0.45 < by_status["in_progress"] / 250 < 0.70 and 0.15 < by_status["closed"] / 250 < 0.35
        open_count = sum(by_status[s] for s in ("draft", "assigned", "in_progress", "pending_review"))
        red = rows(db.select(RectificationTask.id).where(lights.overdue_clause(clock.today())).subquery())
        assert 0.05 < red / open_count < 0.30
        lead = db.aliased(Unit)
        co = db.aliased(Unit)
        pairs = db.session.execute(
            db.select(lead.name, co.name).select_from(task_co_units)
            .join(RectificationTask, RectificationTask.id == task_co_units.c.task_id)
            .join(lead, lead.id == RectificationTask.lead_unit_id).join(co, co.id == task_co_units.c.unit_id)).all()
        assert pairs and all(a[:3] == b[:3] and a != b for a, b in pairs)
        # Every report has its audit entry, and each task's last report is its last_reported_at.
        assert rows(db.select(AuditEntry.id).where(AuditEntry.action == "reported").subquery()) == 900
        last = dict(db.session.execute(db.select(ProgressReport.task_id, db.func.max(ProgressReport.created_at))
                                       .group_by(ProgressReport.task_id)).all())
        stored = dict(db.session.execute(db.select(RectificationTask.id, RectificationTask.last_reported_at)
                                         .where(RectificationTask.id.in_(list(last)))).all())
        assert stored == last
        assert rows(Notification) > 40 * 20


def test_every_user_logs_in_with_the_known_password(app, seeded, client):
    """Can the load driver's users of every role log in with the one password and see their pages?"""
    for username in ("supervisor1", "leader1", "unit001head", "unit040staff1"):
        client.post("/lang/en")
        response = client.post("/auth/login", data={"username": username, "password": scale.PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/tasks/").status_code == 200
        client.post("/auth/logout")


def test_a_second_run_skips_and_other_data_is_refused(app, seeded, runner):
    """Does the same command again leave the data as it is, and a different size refuse a non-empty database?"""
    with app.app_context():
        before = rows(AuditEntry)
    again = runner.invoke(args=ARGS)
    assert again.exit_code == 0 and "Already seeded" in again.output
    other = runner.invoke(args=["seed-scale", "--units", "40", "--tasks", "500", "--reports", "900"])
    assert other.exit_code != 0 and "already holds data" in other.output
    with app.app_context():
        assert rows(AuditEntry) == before and rows(RectificationTask) == 250


def test_the_same_seed_on_the_same_day_gives_the_same_data(app, runner):
    """Are two runs with the same seed, on the same day, the same tasks with the same dates and units?"""
    snapshots = []
    for _run in range(2):
        with app.app_context():
            from tests.conftest import empty_tables

            empty_tables()
        with clock.frozen(NOON):
            assert runner.invoke(args=["seed-scale", "--units", "5", "--tasks", "60", "--reports", "90"]).exit_code == 0
        with app.app_context():
            snapshots.append(db.session.execute(db.select(
                RectificationTask.code, RectificationTask.title, RectificationTask.status,
                RectificationTask.deadline_on, RectificationTask.lead_unit_id, RectificationTask.last_reported_at,
            ).order_by(RectificationTask.id)).all())
    assert snapshots[0] == snapshots[1] and len(snapshots[0]) == 60
