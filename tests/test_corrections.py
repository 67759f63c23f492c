"""Corrections after dispatch (调整), returns before 签收 (申请调整) and the office's milestones."""
from datetime import date, datetime

import pytest

from tests.test_workflow_pages import hidden
from tests.workflow_helpers import (
    ACTORS,
    PDF,
    SHANGHAI,
    audit_actions,
    inbox_of,
    new_task,
    snapshot,
    upload,
    user,
)
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, Milestone, RectificationTask, TaskDispatch, TaskReturn, Unit
from tracker.services import DomainError, PermissionDenied
from tracker.services.bulletins import figures
from tracker.services.tasks import corrections, dispatches, drafts, milestone_plans, progress, returns, workflow


def zh_login(client, auth, key):
    """Log in as an actor; pages are read in Chinese, as the users read them."""
    auth.logout()
    assert auth.login(ACTORS[key][0]).status_code == 302


def corrected(task, **changes):
    """The task's current values with `changes`, as the correction form sends them."""
    draft = drafts.draft_from_task(task)
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def page(client, url):
    """The text of a page that must open."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def form_post(client, url, data):
    """GET the form, POST it with its version and `data`; the response, not followed."""
    html = page(client, url)
    return client.post(url, data={"version": hidden(html, "version"), **data})


def test_a_deadline_correction_is_audited_kept_apart_from_extensions_and_told(app, client, auth, flow):
    """Is a moved deadline kept with its reason in the deadline history as 督查室调整, audited, told to both units?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        corrections.correct(user(flow, "supervisor"), task, corrected(task, deadline_on=date(2026, 11, 30)),
                            "省考核评估时间推迟", task.version)
        task_id = task.id
        task = db.session.get(RectificationTask, task_id)
        assert (task.deadline_on, task.original_deadline_on) == (date(2026, 11, 30), date(2026, 9, 30))
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task_id)).all()[-1]
        assert entry.action == "corrected" and "2026-09-30 → 2026-11-30" in entry.reason
        assert "省考核评估时间推迟" in entry.reason
        for key in ("lead_head", "lead_staff", "co_head", "co_staff"):
            assert inbox_of(flow, key) == ["corrected"]
        assert inbox_of(flow, "other_head") == []
    zh_login(client, auth, "lead_staff")
    html = page(client, f"/tasks/{task_id}")
    history = html[html.index('id="deadline-history"'):]
    assert "督查室调整" in history and "省考核评估时间推迟" in history and "原定完成时限" in history
    assert "督查室调整任务" in html  # the timeline's step


def test_a_deadline_correction_without_a_reason_is_refused_and_nothing_saved(app, flow):
    """Is a moved deadline without a reason refused with what to do, nothing half-saved (title changed too)?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        before = snapshot(task.id)
        with pytest.raises(DomainError, match="调整截止日期须填写理由"):
            corrections.correct(user(flow, "supervisor"), task,
                                corrected(task, deadline_on=date(2026, 11, 30), title="新标题"), "  ", task.version)
        assert snapshot(task.id) == before


@pytest.mark.parametrize("status, words", [("closed", "新建任务"), ("cancelled", "新建任务"), ("draft", "编辑")])
def test_a_closed_cancelled_or_draft_task_is_not_corrected(app, client, auth, flow, status, words):
    """Is the correction of a closed, cancelled or draft task refused with what to do instead, on the page too?"""
    with app.app_context():
        task = new_task(flow, status)
        before = snapshot(task.id)
        with pytest.raises(PermissionDenied):
            corrections.correct(user(flow, "supervisor"), task, corrected(task, title="新标题"), None, task.version)
        assert snapshot(task.id) == before
        task_id = task.id
    zh_login(client, auth, "supervisor")
    response = client.get(f"/tasks/{task_id}/correct")
    assert response.status_code == 403 and words in response.get_data(as_text=True)


def test_a_stale_correction_form_gets_the_conflict_message(app, client, auth, flow):
    """When another supervisor changed the task after the form was opened, is the correction refused as a conflict?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        task_id = task.id
        values = corrected(task)
    zh_login(client, auth, "supervisor")
    html = page(client, f"/tasks/{task_id}/correct")
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        corrections.correct(user(flow, "supervisor2"), task, corrected(task, title="另一位督查员改的标题"), None,
                            task.version)
        before = snapshot(task_id)
    response = client.post(f"/tasks/{task_id}/correct", data={
        "version": hidden(html, "version"), "title": "改过的标题", "lead_unit": values.lead_unit_id,
        "co_units": values.co_unit_ids, "responsible_leader": values.responsible_leader_id,
        "deadline_on": values.deadline_on.isoformat(), "supervision_level": values.supervision_level})
    assert response.status_code == 409 and "已被他人修改" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot(task_id) == before


