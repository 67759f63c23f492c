"""Close-out that checks, and extensions approved to the office's date: the services' rules and their records."""
import os
from datetime import date, datetime

import pytest

from tests.workflow_helpers import (
    DEADLINE,
    EXE,
    PDF,
    SHANGHAI,
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
from tracker import clock
from tracker.extensions import db
from tracker.models import Attachment, AuditEntry, CloseoutMilestoneNote, Milestone, RectificationTask
from tracker.services import DomainError, office_settings
from tracker.services.bulletins.history import History
from tracker.services.tasks import action_views, closeouts, reviews, timeline, workflow


def _refused(task_id, call, *words):
    """Run `call`, expect DomainError naming `words`, and prove nothing changed."""
    before = snapshot(task_id)
    with pytest.raises(DomainError) as raised:
        call()
    message = str(raised.value)
    for word in words:
        assert word in message, message
    assert snapshot(task_id) == before
    return message


def _milestone(task, title="完成管网招标", due=date(2026, 7, 15)):
    """An open milestone on the task."""
    milestone = Milestone(task_id=task.id, title=title, due_on=due, created_at=clock.now())
    db.session.add(milestone)
    db.session.commit()
    return milestone


def _stored_files(app):
    """Every file under the upload directory (placed or waiting)."""
    return [name for _, _, names in os.walk(app.config["UPLOAD_DIR"]) for name in names]


def test_partial_extension_grants_the_office_date(app, flow):
    """Is an extension approved to an earlier date than asked the deadline in force, the date asked kept beside it?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task, requested=date(2026, 12, 31))
        reviews.decide_extension(user(flow, "supervisor"), task, True, "给予两个月", task.version,
                                 granted_on=date(2026, 11, 30))
        db.session.expire_all()
        task = db.session.get(RectificationTask, task.id)
        request_ = task.extension_requests[0]
        assert (task.deadline_on, task.original_deadline_on) == (date(2026, 11, 30), DEADLINE)
        assert (request_.requested_deadline_on, request_.approved_deadline_on, request_.is_partial) == (
            date(2026, 12, 31), date(2026, 11, 30), True)
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)).one()
        assert entry.action == "extension_approved"
        assert entry.reason == "2026-09-30 → 2026-11-30 （申请至2026-12-31）: 给予两个月"
        history = timeline.deadline_history(task)
        assert [(change.deadline_on, change.is_partial) for change in history] == [
            (DEADLINE, False), (date(2026, 11, 30), True)]
        # The month's figures, rebuilt later, read the date granted too.
        later = datetime(2026, 6, 2, tzinfo=SHANGHAI)
        assert History(later, later).deadline_at(task, later) == date(2026, 11, 30)


def test_extension_approved_without_a_date_grants_the_date_asked(app, flow):
    """Does an approval that names no date grant exactly the date asked, as before?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task, requested=date(2026, 12, 31))
        reviews.decide_extension(user(flow, "supervisor"), task, True, None, task.version)
        assert task.deadline_on == task.extension_requests[0].approved_deadline_on == date(2026, 12, 31)


@pytest.mark.parametrize("granted, words", [
    (date(2027, 1, 15), ["2027-01-15", "2026-12-31"]),       # later than asked
    (DEADLINE, ["2026-09-30", "2026-12-31"]),                # not after the deadline in force
    (date(2026, 8, 1), ["2026-08-01", "2026-09-30"]),        # before it
], ids=["after-the-date-asked", "the-current-deadline", "before-the-current-deadline"])
def test_extension_approval_outside_the_range_is_refused(app, flow, granted, words):
    """Is an approval outside (current deadline, date asked] refused with the dates to choose from, nothing saved?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task, requested=date(2026, 12, 31))
        _refused(task.id, lambda: reviews.decide_extension(user(flow, "supervisor"), task, True, None, task.version,
                                                           granted_on=granted), *words)


def test_extension_approval_to_a_past_date_is_refused(app, flow):
    """Is a partial approval of an overdue task to a date already past refused, naming today's range?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 5, 1))
        add_pending_extension(flow, task, requested=date(2026, 7, 31))
        message = _refused(task.id, lambda: reviews.decide_extension(
            user(flow, "supervisor"), task, True, None, task.version, granted_on=date(2026, 5, 20)), "2026-05-20")
        assert "已过" in message


