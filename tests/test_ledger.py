"""The ledger (整改台账): the task list's own rows as .xlsx and as a print view, for whoever may see them."""
import io
import re
import zipfile
from datetime import timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from tests.conftest import DEMO_PASSWORD
from tests.workflow_helpers import TODAY, new_task, user
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    CloseoutRequest,
    ExtensionRequest,
    Indicator,
    IndicatorResult,
    Milestone,
    ProgressReport,
    Unit,
    Urge,
)
from tracker.services.tasks import ledger, queries
from tracker.tasks import export_routes


def login(client, username, english=True):
    """Log in through the form; English UI unless asked otherwise."""
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
    if english:
        client.post("/lang/en")


def workbook(response):
    """The downloaded .xlsx opened with openpyxl, after checking it is one."""
    assert response.status_code == 200
    assert response.mimetype == ledger.XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def data_rows(sheet):
    """The task rows of the ledger sheet (the header left out), as value tuples."""
    return list(sheet.iter_rows(min_row=2, values_only=True))


def column(name):
    """The 0-based index of a ledger field in a row."""
    return [field for field, _label, _width in ledger.COLUMNS].index(name)


@pytest.fixture
def tasks(app, flow):
    """Tasks of 县水利局 in several states, one of 县商务局, and a draft; reports on one of them; ids only."""
    with app.app_context():
        now = clock.now()
        made = {
            "overdue": new_task(flow, "in_progress", title="防汛物资储备不足", deadline_on=TODAY - timedelta(days=9),
                                code="ZG2026-0001", percent_done=40),
            "soon": new_task(flow, "in_progress", title="排涝泵站改造", deadline_on=TODAY + timedelta(days=2),
                             code="ZG2026-0002", last_reported_at=now),
            "closed": new_task(flow, "closed", title="水毁工程修复", deadline_on=TODAY - timedelta(days=5),
                               code="ZG2026-0003", closed_at=now, percent_done=100),
            "draft": new_task(flow, "draft", title="水利草稿", code="ZG2026-0004"),
        }
        other = new_task(flow, "in_progress", title="外贸企业培育", code="ZG2026-0005")
        other.lead_unit_id, other.co_units = flow["units"]["other"], []
        for days, body in ((10, "已完成选址"), (2, "已完成招标，进入施工")):
            db.session.add(ProgressReport(task_id=made["soon"].id, unit_id=flow["units"]["water"],
                                          author_id=flow["users"]["lead_staff"], body=body, percent_done=50,
                                          created_at=now - timedelta(days=days)))
        db.session.commit()
        return {key: task.id for key, task in made.items()} | {"other": other.id}


def listed_codes(flow, key, filed=False, **args):
    """The codes the task list shows the actor for these filters, in its order (`filed`: as a ledger files them)."""
    filters, _ = queries.TaskFilters.from_args(MultiDict({k: str(v) for k, v in args.items()}))
    tasks = db.session.scalars(queries.filtered_tasks(user(flow, key), filters))
    return [t.code for t in tasks if not filed or filters.status or t.status not in ("draft", "cancelled")]


@pytest.mark.parametrize("args", [{}, {"light": "red"}, {"status": "in_progress", "sort": "-deadline"},
                                  {"q": "泵站"}, {"overdue": "1"}, {"status": "draft"}])
def test_export_has_the_lists_rows_in_its_order(app, client, flow, tasks, args):
    """Does the .xlsx hold the tasks the list shows for the same filters, in the same order, drafts only if asked?"""
    login(client, "supervisor")
    sheet = workbook(client.get("/tasks/export.xlsx", query_string=args)).worksheets[0]
    with app.app_context():
        expected = listed_codes(flow, "supervisor", filed=True, **args)
    assert ("ZG2026-0004" in expected) == (args.get("status") == "draft")
    assert [row[column("code")] for row in data_rows(sheet)] == expected
    assert [row[column("number")] for row in data_rows(sheet)] == list(range(1, len(expected) + 1))


