"""The close-out and extension pages as users read them in Chinese: the checks, the review summary, the files."""
import io
import re
from datetime import date

from tests.workflow_helpers import (
    ACTORS,
    JPEG,
    PDF,
    STATEMENT,
    add_pending_extension,
    new_task,
    snapshot,
    upload,
    user,
    zip_bytes,
)
from tracker.extensions import db
from tracker.models import Attachment, Milestone, RectificationTask
from tracker.services.tasks import closeouts, progress, workflow


def login(client, auth, key):
    """Log in as an actor (pages in Chinese, the default)."""
    auth.logout()
    assert auth.login(ACTORS[key][0]).status_code == 302


def hidden(html, name):
    """The value of a hidden input in a page."""
    match = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % name, html) or \
        re.search(r'<input[^>]*value="([^"]*)"[^>]*name="%s"' % name, html)
    return match.group(1)


def post_form(client, url, data, files=()):
    """GET the form, then POST it with its version and `data` (and files); the response, not followed."""
    html = client.get(url).get_data(as_text=True)
    form = {"version": hidden(html, "version"), **data}
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=form, content_type="multipart/form-data")


def text(html):
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _task_with_history(app, flow):
    """A task in progress with a milestone done, one open, two reports with files, an urge and a pending extension."""
    with app.app_context():
        task = new_task(flow, "in_progress")
        staff, head, office = user(flow, "lead_staff"), user(flow, "lead_head"), user(flow, "supervisor")
        done = progress.plan_milestone(head, task, "完成管网招标", date(2026, 6, 20), "m1")
        progress.complete_milestone(head, task, done, "中标单位已进场")
        progress.plan_milestone(head, task, "完成管网铺设", date(2026, 8, 20), "m2")
        progress.report_progress(staff, task, "完成管网铺设 3 公里", 40, [upload("现场照片.jpg", JPEG)], "r1")
        progress.report_progress(staff, task, "管网铺设基本完成，正在验收", 90, [upload("检测报告.pdf", PDF)], "r2")
        workflow.urge(office, task, "请加快验收进度", "u1")
        add_pending_extension(flow, task)
        return task.id


def test_closeout_form_says_what_it_needs(app, client, auth, flow):
    """Does the unit's form name the pending extension, ask about the open milestone and list earlier files apart?"""
    task_id = _task_with_history(app, flow)
    login(client, auth, "lead_head")
    html = client.get(f"/tasks/{task_id}/closeout").get_data(as_text=True)
    page = text(html)
    assert "您申请延期至2026-12-31的延期申请尚待督查室审核" in page
    assert "撤回延期申请" in page and "保留，等待督查室审核" in page
    assert "整改成效" in page and "至少20个字" in page
    assert "完成管网铺设" in page and "完成管网招标" not in page.split("未完成的时间节点")[1]
    earlier = html[html.index('id="earlier-files"'):]
    assert "现场照片.jpg" in earlier and "检测报告.pdf" in earlier and "不计为本次申请的佐证材料" in earlier
    assert 'value="90"' in html  # the percent done starts at the last report's


def test_closeout_form_refuses_and_keeps_nothing_then_accepts(app, client, auth, flow):
    """Is a request without its own file refused in Chinese with nothing saved, and the full one accepted?"""
    task_id = _task_with_history(app, flow)
    with app.app_context():
        open_id = db.session.scalar(db.select(Milestone.id).where(Milestone.task_id == task_id,
                                                                  Milestone.done_at.is_(None)))
        before = snapshot(task_id)
    login(client, auth, "lead_head")
    answers = {"summary": STATEMENT, "percent_done": "100", f"milestone_{open_id}": "open",
               f"milestone_{open_id}_note": "剩余200米并入二期工程", "extension_choice": "withdraw"}
    refused = post_form(client, f"/tasks/{task_id}/closeout", answers)
    assert refused.status_code == 400
    assert "请为本次销号申请至少上传一份佐证材料" in text(refused.get_data(as_text=True))
    unexplained = post_form(client, f"/tasks/{task_id}/closeout", {**answers, f"milestone_{open_id}_note": ""},
                            files=[("验收报告.pdf", PDF)])
    assert "时间节点“完成管网铺设”未完成：请写明原因" in text(unexplained.get_data(as_text=True))
    with app.app_context():
        assert snapshot(task_id) == before
    accepted = post_form(client, f"/tasks/{task_id}/closeout", answers, files=[("验收报告.pdf", PDF)])
    assert accepted.status_code == 302
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task.status == "pending_review"
        assert [r.status for r in task.extension_requests] == ["withdrawn"]


