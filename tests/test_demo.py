"""Does the demo county load whole, fast, the same every time, and show every state a user should see?"""
import re
import time
from datetime import date, datetime

import pytest

from tests.conftest import empty_tables
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    AuditEntry,
    CloseoutRequest,
    DeadlineAdjustment,
    ExtensionRequest,
    Indicator,
    IndicatorResult,
    Notification,
    ProgressReport,
    RectificationTask,
    TaskDispatch,
    TaskReturn,
    Unit,
    Urge,
    User,
)
from tracker.models.task import LEVELS, SOURCES, STATUSES
from tracker.seeding import demo, demo_tasks
from tracker.services.tasks import lights

CODE = re.compile(r"ZG\d{4}-\d{4}")


@pytest.fixture
def loaded(ctx):
    """The demo loaded into the empty test database; returns the summary line."""
    return demo.load_demo()


def all_of(model):
    """Every row of a model."""
    return db.session.scalars(db.select(model).order_by(model.id)).all()


def count(model):
    """How many rows a model has."""
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def user(username):
    """The user with that user name."""
    return db.session.scalar(db.select(User).where(User.username == username))


def water_task_codes():
    """Codes of the tasks a 县水利局 user may see: led or co-organized by it, not drafts."""
    water = db.session.scalar(db.select(Unit).where(Unit.name == demo.WATER))
    return {t.code for t in all_of(RectificationTask) if t.status != "draft" and t.involves_unit(water.id)}


def test_units_and_results(loaded):
    """Are the 33 units and both periods' 36 results there, typed as the brief says?"""
    assert count(Unit) == 33
    kinds = [u.kind for u in all_of(Unit)]
    assert kinds.count("department") == 27 and kinds.count("town") == 6
    current = db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年上半年考核"))
    previous = db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == "2025年下半年考核"))
    assert (current.kind, current.starts_on, current.ends_on) == ("half_year", date(2026, 1, 1), date(2026, 6, 30))
    assert (previous.kind, previous.starts_on, previous.ends_on) == (
        "second_half", date(2025, 7, 1), date(2025, 12, 31))
    assert len(current.results) == 36 and len(previous.results) == 36
    by_name = {r.indicator.name: r for r in current.results}
    private = by_name["民间投资增速"]
    assert (private.rank, private.peer_count, private.score, private.expected_progress) == (12, 12, 1.71, 0.5)
    assert [u.name for u in private.indicator.co_units] == ["县投资促进局"]
    assert private.indicator.lead_unit.name == "县发展和改革局" and private.indicator.leader_title == "常务副县长"
    earlier = {r.indicator.name: r for r in previous.results}
    assert sum(earlier[name].rank != r.rank for name, r in by_name.items()) >= 12
    assert all(1 <= r.rank <= r.peer_count and 0 < r.score <= r.indicator.weight for r in previous.results)


def test_indicator_direction_and_kind(loaded):
    """Are petitions and accidents lower-is-better, and amounts (not % or 分) cumulative?"""
    indicators = {i.name: i for i in all_of(Indicator)}
    assert {n for n, i in indicators.items() if i.direction == "lower"} == {"信访维稳", "安全生产"}
    assert indicators["招商引资到位资金"].kind == "cumulative"
    assert indicators["城镇新增就业人数"].kind == "cumulative"
    assert indicators["地区生产总值增速"].kind == "rate" and indicators["公众满意度"].kind == "rate"
    safety = indicators["安全生产"]
    assert safety.is_veto and {u.name for u in safety.co_units} == {"县公安局", "县住房和城乡建设局"}


def test_users_and_roles(loaded):
    """Does every role exist, with leaders for every title the sheet names?"""
    expected = {"admin": "admin", "supervisor": "supervisor", "kaohe": "supervisor", "leader": "leader",
                "unithead": "unit_head", "unitstaff": "unit_staff"}
    for username, role in expected.items():
        assert user(username).role == role
    assert user("supervisor").display_name == "张敏"
    assert user("leader").title == "常务副县长"
    assert user("unithead").unit.name == "县水利局" and user("unitstaff").unit.name == "县水利局"
    titles = {i.leader_title for i in all_of(Indicator)}
    leaders = {u.title: u for u in all_of(User) if u.role == "leader"}
    assert titles <= set(leaders)
    assert {t for t, u in leaders.items() if u.is_principal} == {"县长", "县委书记"}
    units_with_head = {u.unit_id for u in all_of(User) if u.role == "unit_head"}
    assert len(units_with_head) == 33
    assert sum(u.role == "unit_staff" for u in all_of(User)) >= 30
    assert all(u.email.endswith("@yunxi.example") for u in all_of(User))
    assert len({u.email for u in all_of(User)}) == count(User)
    assert user("unithead").check_password(demo.DEMO_PASSWORD)


