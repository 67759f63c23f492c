"""督办通知单 and 催办通知单: numbered at dispatch and urge, printed as PDF and Word, read back as a unit would."""
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.notice_helpers import (
    cjk_fonts_embedded,
    docx_text,
    open_docx,
    qr_codes,
    requires_zbar,
    text_of,
    write,
)
from tests.workflow_helpers import new_task, user
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, Milestone, SupervisionNotice, Unit
from tracker.services import DomainError
from tracker.services.documents import docx_tools
from tracker.services.tasks import corrections, drafts, notice_documents, notices, returns, workflow

BASE = "https://dc.yunxi.gov.cn"


@pytest.fixture
def base_url(app):
    """The site's address as users reach it (what the QR codes carry)."""
    app.config["TRACKER_BASE_URL"] = BASE
    return BASE


def dispatched(flow, code="ZG2026-0007", **fields):
    """A draft with problem, measures and two milestones, dispatched by the office; returns (task, notice)."""
    task = new_task(flow, status="draft", problem="管网老化，漏损率高。\n部分村组季节性缺水。",
                    measures="完成3个村管网改造；\n建立水质月检制度。", code=code, **fields)
    db.session.add_all([Milestone(task=task, title="完成管网改造招标", due_on=date(2026, 7, 15)),
                        Milestone(task=task, title="完成主体施工", due_on=date(2026, 9, 1))])
    db.session.commit()
    workflow.dispatch(user(flow, "supervisor"), task)
    return task, notices.latest(task, "dispatch")


def test_dispatch_gives_the_years_next_number_and_the_default_reply_date(flow, ctx):
    """Does each dispatch take the year's next 督办 number, replying NOTICE_REPLY_DAYS calendar days later?"""
    first, notice = dispatched(flow)
    second, later = dispatched(flow, code="ZG2026-0008", title="第二项任务")
    assert (notice.doc_number, later.doc_number) == ("督办〔2026〕1号", "督办〔2026〕2号")
    assert notice.reply_due_on == clock.today() + timedelta(days=5)
    assert notice.unit_id == first.lead_unit_id and notice.issued_by_id == flow["users"]["supervisor"]


def test_pdf_reads_back_with_number_fields_fonts_and_a_qr_code_to_the_task(flow, ctx, base_url, tmp_path):
    """Does pdftotext find the 文号 and every field, pdffonts embedded CJK fonts, zbar the task's address?"""
    task, notice = dispatched(flow)
    path = write(tmp_path, notice_documents.render_pdf(notice), "notice.pdf")
    text = text_of(path)
    for expected in ("督办〔2026〕1号", "督办通知单", "县水利局：", "农村安全饮水巩固提升", "城关镇", "分管水利副县长",
                     "管网老化", "完成3个村管网改造", "2026年9月30日", "完成管网改造招标", "2026年7月15日",
                     "回告期限2026年6月6日", "云溪县委办公室"):
        assert expected in text, expected
    assert "\ufffd" not in text
    embedded, names = cjk_fonts_embedded(path)
    assert embedded and any("UMing" in name or "ZenHei" in name for name in names)

@requires_zbar
def test_qr_code_decodes_back_to_the_task_page(flow, ctx, base_url, tmp_path):
    """Does zbar, reading the printed page as a phone would, find the task page's address?"""
    task, notice = dispatched(flow)
    path = write(tmp_path, notice_documents.render_pdf(notice), "notice.pdf")
    assert qr_codes(path) == [f"{BASE}/tasks/{task.id}"]



def test_docx_reads_back_with_title_number_table_and_east_asian_fonts(flow, ctx, base_url):
    """Does Word get the title, the 文号, the fields as a table, fonts named for Chinese and a page field?"""
    task, notice = dispatched(flow)
    document = open_docx(notice_documents.render_docx(notice))
    text = docx_text(document)
    assert "督办通知单" in text and "督办〔2026〕1号" in text and "县水利局：" in text
    fields = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert fields["任务名称"] == "农村安全饮水巩固提升" and fields["回告期限"] == "2026年6月6日"
    assert fields["时间节点"].splitlines() == ["2026年7月15日　完成管网改造招标", "2026年9月1日　完成主体施工"]
    assert {"仿宋_GB2312", "方正小标宋简体"} <= docx_tools.east_asian_fonts(document)
    assert docx_tools.has_page_field(document.sections[0].footer)
    assert len(document.inline_shapes) == 1  # the QR code, as a picture


