"""Does the import of tasks from other sources check every row first and create all the tasks or none?"""
from datetime import date

import pytest
from flask_babel import force_locale

from tests.indicator_helpers import counts, csv_bytes, xlsx_bytes
from tracker.extensions import db
from tracker.models import Notification, RectificationTask, Unit, User
from tracker.services import PermissionDenied
from tracker.services.documents.cells import CellError, read_date
from tracker.services.documents.sheets import ParseError
from tracker.services.tasks import sheet_import

HEADER = ["序号", "问题", "来源", "牵头单位", "配合单位", "责任领导", "完成时限", "督办级别", "整改措施"]
ROWS = [
    [1, "城区背街小巷路灯损坏未及时修复", "察访核验反馈问题", "县住房和城乡建设局", "城关镇、县财政局",
     "分管城建副县长", "2026-09-30", "重点", "10月前完成路灯排查修复"],
    [2, "农村饮水工程部分管网老化漏水", "群众满意度调查", "县水利局", "", "领导4", "2026年10月31日", "一般",
     "更换老化管网"],
    [3, "政务服务大厅窗口排队时间长", "督查发现", "县政务服务中心", "", "", "2026/12/31", "挂牌", ""],
]


def sheet(rows=ROWS, header=HEADER, **kwargs):
    """A task sheet as an office sends it (.xlsx with a title line)."""
    return xlsx_bytes(rows, header=header, title="2026年上半年察访核验反馈问题整改清单", **kwargs)


def actor(name="supervisor"):
    """A user by user name."""
    return db.session.scalar(db.select(User).where(User.username == name))


def test_a_good_sheet_becomes_drafts(app, results_county):
    """Does every row become a draft with its source, units, leader, deadline, level and measures?"""
    with app.app_context():
        plan, created = sheet_import.apply_task_import(actor(), sheet(), "清单.xlsx")
        assert [t.status for t in created] == ["draft"] * 3
        first, second, third = created
        assert (first.title, first.source, first.lead_unit.name) == (
            "城区背街小巷路灯损坏未及时修复", "inspection", "县住房和城乡建设局")
        assert {u.name for u in first.co_units} == {"城关镇", "县财政局"}
        assert first.responsible_leader.title == "分管城建副县长" and first.supervision_level == "key"
        assert first.deadline_on == date(2026, 9, 30) and first.measures == "10月前完成路灯排查修复"
        assert (second.source, second.deadline_on, second.responsible_leader.display_name) == (
            "survey", date(2026, 10, 31), "领导4")
        assert (third.source, third.supervision_level, third.responsible_leader) == ("supervision", "listed", None)
        assert all(t.code.startswith("ZG2026-") for t in created)


def test_dispatching_on_import_sends_them_to_the_units(app, results_county):
    """With dispatch chosen, are the tasks assigned and their lead units told?"""
    with app.app_context():
        _plan, created = sheet_import.apply_task_import(actor(), sheet(), "清单.xlsx", dispatch=True)
        assert [t.status for t in created] == ["assigned"] * 3
        head = actor("unithead")
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                                 .where(Notification.user_id == head.id, Notification.kind == "dispatched")) == 1


@pytest.mark.parametrize("change, column, code", [
    ({3: "县城管局"}, "牵头单位", "unknown_unit"),
    ({4: "城关镇，县规划局"}, "配合单位", "unknown_unit"),
    ({5: "分管教育副县长"}, "责任领导", "unknown_leader"),
    ({6: "2026-07-01"}, "完成时限", "past_deadline"),
    ({6: "九月底"}, "完成时限", "not_a_date"),
    ({6: None}, "完成时限", "required"),
    ({1: None}, "问题", "required"),
    ({2: "网上舆情"}, "来源", "bad_word"),
    ({7: "特急"}, "督办级别", "bad_word"),
    ({1: "长" * 301}, "问题", "too_long"),
])
def test_one_bad_row_means_no_task_is_created(app, results_county, change, column, code):
    """Is each kind of bad cell reported with its row and column, and nothing created at all?"""
    with app.app_context():
        before = counts()
        rows = [list(r) for r in ROWS]
        for index, value in change.items():
            rows[1][index] = value
        with pytest.raises(sheet_import.TaskImportRejected) as caught:
            sheet_import.apply_task_import(actor(), sheet(rows), "清单.xlsx", dispatch=True)
        assert [(e.row, e.column, e.code) for e in caught.value.plan.errors] == [(5, column, code)]
        db.session.rollback()
        assert counts() == before


