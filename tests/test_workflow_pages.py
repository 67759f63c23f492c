"""The lifecycle through the HTML forms: the whole journey, the buttons each role sees, refusals and conflicts."""
import io
import re
from datetime import date

import pytest

from tests.workflow_helpers import ACTORS, PDF, STATEMENT, add_pending_extension, new_task, snapshot
from tracker.extensions import db
from tracker.models import ProgressReport, RectificationTask


def login(client, auth, key):
    """Log in as an actor and read the pages in English (msgids), whatever the catalogue says."""
    auth.logout()
    assert auth.login(ACTORS[key][0]).status_code == 302
    client.post("/lang/en")


def hidden(html, name):
    """The value of a hidden input in a page."""
    match = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % name, html) or \
        re.search(r'<input[^>]*value="([^"]*)"[^>]*name="%s"' % name, html)
    assert match, f"no hidden {name}"
    return match.group(1)


def submit(client, url, data, files=None, follow=True):
    """GET the form page, then POST it with its hidden fields (version, one-time token) and `data`."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data(as_text=True)
    form = {name: hidden(html, name) for name in ("version", "form_token") if f'name="{name}"' in html}
    form.update(data)
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post(url, data=form, content_type="multipart/form-data", follow_redirects=follow)
    if follow:  # success is a redirect back to the task page
        assert response.status_code == 200 and response.history, (url, response.status_code)
    return response


def timeline_actions(client, task_id):
    """The actions on the task page's timeline, oldest first."""
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    section = html[html.index('id="timeline"'):]
    return list(reversed(re.findall(r'<li class="step-[^"]*" data-action="([a-z_]+)"', section)))


def action_buttons(client, task_id):
    """The workflow buttons the task page offers."""
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    section = html[html.index('id="task-actions"'):html.index("</div>", html.index('id="task-actions"'))]
    return set(re.findall(r'data-action="([a-z_]+)"', section))


def task_row(task_id):
    """The task as stored now."""
    db.session.expire_all()
    return db.session.get(RectificationTask, task_id)


def test_whole_journey_through_the_browser_forms(app, client, auth, flow):
    """Can the office and the unit carry a task from draft to close-out,

    via a rejection and an extension, with every step on the timeline?
    """
    login(client, auth, "supervisor")
    response = client.post("/tasks/new", data={
        "title": "农村饮水安全整改", "problem": "水质达标率低", "measures": "改造管网", "source": "inspection",
        "source_detail": "省委察访核验反馈第3条", "lead_unit": flow["units"]["water"],
        "co_units": [flow["units"]["town"]], "responsible_leader": flow["users"]["leader"],
        "deadline_on": "2026-09-30", "supervision_level": "listed",
    })
    assert response.status_code == 302
    task_id = int(response.location.rstrip("/").split("/")[-1])
    with app.app_context():
        assert task_row(task_id).code == "ZG2026-0001"
    assert submit(client, f"/tasks/{task_id}/dispatch", {"note": "请按期完成"}).status_code == 200

    login(client, auth, "lead_head")
    assert "accept" in action_buttons(client, task_id)
    submit(client, f"/tasks/{task_id}/accept", {"owner": flow["users"]["lead_staff"]})

    login(client, auth, "lead_staff")
    page = submit(client, f"/tasks/{task_id}/report", {"body": "已完成管网铺设 3 公里", "percent_done": "40"},
                  files=[("现场照片.pdf", PDF)])
    assert "Your progress report was saved." in page.get_data(as_text=True)

    login(client, auth, "lead_head")
    submit(client, f"/tasks/{task_id}/extension", {"requested_deadline_on": "2026-11-30", "reason": "汛期无法施工"})
    login(client, auth, "supervisor")
    submit(client, f"/tasks/{task_id}/extension/review", {"note": "同意", "approve": "Approve"})

    login(client, auth, "lead_head")
    submit(client, f"/tasks/{task_id}/closeout", {"summary": STATEMENT, "percent_done": "100"},
           files=[("验收报告.pdf", PDF)])
    login(client, auth, "supervisor")
    submit(client, f"/tasks/{task_id}/closeout/review", {"note": "缺少水质检测报告", "reject": "Reject"})
    login(client, auth, "lead_head")
    again = {"summary": "补充了水质检测报告，检测结果全部达标，整改成效明显。", "percent_done": "100"}
    submit(client, f"/tasks/{task_id}/closeout", again, files=[("检测报告.pdf", PDF)])
    login(client, auth, "supervisor")
    page = submit(client, f"/tasks/{task_id}/closeout/review", {"note": "", "approve": "Approve"})
    html = page.get_data(as_text=True)

    with app.app_context():
        task = task_row(task_id)
        assert (task.status, task.deadline_on, task.original_deadline_on) == (
            "closed", date(2026, 11, 30), date(2026, 9, 30))
    assert timeline_actions(client, task_id) == [
        "created", "dispatched", "accepted", "reported", "extension_requested", "extension_approved",
        "closeout_requested", "closeout_rejected", "closeout_requested", "closeout_approved"]
    assert "缺少水质检测报告" in html and "Closed on time" in html
    assert "2026-09-30" in html and "2026-11-30" in html  # the deadline history keeps both
    download = re.search(r'href="(/tasks/files/\d+)/view"[^>]*>现场照片.pdf', html)
    with client.get(download.group(1)) as response:
        assert response.data == PDF
    # On a closed task only 回头看's two steps are left, for the office: reopen it or make a follow-up.
    assert action_buttons(client, task_id) == {"reopen", "follow_up"}


