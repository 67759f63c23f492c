"""Indicators across periods: hand marks, open tasks carried into the next period, the duplicate guard, 回头看."""
import io
import json
import re
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from tests.conftest import DEMO_PASSWORD, make_user
from tests.indicator_helpers import TODAY, make_period, sample_bytes, xlsx_bytes
from tracker import clock
from tracker.extensions import db
from tracker.models import AssessmentPeriod, AuditEntry, RectificationTask, TaskResultLink, User
from tracker.services import DomainError
from tracker.services.bulletins import figures
from tracker.services.indicators import board, marks, results_import, task_drafts, weakness
from tracker.services.tasks import drafts

Q3 = "2026年前三季度考核"
OCTOBER = datetime(2026, 10, 12, 12, 0, tzinfo=clock.local_tz())  # the hand mark is made then
NOVEMBER = datetime(2026, 11, 5, 12, 0, tzinfo=clock.local_tz())  # October's bulletin is rebuilt then


def sample_rows(changes=None):
    """The half-year sample's rows, with {indicator name: {column index: value}} applied."""
    sheet = openpyxl.load_workbook(io.BytesIO(sample_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)]
    for row in rows:
        row[10] = "75%"
        for column, value in (changes or {}).get(row[2], {}).items():
            row[column] = value
    return rows


def zh_login(client, username):
    """Log in through the form; the UI stays in Chinese."""
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})


def office(results_county):
    """The supervisor."""
    return db.session.get(User, results_county["supervisor"])


def result_of(period, name):
    """The period's result of the named indicator."""
    return next(item.result for item in weakness.evaluate_period(period) if item.indicator.name == name)


def make_tasks(actor, period, names):
    """Dispatched tasks made from the period's named weak results, through the generate service."""
    inputs = []
    for proposal in task_drafts.propose(actor, period, [result_of(period, name).id for name in names]):
        inputs.append(task_drafts.DraftInput(result_id=proposal.result.id, draft=proposal.draft))
    return task_drafts.create_tasks(actor, period, inputs).created


@pytest.fixture
def second_period(app, imported, results_county):
    """H1 tasks for 民间投资增速 (still last in Q3) and 服务业增加值增速 (1st in Q3, full marks); Q3 imported."""
    with app.app_context():
        actor = office(results_county)
        h1 = db.session.get(AssessmentPeriod, imported["current"])
        carried, improved = make_tasks(actor, h1, ["民间投资增速", "服务业增加值增速"])
        q3 = make_period(Q3, date(2026, 1, 1), date(2026, 9, 30))
        rows = sample_rows({"服务业增加值增速": {4: 3, 5: 1}})
        results_import.apply_import(actor, q3, xlsx_bytes(rows, title="云溪县2026年前三季度考核"), "q3.xlsx")
        db.session.commit()
        return {"h1": h1.id, "q3": q3.id, "carried": carried.id, "improved": improved.id}


def periods(ids):
    """The H1 and Q3 periods."""
    return db.session.get(AssessmentPeriod, ids["h1"]), db.session.get(AssessmentPeriod, ids["q3"])


# --- which indicator is weak, on real sheets --------------------------------------------------------

def test_full_score_first_place_is_not_weak_even_below_target(app, second_period):
    """服务业增加值增速 in Q3: 3/3 points, 1st of 12, actual 5.6 below the target 8.6: a strength, with a 关注 note."""
    with app.app_context():
        _h1, q3 = periods(second_period)
        item = next(i for i in weakness.evaluate_period(q3) if i.indicator.name == "服务业增加值增速")
        assert not item.is_weak and item.is_strength and item.findings == ("behind_progress",)
        assert "关注" in item.note and "完成值5.6 < 目标值8.6（比率，越高越好）" in item.note


# --- hand marks ----------------------------------------------------------------------------------------