def _with_reports(flow):
    """A task in progress with a report and file by the lead unit (县水利局) and one by the co-unit (城关镇)."""
    task = new_task(flow, "in_progress")
    progress.report_progress(user(flow, "lead_staff"), task, "水利局完成管网铺设", 40, [upload("水利现场.pdf", PDF)])
    progress.report_progress(user(flow, "co_staff"), task, "城关镇完成入户摸排", 20, [upload("城关镇名单.pdf", PDF)])
    return db.session.get(RectificationTask, task.id)


def test_a_new_lead_unit_gets_the_task_anew_and_the_old_one_keeps_its_own_reports(app, client, auth, flow):
    """After a lead-unit change: does the new unit accept it and see the whole history, the old one only its reports?"""
    with app.app_context():
        task = _with_reports(flow)
        task_id, old_dispatch = task.id, dispatches.dispatched_at(task)
        other = flow["units"]["other"]
        corrections.correct(user(flow, "supervisor"), task, corrected(task, lead_unit_id=other),
                            "该事项属县商务局职责", task.version)
        task = db.session.get(RectificationTask, task_id)
        assert (task.status, task.lead_unit_id, task.owner_id, task.accepted_at) == ("assigned", other, None, None)
        assert dispatches.dispatched_at(task) == clock.now() and task.dispatched_at == old_dispatch
        assert [(d.unit_id, d.kind) for d in dispatches.history(task)][-1] == (other, "correction")
        assert inbox_of(flow, "other_head") == ["redispatched"]
        assert "corrected" in inbox_of(flow, "lead_head") and "corrected" in inbox_of(flow, "co_staff")
        files = {a.original_name: a.id for r in task.reports for a in r.attachments}
    zh_login(client, auth, "other_head")
    html = page(client, f"/tasks/{task_id}")
    assert "水利局完成管网铺设" in html and "城关镇完成入户摸排" in html  # the whole history
    assert 'data-action="accept"' in html
    zh_login(client, auth, "lead_staff")
    html = page(client, f"/tasks/{task_id}")
    assert "改由县商务局牵头" in html and "水利局完成管网铺设" in html
    assert "城关镇完成入户摸排" not in html and "截止日期" not in html
    own_file = client.get(f"/tasks/files/{files['水利现场.pdf']}")
    assert own_file.status_code == 200 and own_file.data.startswith(b"%PDF")
    own_file.close()
    assert client.get(f"/tasks/files/{files['城关镇名单.pdf']}").status_code == 403
    assert "农村安全饮水巩固提升" not in page(client, "/tasks/")  # no longer in the unit's list
    zh_login(client, auth, "co_staff")
    assert "城关镇完成入户摸排" in page(client, f"/tasks/{task_id}")


def test_a_lead_unit_change_under_review_is_refused(app, flow):
    """Is a lead-unit change refused while a close-out request waits, saying to decide it first?"""
    with app.app_context():
        task = new_task(flow, "pending_review")
        before = snapshot(task.id)
        with pytest.raises(DomainError, match="请先审核"):
            corrections.correct(user(flow, "supervisor"), task, corrected(task, lead_unit_id=flow["units"]["other"]),
                                None, task.version)
        assert snapshot(task.id) == before


def test_every_other_field_is_corrected_and_listed(app, flow):
    """Are title, problem, measures, co-units, leader and level corrected, each named in one audit entry?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        other = flow["units"]["other"]
        corrections.correct(user(flow, "supervisor"), task, corrected(
            task, title="农村饮水安全提升", problem="新问题", measures="新措施", co_unit_ids=[other],
            responsible_leader_id=flow["users"]["principal"], supervision_level="key"), None, task.version)
        task = db.session.get(RectificationTask, task.id)
        assert (task.title, task.problem, task.measures, task.supervision_level) == (
            "农村饮水安全提升", "新问题", "新措施", "key")
        assert [u.id for u in task.co_units] == [other] and task.responsible_leader_id == flow["users"]["principal"]
        reason = db.session.scalars(db.select(AuditEntry.reason).where(AuditEntry.task_id == task.id)).all()[-1]
        for words in ("标题：农村安全饮水巩固提升 → 农村饮水安全提升", "存在问题已修改", "整改措施已修改",
                      "配合单位：城关镇 → 县商务局", "责任领导：leader → principal", "督办级别：挂牌 → 重点"):
            assert words in reason
        # The co-unit taken off is told, and so is the one added.
        assert inbox_of(flow, "co_staff") == ["corrected"] and inbox_of(flow, "other_head") == ["corrected"]


def test_nothing_changed_is_said(app, flow):
    """Is a correction that changes nothing refused with a message, and no entry written?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        with pytest.raises(DomainError, match="没有任何改动"):
            corrections.correct(user(flow, "supervisor"), task, corrected(task), "无", task.version)
        assert "corrected" not in audit_actions(task.id)


