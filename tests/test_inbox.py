"""The in-app inbox: messages from workflow steps, the unread count in the navigation, marking read."""
import re

from tests.workflow_helpers import ACTORS, new_task, user
from tracker.extensions import db
from tracker.models import Notification
from tracker.services.messaging import notifications
from tracker.services.tasks import workflow


def login(client, auth, key):
    """Log in as an actor, pages in English."""
    auth.logout()
    auth.login(ACTORS[key][0])
    client.post("/lang/en")


def nav_count(client):
    """The unread count shown in the navigation bar (0 when no badge)."""
    match = re.search(r'id="unread-count"[^>]*>(\d+)<', client.get("/").get_data(as_text=True))
    return int(match.group(1)) if match else 0


def urge_times(app, flow, n):
    """Urge the lead unit n times on a new task; returns the task id."""
    with app.app_context():
        task = new_task(flow, "in_progress")
        for i in range(n):
            workflow.urge(user(flow, "supervisor"), task, f"第{i + 1}次催办", f"tok{i}")
        return task.id


def test_unread_count_in_the_navigation(app, client, auth, flow):
    """Does the navigation show how many unread messages the user has, and none when there are none?"""
    urge_times(app, flow, 3)
    login(client, auth, "lead_staff")
    assert nav_count(client) == 3
    login(client, auth, "co_staff")
    assert nav_count(client) == 0


def test_opening_a_message_marks_it_read_and_goes_to_the_task(app, client, auth, flow):
    """Does opening a message from the inbox mark it read and land on its task?"""
    task_id = urge_times(app, flow, 2)
    login(client, auth, "lead_head")
    page = client.get("/inbox/").get_data(as_text=True)
    assert page.count('data-unread="1"') == 2 and "农村安全饮水巩固提升" in page
    with app.app_context():
        note_id = db.session.scalars(db.select(Notification.id).where(
            Notification.user_id == flow["users"]["lead_head"]).order_by(Notification.id)).first()
    response = client.post(f"/inbox/{note_id}/read", data={"open": "1"})
    assert response.location.endswith(f"/tasks/{task_id}")
    assert nav_count(client) == 1


def test_mark_all_read(app, client, auth, flow):
    """Does "mark all read" clear the count, touching only the user's own messages?"""
    urge_times(app, flow, 2)
    login(client, auth, "lead_head")
    client.post("/inbox/read-all")
    assert nav_count(client) == 0
    login(client, auth, "lead_staff")
    assert nav_count(client) == 2


def test_someone_elses_message_cannot_be_touched(app, client, auth, flow):
    """Is marking another user's message read a 404 that leaves it unread?"""
    urge_times(app, flow, 1)
    with app.app_context():
        theirs = db.session.scalars(db.select(Notification).where(
            Notification.user_id == flow["users"]["lead_staff"])).one().id
    login(client, auth, "lead_head")
    assert client.post(f"/inbox/{theirs}/read").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None


def test_inbox_is_paginated_newest_first(app, client, auth, flow):
    """With more messages than a page holds, is the newest first and the rest on page 2?"""
    app.config["TASKS_PER_PAGE"] = 5
    urge_times(app, flow, 7)
    login(client, auth, "lead_head")
    first = client.get("/inbox/").get_data(as_text=True)
    assert first.index("第7次催办") < first.index("第3次催办")
    assert "第2次催办" not in first and "page=2" in first
    assert "第1次催办" in client.get("/inbox/?page=2").get_data(as_text=True)
    assert "第7次催办" in client.get("/inbox/?unread=1").get_data(as_text=True)


def test_unread_count_is_one_query(app, flow):
    """Is the navigation count a single COUNT query, however many messages there are?"""
    from sqlalchemy import event

    urge_times(app, flow, 4)
    with app.app_context():
        head = user(flow, "lead_head")
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert notifications.unread_count(head) == 4
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) == 1 and "count" in statements[0].lower()


def test_notifications_are_written_in_the_recipients_language(app, flow):
    """Does a user who chose English get an English title while the default stays Chinese?"""
    with app.app_context():
        user(flow, "lead_staff").locale = "en"
        db.session.commit()
    urge_times(app, flow, 1)
    with app.app_context():
        titles = dict(db.session.execute(db.select(Notification.user_id, Notification.title)).all())
        assert titles[flow["users"]["lead_staff"]].startswith("Urged: ")
        assert not titles[flow["users"]["lead_head"]].startswith("Urged: ")


def test_draft_events_notify_nobody(app, flow):
    """Is cancelling a draft nobody has received kept out of every inbox?"""
    with app.app_context():
        task = new_task(flow, "draft")
        workflow.cancel(user(flow, "supervisor"), task, "重复录入", task.version)
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0


def test_inactive_users_get_no_messages(app, flow):
    """Is a deactivated unit user left out of the people notified?"""
    with app.app_context():
        user(flow, "lead_staff").is_active = False
        db.session.commit()
    urge_times(app, flow, 1)
    with app.app_context():
        recipients = set(db.session.scalars(db.select(Notification.user_id)))
        assert flow["users"]["lead_staff"] not in recipients and flow["users"]["lead_head"] in recipients