@pytest.mark.parametrize("username", ["admin", "supervisor", "kaohe", "leader", "unithead", "unitstaff", "head_1"])
def test_demo_users_log_in(app, client, auth, username):
    """Can each demo user log in with the demo password?"""
    with app.app_context():
        demo.load_demo()
    response = auth.login(username, demo.DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.get("/tasks/").status_code == 200


def test_unit_head_sees_only_own_unit_tasks(app, client, auth):
    """Does the 县水利局 head's task list show its own and co-organized tasks, and nothing else?"""
    with app.app_context():
        demo.load_demo()
        expected = water_task_codes()
        everything = {t.code for t in all_of(RectificationTask)}
    auth.login("unithead", demo.DEMO_PASSWORD)
    shown = set()
    for page in (1, 2, 3):
        shown |= set(CODE.findall(client.get(f"/tasks/?page={page}").get_data(as_text=True)))
    assert shown == expected
    assert len(everything - shown) > 30


def test_water_bureau_has_a_varied_workload(loaded):
    """Does 县水利局 lead tasks in at least four statuses and co-organize another unit's task?"""
    water = db.session.scalar(db.select(Unit).where(Unit.name == demo.WATER))
    tasks = all_of(RectificationTask)
    led = [t for t in tasks if t.lead_unit_id == water.id]
    assert len(led) >= 4 and len({t.status for t in led}) >= 4
    assert any(water in t.co_units for t in tasks if t.lead_unit_id != water.id)


def test_every_status_source_and_level(loaded):
    """Is every status, source and supervision level represented among about 40 tasks?"""
    tasks = all_of(RectificationTask)
    assert 35 <= len(tasks) <= 45
    assert {t.status for t in tasks} == set(STATUSES)
    assert {t.source for t in tasks} == set(SOURCES)
    assert {t.supervision_level for t in tasks} == set(LEVELS)
    assert all(re.fullmatch(r"ZG\d{4}-\d{4}", t.code) for t in tasks)
    assert len({t.code for t in tasks}) == len(tasks)
    assert all(t.problem and t.measures for t in tasks)


def test_indicator_tasks_come_from_weak_results(loaded):
    """Does each indicator task point at a bottom-3 or last-place 2026H1 result, with that indicator's leader?"""
    tasks = [t for t in all_of(RectificationTask) if t.source == "indicator"]
    assert len(tasks) >= 10
    for task in tasks:
        result = task.indicator_result
        assert result.period.name == "2026年上半年考核" and task.period_id == result.period_id
        assert result.rank > result.peer_count - 3 or result.rank == result.peer_count
        assert task.responsible_leader.title == result.indicator.leader_title
    assert all(t.responsible_leader is not None for t in all_of(RectificationTask))


def test_lights_show_every_situation(loaded):
    """Are there overdue tasks, tasks due within 7 days, overdue milestones and silent units?"""
    tasks = all_of(RectificationTask)
    states = lights.states_for(tasks)
    open_tasks = [t for t in tasks if t.status in ("assigned", "in_progress")]
    assert any(states[t.id].is_overdue for t in open_tasks)
    assert any(0 <= states[t.id].days_left <= 7 and states[t.id].light == "yellow"
               for t in open_tasks if not states[t.id].is_overdue)
    today = clock.today()
    assert any(m.due_on < today and not m.is_done for t in open_tasks if not states[t.id].is_overdue
               for m in t.milestones)
    assert any((today - clock.to_local(t.last_reported_at).date()).days > 14 for t in open_tasks
               if t.last_reported_at and not states[t.id].is_overdue)
    assert any(states[t.id].light == "green" for t in open_tasks)
    for task in tasks:
        if states[task.id].is_overdue and task.status == "in_progress":
            assert db.session.scalar(db.select(db.func.count()).where(Urge.task_id == task.id)) >= 1


def test_extensions_closeouts_and_urges(loaded):
    """Are there extended tasks, on-time and late close-outs, a pending review and a rejected close-out?"""
    tasks = all_of(RectificationTask)
    extended = [t for t in tasks if t.deadline_on != t.original_deadline_on]
    assert extended
    for task in extended:
        # Moved by an approved extension (to the date granted), or by the office's adjustment (调整),
        # whichever came last.
        moves = [(r.decided_at, r.granted_deadline_on) for r in all_of(ExtensionRequest)
                 if r.task_id == task.id and r.status == "approved"]
        moves += [(a.created_at, a.new_deadline_on) for a in all_of(DeadlineAdjustment) if a.task_id == task.id]
        assert moves and max(moves)[1] == task.deadline_on
    closed = [t for t in tasks if t.status == "closed"]
    for task in closed:
        assert any(r.task_id == task.id and r.status == "approved" for r in all_of(CloseoutRequest))
    assert {lights.is_on_time(t) for t in closed} == {True, False}
    pending = [t for t in tasks if t.status == "pending_review"]
    assert pending and all(any(r.task_id == t.id and r.status == "pending" for r in all_of(CloseoutRequest))
                           for t in pending)
    assert any(r.status == "rejected" for r in all_of(CloseoutRequest))
    assert any(r.status == "pending" for r in all_of(ExtensionRequest))
    assert count(Urge) >= 5


def test_closeouts_carry_what_the_review_checks(app, loaded):
    """Does every close-out request carry its statement, its own files (on disk), its percent and its answers,

    with a partial extension, a withdrawn one and one kept waiting under review?
    """
    import os

    from tracker.models import Attachment, CloseoutMilestoneNote
    from tracker.services.tasks import attachments, closeouts

    for request_ in all_of(CloseoutRequest):
        assert len(request_.summary) >= closeouts.MIN_STATEMENT
        own = [file for file in all_of(Attachment) if file.closeout_request_id == request_.id]
        assert {file.content_type for file in own} == {"application/pdf", "image/png"}
        assert all(os.path.getsize(attachments.path_for(file.stored_name)) == file.size_bytes for file in own)
        assert request_.percent_done is not None and (request_.percent_done == 100 or request_.percent_reason)
    notes = all_of(CloseoutMilestoneNote)
    assert {note.is_done for note in notes} == {True, False}
    assert all(note.milestone.task_id == note.closeout_request.task_id for note in notes)
    extensions = all_of(ExtensionRequest)
    assert any(r.is_partial for r in extensions)
    assert any(r.status == "withdrawn" and r.task.status == "pending_review" for r in extensions)
    assert any(r.status == "pending" and r.task.status == "pending_review" for r in extensions)
    withdrawn = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "extension_withdrawn")).all()
    assert withdrawn and {entry.object_type for entry in withdrawn} == {"extension_request"}