def test_a_unit_user_exports_only_their_units_tasks(app, client, flow, tasks):
    """Does a unit's staff get its unit's tasks only: no other unit's task and no draft?"""
    login(client, "waterstaff")
    sheet = workbook(client.get("/tasks/export.xlsx")).worksheets[0]
    codes = {row[column("code")] for row in data_rows(sheet)}
    assert codes == {"ZG2026-0001", "ZG2026-0002", "ZG2026-0003"}
    sheet = workbook(client.get("/tasks/export.xlsx", query_string={"lead_unit": flow["units"]["other"]})).worksheets[0]
    assert data_rows(sheet) == []


def test_the_sheet_is_formatted_for_handing_upward(app, client, flow, tasks):
    """Are the headers bold on a coloured fill, the first row frozen, widths set, dates real dates, days late right?"""
    login(client, "supervisor")
    book = workbook(client.get("/tasks/export.xlsx", query_string={"sort": "code"}))
    sheet = book.worksheets[0]
    with app.app_context(), force_locale("en"):
        assert [cell.value for cell in sheet[1]] == [str(label) for _name, label, _width in ledger.COLUMNS]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith(ledger.BRAND_RED)
    assert sheet.column_dimensions["C"].width == 30
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    first = sheet[2]
    deadline = first[column("deadline_on")]
    assert deadline.is_date and deadline.value.date() == TODAY - timedelta(days=9)
    assert first[column("days_late")].value == 9 and first[column("light")].value == "Red"
    assert first[column("title")].alignment.wrap_text
    soon = sheet[3]
    assert soon[column("last_report")].value == "已完成招标，进入施工"
    assert soon[column("last_report_on")].value.date() == TODAY - timedelta(days=2)
    assert sheet[4][column("closed_on")].value.date() == TODAY and sheet[4][column("days_late")].value is None


def test_an_export_of_no_rows_is_a_valid_file_with_headers(client, flow, tasks):
    """Does a filter matching nothing give a real workbook with the header row and no task?"""
    login(client, "supervisor")
    sheet = workbook(client.get("/tasks/export.xlsx", query_string={"q": "没有这样的任务"})).worksheets[0]
    assert sheet.max_row == 1 and sheet["A1"].value == "No."


def test_the_chinese_ledger_has_chinese_headers_and_name(client, flow, tasks):
    """In the default language, is the file named 整改台账-<date>.xlsx with Chinese column headers?"""
    login(client, "supervisor", english=False)
    response = client.get("/tasks/export.xlsx")
    assert f"{TODAY:%Y%m%d}.xlsx" in response.headers["Content-Disposition"]
    headers = [cell.value for cell in workbook(response).worksheets[0][1]]
    assert headers[column("lead_unit")] == "牵头单位" and headers[column("deadline_on")] == "完成时限"


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-3", "@SUM(A1)",
                                   "\t=1+1", "\r=1+1"])