IN_PROGRESS_BUTTONS = {
    "supervisor": {"urge", "cancel", "correct"},
    "leader": set(),
    "principal": set(),
    "admin": set(),
    "lead_head": {"report", "plan_milestone", "request_extension", "request_closeout"},
    "lead_staff": {"report"},
    "co_head": {"report"},
    "co_staff": {"report"},
}


@pytest.mark.parametrize("key, expected", IN_PROGRESS_BUTTONS.items())
def test_task_page_offers_only_the_allowed_actions(app, client, auth, flow, key, expected):
    """Does the task page show each role the actions it may take on a task in progress, and no others?"""
    with app.app_context():
        task_id = new_task(flow, "in_progress").id
    login(client, auth, key)
    assert action_buttons(client, task_id) == expected


@pytest.mark.parametrize("status, key, expected", [
    ("draft", "supervisor", {"edit", "dispatch", "cancel"}),
    ("assigned", "lead_head", {"accept", "return_task"}),
    ("assigned", "lead_staff", set()),
    ("pending_review", "supervisor", {"review_closeout", "cancel", "correct"}),
    ("returned", "supervisor", {"decide_return", "correct", "cancel"}),
    ("returned", "lead_head", set()),
    ("pending_review", "lead_head", set()),
])
def test_buttons_follow_the_status(app, client, auth, flow, status, key, expected):
    """Do the offered actions change with the status (accept only while to accept, review only under review)?"""
    with app.app_context():
        task_id = new_task(flow, status).id
    login(client, auth, key)
    assert action_buttons(client, task_id) == expected


def test_pending_extension_offers_the_decision(app, client, auth, flow):
    """With an extension waiting, does the office get the decision button and the head no second request?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task)
        task_id = task.id
    login(client, auth, "supervisor")
    assert "review_extension" in action_buttons(client, task_id)
    login(client, auth, "lead_head")
    assert "request_extension" not in action_buttons(client, task_id)


@pytest.mark.parametrize("key, url, data", [
    ("lead_staff", "accept", {"owner": "5", "version": "1"}),
    ("co_head", "closeout", {"summary": "完成", "version": "1"}),
    ("leader", "report", {"body": "x", "percent_done": "5", "form_token": "t"}),
    ("lead_head", "cancel", {"reason": "x", "version": "1"}),
    ("admin", "urge", {"message": "x", "form_token": "t"}),
])
def test_forbidden_post_is_403_with_a_message_and_changes_nothing(app, client, auth, flow, key, url, data):
    """Does a role posting an action it may not take get 403 with the reason, and the task stay as it was?"""
    with app.app_context():
        task = new_task(flow, "assigned" if url == "accept" else "in_progress")
        task_id, before = task.id, snapshot(task.id)
    login(client, auth, key)
    response = client.post(f"/tasks/{task_id}/{url}", data=data)
    assert response.status_code == 403
    assert "Only " in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot(task_id) == before


def test_wrong_status_post_is_403_with_the_status_named(app, client, auth, flow):
    """Is accepting a task already in progress refused with 403 naming the status?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        task_id, version = task.id, task.version
    login(client, auth, "lead_head")
    response = client.post(f"/tasks/{task_id}/accept", data={"owner": flow["users"]["lead_staff"],
                                                             "version": version})
    assert response.status_code == 403
    assert "In progress" in response.get_data(as_text=True)


def test_second_reviewer_gets_a_conflict_page(app, client, auth, flow):
    """When two supervisors review one close-out from the same page version, does the second get 409 and a message?"""
    with app.app_context():
        task = new_task(flow, "pending_review")
        task_id, version = task.id, task.version
    login(client, auth, "supervisor")
    first = client.post(f"/tasks/{task_id}/closeout/review", data={"version": version, "approve": "Approve"})
    assert first.status_code == 302
    login(client, auth, "supervisor2")
    second = client.post(f"/tasks/{task_id}/closeout/review",
                         data={"version": version, "reject": "Reject", "note": "退回"})
    assert second.status_code == 409
    assert "changed by someone else" in second.get_data(as_text=True)
    with app.app_context():
        assert task_row(task_id).status == "closed"


def test_double_submitted_report_form_saves_once(app, client, auth, flow):
    """Does posting the same report form twice save one report, telling the user the second time?"""
    with app.app_context():
        task_id = new_task(flow, "in_progress").id
    login(client, auth, "lead_staff")
    html = client.get(f"/tasks/{task_id}/report").get_data(as_text=True)
    data = {"form_token": hidden(html, "form_token"), "body": "进展", "percent_done": "30"}
    assert client.post(f"/tasks/{task_id}/report", data=dict(data)).status_code == 302
    again = client.post(f"/tasks/{task_id}/report", data=dict(data), follow_redirects=True)
    assert "already submitted" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ProgressReport)) == 1