def test_a_past_month_is_charged_to_the_lead_unit_of_the_time(app, flow):
    """Does May's bulletin charge the task to 县水利局, which led it in May, and June's to 县商务局, its lead since?"""
    with app.app_context():
        with clock.frozen(datetime(2026, 5, 10, 10, tzinfo=SHANGHAI)):
            task = drafts.create_draft(user(flow, "supervisor"), drafts.TaskDraft(
                title="农贸市场整改", lead_unit_id=flow["units"]["water"], deadline_on=date(2026, 5, 20)))
            workflow.dispatch(user(flow, "supervisor"), task)
        corrections.correct(user(flow, "supervisor"), task, corrected(
            task, lead_unit_id=flow["units"]["other"], deadline_on=date(2026, 8, 31)), "职责调整", task.version)
        may = figures.gather("2026-05")
        with clock.frozen(datetime(2026, 6, 3, 10, tzinfo=SHANGHAI)):
            june = figures.gather("2026-06")
    assert [(row.unit_name, row.tasks, row.overdue) for row in may.units] == [("县水利局", 1, 1)]
    assert [(row.unit_name, row.days_late) for row in may.overdue] == [("县水利局", 11)]
    assert [(row.unit_name, row.tasks, row.overdue) for row in june.units] == [("县商务局", 1, 0)]


def test_a_past_month_keeps_the_deadline_in_force_before_an_adjustment(app, flow):
    """Is a deadline the office moved in June still the one May's bulletin judged by?"""
    with app.app_context():
        with clock.frozen(datetime(2026, 5, 10, 10, tzinfo=SHANGHAI)):
            task = drafts.create_draft(user(flow, "supervisor"), drafts.TaskDraft(
                title="渡口整治", lead_unit_id=flow["units"]["water"], deadline_on=date(2026, 5, 25)))
            workflow.dispatch(user(flow, "supervisor"), task)
        corrections.correct(user(flow, "supervisor"), task, corrected(task, deadline_on=date(2026, 7, 31)),
                            "汛期顺延", task.version)
        may = figures.gather("2026-05")
        with clock.frozen(datetime(2026, 6, 3, 10, tzinfo=SHANGHAI)):
            june = figures.gather("2026-06")
    assert [(row.deadline_on, row.days_late) for row in may.overdue] == [(date(2026, 5, 25), 6)]
    assert june.overdue == []


def test_a_unit_returns_a_task_and_the_office_insists(app, client, auth, flow):
    """Does a return show 待调整 to the office, and insisting send it back to 待签收 with the note and a new clock?"""
    with app.app_context():
        task = new_task(flow, "assigned")
        task_id = task.id
    zh_login(client, auth, "lead_head")
    assert form_post(client, f"/tasks/{task_id}/return", {"reason": "该事项属县商务局职责"}).status_code == 302
    with app.app_context():
        assert db.session.get(RectificationTask, task_id).status == "returned"
        assert inbox_of(flow, "supervisor") == ["returned"]
    zh_login(client, auth, "supervisor")
    html = page(client, f"/tasks/{task_id}")
    assert "待调整" in html and "该事项属县商务局职责" in html
    assert "待调整" in page(client, "/tasks/?mine=returned")
    response = form_post(client, f"/tasks/{task_id}/return/answer", {"insist": "1", "note": ""})
    assert response.status_code == 400 and "坚持原单位时须填写说明" in response.get_data(as_text=True)
    with clock.frozen(datetime(2026, 6, 1, 18, tzinfo=SHANGHAI)):
        response = form_post(client, f"/tasks/{task_id}/return/answer",
                             {"insist": "1", "note": "供水保障仍由水利局牵头"})
    assert response.status_code == 302
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert (task.status, task.lead_unit_id) == ("assigned", flow["units"]["water"])
        assert dispatches.dispatched_at(task) == datetime(2026, 6, 1, 18, tzinfo=SHANGHAI)
        item = db.session.scalars(db.select(TaskReturn)).one()
        assert (item.status, item.decision_note) == ("insisted", "供水保障仍由水利局牵头")
        assert inbox_of(flow, "lead_head")[-1] == "insisted"
        assert audit_actions(task_id)[-2:] == ["returned", "insisted"]
    assert "重新交办" in page(client, f"/tasks/{task_id}")