def test_closeout_without_its_own_evidence_is_refused_then_accepted_with_it(app, flow):
    """Does a file of an earlier report not count for close-out, while a file attached to the request does?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_evidence(flow, task)  # a report's file, already on the task
        head = user(flow, "lead_head")
        message = _refused(task.id, lambda: closeouts.request_closeout(head, task, closeout_input(files=[]),
                                                                      task.version))
        assert "佐证材料" in message and "不计入" in message
        request_ = closeouts.request_closeout(head, task, closeout_input(), task.version)
        assert task.status == "pending_review"
        assert [file.original_name for file in request_.attachments] == ["验收报告.pdf"]


def test_closeout_without_evidence_when_the_office_does_not_require_it(app, flow):
    """With CLOSEOUT_REQUIRES_EVIDENCE off, is close-out accepted without a file of its own?"""
    with app.app_context():
        office_settings.update(None, {"CLOSEOUT_REQUIRES_EVIDENCE": "0"})
        task = new_task(flow, "in_progress")
        closeouts.request_closeout(user(flow, "lead_head"), task, closeout_input(files=[]), task.version)
        assert task.status == "pending_review"


def test_too_short_a_statement_is_refused(app, flow):
    """Is "已完成" refused as a statement of results, saying how much to write?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        message = _refused(task.id, lambda: closeouts.request_closeout(
            user(flow, "lead_head"), task, closeout_input(statement="已完成"), task.version), "20", "3")
        assert "整改成效" in message


def test_a_refused_request_leaves_no_file_behind(app, flow):
    """When a request with good files is refused (an unexplained milestone, a forbidden file), is no file kept?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        _milestone(task)
        head = user(flow, "lead_head")
        _refused(task.id, lambda: closeouts.request_closeout(head, task, closeout_input(), task.version),
                 "完成管网招标")
        _refused(task.id, lambda: closeouts.request_closeout(
            head, task, closeout_input([upload("验收.pdf", PDF), upload("setup.pdf", EXE)],
                                       milestones={task.milestones[0].id: closeouts.MilestoneAnswer(True)}),
            task.version), "setup.pdf")
        assert _stored_files(app) == []
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0


def test_every_open_milestone_is_answered(app, flow):
    """Is an open milestone left unanswered, or "not done" without a reason, refused; and are the answers kept?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        first, second = _milestone(task), _milestone(task, "完成管网铺设", date(2026, 8, 15))
        head = user(flow, "lead_head")
        not_done = closeouts.MilestoneAnswer(False, "  ")
        _refused(task.id, lambda: closeouts.request_closeout(
            head, task, closeout_input(milestones={first.id: closeouts.MilestoneAnswer(True)}), task.version),
            "完成管网铺设")
        _refused(task.id, lambda: closeouts.request_closeout(head, task, closeout_input(
            milestones={first.id: closeouts.MilestoneAnswer(True), second.id: not_done}), task.version),
            "完成管网铺设", "原因")
        request_ = closeouts.request_closeout(head, task, closeout_input(milestones={
            first.id: closeouts.MilestoneAnswer(True, "招标已完成，中标单位进场"),
            second.id: closeouts.MilestoneAnswer(False, "剩余200米并入二期工程")}), task.version)
        db.session.expire_all()
        notes = db.session.scalars(db.select(CloseoutMilestoneNote).where(
            CloseoutMilestoneNote.closeout_request_id == request_.id).order_by(CloseoutMilestoneNote.id)).all()
        assert [(n.milestone_id, n.is_done, n.note) for n in notes] == [
            (first.id, True, "招标已完成，中标单位进场"), (second.id, False, "剩余200米并入二期工程")]
        first, second = db.session.get(Milestone, first.id), db.session.get(Milestone, second.id)
        assert (first.is_done, first.done_note, first.done_by_id) == (True, "招标已完成，中标单位进场",
                                                                      flow["users"]["lead_head"])
        assert not second.is_done
        assert audit_actions(task.id) == ["milestone_done", "closeout_requested"]


