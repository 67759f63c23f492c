"""Bad input, stale forms and double submissions: each a clear message and no partial change."""
import threading
from datetime import date

import pytest

from tests.workflow_helpers import (
    DEADLINE,
    EXE,
    PDF,
    add_pending_extension,
    audit_actions,
    closeout_input,
    new_task,
    snapshot,
    upload,
    user,
)
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, ProgressReport, RectificationTask, Urge
from tracker.services import ConflictError, DomainError, PermissionDenied
from tracker.services.tasks import closeouts, drafts, progress, reviews, workflow
from tracker.services.tasks.workflow import DuplicateSubmission


def _refused(task_id, error_type, call, *words):
    """Run `call`, expect `error_type` with a message containing `words`, and prove nothing changed."""
    before = snapshot(task_id)
    with pytest.raises(error_type) as raised:
        call()
    for word in words:
        assert word in str(raised.value)
    assert snapshot(task_id) == before
    return str(raised.value)


def test_dispatch_refuses_a_deadline_in_the_past(app, flow):
    """Is a draft whose deadline has passed refused at dispatch, asking for a new deadline?"""
    with app.app_context():
        task = new_task(flow, "draft", deadline_on=date(2026, 5, 31))
        _refused(task.id, DomainError, lambda: workflow.dispatch(user(flow, "supervisor"), task, task.version),
                 "2026-05-31")


def test_dispatch_on_the_deadline_day_is_allowed(app, flow):
    """Can a draft due today still be dispatched (today is not in the past)?"""
    with app.app_context():
        task = new_task(flow, "draft", deadline_on=date(2026, 6, 1))
        workflow.dispatch(user(flow, "supervisor"), task, task.version)
        assert task.status == "assigned"


@pytest.mark.parametrize("requested, words", [
    (date(2026, 9, 1), ["2026-09-30"]),   # before the current deadline
    (DEADLINE, ["2026-09-30"]),           # the same day is no extension
    (None, []),
])
def test_extension_must_be_after_the_current_deadline(app, flow, requested, words):
    """Is an extension to a date on or before the current deadline refused with a message?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        _refused(task.id, DomainError, lambda: reviews.request_extension(
            user(flow, "lead_head"), task, requested, "理由", task.version), *words)


def test_extension_of_an_overdue_task_must_not_be_in_the_past(app, flow):
    """For a task already overdue, is a new date after the old deadline but before today refused?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 5, 1))
        _refused(task.id, DomainError, lambda: reviews.request_extension(
            user(flow, "lead_head"), task, date(2026, 5, 20), "理由", task.version), "2026-05-20")


