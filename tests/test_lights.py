"""Derived state (overdue, days late, on time, traffic light) with frozen time around deadlines and midnight."""
from datetime import UTC, date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from tests.workflow_helpers import new_task
from tracker import clock
from tracker.extensions import db
from tracker.models import Milestone, RectificationTask, User
from tracker.services.tasks import lights, queries

SH = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 6, 30)


def at(moment):
    """Freeze the clock at a Shanghai wall-clock time given as (y, m, d, h, min)."""
    return clock.frozen(datetime(*moment, tzinfo=SH))


def state_at(task, moment):
    """The task's state with the clock at a Shanghai wall-clock time."""
    with at(moment):
        return lights.task_state(task)


@pytest.mark.parametrize("moment, light, overdue, days_late, days_left", [
    ((2026, 6, 22, 12, 0), "green", False, 0, 8),    # 8 days left: not yet due soon
    ((2026, 6, 23, 0, 0), "yellow", False, 0, 7),    # 7 days left: due soon from local midnight
    ((2026, 6, 30, 23, 59), "yellow", False, 0, 0),  # the deadline day itself is not late
    ((2026, 7, 1, 0, 0), "red", True, 1, -1),        # local midnight: one day late
    ((2026, 7, 10, 9, 0), "red", True, 10, -10),
])
def test_light_around_the_deadline(app, flow, moment, light, overdue, days_late, days_left):
    """Does the light turn yellow N days before and red the first local day after the deadline?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=DEADLINE, last_reported_at=clock.now())
        with at(moment):
            task.last_reported_at = clock.now()  # a fresh report: only the deadline speaks
            state = lights.task_state(task)
        assert (state.light, state.is_overdue, state.days_late, state.days_left) == (light, overdue, days_late,
                                                                                    days_left)


def test_overdue_follows_the_local_date_not_utc(app, flow):
    """At 00:30 on 1 July in Shanghai (still 30 June in UTC), is a task due 30 June already overdue?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=DEADLINE)
        moment = datetime(2026, 7, 1, 0, 30, tzinfo=SH)
        assert moment.astimezone(UTC).date() == date(2026, 6, 30)
        with clock.frozen(moment):
            task.last_reported_at = clock.now()
            assert lights.task_state(task).is_overdue
            assert clock.today() == date(2026, 7, 1)


def test_time_zone_comes_from_the_configuration(app, flow):
    """With TIMEZONE set to London, is the same instant still 30 June, so the task is not yet overdue?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=DEADLINE)
        app.config["TIMEZONE"] = "Europe/London"
        with clock.frozen(datetime(2026, 7, 1, 0, 30, tzinfo=SH)):
            task.last_reported_at = clock.now()
            assert not lights.task_state(task).is_overdue


@pytest.mark.parametrize("requested, light, overdue", [
    ((2026, 6, 30, 23, 30), "green", False),  # asked on the deadline day (15:30 UTC): not overdue while reviewed
    ((2026, 7, 1, 0, 30), "red", True),       # 00:30 local is 30 June in UTC, but locally a day late
])
def test_timely_closeout_request_protects_from_overdue(app, flow, requested, light, overdue):
    """Is a task under review overdue only if its close-out was asked for after the deadline (local date)?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=DEADLINE)
        with at(requested):
            task.closeout_requested_at = clock.now()
        task.status = "pending_review"
        state = state_at(task, (2026, 7, 15, 10, 0))
        assert (state.light, state.is_overdue) == (light, overdue)


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_finished_tasks_have_no_light(app, flow, status):
    """Do closed and cancelled tasks have no light and are never overdue, even long after the deadline?"""
    with app.app_context():
        task = new_task(flow, status, deadline_on=date(2026, 1, 1))
        state = state_at(task, (2026, 7, 1, 9, 0))
        assert (state.light, state.is_overdue, state.days_late) == (None, False, 0)