def test_hand_mark_changes_the_board_and_the_bulletin(app, client, second_period, results_county):
    """Marked weak by hand with a reason: weak on the board with the mark, in the bulletin with the reason."""
    with app.app_context():
        _h1, q3 = periods(second_period)
        result = result_of(q3, "地区生产总值增速")  # 2nd of 12: not weak by any rule
        assert not next(i for i in weakness.evaluate_period(q3) if i.result.id == result.id).is_weak
        result_id = result.id
    zh_login(client, "supervisor")
    page = client.get(f"/indicators/periods/{second_period['q3']}/results/{result_id}/mark")
    assert page.status_code == 200 and "人工认定" in page.get_data(as_text=True)
    refused = client.post(f"/indicators/periods/{second_period['q3']}/results/{result_id}/mark",
                          data={"mark": "weak", "reason": "  "})
    assert refused.status_code == 400 and "理由不能为空" in refused.get_data(as_text=True)
    saved = client.post(f"/indicators/periods/{second_period['q3']}/results/{result_id}/mark",
                        data={"mark": "weak", "reason": "市直部门反馈摆尾"})
    assert saved.status_code == 302
    page = client.get(f"/indicators/periods/{second_period['q3']}?show=weak").get_data(as_text=True)
    row = page[page.index('data-indicator="地区生产总值增速"'):]
    row = row[:row.index("</tr>")]
    assert 'data-mark="weak"' in row and "督查室认定为弱项：市直部门反馈摆尾" in row
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "indicator_marked")).one()
        assert "市直部门反馈摆尾" in entry.reason and entry.to_status == "weak"
        with clock.frozen(NOVEMBER):
            data = figures.gather("2026-10")
        row = next(r for r in data.weak.rows if r.name == "地区生产总值增速")
        assert row.hand_mark == "weak" and row.hand_mark_reason == "市直部门反馈摆尾"


def test_a_rebuilt_bulletin_knows_only_the_marks_made_by_its_cut_off(app, second_period, results_county):
    """A mark made on 12 October: in October's bulletin, not in September's rebuilt after it."""
    with app.app_context():
        _h1, q3 = periods(second_period)
        with clock.frozen(OCTOBER):
            marks.set_mark(office(results_county), result_of(q3, "地区生产总值增速"), "weak", "市直部门反馈摆尾")
        with clock.frozen(NOVEMBER):
            october, september = figures.gather("2026-10"), figures.gather("2026-09")
        assert september.weak.period_name == october.weak.period_name == Q3
        assert "地区生产总值增速" in [r.name for r in october.weak.rows]
        assert "地区生产总值增速" not in [r.name for r in september.weak.rows]


def test_mark_not_weak_takes_an_indicator_off_the_weak_list(app, second_period, results_county):
    """Marked not weak: off the weak list, the rule reasons still listed, the bulletin names it with the reason."""
    with app.app_context():
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        marks.set_mark(office(results_county), result, "not_weak", "省定口径调整，本期不计")
        item = next(i for i in weakness.evaluate_period(q3) if i.result.id == result.id)
        assert not item.is_weak and item.rule_weak and "last_place" in item.reasons
        with pytest.raises(DomainError):
            marks.set_mark(office(results_county), result, "weak", "")
        with clock.frozen(NOVEMBER):
            data = figures.gather("2026-10")
        assert ("民间投资增速", "省定口径调整，本期不计") in data.weak.not_weak_marks


# --- continuity ------------------------------------------------------------------------------------------

def test_open_tasks_carry_into_the_next_period(app, client, second_period):
    """Does the Q3 board list the H1 task of 民间投资增速, marked 结转自 the half-year, and still offer linking?"""
    zh_login(client, "supervisor")
    page = client.get(f"/indicators/periods/{second_period['q3']}").get_data(as_text=True)
    row = page[page.index('data-indicator="民间投资增速"'):]
    row = row[:row.index("</tr>")]
    with app.app_context():
        code = db.session.get(RectificationTask, second_period["carried"]).code
        h1_name = db.session.get(AssessmentPeriod, second_period["h1"]).name
    assert code in row and f"结转自{h1_name}" in row
    assert 'name="result"' in row  # a weak indicator with only a carried task may be ticked: linking is offered
    assert "未办结任务按指标计" in page
    # The dashboard counts it for Q3 too, says it is carried, and its link lists exactly it.
    home = client.get("/").get_data(as_text=True)
    row = home[home.index('<tr data-indicator="民间投资增速">'):]
    row = row[:row.index("</tr>")]
    assert "1项结转" in row
    link = re.search(r'href="(/tasks/\?[^"]*answering=[^"]*)">1</a>', row).group(1).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert re.findall(r'<td class="task-title"><a href="/tasks/(\d+)"', listed) == [str(second_period["carried"])]