def test_only_one_extension_request_waits_at_a_time(app, flow):
    """Is a second extension request refused while the first waits for a decision?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task)
        _refused(task.id, PermissionDenied, lambda: reviews.request_extension(
            user(flow, "lead_head"), task, date(2026, 12, 1), "再次申请", task.version))


@pytest.mark.parametrize("call", [
    lambda f, t: reviews.decide_closeout(user(f, "supervisor"), t, False, "  ", t.version),
    lambda f, t: workflow.cancel(user(f, "supervisor"), t, "", t.version),
    lambda f, t: workflow.urge(user(f, "supervisor"), t, "   ", "tok"),
    lambda f, t: progress.report_progress(user(f, "lead_staff"), t, "", 10, [], "tok"),
    lambda f, t: progress.report_progress(user(f, "lead_staff"), t, "进展", 101, [], "tok"),
    lambda f, t: progress.report_progress(user(f, "lead_staff"), t, "进展", "x", [], "tok"),
    lambda f, t: closeouts.request_closeout(user(f, "lead_head"), t, closeout_input(statement=""), t.version),
    lambda f, t: progress.plan_milestone(user(f, "lead_head"), t, "节点", date(2026, 5, 1), "tok"),
    lambda f, t: progress.plan_milestone(user(f, "lead_head"), t, "节点", date(2026, 10, 1), "tok"),
    lambda f, t: workflow.accept(user(f, "lead_head"), t, f["users"]["co_staff"], t.version),
    lambda f, t: workflow.accept(user(f, "lead_head"), t, None, t.version),
], ids=["reject-without-reason", "cancel-without-reason", "empty-urge", "empty-report", "percent-101",
        "percent-text", "closeout-without-summary", "milestone-in-past", "milestone-after-deadline",
        "owner-from-another-unit", "no-owner"])
def test_bad_input_is_refused_and_changes_nothing(app, flow, call):
    """Does each kind of bad input get a message and leave the task exactly as it was?"""
    with app.app_context():
        status = "pending_review" if "decide_closeout" in call.__code__.co_names else "in_progress"
        if "accept" in call.__code__.co_names:
            status = "assigned"
        task = new_task(flow, status)
        message = _refused(task.id, DomainError, lambda: call(flow, task))
        assert message


def test_bad_file_in_a_report_saves_neither_report_nor_files(app, flow):
    """Does one forbidden file among good ones refuse the whole report, leaving no row and no file?"""
    import os

    with app.app_context():
        task = new_task(flow, "in_progress")
        files = [upload("照片.pdf", PDF), upload("setup.pdf", EXE)]
        _refused(task.id, DomainError, lambda: progress.report_progress(
            user(flow, "lead_staff"), task, "进展", 20, files, "tok"), "setup.pdf")
        left = [name for _, _, names in os.walk(app.config["UPLOAD_DIR"]) for name in names]
        assert left == []


def test_stale_version_is_a_conflict(app, flow):
    """When two supervisors open the same task and both act, does the second get a conflict and change nothing?"""
    with app.app_context():
        task = new_task(flow, "pending_review")
        seen_version = task.version
        reviews.decide_closeout(user(flow, "supervisor"), task, True, "同意", seen_version)
        message = _refused(task.id, ConflictError, lambda: reviews.decide_closeout(
            user(flow, "supervisor2"), task, False, "退回", seen_version))
        assert "reload" in message.lower() or "刷新" in message


def test_stale_version_wins_over_status_for_a_double_submit(app, flow):
    """Does accepting twice from the same page say "changed since you opened it" rather than a bare refusal?"""
    with app.app_context():
        task = new_task(flow, "assigned")
        version = task.version
        head = user(flow, "lead_head")
        workflow.accept(head, task, flow["users"]["lead_staff"], version)
        _refused(task.id, ConflictError, lambda: workflow.accept(head, task, flow["users"]["lead_staff"], version))


def test_concurrent_write_between_read_and_commit_is_a_conflict(app, flow):
    """If another worker commits after we loaded the task, does our commit fail as a conflict, not overwrite it?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        task_id, version = task.id, task.version

        def other_worker():
            """Another process: its own app context and session, cancelling the same task."""
            with clock.frozen(clock.now()), app.app_context():
                theirs = db.session.get(RectificationTask, task_id)
                workflow.cancel(user(flow, "supervisor2"), theirs, "另一人撤销", version)

        ours = db.session.get(RectificationTask, task_id)
        assert ours.version == version  # loaded before the other worker writes
        worker = threading.Thread(target=other_worker)
        worker.start()
        worker.join()
        with pytest.raises(ConflictError):
            reviews.request_extension(user(flow, "lead_head"), ours, date(2026, 12, 31), "汛期", version)
        db.session.expire_all()
        task = db.session.get(RectificationTask, task_id)
        assert task.status == "cancelled"
        assert audit_actions(task_id) == ["cancelled"]


def test_double_submitted_report_is_saved_once(app, flow):
    """Does the same report form sent twice (same one-time token) save one report and say so the second time?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        staff = user(flow, "lead_staff")
        progress.report_progress(staff, task, "进展", 20, [upload("a.pdf", PDF)], "same-token")
        with pytest.raises(DuplicateSubmission):
            progress.report_progress(staff, task, "进展", 20, [upload("a.pdf", PDF)], "same-token")
        assert db.session.scalar(db.select(db.func.count()).select_from(ProgressReport)) == 1
        assert audit_actions(task.id) == ["reported"]


def test_double_submitted_urge_counts_once(app, flow):
    """Is an urge sent twice from one form counted once against the unit?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        supervisor = user(flow, "supervisor")
        workflow.urge(supervisor, task, "请加快", "urge-token")
        with pytest.raises(DuplicateSubmission):
            workflow.urge(supervisor, task, "请加快", "urge-token")
        assert db.session.scalar(db.select(db.func.count()).select_from(Urge)) == 1