@pytest.mark.parametrize("request_day, on_time", [
    ((2026, 6, 30, 23, 59), True),
    ((2026, 7, 1, 0, 0), False),
])
def test_on_time_means_requested_by_the_deadline(app, flow, request_day, on_time):
    """Is a closed task on time exactly when its close-out was asked for on or before the deadline?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=DEADLINE)
        with at(request_day):
            task.closeout_requested_at = clock.now()
        task.status = "closed"
        assert lights.is_on_time(task) is on_time


def test_extension_makes_a_late_request_on_time(app, flow):
    """After an approved extension, is a close-out asked for before the new deadline on time?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 8, 31), original_deadline_on=DEADLINE)
        with at((2026, 8, 1, 10, 0)):
            task.closeout_requested_at = clock.now()
        task.status = "closed"
        assert lights.is_on_time(task)


def test_unfinished_task_is_not_on_time(app, flow):
    """Is a task that is not closed never counted as on time?"""
    with app.app_context():
        task = new_task(flow, "pending_review", deadline_on=DEADLINE)
        assert not lights.is_on_time(task)


@pytest.mark.parametrize("last_report, today, silent", [
    ((2026, 6, 1, 10, 0), (2026, 6, 14, 23, 59), False),  # 13 days
    ((2026, 6, 1, 10, 0), (2026, 6, 15, 0, 0), True),     # 14 days from local midnight
    ((2026, 6, 1, 0, 30), (2026, 6, 14, 12, 0), False),   # reported 31 May in UTC, 1 June locally
])
def test_no_report_for_m_days_is_yellow(app, flow, last_report, today, silent):
    """Does the light turn yellow when the last report is M (14) local days old, counted in local dates?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 12, 31))
        task.last_reported_at = datetime(*last_report, tzinfo=SH).astimezone(UTC)
        state = state_at(task, today)
        assert (state.light, len(state.reasons)) == (("yellow", 1) if silent else ("green", 0))


def test_silence_counts_from_dispatch_before_any_report(app, flow):
    """With no report yet, is silence counted from dispatch, and not at all for a draft?"""
    with app.app_context():
        dispatched = datetime(2026, 6, 1, 9, 0, tzinfo=SH)
        assigned = new_task(flow, "assigned", deadline_on=date(2026, 12, 31), dispatched_at=dispatched)
        draft = new_task(flow, "draft", deadline_on=date(2026, 12, 31))
        assert state_at(assigned, (2026, 6, 14, 12, 0)).light == "green"
        assert state_at(assigned, (2026, 6, 15, 12, 0)).light == "yellow"
        assert state_at(draft, (2026, 8, 15, 12, 0)).light == "green"


def test_overdue_milestone_turns_the_task_yellow(app, flow):
    """Is a task yellow the day after an open milestone's due date, and green again once it is done?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 12, 31))
        milestone = Milestone(task_id=task.id, title="完成招标", due_on=date(2026, 7, 10))
        db.session.add(milestone)
        db.session.commit()
        task.last_reported_at = datetime(2026, 7, 10, 9, 0, tzinfo=SH)
        assert state_at(task, (2026, 7, 10, 23, 0)).light == "green"
        late = state_at(task, (2026, 7, 11, 0, 0))
        assert late.light == "yellow" and len(late.reasons) == 1
        milestone.done_at = datetime(2026, 7, 11, 1, 0, tzinfo=SH)
        assert state_at(task, (2026, 7, 11, 9, 0)).light == "green"


def test_states_for_a_page_agree_with_single_task_states(app, flow):
    """Does the batched computation for a list page give the same state as each task alone?"""
    with app.app_context():
        tasks = [new_task(flow, "in_progress", deadline_on=date(2026, 6, d)) for d in (1, 5, 30)]
        db.session.add(Milestone(task_id=tasks[2].id, title="节点", due_on=date(2026, 5, 20)))
        db.session.commit()
        with at((2026, 6, 2, 9, 0)):
            batch = lights.states_for(tasks)
            assert batch == {t.id: lights.task_state(t) for t in tasks}


