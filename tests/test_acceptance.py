"""逾期未签收 and who is told what at a dispatch: the lead unit is asked to accept, co-units are informed."""
import re
from datetime import datetime, timedelta

from tests.conftest import DEMO_PASSWORD
from tests.workflow_helpers import SHANGHAI, TODAY, new_task, user
from tracker import clock
from tracker.extensions import db
from tracker.models import Notification, RectificationTask
from tracker.services import office_settings
from tracker.services.alerts import digests
from tracker.services.alerts import render as alerts_render
from tracker.services.tasks import acceptance, queries, workflow

DISPATCH = datetime(2026, 6, 1, 16, 30, tzinfo=SHANGHAI)  # a Monday afternoon


def dispatch_draft(app, flow, title="汛期排涝泵站改造"):
    """A draft of 县水利局 with 城关镇 co-organizing, dispatched by the office at DISPATCH; its id."""
    with app.app_context(), clock.frozen(DISPATCH):
        task = new_task(flow, "draft", title=title, deadline_on=TODAY + timedelta(days=90))
        workflow.dispatch(user(flow, "supervisor"), task)
        return task.id


def late_ids(flow, key, day):
    """Ids of the tasks `key` finds in the task list filtered to 逾期未签收 on `day`."""
    filters, _ignored = queries.TaskFilters.from_args({"late_accept": "1"})
    return set(db.session.scalars(
        queries.filtered_tasks(user(flow, key), filters, today=day).with_only_columns(RectificationTask.id)))


def digest_of(found, kind, name=""):
    """The digest of one kind (and unit name) among the week's digests, or None."""
    return next((d for d in found if d.kind == kind and (not name or d.name == name)), None)


def test_a_task_is_late_to_accept_after_accept_due_days_and_not_before(app, flow):
    """Is a task dispatched on Monday still in time on Thursday (3 days) and 逾期未签收 on Friday?"""
    task_id = dispatch_draft(app, flow)
    with app.app_context():
        thursday, friday = TODAY + timedelta(days=3), TODAY + timedelta(days=4)
        assert late_ids(flow, "supervisor", thursday) == set()
        with clock.frozen(datetime(2026, 6, 4, 9, tzinfo=SHANGHAI)):
            assert digests.build_digests(thursday) == []  # nothing red or yellow, nothing late: no mail
        assert late_ids(flow, "supervisor", friday) == {task_id} == late_ids(flow, "lead_head", friday)
        office_settings.update(user(flow, "supervisor"), {"ACCEPT_DUE_DAYS": "5"})
        db.session.commit()
        assert late_ids(flow, "supervisor", friday) == set()
        assert late_ids(flow, "supervisor", friday + timedelta(days=2)) == {task_id}


def test_the_weekly_alert_has_a_section_of_tasks_not_accepted_in_time(app, flow):
    """After ACCEPT_DUE_DAYS, do the lead unit and the office's summary list the task, and the co-unit not?"""
    task_id = dispatch_draft(app, flow)
    monday = TODAY + timedelta(days=7)
    with app.app_context(), clock.frozen(datetime(2026, 6, 8, 8, 30, tzinfo=SHANGHAI)):
        found = digests.build_digests(monday)
        lead, summary = digest_of(found, "unit", "县水利局"), digest_of(found, "summary")
        assert [row.task.id for row in lead.late_rows] == [task_id] and lead.late_rows[0].days == 7
        assert [row.task.id for row in summary.late_rows] == [task_id]
        assert digest_of(found, "unit", "城关镇") is None  # a co-unit cannot accept: nothing to tell it
        assert lead.list_args == {"late_accept": 1}
        mail = alerts_render.render(lead, monday)
        assert "逾期未签收：1项（应在下发后3日内签收）" in mail.text
        assert "汛期排涝泵站改造" in mail.text and "已下发7天未签收" in mail.text
        assert "1项逾期未签收" in mail.subject
        office = alerts_render.render(summary, monday)
        assert "汛期排涝泵站改造（牵头单位：县水利局）" in office.text and "逾期未签收" in office.markdown
        accepted = db.session.get(RectificationTask, task_id)
        workflow.accept(user(flow, "lead_head"), accepted, flow["users"]["lead_staff"])
        assert digests.build_digests(monday) == []