def test_urge_notice_says_what_is_late_since_when_and_by_when_to_reply(flow, ctx, base_url, tmp_path):
    """Does each urge get the year's next 催办 number, listing the overdue deadline and milestone with their dates?"""
    task = new_task(flow, deadline_on=date(2026, 5, 20), code="ZG2026-0009")
    db.session.add(Milestone(task=task, title="完成水源地勘察", due_on=date(2026, 5, 10)))
    db.session.commit()
    urge = workflow.urge(user(flow, "supervisor"), task, "请加快进度", reply_due_on=date(2026, 6, 4))
    notice = db.session.scalar(db.select(SupervisionNotice).where(SupervisionNotice.urge_id == urge.id))
    assert notice.doc_number == "催办〔2026〕1号"
    second = workflow.urge(user(flow, "supervisor"), task, "再次催办")
    assert notices.latest(task, "urge").urge_id == second.id
    assert notices.latest(task, "urge").doc_number == "催办〔2026〕2号"
    task.deadline_on = date(2026, 7, 31)  # extended after the urge: the notice still says what was late then
    db.session.commit()
    text = text_of(write(tmp_path, notice_documents.render_pdf(notice), "urge.pdf"))
    for expected in ("催办通知单", "催办〔2026〕1号", "超过完成时限（2026年5月20日）仍未完成整改", "2026年5月21日",
                     "时间节点“完成水源地勘察”逾期未完成", "2026年5月11日", "回告期限2026年6月4日",
                     "催办意见：请加快进度"):
        assert expected in text, expected
    late = docx_text(open_docx(notice_documents.render_docx(notice)))
    assert "超过完成时限（2026年5月20日）仍未完成整改" in late and "催办〔2026〕1号" in late


def test_inbox_of_the_lead_unit_carries_the_number_and_links_the_notice(flow, client, auth, base_url):
    """Does the lead unit's dispatch message give the 文号 and reply date and link the printable notice?"""
    with client.application.app_context():
        task, notice = dispatched(flow)
        task_id = task.id
    auth.login("waterhead")
    page = client.get("/inbox/").get_data(as_text=True)
    assert "督办〔2026〕1号" in page and "2026-06-06" in page
    assert f"/tasks/{task_id}/notice.pdf" in page
    response = client.get(f"/tasks/{task_id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_correction_reprints_the_notice_under_its_number_marked_updated(flow, ctx, base_url, tmp_path):
    """After a correction, is the notice printed under the same 文号 with （更新） and the correction's date?"""
    task, notice = dispatched(flow)
    with clock.frozen(clock.now() + timedelta(days=3)):
        draft = drafts.draft_from_task(task)
        draft.title, draft.deadline_on = "农村安全饮水巩固提升（调整后）", date(2026, 10, 31)
        corrections.correct(user(flow, "supervisor"), task, draft, "县领导批示调整", task.version)
        text = text_of(write(tmp_path, notice_documents.render_pdf(notice), "updated.pdf"))
    assert "2026年10月31日" in text
    assert "督办〔2026〕1号（更新）2026年6月4日" in text and "农村安全饮水巩固提升（调整后）" in text
    assert notices.latest(task, "dispatch").id == notice.id
    assert db.session.scalar(db.select(db.func.count()).select_from(SupervisionNotice)) == 1


def test_a_task_reassigned_after_a_return_gets_a_new_notice_with_a_new_number(flow, ctx, base_url, tmp_path):
    """Does 改派 after a return give the new unit its own 督办通知单 under the next number, the first kept as it was?"""
    task, first = dispatched(flow)
    returns.return_task(user(flow, "lead_head"), task, "本任务属商务局职责")
    returns.reassign(user(flow, "supervisor"), task, flow["units"]["other"], "改由县商务局牵头",
                     reply_due_on=date(2026, 6, 10))
    second = notices.latest(task, "dispatch")
    assert (first.doc_number, second.doc_number) == ("督办〔2026〕1号", "督办〔2026〕2号")
    assert second.unit_id == flow["units"]["other"] and second.reply_due_on == date(2026, 6, 10)
    assert [n.id for n in notices.notices_of(task)] == [first.id, second.id]
    old_text = text_of(write(tmp_path, notice_documents.render_pdf(first), "first.pdf"))
    new_text = text_of(write(tmp_path, notice_documents.render_pdf(second), "second.pdf"))
    assert "县水利局：" in old_text and "督办〔2026〕1号" in old_text and "（更新）" not in old_text
    assert "县商务局：" in new_text and "回告期限2026年6月10日" in new_text


@pytest.mark.parametrize("reply_on, message", [(date(2026, 5, 31), "已过"), (date(2026, 12, 1), "90天以内")])
def test_a_bad_reply_date_refuses_the_dispatch_and_spends_no_number(flow, ctx, reply_on, message):
    """Is a past or far-off reply date refused, with the draft still a draft and the number still free?"""
    task = new_task(flow, status="draft")
    with pytest.raises(DomainError, match=message):
        workflow.dispatch(user(flow, "supervisor"), task, reply_due_on=reply_on)
    db.session.expire_all()
    assert db.session.get(type(task), task.id).status == "draft"
    assert db.session.scalar(db.select(db.func.count()).select_from(SupervisionNotice)) == 0
    _again, notice = dispatched(flow)
    assert notice.number == 1


def test_markup_and_line_breaks_in_titles_and_unit_names_print_as_plain_text(flow, ctx, base_url, tmp_path):
    """Does a title or unit name with HTML and line breaks print literally, on one line, in both formats?"""
    db.session.get(Unit, flow["units"]["water"]).name = "县<b>水利局</b>\n二科"
    task, notice = dispatched(flow, title='<img src="file:///etc/passwd">饮水\n工程 & "提升"')
    text = text_of(write(tmp_path, notice_documents.render_pdf(notice), "markup.pdf"))
    assert '<imgsrc="file:///etc/passwd">饮水工程&"提升"' in text and "县<b>水利局</b>二科：" in text
    table = open_docx(notice_documents.render_docx(notice)).tables[0]
    fields = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert fields["任务名称"] == '<img src="file:///etc/passwd">饮水 工程 & "提升"'
    assert fields["牵头单位"] == "县<b>水利局</b> 二科"


def test_production_refuses_to_print_while_the_base_url_is_the_loopback_default(flow, client, auth):
    """In production with TRACKER_BASE_URL still 127.0.0.1, is printing refused with a message saying what to set?"""
    client.application.config.update(IS_PRODUCTION=True, TRACKER_BASE_URL="http://127.0.0.1:5000")
    with client.application.app_context():
        task, notice = dispatched(flow)
        task_id = task.id
        with pytest.raises(notice_documents.NoticeRefused, match="TRACKER_BASE_URL"):
            notice_documents.render_pdf(notice)
    auth.login("supervisor")
    response = client.get(f"/tasks/{task_id}/notice.pdf", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "TRACKER_BASE_URL" in response.get_data(as_text=True)


def test_tasks_dispatched_before_notices_existed_have_none(flow, client, auth):
    """Does a task dispatched without a notice (before this change) show no notice and 404 on its address?"""
    with client.application.app_context():
        task_id = new_task(flow).id
    auth.login("supervisor")
    assert 'id="notices"' not in client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert client.get(f"/tasks/{task_id}/notice.pdf").status_code == 404


def test_a_number_already_held_is_skipped_not_given_twice(flow, ctx):
    """When the counter is behind the notices (restored without it), does the next notice skip past, not collide?"""
    task, first = dispatched(flow)
    db.session.execute(db.text("UPDATE document_counters SET last_number = 0"))
    db.session.commit()
    _second_task, second = dispatched(flow, code="ZG2026-0010", title="第二项任务")
    assert (first.number, second.number) == (1, 2)


def test_two_processes_dispatching_at_once_never_share_a_number(flow, app, tmp_path):
    """Do two real processes dispatching 8 tasks each at the same moment get 16 different, consecutive numbers?"""
    with app.app_context():
        # The processes run on the real clock (another process's clock cannot be frozen).
        ids = [new_task(flow, status="draft", code=f"ZG2026-{n:04d}", title=f"并发任务{n}",
                        deadline_on=date(2099, 12, 31)).id for n in range(16)]
    start = tmp_path / "start"
    root = Path(__file__).resolve().parents[1]
    processes = [subprocess.Popen([sys.executable, "-m", "tests.notice_race", app.config["SQLALCHEMY_DATABASE_URI"],
                                   str(start), *map(str, chunk)], cwd=root, stdout=subprocess.PIPE, text=True)
                 for chunk in (ids[0::2], ids[1::2])]
    start.touch()
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes)
    numbers = [re.fullmatch(r"督办〔(\d{4})〕(\d+)号", line.split()[1]).groups()
               for output in outputs for line in output.splitlines()]
    assert len({year for year, _number in numbers}) == 1
    assert sorted(int(number) for _year, number in numbers) == list(range(1, 17))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "dispatched")) == 16


