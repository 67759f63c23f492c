"""Every lifecycle step for every role: allowed ones change the task, audit and notify; refused ones change nothing."""
from datetime import date

import pytest

from tests.workflow_helpers import (
    ACTORS,
    DEADLINE,
    PDF,
    add_evidence,
    add_pending_extension,
    audit_actions,
    closeout_input,
    inbox_of,
    new_task,
    snapshot,
    upload,
    user,
)
from tracker.extensions import db
from tracker.models import AuditEntry, Milestone, RectificationTask, TaskReturn
from tracker.models.task import STATUSES
from tracker.services import PermissionDenied
from tracker.services.tasks import closeouts, corrections, drafts, milestone_plans, progress, returns, reviews, workflow


def _milestone(task):
    """A milestone to mark done (made on the spot)."""
    milestone = Milestone(task_id=task.id, title="完成管网招标", due_on=date(2026, 7, 15))
    db.session.add(milestone)
    db.session.commit()
    return milestone


def _draft(task):
    """The task's values with a new title, as the edit form would send them."""
    draft = drafts.draft_from_task(task)
    draft.title = "改过的标题"
    return draft


def _returned(task):
    """The lead unit's pending return of the task (made on the spot)."""
    db.session.add(TaskReturn(task_id=task.id, unit_id=task.lead_unit_id, requested_by_id=task.created_by_id,
                              reason="非我单位职责", status="pending"))
    db.session.commit()


def _corrected(task):
    """The task's values with a later deadline, as the correction form would send them."""
    draft = drafts.draft_from_task(task)
    draft.deadline_on = date(2026, 10, 31)
    return draft


# action -> (status the task must be in, preparation, the service call)
ACTIONS = {
    "edit": ("draft", None, lambda u, t, f: drafts.update_draft(u, t, _draft(t), t.version)),
    "dispatch": ("draft", None, lambda u, t, f: workflow.dispatch(u, t, t.version)),
    "accept": ("assigned", None,
               lambda u, t, f: workflow.accept(u, t, f["users"]["lead_staff"], t.version)),
    "report": ("in_progress", None,
               lambda u, t, f: progress.report_progress(u, t, "完成管网铺设 3 公里", 40,
                                                                 [upload("现场照片.pdf", PDF)], "tok-report")),
    "plan_milestone": ("in_progress", None,
                       lambda u, t, f: progress.plan_milestone(u, t, "完成招标", date(2026, 7, 1), "tok-ms")),
    "complete_milestone": ("in_progress", _milestone,
                           lambda u, t, f: progress.complete_milestone(u, t, t.milestones[0], "已完成招标")),
    "request_closeout": ("in_progress", None,
                         lambda u, t, f: closeouts.request_closeout(u, t, closeout_input(), t.version)),
    "review_closeout": ("pending_review", None,
                        lambda u, t, f: reviews.decide_closeout(u, t, True, None, t.version)),
    "request_extension": ("in_progress", None,
                          lambda u, t, f: reviews.request_extension(u, t, date(2026, 12, 31), "汛期",
                                                                             t.version)),
    "review_extension": ("in_progress", lambda t: None,
                         lambda u, t, f: reviews.decide_extension(u, t, True, None, t.version)),
    "cancel": ("in_progress", None, lambda u, t, f: workflow.cancel(u, t, "任务调整", t.version)),
    "urge": ("in_progress", None, lambda u, t, f: workflow.urge(u, t, "请加快进度", "tok-urge")),
    "correct": ("in_progress", None,
                lambda u, t, f: corrections.correct(u, t, _corrected(t), "省级评估推迟", t.version)),
    "return_task": ("assigned", None, lambda u, t, f: returns.return_task(u, t, "属县农业农村局职责", t.version)),
    "decide_return": ("returned", _returned, lambda u, t, f: returns.insist(u, t, "仍由你单位牵头", t.version)),
    "add_milestone": ("in_progress", None,
                      lambda u, t, f: milestone_plans.add(u, t, "完成方案", date(2026, 7, 1), "tok-add")),
    "change_milestone": ("in_progress", _milestone,
                         lambda u, t, f: milestone_plans.move(u, t, t.milestones[0], "完成招标", date(2026, 8, 1))),
}
ALLOWED = {
    "edit": {"supervisor", "supervisor2"},
    "dispatch": {"supervisor", "supervisor2"},
    "review_closeout": {"supervisor", "supervisor2"},
    "review_extension": {"supervisor", "supervisor2"},
    "cancel": {"supervisor", "supervisor2"},
    "urge": {"supervisor", "supervisor2"},
    "correct": {"supervisor", "supervisor2"},
    "decide_return": {"supervisor", "supervisor2"},
    "add_milestone": {"supervisor", "supervisor2"},
    "change_milestone": {"supervisor", "supervisor2"},
    "return_task": {"lead_head"},
    "accept": {"lead_head"},
    "plan_milestone": {"lead_head"},
    "request_closeout": {"lead_head"},
    "request_extension": {"lead_head"},
    "complete_milestone": {"lead_head", "lead_staff"},
    "report": {"lead_head", "lead_staff", "co_head", "co_staff"},
}
AUDITED = {
    "edit": "edited", "dispatch": "dispatched", "accept": "accepted", "report": "reported",
    "plan_milestone": "milestone_planned", "complete_milestone": "milestone_done",
    "request_closeout": "closeout_requested", "review_closeout": "closeout_approved",
    "request_extension": "extension_requested", "review_extension": "extension_approved",
    "cancel": "cancelled", "urge": "urged", "correct": "corrected", "return_task": "returned",
    "decide_return": "insisted", "add_milestone": "milestone_planned", "change_milestone": "milestone_moved",
}
STATUS_AFTER = {
    "dispatch": "assigned", "accept": "in_progress", "request_closeout": "pending_review",
    "review_closeout": "closed", "cancel": "cancelled", "return_task": "returned", "decide_return": "assigned",
}