def test_histories_are_consistent(loaded):
    """Does every task's audit trail chain from creation to its status, with timestamps that agree?"""
    now = clock.now()
    for task in all_of(RectificationTask):
        trail = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)
                                   .order_by(AuditEntry.created_at, AuditEntry.id)).all()
        assert (trail[0].action, trail[0].from_status, trail[0].to_status) == ("created", None, "draft")
        for before, after in zip(trail, trail[1:], strict=False):
            assert after.from_status == before.to_status
        assert trail[-1].to_status == task.status
        assert all(entry.created_at <= now and entry.created_at.tzinfo is not None for entry in trail)
        actions = [entry.action for entry in trail]
        assert (task.dispatched_at is not None) == ("dispatched" in actions)
        assert (task.accepted_at is not None) == ("accepted" in actions) == (task.owner is not None)
        assert (task.closed_at is not None) == (task.status == "closed")
        assert (task.cancelled_at is not None) == (task.status == "cancelled")
        assert (task.closeout_requested_at is not None) == (task.status in ("pending_review", "closed"))
        if task.owner is not None:
            assert task.owner.unit_id == task.lead_unit_id
        reports = [r for r in all_of(ProgressReport) if r.task_id == task.id]
        own = [r for r in reports if r.unit_id == task.lead_unit_id]
        if reports:
            assert task.last_reported_at == max(r.created_at for r in reports)
            assert task.percent_done == max(own, key=lambda r: r.created_at).percent_done
        else:
            assert task.last_reported_at is None and task.percent_done == 0
        if task.status == "closed":
            assert task.percent_done == 100


