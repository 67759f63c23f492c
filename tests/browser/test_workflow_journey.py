"""The task workflow as its users live it, in a real Chromium: from dispatch to close-out, every step clicked.

The supervision office (`supervisor`) and the head of 县水利局 (`unithead`) carry
one new task through dispatch, acceptance, a milestone, a progress report with
a PDF, an extension, an urge, a rejected close-out and an approved one; then
the unit's staff sees it and a head of another unit (`head_5`, 县商务局) is
refused. Only the pages' own links, forms and buttons are used.
"""
import re
import subprocess
from datetime import date, timedelta

import pytest

from tests.browser.conftest import screenshot
from tracker.seeding import demo_files

pytestmark = pytest.mark.browser

TITLE = "城区防洪排涝能力提升整改"
LEAD_UNIT = "县水利局"
CO_UNIT = "县住房和城乡建设局"
LEADER = "王建国 (常务副县长)"
EVIDENCE_NAME = "排涝泵站验收记录.pdf"
TASK_URL = re.compile(r"/tasks/(\d+)$")


def pdf_file(name, text):
    """A file for set_input_files, as a user would pick it from disk."""
    return {"name": name, "mimeType": "application/pdf", "buffer": demo_files.pdf([text])}


def unread(page):
    """The unread count on the navigation bar's inbox badge (0 when there is no badge)."""
    badge = page.locator("#unread-count")
    return int(badge.inner_text()) if badge.count() else 0


def open_action(page, action):
    """Click one of the task page's action buttons and wait for its form."""
    page.locator(f'#task-actions a[data-action="{action}"]').click()
    page.wait_for_url(re.compile(r"/tasks/\d+/\S+$"))
    assert page.locator("form[method=post]").count() >= 1


def submit(page, button="#submit"):
    """Press a form's button and wait until the app has sent the user back to the task page with a success message."""
    with page.expect_navigation():
        page.locator(button).click()
    # A refused form comes back on its own URL: say why instead of waiting for a redirect that never comes.
    problems = page.locator("#form-error, .invalid-feedback, #denial").all_inner_texts()
    assert TASK_URL.search(page.url), f"the form was not accepted: {problems}"
    assert page.locator(".alert-success").count() == 1


def open_task_from_view(page, live_server, view_label, shot=None):
    """From the task list, pick a "needs my action" view by its label and open the task from it."""
    page.goto(live_server + "/tasks/")
    page.locator("#my-views a", has_text=view_label).click()
    page.wait_for_url(re.compile(r"mine="))
    link = page.locator("table tbody a", has_text=TITLE)
    assert link.count() == 1, f"the task is not under {view_label}"
    if shot:
        screenshot(page, shot)
    link.click()
    page.wait_for_url(TASK_URL)


def timeline(page):
    """The steps on the task page's timeline, oldest first: (action code, label as shown)."""
    steps = page.locator("#timeline > li").evaluate_all(
        "items => items.map(li => [li.dataset.action, li.querySelector('.fw-semibold').firstChild.textContent.trim()])")
    return [tuple(step) for step in reversed(steps)]


