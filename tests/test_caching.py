"""Figures kept until the data changes (tracker/caching.py): never stale, never shared across what users may see."""
import re
from datetime import timedelta

import pytest

from tests.conftest import DEMO_PASSWORD, make_task
from tests.dashboard_helpers import statements
from tests.workflow_helpers import TODAY, new_task, user
from tracker import caching, clock, create_app, permissions
from tracker.extensions import db
from tracker.models import Notification, RectificationTask, Unit, User
from tracker.services.messaging import notifications
from tracker.services.tasks import progress, workflow

RED_CARD = re.compile(r'id="kpi-light-red"[^>]*data-count="(\d+)"')


def login(client, username):
    """Log in through the form with the test password."""
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})


def version(app):
    """The figures' counter as stored."""
    with app.app_context():
        return caching.data_version()


def red_on_dashboard(client):
    """The red-light figure the dashboard shows."""
    html = client.get("/").get_data(as_text=True)
    return int(RED_CARD.search(html).group(1))


def listed_total(client, query):
    """The total the task list's pager announces for a query string (English UI)."""
    html = client.get(f"/tasks/?{query}").get_data(as_text=True)
    return int(re.search(r"(\d+) in all, page", html).group(1))


def test_a_second_view_reuses_the_figures(app, client, spread, flow):
    """Does the second view of the supervisor's dashboard run a few statements instead of every aggregate?"""
    login(client, "supervisor")
    with statements(app) as first:
        assert client.get("/").status_code == 200
    with statements(app) as second:
        assert client.get("/").status_code == 200
    assert len(first) >= 12 and len(second) <= 4, "\n".join(second)


def test_a_change_shows_at_once(app, client, spread, flow):
    """After a unit's task becomes overdue through the workflow, does the next view count it red?"""
    login(client, "supervisor")
    before = red_on_dashboard(client)
    with app.app_context():
        new_task(flow, "in_progress", title="刚到期", deadline_on=TODAY - timedelta(days=1))
        db.session.commit()
    assert red_on_dashboard(client) == before + 1


def test_a_write_from_another_process_shows(app, client, spread, flow):
    """Does a change committed by another app on the same database (another worker) reach this one's dashboard?"""
    login(client, "supervisor")
    before = red_on_dashboard(client)
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with other.app_context(), clock.frozen(clock.now()):
        task = db.session.get(RectificationTask, spread["tasks"]["soon"])
        task.deadline_on = TODAY - timedelta(days=2)
        db.session.commit()
        db.session.remove()
    assert red_on_dashboard(client) == before + 1


def test_workflow_steps_raise_the_counter_and_the_inbox_does_not(app, flow):
    """Do a report and an urge raise the counter, while reading a message, logging in or a rollback leave it?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        db.session.commit()
        task_id = task.id
    start = version(app)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        progress.report_progress(user(flow, "lead_head"), task, "已完成管网铺设三公里", 40)
    assert version(app) == start + 1
    with app.app_context():
        workflow.urge(user(flow, "supervisor"), db.session.get(RectificationTask, task_id), "请加快进度")
    assert version(app) == start + 2
    with app.app_context():
        note = db.session.scalars(db.select(Notification).limit(1)).first()
        assert note is not None
        notifications.mark_read(db.session.get(User, note.user_id), note.id)
        db.session.commit()
        someone = user(flow, "supervisor")
        someone.last_login_at, someone.locale = clock.now(), "en"
        db.session.commit()
        db.session.get(RectificationTask, task_id).percent_done = 90
        db.session.flush()
        db.session.rollback()
    assert version(app) == start + 2


def test_bulk_statements_raise_the_counter(app, flow):
    """Does an UPDATE of tasks run as one statement (not object by object) raise it too?"""
    with app.app_context():
        new_task(flow, "in_progress")
        db.session.commit()
    start = version(app)
    with app.app_context():
        db.session.execute(db.update(RectificationTask).values(percent_done=50))
        db.session.commit()
    assert version(app) == start + 1


def test_list_total_follows_new_tasks(app, client, flow):
    """Does the total the list's pager announces grow when a task is added after the list was shown?"""
    app.config["TASKS_PER_PAGE"] = 1  # the pager (and its total) shows from two pages on
    with app.app_context():
        new_task(flow, "in_progress")
        new_task(flow, "in_progress", title="第二项")
        db.session.commit()
    login(client, "supervisor")
    client.post("/lang/en")
    assert listed_total(client, "status=in_progress") == 2
    with app.app_context():
        new_task(flow, "in_progress", title="第三项")
        db.session.commit()
    assert listed_total(client, "status=in_progress") == 3
    assert listed_total(client, "status=in_progress&sort=title") == 3