def test_deactivated_unit_and_duplicate_rows(app, results_county):
    """Are a deactivated lead unit and the same task twice in the file both refused?"""
    with app.app_context():
        db.session.get(Unit, results_county["units"]["县财政局"]).is_active = False
        db.session.commit()
        rows = [ROWS[0], ROWS[1], ROWS[1], [4, "财政问题", "督查发现", "县财政局", "", "", "2026-12-31", "", ""]]
        plan = sheet_import.plan_task_import(actor(), sheet(rows), "清单.xlsx")
        assert {(e.row, e.code) for e in plan.errors} == {(4, "inactive_unit"), (6, "duplicate_task"),
                                                          (7, "inactive_unit")}


def test_importing_the_same_file_twice_skips_existing_tasks(app, results_county):
    """Does a second import of the same sheet skip the tasks it created the first time?"""
    with app.app_context():
        sheet_import.apply_task_import(actor(), sheet(), "清单.xlsx")
        rows = ROWS + [[4, "新增问题：停车难", "督查发现", "县公安局", "", "", "2026-12-31", "", ""]]
        plan, created = sheet_import.apply_task_import(actor(), sheet(rows), "清单.xlsx")
        assert len(plan.skipped_rows) == 3 and [t.title for t in created] == ["新增问题：停车难"]
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 4


def test_gbk_csv_with_the_source_column_missing(app, results_county):
    """Does a GBK CSV without 来源 import, taking the source chosen on the page?"""
    with app.app_context():
        header = ["任务名称", "牵头单位", "完成时限", "问题描述"]
        data = csv_bytes([["窗口服务态度差", "县政务服务中心", "2026年９月３０日前", "群众反映窗口人员态度生硬"]],
                         header=header, encoding="gbk", title="群众满意度调查问题清单")
        _plan, created = sheet_import.apply_task_import(actor(), data, "问题.csv", default_source="survey")
        task = created[0]
        assert (task.source, task.deadline_on, task.problem) == (
            "survey", date(2026, 9, 30), "群众反映窗口人员态度生硬")


def test_only_the_office_imports_tasks(app, results_county):
    """Is a unit head refused?"""
    with app.app_context(), pytest.raises(PermissionDenied):
        sheet_import.plan_task_import(actor("unithead"), sheet(), "清单.xlsx")


def test_a_sheet_without_the_task_header_is_refused(app, results_county):
    """Is a sheet without a recognisable header refused whole, with a message naming the columns?"""
    with app.app_context(), force_locale("en"), pytest.raises(ParseError) as caught:
        sheet_import.plan_task_import(actor(), xlsx_bytes([["a", "b"]], header=["甲", "乙"]), "x.xlsx")
    assert caught.value.code == "no_header" and "任务名称" in str(caught.value)


@pytest.mark.parametrize("typed, expected", [
    ("2026-09-30", date(2026, 9, 30)), ("2026/9/30", date(2026, 9, 30)), ("2026.9.30", date(2026, 9, 30)),
    ("2026年9月30日", date(2026, 9, 30)), ("２０２６年９月３０日前", date(2026, 9, 30)),
    ("20260930", date(2026, 9, 30)),
    (46295, date(2026, 9, 30)), (None, None),
])
def test_date_forms(typed, expected):
    """Are the ways offices write a deadline all read?"""
    assert read_date(typed) == expected


@pytest.mark.parametrize("typed", ["2026-02-30", "明年", "9月30日"])
def test_bad_dates(typed, app):
    """Is an impossible or yearless date refused?"""
    with app.test_request_context(), pytest.raises(CellError):
        read_date(typed)