def test_the_office_reassigns_a_returned_task(app, flow):
    """Is a reassigned task a new dispatch to the new unit, told to it, with the old unit's return counted?"""
    with app.app_context():
        task = new_task(flow, "assigned")
        returns.return_task(user(flow, "lead_head"), task, "不属本单位职责", task.version)
        with pytest.raises(DomainError, match="是该任务的配合单位"):
            returns.reassign(user(flow, "supervisor"), task, flow["units"]["town"], None, task.version)
        returns.reassign(user(flow, "supervisor"), task, flow["units"]["other"], "改由商务局牵头", task.version)
        task = db.session.get(RectificationTask, task.id)
        assert (task.status, task.lead_unit_id) == ("assigned", flow["units"]["other"])
        assert [(d.unit_id, d.kind) for d in dispatches.history(task)] == [
            (flow["units"]["water"], "dispatch"), (flow["units"]["other"], "reassign")]
        assert inbox_of(flow, "other_head") == ["redispatched"]
        assert inbox_of(flow, "lead_head") == ["corrected"]
        assert returns.return_counts() == {flow["units"]["water"]: 1}


def test_a_return_needs_a_reason_and_comes_before_acceptance(app, flow):
    """Is a return without a reason, or after 签收, refused with what to do, nothing saved?"""
    with app.app_context():
        task = new_task(flow, "assigned")
        before = snapshot(task.id)
        with pytest.raises(DomainError, match="请填写申请调整的理由"):
            returns.return_task(user(flow, "lead_head"), task, " ", task.version)
        assert snapshot(task.id) == before
        accepted = new_task(flow, "in_progress")
        before = snapshot(accepted.id)
        with pytest.raises(PermissionDenied, match="任务已签收"):
            returns.return_task(user(flow, "lead_head"), accepted, "不属本单位", accepted.version)
        assert snapshot(accepted.id) == before
        with pytest.raises(PermissionDenied):
            returns.return_task(user(flow, "co_head"), task, "不属本单位", task.version)


def test_returns_are_counted_per_unit_for_the_office(app, client, auth, flow):
    """Does the returns page list each unit's returns, most first, with those still waiting?"""
    with app.app_context():
        for title in ("甲任务", "乙任务"):
            task = new_task(flow, "assigned", title=title)
            returns.return_task(user(flow, "lead_head"), task, f"{title}不属本单位", task.version)
        returns.insist(user(flow, "supervisor"), task, "仍由你单位牵头", task.version)
    zh_login(client, auth, "supervisor")
    html = page(client, "/tasks/returns")
    table = html[html.index('id="returns-per-unit"'):html.index("</table>")]
    assert "县水利局" in table and "<td class=\"text-end\">2</td><td class=\"text-end\">1</td>" in table
    assert "乙任务不属本单位" in html and "坚持原单位" in html


def test_the_office_plans_milestones_with_a_new_task(app, client, auth, flow):
    """Are the milestones typed on the new-task form made with the draft, and a bad line refused with nothing saved?"""
    with app.app_context():
        water = flow["units"]["water"]
    zh_login(client, auth, "supervisor")
    html = page(client, "/tasks/new")
    data = {"form_token": hidden(html, "form_token"), "title": "河道清淤", "lead_unit": water,
            "deadline_on": "2026-09-30", "source": "manual", "supervision_level": "normal",
            "milestones": "2026-07-31 完成整改方案\n2026-08-31 完成清淤"}
    bad = client.post("/tasks/new", data={**data, "milestones": "七月底 完成整改方案"})
    assert bad.status_code == 400 and "时间节点第1行" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 0
    assert client.post("/tasks/new", data=data).status_code == 302
    with app.app_context():
        task = db.session.scalars(db.select(RectificationTask)).one()
        assert [(m.due_on, m.title) for m in task.milestones] == [
            (date(2026, 7, 31), "完成整改方案"), (date(2026, 8, 31), "完成清淤")]
        assert audit_actions(task.id) == ["created", "milestone_planned", "milestone_planned"]