def test_units_never_see_each_others_figures(app, flow):
    """After one unit's head fills the cache, does another unit's head still get only their own unit's counts?"""
    with app.app_context():
        other = db.session.get(Unit, flow["units"]["other"])
        make_task("商务局逾期任务", other, status="in_progress", deadline_on=TODAY - timedelta(days=5),
                  dispatched_at=clock.now())
        new_task(flow, "in_progress")
        db.session.commit()
    water, commerce = app.test_client(), app.test_client()
    login(water, "waterhead")
    login(commerce, "otherhead")
    assert red_on_dashboard(water) == 0
    assert red_on_dashboard(commerce) == 1
    assert red_on_dashboard(water) == 0


def test_each_language_gets_its_own_page(app, client, spread, flow):
    """After the dashboard was shown in Chinese, is it shown in English after switching?"""
    login(client, "supervisor")
    assert "销号率" in client.get("/").get_data(as_text=True)
    client.post("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert "Close-out rate" in html and "销号率" not in html


def test_the_counter_row_comes_back(app, flow):
    """With the counter's row gone (a database restored without it), does the next change create it?"""
    with app.app_context():
        db.session.execute(db.delete(caching.DataVersion))
        db.session.commit()
        assert caching.data_version() == 0
    with app.app_context():
        new_task(flow, "in_progress")
        db.session.commit()
    assert version(app) == 1


@pytest.mark.parametrize("first, second", [("supervisor", "supervisor2"), ("supervisor", "principal"),
                                           ("lead_head", "lead_staff")])
def test_users_sharing_a_key_see_the_same_tasks(app, spread, flow, first, second):
    """Do two users with the same visibility key see exactly the same tasks (so sharing figures is safe)?"""
    with app.app_context():
        a, b = user(flow, first), user(flow, second)
        assert permissions.visibility_key(a) == permissions.visibility_key(b)
        seen = [set(db.session.scalars(db.select(RectificationTask.id).where(permissions.visible_tasks_clause(u))))
                for u in (a, b)]
        assert seen[0] == seen[1] != set()


def test_users_seeing_different_tasks_have_different_keys(app, spread, flow):
    """Do the office, a leader, and heads of two units each get a key of their own?"""
    with app.app_context():
        keys = {permissions.visibility_key(user(flow, key)) for key in ("supervisor", "leader", "lead_head", "co_head")}
    assert len(keys) == 4


def test_threads_missing_the_same_figures_compute_them_once():
    """When four threads of a worker miss the same key at once, is it computed once and given to all four?"""
    import threading
    import time

    cache, calls, got = caching.FigureCache(1024 * 1024), [], []

    def make():
        calls.append(1)
        time.sleep(0.2)  # long enough for the other threads to arrive meanwhile
        return "figures"

    threads = [threading.Thread(target=lambda: got.append(cache.get_or_make("key", make))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert got == ["figures"] * 4 and len(calls) == 1


def test_a_failed_computation_is_not_kept():
    """When the thread computing a figure fails, does the next request compute it afresh?"""
    cache = caching.FigureCache(1024 * 1024)

    def broken():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.get_or_make("key", broken)
    assert cache.get_or_make("key", lambda: "figures") == "figures"


def test_after_a_restore_the_reset_command_shows_fresh_figures(app, runner):
    """When a restore brings back an older counter, does `flask cache reset` keep a running process from old figures?"""
    def figure():
        """A kept figure: how many units there are."""
        return caching.cached("unit_count", (), lambda: db.session.scalar(db.select(db.func.count()).select_from(Unit)))

    with app.test_request_context():
        db.session.add(Unit(name="县水利局", kind="department"))
        db.session.commit()
    with app.test_request_context():
        assert figure() == 1  # kept under the counter's value now
        seen = caching.data_version()
    with app.test_request_context():
        # The restore: older data and an older counter, written past the ORM.
        db.session.execute(db.text("DELETE FROM units"))
        db.session.execute(db.text("UPDATE data_versions SET version = :v"), {"v": seen - 1})
        db.session.commit()
        # The old advice (version + 1) lands on the value the process kept figures under: stale.
        db.session.execute(db.text("UPDATE data_versions SET version = version + 1"))
        db.session.commit()
    with app.test_request_context():
        assert figure() == 1
    assert runner.invoke(args=["cache", "reset"]).exit_code == 0
    with app.test_request_context():
        assert figure() == 0
        assert caching.data_version() > seen