def test_review_page_shows_the_whole_task_above_the_decision(app, client, auth, flow):
    """Does the office see percent, milestones with reasons, reports, every file (own marked), urges, extensions?"""
    task_id = _task_with_history(app, flow)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        open_id = next(m.id for m in task.milestones if not m.is_done)
        closeouts.request_closeout(user(flow, "lead_head"), task, closeouts.CloseoutInput(
            statement=STATEMENT, percent_done=95, percent_reason="尾款结算待审计", extension_choice="wait",
            milestones={open_id: closeouts.MilestoneAnswer(False, "剩余200米并入二期工程")},
            files=[upload("验收报告.pdf", PDF)]), task.version)
    login(client, auth, "supervisor")
    html = client.get(f"/tasks/{task_id}/closeout/review").get_data(as_text=True)
    start = html.index('id="review-summary"')
    summary = html[start:html.index("<form", start)]
    page = text(summary)
    assert STATEMENT in page
    assert "95%" in page and "未达100%的原因：尾款结算待审计" in page
    assert "已完成1个，未完成1个" in page
    assert "完成管网招标" in page and "中标单位已进场" in page
    assert "未完成原因：剩余200米并入二期工程" in page
    assert "2次" in page and "管网铺设基本完成，正在验收" in page
    files = re.findall(r'data-own="(\d)">\s*<a[^>]*>([^<]+)</a>', summary)
    assert sorted(files) == [("0", "检测报告.pdf"), ("0", "现场照片.jpg"), ("1", "验收报告.pdf")]
    assert "本次申请1个，共3个" in page
    assert "请加快验收进度" in text(html[html.index('id="review-urges"'):])
    assert "延期至2026-12-31的申请尚待决定：同意销号将撤回该延期申请" in page
    assert html.index(STATEMENT) < html.index('name="approve"')  # all of it above the decision
    task_page = text(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert "完成进度: 95% · 尾款结算待审计" in task_page  # the request's claim stays on the timeline


def test_partial_extension_through_the_page(app, client, auth, flow):
    """Does the decision form start at the date asked, refuse a later one in Chinese, and grant an earlier one?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        add_pending_extension(flow, task, requested=date(2026, 12, 31))
        task_id = task.id
    login(client, auth, "supervisor")
    url = f"/tasks/{task_id}/extension/review"
    assert 'value="2026-12-31"' in client.get(url).get_data(as_text=True)
    too_late = post_form(client, url, {"granted_on": "2027-01-31", "note": "", "approve": "Approve"})
    assert too_late.status_code == 400
    assert "批准的完成时限2027-01-31晚于单位申请的2026-12-31" in text(too_late.get_data(as_text=True))
    granted = post_form(client, url, {"granted_on": "2026-11-15", "note": "给予45天", "approve": "Approve"})
    assert granted.status_code == 302
    page = text(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert "申请至2026-12-31" in page
    with app.app_context():
        assert db.session.get(RectificationTask, task_id).deadline_on == date(2026, 11, 15)


def test_images_and_pdfs_open_inline_in_a_sandbox_other_files_download(app, client, auth, flow):
    """Is a PDF or an image sent inline with a sandboxing policy and nosniff, and a .docx always as a download?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        report = progress.report_progress(user(flow, "lead_staff"), task, "进展", 50, [
            upload("检测报告.pdf", PDF), upload("照片.jpg", JPEG), upload("方案.docx", zip_bytes())], "r")
        pdf, jpg, docx = (file.id for file in report.attachments)
        task_id = task.id
        assert db.session.get(Attachment, docx).opens_inline is False
    login(client, auth, "lead_staff")
    for file_id, body in ((pdf, PDF), (jpg, JPEG)):
        with client.get(f"/tasks/files/{file_id}/view") as response:
            assert response.status_code == 200 and response.data == body
            assert response.headers["Content-Disposition"].startswith("inline")
            policy = response.headers["Content-Security-Policy"]
            assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    for url in (f"/tasks/files/{docx}/view", f"/tasks/files/{pdf}"):
        with client.get(url) as response:
            assert response.headers["Content-Disposition"].startswith("attachment")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'href="/tasks/files/{pdf}/view" target="_blank"' in html
    assert f'href="/tasks/files/{docx}"' in html


def test_the_office_turns_the_evidence_rule_off_on_its_settings_page(app, client, auth, flow):
    """Does unticking the setting on the office settings page (audited) let a close-out go without a file of its own?"""
    from tracker.models import AuditEntry
    from tracker.services import office_settings

    with app.app_context():
        task_id = new_task(flow, "in_progress").id
        form = {item.key: str(office_settings.value(item.key)) for item in office_settings.SETTINGS
                if item.kind != "bool"}
    login(client, auth, "supervisor")
    assert "销号申请须附本次佐证材料" in client.get("/admin/settings").get_data(as_text=True)
    assert client.post("/admin/settings", data=form).status_code == 302  # the box unticked
    login(client, auth, "lead_head")
    assert "本次申请须至少上传一份佐证材料" not in client.get(f"/tasks/{task_id}/closeout").get_data(as_text=True)
    done = post_form(client, f"/tasks/{task_id}/closeout", {"summary": STATEMENT, "percent_done": "100"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(RectificationTask, task_id).status == "pending_review"
        change = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "setting_changed")).one()
        assert change.reason.startswith("CLOSEOUT_REQUIRES_EVIDENCE:")