def test_progress_below_100_needs_a_reason(app, flow):
    """Is close-out at 60 % refused without a reason, and accepted with one, the percent and the reason kept?"""
    with app.app_context():
        task = new_task(flow, "in_progress", percent_done=60)
        head = user(flow, "lead_head")
        _refused(task.id, lambda: closeouts.request_closeout(head, task, closeout_input(percent_done=60),
                                                            task.version), "60")
        request_ = closeouts.request_closeout(head, task, closeout_input(
            percent_done=60, percent_reason="剩余工程量已纳入县级统筹项目，由住建局实施"), task.version)
        assert (request_.percent_done, request_.percent_reason, task.percent_done) == (
            60, "剩余工程量已纳入县级统筹项目，由住建局实施", 60)


def test_pending_extension_is_never_withdrawn_silently(app, flow):
    """With an extension waiting, is close-out refused until the unit chooses, and a withdrawal an event of its own?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task)
        head = user(flow, "lead_head")
        _refused(task.id, lambda: closeouts.request_closeout(head, task, closeout_input(), task.version),
                 "2026-12-31", "撤回")
        request_ = closeouts.request_closeout(head, task, closeout_input(extension_choice="withdraw"), task.version)
        db.session.expire_all()
        task = db.session.get(RectificationTask, task.id)
        extension = task.extension_requests[0]
        assert (extension.status, extension.decided_by_id) == ("withdrawn", flow["users"]["lead_head"])
        assert extension.decided_at == clock.now()
        assert db.session.get(type(request_), request_.id).extension_choice == "withdraw"
        withdrawal = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.task_id == task.id, AuditEntry.action == "extension_withdrawn")).one()
        assert (withdrawal.object_type, withdrawal.object_id, withdrawal.created_at) == (
            "extension_request", extension.id, clock.now())
        assert audit_actions(task.id) == ["extension_withdrawn", "closeout_requested"]
        assert "extension_withdrawn" in inbox_of(flow, "supervisor")
        steps = timeline.timeline(task)
        assert [step.label for step in steps if step.action == "extension_withdrawn"] == ["撤回延期申请"]


def test_a_kept_extension_is_decided_under_review_and_withdrawn_on_close_out(app, flow):
    """Can the unit keep its extension waiting, the office decide it during review, or closing out withdraw it?"""
    with app.app_context():
        head, office = user(flow, "lead_head"), user(flow, "supervisor")
        decided = new_task(flow, "in_progress", title="待审核时批准延期")
        add_pending_extension(flow, decided)
        closeouts.request_closeout(head, decided, closeout_input(extension_choice="wait"), decided.version)
        assert decided.pending_extension is not None and decided.status == "pending_review"
        assert action_views.mine_counts(office)["extensions"] == 1  # the office still finds it to decide
        reviews.decide_extension(office, decided, True, None, decided.version, granted_on=date(2026, 11, 15))
        assert (decided.status, decided.deadline_on) == ("pending_review", date(2026, 11, 15))

        closed = new_task(flow, "in_progress", title="销号时撤回延期")
        add_pending_extension(flow, closed)
        closeouts.request_closeout(head, closed, closeout_input(extension_choice="wait"), closed.version)
        reviews.decide_closeout(office, closed, True, "同意销号", closed.version)
        assert closed.extension_requests[0].status == "withdrawn"
        assert audit_actions(closed.id)[-2:] == ["extension_withdrawn", "closeout_approved"]
        assert closed.deadline_on == DEADLINE  # a withdrawn request never moved the deadline
        # Rebuilt later for the month's figures: the granted date during review, closed on time, nothing else moved.
        later = datetime(2026, 6, 2, tzinfo=SHANGHAI)
        history = History(later, later)
        assert history.deadline_at(closed, later) == DEADLINE
        assert history.deadline_at(decided, later) == date(2026, 11, 15)
        assert [history.status_at(task, later) for task in (decided, closed)] == ["pending_review", "closed"]
        assert history.snapshot(closed, later, later.date()).is_on_time


def test_cancelling_records_the_withdrawal_of_a_pending_extension(app, flow):
    """When the office cancels a task with an extension waiting, is the withdrawal an event of its own too?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task)
        workflow.cancel(user(flow, "supervisor"), task, "上级政策调整", task.version)
        assert task.extension_requests[0].status == "withdrawn"
        assert audit_actions(task.id) == ["extension_withdrawn", "cancelled"]