# The SQL conditions the list filters use must say exactly what the Python rules say.
GRID_STATUSES = ["draft", "assigned", "in_progress", "pending_review", "closed", "cancelled"]
GRID_DEADLINES = [date(2026, 6, 20), date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 7), date(2026, 7, 8),
                  date(2026, 9, 1)]


def _grid(flow):
    """Tasks in every status x deadline, with and without a late milestone, timely or late requests, silent or not."""
    tasks = []
    for n, (status, deadline) in enumerate(product(GRID_STATUSES, GRID_DEADLINES)):
        task = new_task(flow, status, deadline_on=deadline, title=f"网格{n}")
        if n % 3 == 0:
            db.session.add(Milestone(task_id=task.id, title="节点", due_on=date(2026, 6, 25)))
        if n % 4 == 1:
            task.last_reported_at = datetime(2026, 6, 29, 9, 0, tzinfo=SH)
        if status == "pending_review":
            when = datetime(2026, 6, 28, 10, 0, tzinfo=SH) if n % 2 else datetime(2026, 7, 1, 0, 10, tzinfo=SH)
            task.closeout_requested_at = when
        tasks.append(task)
    db.session.commit()
    return tasks


@pytest.mark.parametrize("moment", [(2026, 6, 30, 23, 59), (2026, 7, 1, 0, 0), (2026, 7, 13, 12, 0)])
def test_sql_light_filters_agree_with_the_rules(app, flow, moment):
    """For a grid of tasks and several instants, does filtering by light in SQL pick exactly the tasks so coloured?"""
    with app.app_context():
        tasks = _grid(flow)
        supervisor = db.session.get(User, flow["users"]["supervisor"])
        with at(moment):
            expected = lights.states_for(tasks)
            for light in ("red", "yellow", "green"):
                query = queries.visible_tasks(supervisor).where(lights.light_clause(light, clock.today()))
                found = {t.id for t in db.session.scalars(query)}
                assert found == {t.id for t in tasks if expected[t.id].light == light}, light
            overdue = {t.id for t in db.session.scalars(
                db.select(RectificationTask).where(lights.overdue_clause(clock.today())))}
            assert overdue == {t.id for t in tasks if expected[t.id].is_overdue}


def test_due_within_includes_today_and_the_nth_day(app, flow):
    """Does "due within 7 days" include tasks due today and in exactly 7 days, but not overdue or finished ones?"""
    with app.app_context():
        today = date(2026, 6, 1)
        due = {d: new_task(flow, "in_progress", deadline_on=today + timedelta(days=d), title=f"d{d}").id
               for d in (-1, 0, 7, 8)}
        new_task(flow, "closed", deadline_on=today + timedelta(days=3))
        found = {t.id for t in db.session.scalars(
            db.select(RectificationTask).where(lights.due_within_clause(7, today)))}
        assert found == {due[0], due[7]}


def test_migration_fills_the_request_date_in_local_time(tmp_path):
    """Does upgrading an existing database give each pending request its local date (00:30 Shanghai is the next day)?"""
    from flask_migrate import upgrade

    from tracker import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "old.sqlite3")})
    with app.app_context():
        upgrade(revision="0001")
        db.session.execute(db.text(
            "INSERT INTO units (id, name, kind, is_active, created_at) VALUES (1, '县水利局', 'department', 1, "
            "'2026-01-01 00:00:00')"))
        db.session.execute(db.text(
            "INSERT INTO tasks (id, title, source, lead_unit_id, deadline_on, original_deadline_on, status, "
            "supervision_level, percent_done, created_at, updated_at, version, closeout_requested_at) VALUES "
            "(1, '旧任务', 'manual', 1, '2026-06-30', '2026-06-30', 'pending_review', 'normal', 100, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, '2026-06-30 16:30:00')"))
        db.session.commit()
        upgrade()
        task = db.session.get(RectificationTask, 1)
        assert task.closeout_requested_on == date(2026, 7, 1)
        with at((2026, 7, 5, 9, 0)):
            assert lights.task_state(task).is_overdue
        db.session.remove()