def test_generating_again_offers_the_link_and_a_second_task_needs_a_reason(app, second_period, results_county):
    """The guard: the proposal names the carried task; linking makes no task; a second one needs a reason."""
    with app.app_context():
        actor = office(results_county)
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        (proposal,) = task_drafts.propose(actor, q3, [result.id])
        assert [task.id for task in proposal.carried] == [second_period["carried"]]
        before = db.session.scalar(db.select(db.func.count(RectificationTask.id)))
        with pytest.raises(task_drafts.BatchRejected) as refused:
            task_drafts.create_tasks(actor, q3, [task_drafts.DraftInput(result.id, proposal.draft)])
        assert "已有牵头单位相同的未办结任务" in refused.value.errors[0]
        outcome = task_drafts.create_tasks(actor, q3, [task_drafts.DraftInput(
            result.id, proposal.draft, link_task_id=second_period["carried"])])
        assert outcome.created == [] and [t.id for t in outcome.linked] == [second_period["carried"]]
        assert db.session.scalar(db.select(db.func.count(RectificationTask.id))) == before
        assert db.session.scalars(db.select(TaskResultLink)).one().result_id == result.id
        # Linked: the result now has its task; no second proposal.
        (again,) = task_drafts.propose(actor, q3, [result.id])
        assert again.draft is None


def test_second_task_with_a_reason_is_created_and_says_why(app, second_period, results_county):
    """Creating a second task anyway, with a reason: created, the reason kept and audited."""
    with app.app_context():
        actor = office(results_county)
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        (proposal,) = task_drafts.propose(actor, q3, [result.id])
        proposal.draft.duplicate_reason = "原任务措施针对上半年项目，三季度需另行攻坚"
        (task,) = task_drafts.create_tasks(actor, q3, [task_drafts.DraftInput(result.id, proposal.draft)]).created
        assert task.duplicate_reason.startswith("原任务措施")
        created = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.task_id == task.id, AuditEntry.action == "created")).one()
        assert "原任务措施" in created.reason


def test_link_to_a_task_of_another_indicator_is_refused(app, second_period, results_county):
    """A tampered link to another indicator's task: refused with a message, nothing linked."""
    with app.app_context():
        actor = office(results_county)
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        (proposal,) = task_drafts.propose(actor, q3, [result.id])
        with pytest.raises(task_drafts.BatchRejected) as refused:
            task_drafts.create_tasks(actor, q3, [task_drafts.DraftInput(
                result.id, proposal.draft, link_task_id=second_period["improved"])])
        assert "其他指标" in refused.value.errors[0]
        assert db.session.scalar(db.select(db.func.count(TaskResultLink.id))) == 0


def test_manual_task_for_an_indicator_obeys_the_guard(app, second_period, results_county):
    """A task made by hand for the same indicator and lead unit: refused without a reason, made with one."""
    with app.app_context():
        actor = office(results_county)
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        carried = db.session.get(RectificationTask, second_period["carried"])
        draft = drafts.TaskDraft(title="民间投资专项攻坚", lead_unit_id=carried.lead_unit_id,
                                 deadline_on=TODAY + timedelta(days=30), indicator_result_id=result.id,
                                 period_id=q3.id)
        with pytest.raises(drafts.DuplicateTask) as refused:
            drafts.create_draft(actor, draft)
        assert carried.code in str(refused.value)
        draft.duplicate_reason = "县政府专题会议要求另立专项"
        assert drafts.create_draft(actor, draft).duplicate_reason == "县政府专题会议要求另立专项"


# --- 回头看 ------------------------------------------------------------------------------------------------

def close(actor, task):
    """Close a task out directly through the workflow's close (as the office approving it)."""
    task.status = "closed"
    task.closed_at = task.created_at
    db.session.add(AuditEntry(task_id=task.id, object_type="task", object_id=task.id, actor_id=actor.id,
                              action="closeout_approved", from_status="pending_review", to_status="closed",
                              created_at=task.created_at))
    db.session.commit()