def test_milestone_cannot_be_marked_done_twice(app, flow):
    """Is marking a done milestone done again refused, keeping the first note?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        head = user(flow, "lead_head")
        milestone = progress.plan_milestone(head, task, "完成招标", date(2026, 7, 1), "m1")
        progress.complete_milestone(head, task, milestone, "已招标")
        _refused(task.id, DomainError, lambda: progress.complete_milestone(head, task, milestone, "再次"))
        assert milestone.done_note == "已招标"


def test_extension_approval_refused_once_the_date_has_passed(app, flow):
    """Is approving an extension to a date already past refused, asking for a new request?"""
    with app.app_context():
        task = new_task(flow, "in_progress", deadline_on=date(2026, 5, 1))
        add_pending_extension(flow, task, requested=date(2026, 5, 20))
        _refused(task.id, DomainError, lambda: reviews.decide_extension(
            user(flow, "supervisor"), task, True, None, task.version), "2026-05-20")


def _draft(flow, **changes):
    """A valid TaskDraft led by 县水利局, with `changes`."""
    values = dict(title="河道清淤整治", lead_unit_id=flow["units"]["water"], deadline_on=date(2026, 12, 31),
                  co_unit_ids=[flow["units"]["town"]], responsible_leader_id=flow["users"]["leader"],
                  source="inspection", supervision_level="key")
    values.update(changes)
    return drafts.TaskDraft(**values)


def test_new_drafts_get_yearly_codes(app, flow):
    """Do drafts get codes ZG2026-0001, ZG2026-0002 in order, and an audit entry each?"""
    with app.app_context():
        supervisor = user(flow, "supervisor")
        first = drafts.create_draft(supervisor, _draft(flow))
        second = drafts.create_draft(supervisor, _draft(flow, title="第二个"))
        assert (first.code, second.code) == ("ZG2026-0001", "ZG2026-0002")
        assert (first.status, first.original_deadline_on) == ("draft", date(2026, 12, 31))
        assert audit_actions(first.id) == ["created"]


def test_codes_continue_past_9999(app, flow):
    """Does numbering continue to ZG2026-10000 rather than going back to a taken code?"""
    with app.app_context():
        new_task(flow, "draft", code="ZG2026-9999")
        assert drafts.next_code(2026) == "ZG2026-10000"


@pytest.mark.parametrize("changes, word", [
    ({"deadline_on": date(2026, 5, 31)}, "2026-05-31"),
    ({"title": "  "}, ""),
    ({"lead_unit_id": 9999}, ""),
    ({"co_unit_ids": [1]}, ""),  # the lead unit (县水利局 is id 1) as its own co-unit
    ({"responsible_leader_id": 1}, ""),  # the supervisor is not a county leader
    ({"source": "rumour"}, "rumour"),
    ({"supervision_level": "urgent"}, "urgent"),
])
def test_bad_drafts_are_refused(app, flow, changes, word):
    """Is each kind of bad draft refused with a message, creating nothing?"""
    with app.app_context():
        if "co_unit_ids" in changes:
            changes = {"co_unit_ids": [flow["units"]["water"]]}
        with pytest.raises(DomainError) as refused:
            drafts.create_draft(user(flow, "supervisor"), _draft(flow, **changes))
        assert word in str(refused.value)
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 0


def test_only_supervisors_create_drafts(app, flow):
    """Are unit heads, leaders and administrators refused when creating a task?"""
    with app.app_context():
        for key in ("lead_head", "leader", "admin"):
            with pytest.raises(PermissionDenied):
                drafts.create_draft(user(flow, key), _draft(flow))


def test_editing_a_draft_records_what_changed(app, flow):
    """Does editing a draft update it, move its original deadline along, and audit the changed fields?"""
    with app.app_context():
        task = drafts.create_draft(user(flow, "supervisor"), _draft(flow))
        drafts.update_draft(user(flow, "supervisor2"), task, _draft(flow, deadline_on=date(2027, 1, 31),
                                                                          co_unit_ids=[]), task.version)
        assert (task.deadline_on, task.original_deadline_on, task.co_units) == (
            date(2027, 1, 31), date(2027, 1, 31), [])
        assert audit_actions(task.id) == ["created", "edited"]
        entry_reason = db.session.scalars(
            db.select(AuditEntry.reason).where(AuditEntry.action == "edited")).one()
        assert "deadline_on" in entry_reason and "co_units" in entry_reason


def test_dispatch_fixes_the_original_deadline(app, flow):
    """Is the deadline at dispatch the original one later extensions are measured against?"""
    with app.app_context():
        task = new_task(flow, "draft", deadline_on=date(2026, 8, 31), original_deadline_on=date(2026, 7, 31))
        workflow.dispatch(user(flow, "supervisor"), task, task.version)
        assert task.original_deadline_on == date(2026, 8, 31)
        assert task.dispatched_at == clock.now()


def test_milestone_marked_done_meanwhile_is_not_overwritten(app, flow):
    """If someone marks the milestone done after we loaded it, is our attempt refused, not overwriting their note?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        milestone = progress.plan_milestone(user(flow, "lead_head"), task, "完成招标", date(2026, 7, 1), "m")
        with db.engine.begin() as other_connection:  # another worker, committing on its own
            other_connection.execute(db.text("UPDATE milestones SET done_at = '2026-06-01 03:00:00', "
                                             "done_note = '他人已完成' WHERE id = :id"), {"id": milestone.id})
        assert not milestone.is_done  # our copy is stale
        with pytest.raises(DomainError):
            progress.complete_milestone(user(flow, "lead_staff"), task, milestone, "我也完成了")
        db.session.expire_all()
        assert db.session.get(type(milestone), milestone.id).done_note == "他人已完成"