def test_bad_input_redisplays_the_form_with_the_message(app, client, auth, flow):
    """Is an extension to a date before the deadline shown back with a message (400), the text kept, nothing saved?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        task_id, before = task.id, snapshot(task.id)
    login(client, auth, "lead_head")
    response = submit(client, f"/tasks/{task_id}/extension", {"requested_deadline_on": "2026-08-01",
                                                               "reason": "汛期施工受阻"}, follow=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "must be after the current deadline 2026-09-30" in html and "汛期施工受阻" in html
    with app.app_context():
        assert snapshot(task_id) == before


def test_new_task_form_refuses_a_past_deadline(app, client, auth, flow):
    """Does the new-task form refuse a deadline in the past with a message, creating nothing?"""
    login(client, auth, "supervisor")
    response = client.post("/tasks/new", data={
        "title": "过期任务", "source": "manual", "lead_unit": flow["units"]["water"],
        "deadline_on": "2026-05-01", "supervision_level": "normal"})
    assert response.status_code == 400
    assert "2026-05-01 is in the past" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 0


def test_new_task_form_refuses_a_2000_character_title(app, client, auth, flow):
    """Is a 2,000-character title refused with the limit named, creating nothing?"""
    login(client, auth, "supervisor")
    client.post("/lang/en")
    response = client.post("/tasks/new", data={
        "title": "标" * 2000, "source": "manual", "lead_unit": flow["units"]["water"],
        "deadline_on": "2026-12-01", "supervision_level": "normal"})
    assert response.status_code in (200, 400)
    assert "300" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 0


@pytest.mark.parametrize("key", ["lead_head", "leader", "admin"])
def test_only_the_office_opens_the_new_task_form(client, auth, flow, key):
    """Is the new-task form refused to everyone but the supervision office?"""
    login(client, auth, key)
    assert client.get("/tasks/new").status_code == 403


def test_draft_can_be_edited_and_then_not_after_dispatch(app, client, auth, flow):
    """Can the office edit a draft through its form, and is the edit form refused once dispatched?"""
    with app.app_context():
        task_id = new_task(flow, "draft", code="ZG2026-0042").id
    login(client, auth, "supervisor")
    page = client.get(f"/tasks/{task_id}/edit").get_data(as_text=True)
    assert "农村安全饮水巩固提升" in page
    response = client.post(f"/tasks/{task_id}/edit", data={
        "version": hidden(page, "version"), "title": "新标题", "source": "survey",
        "lead_unit": flow["units"]["water"], "deadline_on": "2026-10-31", "supervision_level": "key"})
    assert response.status_code == 302
    submit(client, f"/tasks/{task_id}/dispatch", {})
    assert client.get(f"/tasks/{task_id}/edit").status_code == 403
    with app.app_context():
        task = task_row(task_id)
        assert (task.title, task.source, task.status, task.co_units) == ("新标题", "survey", "assigned", [])


def test_milestones_planned_and_done_through_the_page(app, client, auth, flow):
    """Can the lead unit's head plan a milestone and the staff mark it done, both on the timeline?"""
    with app.app_context():
        task_id = new_task(flow, "in_progress").id
    login(client, auth, "lead_head")
    submit(client, f"/tasks/{task_id}/milestones/new", {"title": "完成招标", "due_on": "2026-07-01"})
    with app.app_context():
        milestone_id = task_row(task_id).milestones[0].id
    login(client, auth, "lead_staff")
    submit(client, f"/tasks/{task_id}/milestones/{milestone_id}/done", {"note": "已签合同"})
    assert timeline_actions(client, task_id)[-2:] == ["milestone_planned", "milestone_done"]
    assert "已签合同" in client.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_urge_through_the_page_counts_and_shows(app, client, auth, flow):
    """Does an urge sent from its form show on the timeline and in the task's urge count?"""
    with app.app_context():
        task_id = new_task(flow, "in_progress").id
    login(client, auth, "supervisor")
    page = submit(client, f"/tasks/{task_id}/urge", {"message": "请本周内报送进展"}).get_data(as_text=True)
    assert "请本周内报送进展" in page
    assert timeline_actions(client, task_id) == ["urged"]


def test_action_forms_carry_the_csrf_token(csrf_app, client, auth, flow):
    """With CSRF protection on, as in production, do the action forms post successfully (and fail without it)?"""
    with csrf_app.app_context():
        task_id = new_task(flow, "in_progress").id
    login_page = client.get("/auth/login").get_data(as_text=True)
    client.post("/auth/login", data={"username": ACTORS["lead_staff"][0], "password": "test-password-1",
                                     "csrf_token": hidden(login_page, "csrf_token")})
    html = client.get(f"/tasks/{task_id}/report").get_data(as_text=True)
    data = {"form_token": hidden(html, "form_token"), "body": "进展", "percent_done": "10"}
    assert client.post(f"/tasks/{task_id}/report", data=data).status_code == 400  # no CSRF token
    data["csrf_token"] = hidden(html, "csrf_token")
    assert client.post(f"/tasks/{task_id}/report", data=data).status_code == 302