def _prepared(flow, action, status=None):
    """A task ready for `action` (or in `status`), with what the action needs."""
    needed, prepare, _ = ACTIONS[action]
    task = new_task(flow, status or needed)
    if action == "review_extension":
        add_pending_extension(flow, task)
    elif prepare:
        prepare(task)
    return task


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_allowed_only_to_its_roles(app, flow, action, actor):
    """Can exactly the roles DESIGN names take each step, with the others refused and nothing changed?"""
    with app.app_context():
        task = _prepared(flow, action)
        before = snapshot(task.id)
        call = ACTIONS[action][2]
        if actor in ALLOWED[action]:
            call(user(flow, actor), task, flow)
            db.session.expire_all()
            task = db.session.get(RectificationTask, task.id)
            assert audit_actions(task.id)[-1] == AUDITED[action]
            assert task.status == STATUS_AFTER.get(action, before[0])
        else:
            with pytest.raises(PermissionDenied) as refused:
                call(user(flow, actor), task, flow)
            assert str(refused.value)  # a message for the user, not a bare 403
            assert snapshot(task.id) == before


# The statuses each step is possible in (DESIGN, Task lifecycle); every other status refuses it.
POSSIBLE_IN = {action: {needed} for action, (needed, _, _) in ACTIONS.items()}
POSSIBLE_IN["cancel"] = {"draft", "assigned", "returned", "in_progress", "pending_review"}
POSSIBLE_IN["correct"] = {"assigned", "returned", "in_progress", "pending_review"}
POSSIBLE_IN["add_milestone"] = POSSIBLE_IN["change_milestone"] = POSSIBLE_IN["cancel"]
POSSIBLE_IN["urge"] = {"assigned", "in_progress"}
POSSIBLE_IN["review_extension"] = {"in_progress", "pending_review"}  # a close-out may keep the extension waiting
STATE_CASES = [(action, status) for action in ACTIONS for status in STATUSES if status not in POSSIBLE_IN[action]]


@pytest.mark.parametrize("action, status", STATE_CASES)
def test_each_action_is_refused_from_the_wrong_status(app, flow, action, status):
    """Is every step refused with a message, changing nothing, from every status the lifecycle does not allow?"""
    with app.app_context():
        task = _prepared(flow, action, status)
        before = snapshot(task.id)
        actor = sorted(ALLOWED[action])[0]
        with pytest.raises(PermissionDenied) as refused:
            ACTIONS[action][2](user(flow, actor), task, flow)
        assert str(refused.value)
        assert snapshot(task.id) == before


@pytest.mark.parametrize("status", ["draft", "assigned", "in_progress", "pending_review"])
def test_cancel_works_from_every_open_status(app, flow, status):
    """Can the supervision office cancel a task in any open state, withdrawing a request under review?"""
    with app.app_context():
        task = new_task(flow, status)
        workflow.cancel(user(flow, "supervisor"), task, "上级政策调整", task.version)
        db.session.expire_all()
        task = db.session.get(RectificationTask, task.id)
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)).one()
        assert (task.status, entry.from_status, entry.to_status, entry.reason) == (
            "cancelled", status, "cancelled", "上级政策调整")
        assert all(r.status == "withdrawn" for r in task.closeout_requests)


def test_audit_entry_records_who_when_from_to_and_why(app, flow):
    """Does a step's audit entry say who did it, when, from which status to which, and why?"""
    with app.app_context():
        task = new_task(flow, "pending_review")
        reviews.decide_closeout(user(flow, "supervisor"), task, False, "佐证材料不全", task.version)
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)).one()
        assert entry.actor_id == flow["users"]["supervisor"]
        assert entry.created_at.isoformat() == "2026-06-01T04:00:00+00:00"
        assert (entry.from_status, entry.to_status, entry.reason) == ("pending_review", "in_progress", "佐证材料不全")
        assert (entry.object_type, entry.action) == ("closeout_request", "closeout_rejected")