def test_office_and_unit_carry_a_task_to_close_out(page_for, live_server):
    """Can the office and a unit head take a new task from dispatch to close-out,

    via an extension, an urge and a rejection, every step on the timeline in Chinese?
    """
    today = date.today()
    deadline, extended = today + timedelta(days=60), today + timedelta(days=90)
    office = page_for("supervisor")
    head = page_for("unithead")
    badge_before = unread(head)

    # The office writes the task and dispatches it.
    office.goto(live_server + "/tasks/")
    office.get_by_role("link", name="新建任务").click()
    office.wait_for_url("**/tasks/new")
    office.fill("#title", TITLE)
    office.select_option("#source", label="督查发现问题")
    office.fill("#problem", "汛期城区多处积水，排涝泵站老化")
    office.fill("#measures", "更换泵站机组，疏通主干排水管网")
    office.select_option("#lead_unit", label=LEAD_UNIT)
    office.select_option("#co_units", label=[CO_UNIT])
    office.select_option("#responsible_leader", label=LEADER)
    office.fill("#deadline_on", deadline.isoformat())
    office.select_option("#supervision_level", label="重点")
    screenshot(office, "workflow-00-new-task")
    submit(office)
    task_url = office.url
    assert "草稿" in office.locator("h1 ~ .badge").first.inner_text()
    open_action(office, "dispatch")
    office.fill("#note", "请于汛前完成主要工程")
    screenshot(office, "workflow-01-dispatch-form")
    submit(office)
    assert "待签收" in office.locator("main").inner_text()
    screenshot(office, "workflow-01-dispatch")

    # The unit head is told, finds it waiting to be accepted, accepts it and names the owner.
    head.reload()
    assert unread(head) > badge_before, "the inbox badge did not rise after dispatch"
    head.locator("nav a", has_text="消息").click()
    head.wait_for_url("**/inbox/")
    assert TITLE in head.locator("#inbox li").first.inner_text()
    screenshot(head, "workflow-02-inbox")
    open_task_from_view(head, live_server, "待签收", shot="workflow-02-to-accept")
    assert head.url == task_url
    open_action(head, "accept")
    staff_option = head.locator("#owner option", has_text="经办人")
    assert staff_option.count() == 1
    owner_name = staff_option.inner_text().split(" (")[0]
    head.select_option("#owner", label=staff_option.inner_text())
    screenshot(head, "workflow-02-accept-form")
    submit(head)
    assert owner_name in head.locator("main").inner_text()

    # It plans a milestone and reports progress with a PDF.
    open_action(head, "plan_milestone")
    head.fill("#title", "完成泵站机组招标")
    head.fill("#due_on", (today + timedelta(days=20)).isoformat())
    submit(head)
    assert "完成泵站机组招标" in head.locator("#milestones").inner_text()
    open_action(head, "report")
    head.fill("#body", "已完成泵站选址和机组采购招标文件")
    head.fill("#percent_done", "35")
    evidence = pdf_file(EVIDENCE_NAME, "Pump station acceptance record")
    head.set_input_files("#files", evidence)
    screenshot(head, "workflow-03-report-form")
    submit(head)
    assert EVIDENCE_NAME in head.locator("#timeline").inner_text()
    screenshot(head, "workflow-03-report")

    # It asks for more time; the office grants it, and urges the unit.
    open_action(head, "request_extension")
    head.fill("#requested_deadline_on", extended.isoformat())
    head.fill("#reason", "主汛期无法开挖施工")
    submit(head)
    assert "延期" in head.locator(".alert-info").inner_text()
    office.goto(task_url)
    open_action(office, "review_extension")
    assert "主汛期无法开挖施工" in office.locator("main").inner_text()
    office.fill("#note", "同意延期至汛后")
    screenshot(office, "workflow-04-extension-review")
    submit(office, "#approve")
    history = office.locator("#deadline-history li")
    assert history.count() == 2
    assert deadline.isoformat() in history.nth(0).inner_text() and "原定完成时限" in history.nth(0).inner_text()
    assert extended.isoformat() in history.nth(1).inner_text() and "同意延期" in history.nth(1).inner_text()
    assert extended.isoformat() in office.locator("dt:has-text('完成时限') + dd").first.inner_text()
    screenshot(office, "workflow-04-extension-approved")
    open_action(office, "urge")
    office.fill("#message", "请本周内报送招标进展")
    submit(office)
    open_task_from_view(head, live_server, "已催办", shot="workflow-05-urged")
    screenshot(head, "workflow-05-urged-view-task")

    # Close-out: asked, rejected with a reason, asked again from a phone, approved.
    open_action(head, "request_closeout")
    head.fill("#summary", "泵站机组已全部更换，主干排水管网疏通完毕，经汛期检验城区未再出现积水")
    head.fill("#percent_done", "100")
    head.locator("fieldset", has_text="完成泵站机组招标").get_by_label("已完成").check()
    head.set_input_files("#files", pdf_file("竣工验收报告.pdf", "Completion report"))
    submit(head)
    assert "待审核销号" in head.locator("main").inner_text()
    office.goto(live_server + "/tasks/?mine=to_review")
    office.locator("table tbody a", has_text=TITLE).click()
    office.wait_for_url(TASK_URL)
    open_action(office, "review_closeout")
    assert "竣工验收报告.pdf" in office.locator("main").inner_text()
    office.fill("#note", "缺少第三方排水能力检测报告")
    screenshot(office, "workflow-06-closeout-reject-form")
    submit(office, "#reject")
    assert "整改中" in office.locator("main").inner_text()

    phone = page_for("unithead", width=390, height=844)
    open_task_from_view(phone, live_server, "销号被退回", shot="workflow-07-rejected-phone")
    assert "缺少第三方排水能力检测报告" in phone.locator("#closeout-rejected").inner_text()
    assert "缺少第三方排水能力检测报告" in phone.locator("#timeline").inner_text()
    screenshot(phone, "workflow-07-rejected-task-phone")
    open_action(phone, "request_closeout")
    phone.fill("#summary", "已补充第三方排水能力检测报告，检测结论为排水能力达到设计标准")
    phone.set_input_files("#files", pdf_file("排水能力检测报告.pdf", "Drainage capacity test"))
    screenshot(phone, "workflow-07-closeout-form-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways on a phone"
    submit(phone)

    office.goto(task_url)
    open_action(office, "review_closeout")
    submit(office, "#approve")
    header = office.locator("main").inner_text()
    assert "已销号" in header and "按期完成" in header
    assert office.locator("#task-actions a").count() == 0
    assert timeline(office) == [
        ("created", "创建任务"), ("dispatched", "交办任务"), ("accepted", "签收任务"),
        ("milestone_planned", "添加时间节点"), ("reported", "报送进展"), ("extension_requested", "申请延期"),
        ("extension_approved", "同意延期"), ("urged", "已催办"), ("milestone_done", "完成时间节点"),
        ("closeout_requested", "申请销号"),
        ("closeout_rejected", "销号被退回"), ("closeout_requested", "申请销号"), ("closeout_approved", "同意销号"),
    ]
    screenshot(office, "workflow-08-closed")

    # The evidence opens intact in the browser, for the office, sandboxed (a PDF is shown, not downloaded).
    link = office.locator("#timeline a", has_text=EVIDENCE_NAME)
    assert link.get_attribute("target") == "_blank"
    file_url = live_server + link.get_attribute("href")
    shown = office.request.get(file_url)
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["content-security-policy"].startswith("sandbox")
    content = shown.body()
    assert content == evidence["buffer"]
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    assert "Pump station acceptance record" in text

    # The unit's staff sees the task; the head of another unit sees neither it nor its files.
    staff = page_for("unitstaff", width=390, height=844)
    assert staff.goto(task_url).status == 200
    assert TITLE in staff.locator("h1").inner_text()
    assert owner_name in staff.locator("dt:has-text('责任人') + dd").inner_text()
    screenshot(staff, "workflow-09-task-staff-phone")
    assert staff.evaluate("document.documentElement.scrollWidth") <= 390, "the task page scrolls sideways on a phone"
    stranger = page_for("head_5")
    assert "县商务局" in stranger.locator("nav").inner_text()
    response = stranger.goto(task_url)
    assert response.status == 403 and TITLE not in stranger.content()
    response = stranger.goto(file_url)
    assert response.status == 403 and EVIDENCE_NAME not in stranger.content()