def test_inboxes_have_unread_messages(loaded):
    """Do the 县水利局 head and the supervision office find a few unread messages?"""
    for username in ("unithead", "supervisor"):
        unread = db.session.scalars(db.select(Notification).where(
            Notification.user_id == user(username).id, Notification.read_at.is_(None))).all()
        assert 1 <= len(unread) <= 10
        assert all(n.task_id and n.title for n in unread)


def snapshot():
    """What a load produced, in comparable form."""
    return (
        [(t.code, t.title, t.status, t.deadline_on, t.lead_unit.name, t.owner_id and t.owner.username,
          t.percent_done, sorted(u.name for u in t.co_units)) for t in all_of(RectificationTask)],
        [(u.username, u.display_name, u.email, u.title) for u in all_of(User)],
        [(r.indicator.name, r.period.name, r.rank, r.score, r.actual_value) for r in all_of(IndicatorResult)],
        count(AuditEntry), count(ProgressReport), count(Notification),
    )


def test_same_data_every_run(ctx):
    """Does a second load into an emptied database give exactly the same data?"""
    with clock.frozen(datetime(2026, 11, 23, 9, 0, tzinfo=clock.local_tz())):
        demo.load_demo()
        first = snapshot()
        empty_tables()
        demo.load_demo()
        assert snapshot() == first


@pytest.mark.parametrize("today", [date(2027, 1, 2), date(2026, 7, 15), date(2028, 3, 1)])
def test_dates_follow_today(ctx, today):
    """Whatever the day, does the demo still show overdue, due-soon and closed tasks, all in the past?"""
    with clock.frozen(today):
        demo.load_demo()
        tasks = all_of(RectificationTask)
        states = lights.states_for(tasks)
        assert any(s.is_overdue for s in states.values())
        assert any(0 <= s.days_left <= 7 for t in tasks for s in [states[t.id]] if t.status == "in_progress")
        assert all(e.created_at <= clock.now() for e in all_of(AuditEntry))
        assert {lights.is_on_time(t) for t in tasks if t.status == "closed"} == {True, False}


def test_loads_fast(ctx):
    """Does loading take less than 3 seconds?"""
    started = time.perf_counter()
    demo.load_demo()
    assert time.perf_counter() - started < 3


def test_a_failure_leaves_nothing_behind(ctx, monkeypatch):
    """When loading fails halfway, is the database left as empty as it was?"""
    def broken(*args):
        """Fail as a full disk would."""
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_tasks, "load_tasks", broken)
    with pytest.raises(RuntimeError):
        demo.load_demo()
    assert count(Unit) == count(User) == count(Indicator) == count(AssessmentPeriod) == 0


def test_refuses_a_database_with_data(loaded):
    """Is a second load refused without touching what is there?"""
    with pytest.raises(demo.DemoError):
        demo.load_demo()
    assert count(Unit) == 33 and count(RectificationTask) == 41


def test_seed_demo_command_loads_once(app, runner):
    """Does `flask seed-demo --if-empty` load the demo once, and do nothing the second time?"""
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "41 tasks" in first.output and demo.DEMO_PASSWORD in first.output
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0
    assert "41 tasks" not in second.output
    with app.app_context():
        assert count(Unit) == 33 and count(RectificationTask) == 41


def test_returns_reassignments_and_adjustments(loaded):
    """Is there a task its unit returned (待调整, waiting), one reassigned after a return, and a moved deadline?"""
    tasks = {t.id: t for t in all_of(RectificationTask)}
    waiting = [r for r in all_of(TaskReturn) if r.status == "pending"]
    assert len(waiting) == 1 and tasks[waiting[0].task_id].status == "returned" and len(waiting[0].reason) > 20
    reassigned = [r for r in all_of(TaskReturn) if r.status == "reassigned"]
    assert len(reassigned) == 1
    task = tasks[reassigned[0].task_id]
    dispatched = sorted((d.dispatched_at, d.unit_id) for d in all_of(TaskDispatch) if d.task_id == task.id)
    assert [unit for _, unit in dispatched] == [reassigned[0].unit_id, task.lead_unit_id]
    assert task.status == "in_progress" and task.owner.unit_id == task.lead_unit_id
    adjusted = all_of(DeadlineAdjustment)
    assert len(adjusted) == 1 and tasks[adjusted[0].task_id].deadline_on == adjusted[0].new_deadline_on
    # Every dispatched task has its dispatch on record (the acceptance clock, the lead unit in past months).
    assert {d.task_id for d in all_of(TaskDispatch)} == {t.id for t in tasks.values() if t.dispatched_at}