def test_the_office_moves_and_deletes_open_milestones_but_not_done_ones(app, flow):
    """May the office move and delete open milestones (audited, told), while a done one stays as delivered?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        office = user(flow, "supervisor")
        first = milestone_plans.add(office, task, "完成方案", date(2026, 7, 1))
        second = milestone_plans.add(office, task, "完成招标", date(2026, 8, 1))
        milestone_plans.move(office, task, first, "完成方案审定", date(2026, 7, 15))
        milestone_plans.remove(office, task, second)
        progress.complete_milestone(user(flow, "lead_head"), task, first, "方案已审定")
        with pytest.raises(DomainError, match="该时间节点已完成"):
            milestone_plans.remove(office, task, first)
        with pytest.raises(DomainError, match="晚于任务完成时限"):
            milestone_plans.add(office, task, "完成验收", date(2026, 12, 1))
        assert [(m.title, m.due_on) for m in db.session.scalars(db.select(Milestone))] == [
            ("完成方案审定", date(2026, 7, 15))]
        reasons = db.session.scalars(db.select(AuditEntry.reason).where(
            AuditEntry.action.in_(("milestone_moved", "milestone_removed")))).all()
        assert reasons == ["2026-07-01 完成方案 → 2026-07-15 完成方案审定", "2026-08-01 完成招标"]
        assert inbox_of(flow, "lead_staff").count("milestone_changed") == 4
        # The lead unit still plans its own.
        progress.plan_milestone(user(flow, "lead_head"), task, "完成验收", date(2026, 9, 1))
        assert db.session.scalar(db.select(db.func.count()).select_from(Milestone)) == 2


def test_generated_drafts_carry_the_office_milestones(app, flow):
    """Does a draft made from a weak indicator keep the milestones typed on the generate page?"""
    from tracker.models import AssessmentPeriod, Indicator, IndicatorResult
    from tracker.services.indicators import task_drafts

    with app.app_context():
        period = AssessmentPeriod(name="2026年半年考核", kind="half_year",
                                  starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
        indicator = Indicator(name="农村自来水普及率", category="社会民生", weight=3,
                              lead_unit_id=flow["units"]["water"])
        db.session.add_all([period, indicator])
        db.session.flush()
        result = IndicatorResult(period_id=period.id, indicator_id=indicator.id, score=1, rank=12, peer_count=12)
        db.session.add(result)
        db.session.commit()
        draft = drafts.TaskDraft(title="提升农村自来水普及率", lead_unit_id=flow["units"]["water"],
                                 deadline_on=date(2026, 9, 30))
        created = task_drafts.create_tasks(user(flow, "supervisor"), period, [task_drafts.DraftInput(
            result_id=result.id, draft=draft, milestone_text="2026-07-31 完成管网摸排")])
        task = db.session.get(RectificationTask, created.created[0].id)
        assert task.status == "assigned" and [m.title for m in task.milestones] == ["完成管网摸排"]
        assert db.session.scalars(db.select(TaskDispatch.kind).where(TaskDispatch.task_id == task.id)).all() == [
            "dispatch"]
        assert db.session.get(Unit, task.lead_unit_id).name == "县水利局"


def test_stale_return_forms_get_the_conflict_message(app, flow):
    """Are a return and an answer to it made from an outdated page refused as conflicts, nothing saved?"""
    from tracker.services import ConflictError

    with app.app_context():
        task = new_task(flow, "assigned")
        stale = task.version
        corrections.correct(user(flow, "supervisor2"), task, corrected(task, title="另一位督查员改的标题"), None, stale)
        before = snapshot(task.id)
        with pytest.raises(ConflictError):
            returns.return_task(user(flow, "lead_head"), task, "不属本单位职责", stale)
        assert snapshot(task.id) == before
        returns.return_task(user(flow, "lead_head"), task, "不属本单位职责", task.version)
        stale = task.version - 1
        before = snapshot(task.id)
        with pytest.raises(ConflictError):
            returns.insist(user(flow, "supervisor"), task, "仍由你单位牵头", stale)
        assert snapshot(task.id) == before


def test_correcting_the_lead_unit_of_a_returned_task_answers_the_return(app, flow):
    """When the office corrects the lead unit of a returned task, is the return closed as reassigned?"""
    with app.app_context():
        task = new_task(flow, "assigned")
        returns.return_task(user(flow, "lead_head"), task, "不属本单位职责", task.version)
        corrections.correct(user(flow, "supervisor"), task, corrected(task, lead_unit_id=flow["units"]["other"]),
                            "改由商务局牵头", task.version)
        item = db.session.scalars(db.select(TaskReturn)).one()
        assert (item.status, item.new_unit_id, task.status) == ("reassigned", flow["units"]["other"], "assigned")
        assert returns.pending_return(task) is None