def test_formula_like_text_is_written_as_text(app, client, flow, title):
    """Is a title that starts like a formula stored as quoted text, never as a formula?"""
    with app.app_context():
        new_task(flow, "in_progress", title=title + "\x07", code="ZG2026-0099")
    login(client, "supervisor")
    response = client.get("/tasks/export.xlsx")
    cell = workbook(response).worksheets[0]["C2"]
    # (XML reads a carriage return back as a line feed; the leading whitespace is the user's, kept.)
    assert (cell.value.lstrip(), cell.data_type, cell.quotePrefix) == (title.lstrip(), "s", True)
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_ignored_filters_are_named_in_the_file_and_the_print_view(client, flow, tasks):
    """Does an invalid filter value still give the ledger, saying which filters were ignored?"""
    login(client, "supervisor")
    book = workbook(client.get("/tasks/export.xlsx?light=purple&lead_unit=abc&status=closed"))
    assert len(data_rows(book.worksheets[0])) == 1
    about = {row[0]: row[1] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert "light, lead_unit" in about["Ignored"] and about["Status"] == "Closed out"
    page = client.get("/tasks/print?light=purple&status=closed")
    assert page.status_code == 200 and "ignored: light" in page.get_data(as_text=True)


def test_print_view_is_the_same_list_on_a4_landscape_without_navigation(app, client, flow, tasks):
    """Does the print view show the list's tasks in its order, for A4 landscape, with no navigation bar?"""
    login(client, "supervisor")
    html = client.get("/tasks/print?light=red").get_data(as_text=True)
    # The page's own stylesheet (no inline <style> under the Content-Security-Policy) sets the paper.
    assert 'href="/static/css/print.css"' in html and "<nav" not in html
    stylesheet = client.get("/static/css/print.css")
    assert "size: A4 landscape" in stylesheet.get_data(as_text=True)
    stylesheet.close()
    with app.app_context():
        expected = listed_codes(flow, "supervisor", light="red")
    assert re.findall(r'<div class="field code"><span class="label">[^<]*</span>([^<]*)</div>', html) == expected != []


def test_print_view_of_a_unit_user_and_its_cut(client, flow, tasks, monkeypatch):
    """Does a unit user's print view hold only their tasks, and does a long list say it was cut?"""
    login(client, "waterhead")
    html = client.get("/tasks/print").get_data(as_text=True)
    assert "外贸企业培育" not in html and "水利草稿" not in html and "防汛物资储备不足" in html
    monkeypatch.setattr(export_routes, "PRINT_MAX_ROWS", 2)
    html = client.get("/tasks/print").get_data(as_text=True)
    assert html.count("data-task=") == 2 and 'id="cut"' in html


def test_export_statement_count_does_not_grow_with_rows(app, client, flow, tasks):
    """Does exporting 25 tasks, each with every kind of record, run as many SQL statements as exporting 5?"""
    login(client, "supervisor")
    with app.app_context():
        engine = db.engine
    seen = []

    def record(*args):
        """Keep one statement about to run (the third argument of before_cursor_execute)."""
        seen.append(args[2])

    def count_export():
        """How many statements one export of the whole list runs."""
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/tasks/export.xlsx").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    few = count_export()
    with app.app_context():
        users, now = flow["users"], clock.now()
        for n in range(20):
            task = new_task(flow, "in_progress", title=f"批量任务{n}", code=f"ZG2026-1{n:03d}")
            task.co_units = [db.session.get(Unit, flow["units"]["other"])]
            db.session.add_all([
                Milestone(task_id=task.id, title="节点", due_on=TODAY + timedelta(days=n)),
                Urge(task_id=task.id, unit_id=flow["units"]["water"], urged_by_id=users["supervisor"], message="催"),
                ExtensionRequest(task_id=task.id, requested_by_id=users["lead_head"], current_deadline_on=TODAY,
                                 requested_deadline_on=TODAY + timedelta(days=30), reason="延误"),
                CloseoutRequest(task_id=task.id, requested_by_id=users["lead_head"], summary="已完成",
                                deadline_in_force_on=TODAY, status="rejected", decision_note="补充材料"),
                ProgressReport(task_id=task.id, unit_id=flow["units"]["water"], author_id=users["lead_staff"],
                               body="进展", percent_done=10, created_at=now),
            ])
        db.session.commit()
    assert count_export() == few


def test_export_needs_a_login(client):
    """Is the ledger refused to someone not logged in?"""
    assert client.get("/tasks/export.xlsx").status_code == 302
    assert client.get("/tasks/print").status_code == 302


def test_an_export_too_large_is_refused_with_a_message(client, flow, tasks, monkeypatch):
    """When more tasks match than one export holds, is the user sent back to the list, told to narrow it?"""
    monkeypatch.setattr(ledger, "EXPORT_MAX_ROWS", 2)
    login(client, "supervisor")
    response = client.get("/tasks/export.xlsx?status=in_progress")
    assert response.status_code == 302 and response.location.endswith("/tasks/?status=in_progress")
    assert "3 tasks match" in client.get(response.location).get_data(as_text=True)
    assert client.get("/tasks/export.xlsx?status=closed").status_code == 200


def test_the_ledger_has_every_column_an_office_files(app, client, flow):
    """For a task with milestones, urges, extensions, reports and a close-out, does each column hold its record?"""
    users = flow["users"]
    with app.app_context():
        now = clock.now()
        period = AssessmentPeriod(name="2026年上半年考核", starts_on=TODAY.replace(month=1), ends_on=TODAY)
        indicator = Indicator(name="农村自来水普及率", category="社会民生", weight=4)
        db.session.add_all([period, indicator])
        db.session.flush()
        result = IndicatorResult(period_id=period.id, indicator_id=indicator.id, score=2, rank=11, peer_count=12)
        db.session.add(result)
        db.session.flush()
        task = new_task(flow, "closed", title="农村饮水提升", code="ZG2026-0042", source="indicator",
                        period_id=period.id, indicator_result_id=result.id, problem="=部分村组供水不稳定",
                        measures="新建加压泵站两座", deadline_on=TODAY + timedelta(days=20),
                        original_deadline_on=TODAY - timedelta(days=10), closed_at=now, percent_done=100)
        for due, done in ((-40, True), (-5, True), (10, False)):
            db.session.add(Milestone(task_id=task.id, title=f"节点{due}", due_on=TODAY + timedelta(days=due),
                                     done_at=now if done else None))
        for days in (30, 12):
            db.session.add(Urge(task_id=task.id, unit_id=flow["units"]["water"], urged_by_id=users["supervisor"],
                                message="请加快", created_at=now - timedelta(days=days)))
        for status, asked in (("rejected", 5), ("approved", 20)):
            db.session.add(ExtensionRequest(task_id=task.id, requested_by_id=users["lead_head"], status=status,
                                            current_deadline_on=TODAY, requested_deadline_on=TODAY + timedelta(asked),
                                            reason="工期延误", decided_at=now))
        for status, summary, note in (("rejected", "第一次申请", "佐证不足"),
                                      ("approved", "两座泵站已投运，供水稳定", "同意销号")):
            db.session.add(CloseoutRequest(task_id=task.id, requested_by_id=users["lead_head"], summary=summary,
                                           deadline_in_force_on=task.deadline_on, status=status, decision_note=note))
        db.session.add(ProgressReport(task_id=task.id, unit_id=flow["units"]["water"], author_id=users["lead_staff"],
                                      body="泵站已通水", percent_done=100, created_at=now - timedelta(days=1)))
        db.session.commit()
    login(client, "supervisor", english=False)
    sheet = workbook(client.get("/tasks/export.xlsx")).worksheets[0]
    row = dict(zip([cell.value for cell in sheet[1]], next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    keys = ("编号", "任务名称", "任务来源", "考核指标", "考核周期", "存在问题", "整改措施")
    assert {key: row[key] for key in keys} == {
        "编号": "ZG2026-0042", "任务名称": "农村饮水提升", "任务来源": "考核弱项指标", "考核指标": "农村自来水普及率",
        "考核周期": "2026年上半年考核", "存在问题": "=部分村组供水不稳定", "整改措施": "新建加压泵站两座"}
    assert (row["牵头单位"], row["配合单位"], row["责任人"]) == ("县水利局", "城关镇", "waterstaff")
    assert row["完成时限"].date() == TODAY + timedelta(days=20)
    assert row["原定完成时限"].date() == TODAY - timedelta(days=10)
    assert (row["时间节点完成"], row["下一节点时限"].date()) == ("2/3", TODAY + timedelta(days=10))
    assert (row["催办次数"], row["最近催办"].date()) == (2, TODAY - timedelta(days=12))
    assert (row["延期申请"], row["最近延期申请"]) == (2, f"已同意，申请延至{TODAY + timedelta(days=20)}")
    assert (row["最近进展"], row["最近报送日期"].date()) == ("泵站已通水", TODAY - timedelta(days=1))
    assert (row["销号申请说明"], row["审核意见"]) == ("两座泵站已投运，供水稳定", "已同意：同意销号")
    cell = sheet.cell(row=2, column=column("problem") + 1)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)  # formula-like text stays text