NOTIFIED = [
    # action, who hears about it, who does not
    ("dispatch", {"lead_head", "lead_staff", "co_head", "co_staff", "leader"}, {"supervisor2", "other_head"}),
    ("accept", {"supervisor", "supervisor2", "lead_staff", "co_head", "co_staff"}, {"lead_head", "other_head"}),
    ("report", {"lead_head"}, {"co_staff", "other_head", "supervisor"}),
    ("request_closeout", {"supervisor", "supervisor2"}, {"lead_head", "leader"}),
    ("review_closeout", {"lead_head", "lead_staff", "co_head", "co_staff", "leader"}, {"supervisor", "supervisor2"}),
    ("request_extension", {"supervisor", "supervisor2"}, {"lead_head", "co_head"}),
    ("review_extension", {"lead_head", "lead_staff", "co_head", "co_staff"}, {"supervisor", "leader"}),
    ("urge", {"lead_head", "lead_staff", "leader"}, {"co_head", "supervisor"}),
    ("cancel", {"lead_head", "lead_staff", "co_head", "co_staff", "leader"}, {"supervisor", "other_head"}),
]


@pytest.mark.parametrize("action, concerned, others", NOTIFIED)
def test_each_step_notifies_the_people_concerned(app, flow, action, concerned, others):
    """Does each step land in the inbox of exactly the people it concerns, never the actor's own?"""
    with app.app_context():
        task = _prepared(flow, action)
        actor = "supervisor" if "supervisor" in ALLOWED[action] else "lead_head"
        if action == "report":
            actor = "co_staff"  # a co-unit's report tells the lead unit
        ACTIONS[action][2](user(flow, actor), task, flow)
        for key in concerned:
            assert inbox_of(flow, key) == [AUDITED[action]], key
        for key in others | {actor}:
            assert inbox_of(flow, key) == [], key


def test_listed_leader_is_told_only_about_listed_tasks(app, flow):
    """Is the responsible leader told of an urge on a 挂牌 task but not on a normal one?"""
    with app.app_context():
        normal = new_task(flow, "in_progress", level="normal")
        workflow.urge(user(flow, "supervisor"), normal, "请加快", "t1")
        assert inbox_of(flow, "leader") == []
        listed = new_task(flow, "in_progress", level="listed")
        workflow.urge(user(flow, "supervisor"), listed, "请加快", "t2")
        assert inbox_of(flow, "leader") == ["urged"]


def test_co_unit_report_keeps_the_lead_units_percent(app, flow):
    """Does a co-unit's report of its part leave the task's percent done (the lead unit's) alone?"""
    with app.app_context():
        task = new_task(flow, "in_progress", percent_done=30)
        progress.report_progress(user(flow, "co_staff"), task, "配合完成宣传", 90, [], "a")
        assert task.percent_done == 30
        progress.report_progress(user(flow, "lead_staff"), task, "主体完成一半", 50, [], "b")
        assert task.percent_done == 50
        assert task.last_reported_at is not None


def test_extension_approval_replaces_the_deadline_and_keeps_the_original(app, flow):
    """Does an approved extension move the deadline while the original and the request stay on record?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        head, supervisor = user(flow, "lead_head"), user(flow, "supervisor")
        reviews.request_extension(head, task, date(2026, 11, 30), "汛期无法施工", task.version)
        reviews.decide_extension(supervisor, task, False, "理由不充分", task.version)
        assert task.deadline_on == DEADLINE
        reviews.request_extension(head, task, date(2026, 12, 31), "补充说明", task.version)
        reviews.decide_extension(supervisor, task, True, None, task.version)
        assert (task.deadline_on, task.original_deadline_on) == (date(2026, 12, 31), DEADLINE)
        assert [(r.status, r.requested_deadline_on) for r in task.extension_requests] == [
            ("rejected", date(2026, 11, 30)), ("approved", date(2026, 12, 31))]
        assert audit_actions(task.id)[-4:] == ["extension_requested", "extension_rejected",
                                               "extension_requested", "extension_approved"]


def test_closeout_rejection_returns_the_task_to_work(app, flow):
    """Does a rejected close-out put the task back in progress, and a second request and approval close it?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_evidence(flow, task)
        head, supervisor = user(flow, "lead_head"), user(flow, "supervisor")
        closeouts.request_closeout(head, task, closeout_input(), task.version)
        reviews.decide_closeout(supervisor, task, False, "缺少验收报告", task.version)
        assert (task.status, task.closeout_requested_at) == ("in_progress", None)
        again = closeout_input([upload("验收报告.pdf", PDF)], statement="补充验收报告和水质检测报告，复核全部达标。")
        closeouts.request_closeout(head, task, again, task.version)
        reviews.decide_closeout(supervisor, task, True, "同意销号", task.version)
        assert task.status == "closed" and task.closed_at is not None
        assert [r.status for r in task.closeout_requests] == ["rejected", "approved"]