def test_the_clock_restarts_at_each_dispatch(app, flow):
    """Does a task returned and sent back (坚持原单位) count from the new dispatch, not the first?"""
    from tracker.services.tasks import returns

    task_id = dispatch_draft(app, flow)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        with clock.frozen(datetime(2026, 6, 5, 10, tzinfo=SHANGHAI)):
            returns.return_task(user(flow, "lead_head"), task, "该任务主要职责在住建部门，申请调整牵头单位。")
            returns.insist(user(flow, "supervisor"), task, "经研究仍由你单位牵头，请及时签收。")
            db.session.commit()
        assert late_ids(flow, "supervisor", TODAY + timedelta(days=5)) == set()
        assert late_ids(flow, "supervisor", TODAY + timedelta(days=8)) == {task_id}
        moment = db.session.execute(db.select(acceptance.dispatched_at_clause())
                                    .where(RectificationTask.id == task_id)).scalar()
        assert clock.to_local(moment).date() == TODAY + timedelta(days=4)


def test_co_units_are_informed_and_never_asked_to_accept(app, client, flow):
    """Does the lead unit get 新任务待签收 while the co-unit gets 配合任务已下发 and sees 待签收 nowhere?"""
    dispatch_draft(app, flow)
    with app.app_context():
        titles = {user_id: title for user_id, title in db.session.execute(
            db.select(Notification.user_id, Notification.title).where(Notification.kind == "dispatched"))}
    users = flow["users"]
    assert titles[users["lead_head"]].startswith("新任务待签收：")
    for key in ("co_head", "co_staff"):
        assert titles[users[key]] == "配合任务已下发：汛期排涝泵站改造"
    assert titles[users["leader"]] == "任务已下发：汛期排涝泵站改造"  # a 挂牌 task's leader does not accept either
    client.post("/auth/login", data={"username": "townhead", "password": DEMO_PASSWORD})
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "配合任务已下发" in inbox and "待签收" not in inbox
    with app.app_context():
        task_id = db.session.scalar(db.select(RectificationTask.id).filter_by(title="汛期排涝泵站改造"))
    for path in ("/tasks/", f"/tasks/{task_id}"):
        page = client.get(path).get_data(as_text=True)
        badges = re.findall(r'<span class="badge text-bg-info">([^<]*)</span>', page)
        assert badges and set(badges) == {"待牵头单位签收"}, path  # the status as a co-unit reads it
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "waterhead", "password": DEMO_PASSWORD})
    assert "待签收" in re.findall(r'<span class="badge text-bg-info">([^<]*)</span>', client.get("/tasks/").get_data(
        as_text=True))


def test_the_dashboard_card_counts_the_tasks_its_list_shows(app, client, flow):
    """Does the 逾期未签收 card show the number of rows its link lists, for the office and the lead unit?"""
    dispatch_draft(app, flow)
    dispatch_draft(app, flow, "第二项未签收任务")
    with app.app_context(), clock.frozen(DISPATCH + timedelta(days=2)):
        new_task(flow, "assigned", title="刚下发的任务", dispatched_at=clock.now())
    with clock.frozen(DISPATCH + timedelta(days=5)):
        for username, href in (("supervisor", "/tasks/?late_accept=1"),
                               ("waterhead", f"/tasks/?late_accept=1&amp;lead_unit={flow['units']['water']}")):
            client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
            page = client.get("/").get_data(as_text=True)
            assert f'href="{href}" id="kpi-late-accept"\n     data-count="2"' in page, username
            listed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
            assert "汛期排涝泵站改造" in listed and "第二项未签收任务" in listed and "刚下发的任务" not in listed
            client.post("/auth/logout")
