"""The task list: every filter, search, sort, pagination, and the "needs my action" views."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from tests.workflow_helpers import ACTORS, new_task, user
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    CloseoutRequest,
    Indicator,
    IndicatorResult,
    Milestone,
    ProgressReport,
    Unit,
    Urge,
)
from tracker.services.tasks import action_views, queries
from tracker.services.tasks.queries import TaskFilters

SH = ZoneInfo("Asia/Shanghai")


def titles(flow, key, **args):
    """Titles of the tasks the actor's list shows for these query-string arguments."""
    filters, ignored = TaskFilters.from_args(MultiDict({k: str(v) for k, v in args.items()}))
    assert ignored == []
    query = queries.filtered_tasks(user(flow, key), filters)
    return [task.title for task in db.session.scalars(query)]


@pytest.fixture
def listed(app, flow):
    """A spread of tasks differing in every filtered attribute."""
    with app.app_context():
        other = db.session.get(Unit, flow["units"]["other"])
        period = AssessmentPeriod(name="2026年上半年考核", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
        indicator = Indicator(name="农村自来水普及率", category="社会民生", weight=2.0)
        db.session.add_all([period, indicator])
        db.session.flush()
        result = IndicatorResult(period_id=period.id, indicator_id=indicator.id, score=1.2, rank=12, peer_count=14)
        db.session.add(result)
        db.session.flush()
        new_task(flow, "in_progress", title="甲 逾期的任务", deadline_on=date(2026, 5, 20), level="normal",
                 source="indicator", period_id=period.id, indicator_result_id=result.id, percent_done=10)
        new_task(flow, "in_progress", title="乙 即将到期", deadline_on=date(2026, 6, 5), level="key",
                 source="inspection", last_reported_at=clock.now(), percent_done=80)
        new_task(flow, "assigned", title="丙 待签收", deadline_on=date(2026, 9, 30), level="listed",
                 source="survey", last_reported_at=clock.now(), percent_done=0, problem="群众反映水压不足")
        new_task(flow, "closed", title="丁 已销号", deadline_on=date(2026, 5, 1), source="manual", percent_done=100)
        foreign = new_task(flow, "in_progress", title="戊 商务局的任务", deadline_on=date(2026, 12, 31),
                           last_reported_at=clock.now(), level="normal", percent_done=50)
        foreign.lead_unit, foreign.co_units, foreign.responsible_leader_id = other, [], None
        db.session.commit()
        return {"period": period.id, "indicator": indicator.id}


@pytest.mark.parametrize("args, expected", [
    ({}, ["甲 逾期的任务", "乙 即将到期", "丙 待签收", "丁 已销号", "戊 商务局的任务"]),
    ({"status": "assigned"}, ["丙 待签收"]),
    ({"light": "red"}, ["甲 逾期的任务"]),
    ({"light": "yellow"}, ["乙 即将到期"]),
    ({"light": "green"}, ["丙 待签收", "戊 商务局的任务"]),
    ({"overdue": "1"}, ["甲 逾期的任务"]),
    ({"due_within": 7}, ["乙 即将到期"]),
    ({"source": "survey"}, ["丙 待签收"]),
    ({"level": "key"}, ["乙 即将到期"]),
    ({"q": "水压"}, ["丙 待签收"]),
    ({"q": "商务局"}, ["戊 商务局的任务"]),
    ({"q": "100%"}, []),
    ({"status": "in_progress", "light": "green"}, ["戊 商务局的任务"]),
])
def test_each_filter_narrows_the_list(app, flow, listed, args, expected):
    """Does each filter (and a combination) pick exactly the matching tasks?"""
    with app.app_context():
        assert sorted(titles(flow, "supervisor", **args)) == sorted(expected)


def test_id_filters(app, flow, listed):
    """Do the lead unit, co-unit, leader, period and indicator filters pick the right tasks?"""
    with app.app_context():
        units = flow["units"]
        assert titles(flow, "supervisor", lead_unit=units["other"]) == ["戊 商务局的任务"]
        assert "戊 商务局的任务" not in titles(flow, "supervisor", co_unit=units["town"])
        assert len(titles(flow, "supervisor", co_unit=units["town"])) == 4
        assert "戊 商务局的任务" not in titles(flow, "supervisor", leader=flow["users"]["leader"])
        assert titles(flow, "supervisor", period=listed["period"]) == ["甲 逾期的任务"]
        assert titles(flow, "supervisor", indicator=listed["indicator"]) == ["甲 逾期的任务"]


@pytest.mark.parametrize("sort, first", [
    ("deadline", "甲 逾期的任务"), ("-deadline", "戊 商务局的任务"), ("-percent", "丁 已销号"), ("title", "丁 已销号"),
])
def test_sorting(app, flow, listed, sort, first):
    """Does each sort put the expected task first?"""
    with app.app_context():
        assert titles(flow, "supervisor", sort=sort)[0] == first


def test_default_order_puts_finished_tasks_last(app, flow, listed):
    """Does the default order list open tasks by deadline and closed ones after them?"""
    with app.app_context():
        assert titles(flow, "supervisor")[-1] == "丁 已销号"


def test_filters_never_widen_what_a_unit_user_sees(app, flow, listed):
    """Does a co-unit user filtering by another lead unit still see only tasks involving their unit?"""
    with app.app_context():
        assert titles(flow, "co_staff", lead_unit=flow["units"]["other"]) == []
        assert "戊 商务局的任务" not in titles(flow, "co_staff", light="green")


def test_malformed_filters_are_ignored_with_their_names(app):
    """Are nonsense values dropped and named, so the page can say which were ignored?"""
    filters, ignored = TaskFilters.from_args(MultiDict({
        "light": "purple", "due_within": "soon", "co_unit": "x", "mine": "everything", "level": "top"}))
    assert sorted(ignored) == ["co_unit", "due_within", "level", "light", "mine"]
    assert filters == TaskFilters()


def test_list_page_renders_all_filters(app, client, auth, flow, listed):
    """Does the list page render with every filter applied at once, keeping the choices selected?"""
    auth.login("supervisor")
    client.post("/lang/en")
    response = client.get("/tasks/?status=in_progress&light=red&lead_unit=%d&co_unit=%d&leader=%d&period=%d"
                          "&indicator=%d&source=indicator&level=normal&overdue=1&q=甲&sort=-percent"
                          % (flow["units"]["water"], flow["units"]["town"], flow["users"]["leader"],
                             listed["period"], listed["indicator"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "甲 逾期的任务" in html and "乙 即将到期" not in html
    assert '<details class="mt-2" open' in html


def test_list_page_is_paginated(app, client, auth, flow):
    """Are 25 tasks split into pages of TASKS_PER_PAGE with a link to the next page?"""
    app.config["TASKS_PER_PAGE"] = 10
    with app.app_context():
        for n in range(25):
            new_task(flow, "in_progress", title=f"批量{n:02d}")
    auth.login("supervisor")
    first = client.get("/tasks/?sort=title").get_data(as_text=True)
    third = client.get("/tasks/?sort=title&page=3").get_data(as_text=True)
    assert "批量00" in first and "批量10" not in first and "page=2" in first
    assert "批量24" in third and "批量19" not in third


def mine(flow, key, view):
    """Titles in one "needs my action" view for an actor."""
    return sorted(titles(flow, key, mine=view))


def test_needs_my_action_for_unit_users(app, flow):
    """Do unit users see what waits for them: to accept (heads only), to report, urged, rejected?"""
    with app.app_context():
        staff = flow["users"]["lead_staff"]
        new_task(flow, "assigned", title="待签收")
        silent = new_task(flow, "in_progress", title="未报送")
        fresh = new_task(flow, "in_progress", title="刚报送")
        db.session.add(ProgressReport(task_id=fresh.id, unit_id=flow["units"]["water"], author_id=staff,
                                      body="进展", percent_done=10, created_at=clock.now()))
        urged = new_task(flow, "in_progress", title="被催办")
        db.session.add(ProgressReport(task_id=urged.id, unit_id=flow["units"]["water"], author_id=staff,
                                      body="进展", percent_done=10,
                                      created_at=datetime(2026, 5, 1, 9, 0, tzinfo=SH)))
        db.session.add(Urge(task_id=urged.id, unit_id=flow["units"]["water"], urged_by_id=flow["users"]["supervisor"],
                            message="请加快", created_at=datetime(2026, 5, 31, 9, 0, tzinfo=SH)))
        rejected = new_task(flow, "in_progress", title="被退回")
        db.session.add(CloseoutRequest(task=rejected, requested_by_id=flow["users"]["lead_head"], summary="完成",
                                       deadline_in_force_on=rejected.deadline_on, status="rejected"))
        for task in (rejected,):
            db.session.add(ProgressReport(task_id=task.id, unit_id=flow["units"]["water"], author_id=staff,
                                          body="进展", percent_done=50, created_at=clock.now()))
        db.session.commit()
        assert mine(flow, "lead_head", "to_accept") == ["待签收"]
        assert mine(flow, "lead_staff", "to_accept") == []
        assert mine(flow, "lead_staff", "to_report") == ["未报送", "被催办"]
        assert mine(flow, "co_staff", "to_report") == ["刚报送", "未报送", "被催办", "被退回"]  # town has not reported
        assert mine(flow, "lead_head", "urged") == ["被催办"]
        assert mine(flow, "co_head", "urged") == []  # urges count against the lead unit
        assert mine(flow, "lead_head", "rejected") == ["被退回"]
        assert mine(flow, "lead_head", "all") == ["待签收", "未报送", "被催办", "被退回"]
        assert action_views.mine_counts(user(flow, "lead_head")) == {
            "to_accept": 1, "to_report": 2, "urged": 1, "rejected": 1, "all": 4}
        assert silent.id  # listed under to_report above


def test_urge_is_answered_by_a_later_report(app, flow):
    """Does a task leave the "urged" view once the unit reports after the urge?"""
    with app.app_context():
        task = new_task(flow, "in_progress", title="被催办")
        db.session.add(Urge(task_id=task.id, unit_id=flow["units"]["water"], urged_by_id=flow["users"]["supervisor"],
                            message="请加快", created_at=datetime(2026, 5, 31, 9, 0, tzinfo=SH)))
        db.session.add(ProgressReport(task_id=task.id, unit_id=flow["units"]["water"],
                                      author_id=flow["users"]["lead_staff"], body="已加快", percent_done=20,
                                      created_at=clock.now()))
        db.session.commit()
        assert mine(flow, "lead_head", "urged") == []


def test_needs_my_action_for_the_office(app, flow):
    """Does the supervision office see drafts to dispatch, close-outs to review and extensions to decide?"""
    from tests.workflow_helpers import add_pending_extension

    with app.app_context():
        new_task(flow, "draft", title="草稿")
        new_task(flow, "pending_review", title="待审核")
        add_pending_extension(flow, new_task(flow, "in_progress", title="待批延期"))
        new_task(flow, "in_progress", title="无事")
        assert mine(flow, "supervisor", "to_dispatch") == ["草稿"]
        assert mine(flow, "supervisor", "to_review") == ["待审核"]
        assert mine(flow, "supervisor", "extensions") == ["待批延期"]
        assert mine(flow, "supervisor", "all") == ["待审核", "待批延期", "草稿"]
        assert mine(flow, "leader", "all") == []  # leaders only read


def test_needs_my_action_tabs_on_the_page(app, client, auth, flow):
    """Does a unit head's list page show the "needs my action" tabs with counts?"""
    with app.app_context():
        new_task(flow, "assigned", title="待签收")
    auth.login(ACTORS["lead_head"][0])
    client.post("/lang/en")
    html = client.get("/tasks/?mine=to_accept").get_data(as_text=True)
    assert 'id="my-views"' in html and "To accept" in html and "待签收" in html
    auth.logout()
    auth.login("leader")
    assert 'id="my-views"' not in client.get("/tasks/").get_data(as_text=True)


def test_overdue_milestone_filter_is_yellow(app, flow):
    """Is a task with an overdue milestone found by the yellow filter?"""
    with app.app_context():
        task = new_task(flow, "in_progress", title="节点逾期", last_reported_at=clock.now())
        db.session.add(Milestone(task_id=task.id, title="招标", due_on=date(2026, 5, 25)))
        db.session.commit()
        assert titles(flow, "supervisor", light="yellow") == ["节点逾期"]