def test_recheck_flags_no_effect_and_effective(app, client, second_period, results_county):
    """Closed: 民间投资增速 still last → 整改成效未显现; 服务业增加值增速 now 1st → 成效明显; board, CLI, bulletin."""
    with app.app_context():
        actor = office(results_county)
        for key in ("carried", "improved"):
            close(actor, db.session.get(RectificationTask, second_period[key]))
        _h1, q3 = periods(second_period)
        rows = {row["indicator"]: row for row in board.records(q3)}
        assert rows["民间投资增速"]["recheck"] == "no_effect" and rows["服务业增加值增速"]["recheck"] == "effective"
        assert rows["地区生产总值增速"]["recheck"] is None
        with clock.frozen(NOVEMBER):
            data = figures.gather("2026-10")
        assert [r.indicator_name for r in data.weak.no_effect] == ["民间投资增速"]
        assert [r.indicator_name for r in data.weak.effective] == ["服务业增加值增速"]
    zh_login(client, "supervisor")
    page = client.get(f"/indicators/periods/{second_period['q3']}").get_data(as_text=True)
    assert 'data-recheck="no_effect"' in page and "整改成效未显现" in page and "成效明显" in page
    home = client.get("/").get_data(as_text=True)
    cards = home[home.index('id="rechecks"'):]
    assert cards.index('data-recheck="no_effect"') < cards.index('data-recheck="effective"')


def test_board_json_cli(app, runner, second_period, results_county):
    """`flask indicators board --period NAME --format json`: one object per indicator, the board's data."""
    result = runner.invoke(args=["indicators", "board", "--period", Q3, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 36
    row = next(r for r in rows if r["indicator"] == "民间投资增速")
    with app.app_context():
        code = db.session.get(RectificationTask, second_period["carried"]).code
    assert row["weak"] is True and row["rank"] == 12 and row["peers"] == 12 and "last_place" in row["reasons"]
    assert row["open_tasks"] == [code] and row["hand_mark"] is None and row["recheck"] is None
    strong = next(r for r in rows if r["indicator"] == "服务业增加值增速")
    assert strong["weak"] is False and strong["note"].startswith("关注") and strong["score"] == strong["weight"]
    missing = runner.invoke(args=["indicators", "board", "--period", "2030年度考核", "--format", "json"])
    assert missing.exit_code != 0 and "No period" in missing.output


def test_task_sheet_import_obeys_the_guard(app, second_period, results_county):
    """A task sheet row naming 民间投资增速 for its lead unit: refused without 新建理由, created with one."""
    from tracker.services.tasks import sheet_import

    with app.app_context():
        actor = office(results_county)
        carried = db.session.get(RectificationTask, second_period["carried"])
        header = ["任务名称", "牵头单位", "完成时限", "考核指标", "新建理由"]
        deadline = (TODAY + timedelta(days=40)).isoformat()
        row = ["民间投资三季度专项攻坚", carried.lead_unit.name, deadline, "民间投资增速"]
        plan = sheet_import.plan_task_import(actor, xlsx_bytes([row + [None]], header=header), "tasks.xlsx")
        (error,) = plan.errors
        assert error.code == "duplicate_indicator_task" and carried.code in error.message
        stray = ["某任务", carried.lead_unit.name, deadline, "不存在的指标", None]
        unknown = sheet_import.plan_task_import(actor, xlsx_bytes([stray], header=header), "tasks.xlsx")
        assert unknown.errors[0].code == "unknown_indicator"
        _plan, (task,) = sheet_import.apply_task_import(
            actor, xlsx_bytes([row + ["县委常委会要求另立专项"]], header=header), "tasks.xlsx")
        _h1, q3 = periods(second_period)
        assert task.indicator_result.period_id == q3.id and task.source == "indicator"
        assert task.duplicate_reason == "县委常委会要求另立专项"


# --- reopening and follow-up after 回头看 -------------------------------------------------------------------

def test_reopen_after_recheck_keeps_past_months_closed(app, client, second_period, results_county):
    """Reopen the no-effect task in October: refused without a deadline or in the past; then 整改中, told, and
    September's bulletin rebuilt later still shows it closed then (回头看), October's as carried and open."""
    from tracker.models import Notification
    from tracker.services.tasks import reopening

    with app.app_context():
        actor = office(results_county)
        task = db.session.get(RectificationTask, second_period["carried"])
        head = make_user("fgwhead", "unit_head", task.lead_unit)  # 县发展和改革局's head, to be told
        close(actor, task)
        with clock.frozen(OCTOBER):
            for deadline, reason, message in ((None, "仍为弱项", "新完成时限"),
                                              (OCTOBER.date(), "仍为弱项", "不晚于今天"),
                                              (date(2026, 12, 31), " ", "不能为空")):
                with pytest.raises(DomainError) as refused:
                    reopening.reopen(actor, task, deadline, reason)
                assert message in str(refused.value)
                db.session.rollback()
            assert db.session.get(RectificationTask, task.id).status == "closed"
            reopening.reopen(actor, task, date(2026, 12, 31), "前三季度仍排名末位，整改成效未显现")
        task = db.session.get(RectificationTask, task.id)
        assert task.status == "in_progress" and task.deadline_on == date(2026, 12, 31) and task.closed_at is None
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)
                                   .order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.from_status, entry.to_status) == ("reopened", "closed", "in_progress")
        told = db.session.scalars(db.select(Notification).where(Notification.task_id == task.id,
                                                                Notification.kind == "reopened")).all()
        assert [note.user_id for note in told] == [head.id]
        with clock.frozen(NOVEMBER):
            september, october = figures.gather("2026-09"), figures.gather("2026-10")
        assert task.code in [row.code for row in september.weak.no_effect]
        row = next(r for r in october.weak.rows if r.name == "民间投资增速")
        carried = next(t for t in row.tasks if t.code == task.code)
        assert carried.status == "in_progress" and carried.origin_period_name
        assert task.code not in [r.code for r in october.weak.no_effect]