def test_tasks_not_accepted_in_time_and_co_units_told_as_information(loaded):
    """Does the demo show tasks waiting for 签收 past ACCEPT_DUE_DAYS, and co-unit heads told 配合任务已下发?"""
    from tracker.services.dashboard import overview

    assert overview.office_dashboard(user("supervisor")).late_accept >= 1
    dispatched = [n for n in all_of(Notification) if n.kind == "dispatched"]
    told = [n for n in dispatched if n.title.startswith("配合任务已下发：")]
    assert told
    for note in dispatched:
        task, reader = db.session.get(RectificationTask, note.task_id), db.session.get(User, note.user_id)
        is_lead = reader.unit_id == task.lead_unit_id
        assert note.title.startswith("新任务待签收：" if is_lead else "配合任务已下发："), note.title
        assert is_lead or reader.unit_id in {unit.id for unit in task.co_units}


def test_the_later_period_carries_tasks_marks_and_rechecks(loaded):
    """前三季度: open half-year tasks carried over, one linked, a hand-marked indicator, 回头看 both ways."""
    from tracker.models import IndicatorMark, TaskResultLink
    from tracker.services.indicators import board

    later = db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年前三季度考核"))
    assert later.kind == "three_quarters" and len(later.results) == 36
    rows = {row["indicator"]: row for row in board.records(later)}
    assert sum(bool(row["carried_tasks"]) for row in rows.values()) >= 10
    water = rows["农村安全饮水解困项目完成率"]
    assert water["hand_mark"] == "weak" and water["weak"] and not water["reasons"] and "摆尾" in water["note"]
    assert len(all_of(IndicatorMark)) == 1
    assert [rows[name]["recheck"] for name in ("安全生产", "城镇新增就业人数")] == ["no_effect", "effective"]
    (link,) = all_of(TaskResultLink)
    assert link.result.period_id == later.id and link.result.indicator.name == "服务业增加值增速"


def test_tasks_carry_supervision_and_urge_notices_numbered_in_time_order(app, loaded, tmp_path):
    """Does the demo have 督办 and 催办 numbers, counted up in the order things happened, and does one print?"""
    from tracker.models import SupervisionNotice
    from tracker.services.tasks import notice_documents

    app.config["TRACKER_BASE_URL"] = "https://dc.yunxi.example"
    found = all_of(SupervisionNotice)
    for kind in ("dispatch", "urge"):
        ordered = sorted((n for n in found if n.kind == kind), key=lambda n: (n.issued_at, n.id))
        assert len(ordered) >= 3
        assert [n.number for n in ordered if n.year == ordered[-1].year] == list(
            range(1, 1 + sum(n.year == ordered[-1].year for n in ordered)))
    assert count(SupervisionNotice) == count(Urge) + db.session.scalar(
        db.select(db.func.count()).select_from(TaskDispatch).where(TaskDispatch.kind.in_(("dispatch", "reassign"))))
    urge_notice = next(n for n in found if n.kind == "urge" and n.late_items)
    pdf = notice_documents.render_pdf(urge_notice)
    assert pdf.startswith(b"%PDF")


def test_seed_demo_issues_voids_and_corrects_bulletins(app, runner, bulletin_dir):
    """Does `flask seed-demo` leave an issue voided with its 更正, last month issued and a 截至 draft of this month?"""
    from tracker.models import Bulletin

    with clock.frozen(datetime(2026, 11, 23, 9, 0, tzinfo=clock.local_tz())):
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "2026-09 No. 1 voided and corrected by No. 2, 2026-10 No. 3 issued" in result.output
    with app.app_context():
        rows = {(b.month, b.status): b for b in all_of(Bulletin)}
        voided, corrected = rows[("2026-09", "voided")], rows[("2026-09", "issued")]
        assert voided.void_reason and voided.voided_by.username == "supervisor" and voided.issue_no == 1
        assert corrected.replaces_id == voided.id and corrected.issue_no == 2 and corrected.figures_json
        assert rows[("2026-10", "issued")].issue_no == 3 and rows[("2026-10", "issued")].docx_sha256
        draft = rows[("2026-11", "draft")]
        assert draft.issue_no is None and draft.as_of == date(2026, 11, 23)