def test_a_missing_font_sends_the_user_back_with_the_reason_and_no_file(flow, client, auth, base_url):
    """When a configured font is not installed, is the user told so on the task page instead of given a file?"""
    client.application.config["BULLETIN_FONT_BODY"] = "No Such Font"
    with client.application.app_context():
        task_id = dispatched(flow)[0].id
    auth.login("supervisor")
    response = client.get(f"/tasks/{task_id}/notice.pdf", follow_redirects=True)
    assert response.mimetype == "text/html" and "No Such Font" in response.get_data(as_text=True)


def test_a_new_lead_unit_by_correction_reprints_the_notice_to_it_under_the_same_number(flow, ctx, base_url, tmp_path):
    """After the office corrects the lead unit, does the notice in force go to the new unit, same 文号, （更新）?"""
    task, notice = dispatched(flow)
    with clock.frozen(clock.now() + timedelta(hours=2)):
        draft = drafts.draft_from_task(task)
        draft.lead_unit_id = flow["units"]["other"]
        corrections.correct(user(flow, "supervisor"), task, draft, "职责调整", task.version)
    text = text_of(write(tmp_path, notice_documents.render_pdf(notice), "moved.pdf"))
    assert "县商务局：" in text and "督办〔2026〕1号（更新）2026年6月1日" in text
    assert notices.latest(task, "dispatch").id == notice.id