def test_reopen_and_follow_up_pages(app, client, second_period, results_county):
    """On the closed task's page the office sees 回头看 and the two buttons; a follow-up draft links back."""
    with app.app_context():
        close(office(results_county), db.session.get(RectificationTask, second_period["carried"]))
    zh_login(client, "supervisor")
    task_id = second_period["carried"]
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-recheck="no_effect"' in page and "整改成效未显现" in page
    assert f'href="/tasks/{task_id}/reopen"' in page and f'href="/tasks/{task_id}/follow-up"' in page
    form = client.get(f"/tasks/{task_id}/follow-up").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    made = client.post(f"/tasks/{task_id}/follow-up", data={"version": version})
    assert made.status_code == 302 and "/edit" in made.headers["Location"]
    with app.app_context():
        follow = db.session.scalars(db.select(RectificationTask).where(
            RectificationTask.follow_up_of_id == task_id)).one()
        _h1, q3 = periods(second_period)
        assert follow.status == "draft" and follow.indicator_result.period_id == q3.id
        assert "回头看" in follow.problem
    client.post("/auth/logout")
    zh_login(client, "unithead")
    assert client.get(f"/tasks/{task_id}/reopen").status_code == 403


def test_new_task_form_offers_the_indicator_and_obeys_the_guard(app, client, second_period):
    """The new-task page: an indicator of the latest period; the same lead unit again needs a reason."""
    with app.app_context():
        _h1, q3 = periods(second_period)
        result = result_of(q3, "民间投资增速")
        carried = db.session.get(RectificationTask, second_period["carried"])
        result_id, lead_id, code = result.id, carried.lead_unit_id, carried.code
    zh_login(client, "supervisor")
    page = client.get("/tasks/new").get_data(as_text=True)
    assert f'<option value="{result_id}">民间投资增速（{Q3}）</option>' in page
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"title": "民间投资专项攻坚", "lead_unit": lead_id, "deadline_on": "2026-09-30", "source": "indicator",
            "supervision_level": "normal", "indicator_result": result_id, "form_token": token}
    refused = client.post("/tasks/new", data=data)
    assert refused.status_code == 400 and code in refused.get_data(as_text=True)
    made = client.post("/tasks/new", data={**data, "duplicate_reason": "县政府专题会议要求另立专项"})
    assert made.status_code == 302
    with app.app_context():
        task = db.session.scalars(db.select(RectificationTask)
                                  .where(RectificationTask.title == "民间投资专项攻坚")).one()
        assert task.indicator_result_id == result_id and task.period_id == second_period["q3"]
