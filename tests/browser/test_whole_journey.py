"""The whole journey in a real Chromium, every step through the pages, and every main page on a desktop and a phone.

The office (`supervisor`) imports the city's ranking sheet into a new period
and dispatches a task for a weak indicator; the water bureau's head
(`unithead`) accepts it from the home page, reports with a file and asks for
close-out; the office rejects once, then approves; the head of 县商务局
(`head_5`) is refused the task; the weekly alert is run from the jobs page
and reaches the head's inbox (and a loopback mail server); a bulletin is
generated and downloaded; the ledger is downloaded and read back. The app
runs on a server of its own, since the journey adds tasks that the shared
demo's tests count.
"""
import os
import re
import subprocess
import time

import pytest
from openpyxl import load_workbook

from tests.alerts_helpers import MailSink, SmtpServer, free_port
from tests.browser.conftest import DEMO_PASSWORD, screenshot, serving
from tests.browser.test_workflow_journey import TASK_URL, open_action, pdf_file, submit
from tests.conftest import wait_for
from tracker import create_app
from tracker.extensions import db

pytestmark = pytest.mark.browser

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "tracker", "seeding", "demo_data",
                      "assessment-2026H1.xlsx")
PERIOD = "2026年第四季度考核"
INDICATOR = "农村安全饮水解困项目完成率"
TITLE = "农村安全饮水四季度攻坚（全流程）"
DESKTOP, PHONE = (1366, 768), (390, 844)


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    """The demo county on its own database, bulletin folder and loopback mail server; yields (base URL, mail)."""
    from flask_migrate import upgrade

    from tracker.seeding import demo

    folder = tmp_path_factory.mktemp("journey")
    mail = SmtpServer(port=free_port(), sink=MailSink())
    mail.start()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}", "WTF_CSRF_ENABLED": True,
        "UPLOAD_DIR": str(folder / "uploads"), "BULLETIN_DIR": str(folder / "bulletins"),
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mail.port, "MAIL_USE_TLS": False, "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None, "MAIL_PASSWORD": None, "MAIL_TIMEOUT": 5,
    })
    with app.app_context():
        upgrade()
        demo.load_demo()
        db.session.remove()
    try:
        with serving(app) as base:
            yield base, mail
    finally:
        mail.stop()




def logged_in(browser, base, username, size=DESKTOP):
    """A new page of its own browser context, logged in as `username` and on the home page."""
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(base + "/")
    return page


def flash_class(page):
    """The class of the first message on the page."""
    return page.locator("main .alert").first.get_attribute("class")


def test_from_the_ranking_sheet_to_the_ledger(browser, journey, tmp_path):
    """Can the office and a unit take a weak indicator from import to an approved close-out,

    and then run the weekly alert, issue a bulletin and hand up the ledger, all in the pages?
    """
    base, mail = journey
    office = logged_in(browser, base, "supervisor")
    closed_before = int(office.locator("#status-counts [data-status='closed']").get_attribute("data-count"))

    # The office imports the sheet into a new period and dispatches a task for a weak indicator.
    office.click("nav a[href='/indicators/']")
    office.fill("#name", PERIOD)
    office.select_option("#kind", "quarter")
    office.fill("#starts_on", "2026-10-01")
    office.fill("#ends_on", "2026-12-31")
    office.click("#submit")
    office.set_input_files("#file", SAMPLE)
    office.click("#submit")
    assert office.locator("#count-errors").inner_text() == "0"
    office.click("#submit")
    office.locator(f"tr[data-indicator='{INDICATOR}'] input[name='result']").check()
    with office.expect_navigation():
        office.click("#generate")
    office.locator(".draft input[name$='title']").first.fill(TITLE)
    # The half-year task of the same unit is still open: a second task for the quarter needs its reason.
    office.locator(".carried-choice select[name$='link_task']").select_option(label="仍新建任务")
    office.locator(".carried-choice textarea[name$='duplicate_reason']").fill("四季度冬春供水保障需单独立项督办")
    with office.expect_navigation():
        office.click("#dispatch")
    assert "alert-success" in flash_class(office)

    # The water bureau's head finds it on the home page, accepts it, reports with a file, asks for close-out.
    head = logged_in(browser, base, "unithead")
    head.locator("#actions a", has_text=TITLE).click()
    head.wait_for_url(TASK_URL)
    task_url = head.url
    open_action(head, "accept")
    head.select_option("#owner", label=head.locator("#owner option", has_text="经办人").inner_text())
    submit(head)
    open_action(head, "report")
    head.fill("#body", "已完成管网铺设，正在通水调试")
    head.fill("#percent_done", "90")
    head.set_input_files("#files", pdf_file("通水调试记录.pdf", "Water supply test record"))
    submit(head)
    open_action(head, "request_closeout")
    head.fill("#summary", "管网工程全部完工并通水，经水质检测和入户回访，饮水安全问题已解决")
    head.fill("#percent_done", "100")
    head.set_input_files("#files", pdf_file("竣工验收单.pdf", "Acceptance"))
    submit(head)

    # The office finds it to review from its dashboard, rejects once, and approves the second request.
    office.goto(base + "/")
    office.locator("#my-actions a[data-view='to_review']").click()
    office.wait_for_url(re.compile(r"mine=to_review"))
    office.locator("table tbody a", has_text=TITLE).click()
    office.wait_for_url(TASK_URL)
    open_action(office, "review_closeout")
    office.fill("#note", "请补充水质检测报告")
    submit(office, "#reject")
    head.goto(task_url)
    open_action(head, "request_closeout")
    head.fill("#summary", "已补充水质检测报告，检测结果全部达标，群众饮水安全得到保障")
    head.set_input_files("#files", pdf_file("水质检测报告.pdf", "Water quality report"))
    submit(head)
    office.goto(task_url)
    open_action(office, "review_closeout")
    submit(office, "#approve")
    assert "已销号" in office.locator("main").inner_text()
    office.goto(base + "/")
    assert office.locator("#status-counts [data-status='closed']").get_attribute("data-count") == str(closed_before + 1)

    # The head of another unit is refused the task.
    stranger = logged_in(browser, base, "head_5")
    response = stranger.goto(task_url)
    assert response.status == 403 and TITLE not in stranger.content()

    # The weekly alert, run the way the office would; the head's inbox shows it (and the mail went out).
    office.goto(base + "/admin/jobs")
    with office.expect_navigation():
        office.locator("#jobs li[data-job='weekly_alert'] form").first.locator("button").click()
    assert "alert-success" in flash_class(office)  # recorded: the scheduler's tick runs it
    deadline = time.monotonic() + 90
    while True:
        head.goto(base + "/inbox/")
        first = head.locator("#inbox li").first
        if (first.count() and "每周预警" in first.inner_text()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "每周预警" in head.locator("#inbox li").first.inner_text()
    assert wait_for(lambda: mail.messages, 60), "the weekly alert sent no mail"

    # A bulletin of this month, generated and downloaded as the PDF the office prints.
    office.goto(base + "/bulletins/")
    year, month = office.input_value("#month").split("-")
    office.locator("#generate-form [type=submit]").click()
    office.wait_for_url(re.compile(r"/bulletins/\d+$"))
    with office.expect_download() as info:
        office.get_by_role("link", name="下载PDF").click()
    text = subprocess.run(["pdftotext", info.value.path(), "-"], capture_output=True, check=True, text=True).stdout
    assert "督查通报" in text and f"关于{year}年{int(month)}月" in "".join(text.split())

    # The ledger of the water bureau's tasks: downloaded, opened, the same tasks as the list.
    office.goto(base + "/tasks/")
    office.locator("details summary").click()
    office.select_option("#lead_unit", label="县水利局")
    with office.expect_navigation():
        office.click("#task-filters button[type=submit]")
    rows = office.locator("table.task-table tbody tr").all()
    # The ledger files the unit's work: drafts and cancelled tasks are in only when the status filter asks.
    codes = [row.locator("td:nth-child(2)").inner_text() for row in rows
             if row.locator(".badge", has_text=re.compile("^(草稿|已撤销)$")).count() == 0]
    with office.expect_download() as info:
        office.click("#export-ledger")
    assert info.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [code.strip() for code in codes]
    assert TITLE in [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]


PAGES = (
    ("dashboard-supervisor", "supervisor", "/"),
    ("dashboard-leader", "leader", "/"),
    ("dashboard-unithead", "unithead", "/"),
    ("tasks", "supervisor", "/tasks/"),
    ("task", "unithead", None),
    ("indicators-board", "supervisor", None),
    ("bulletins", "supervisor", "/bulletins/"),
    ("inbox", "unithead", "/inbox/"),
    ("jobs", "supervisor", "/admin/jobs"),
    ("ledger-print", "supervisor", "/tasks/print?overdue=1"),
)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
def test_main_pages_fit_a_desktop_and_a_phone(browser, journey, size):
    """Does every main page render in Chinese without scrolling sideways, at 1366×768 and on a 390 px phone?"""
    base, _mail = journey
    pages = {}
    for name, username, path in PAGES:
        page = pages.get(username) or logged_in(browser, base, username, size)
        pages[username] = page
        if path is None:  # reached through the pages themselves, as a user would
            if name == "task":
                page.goto(base + "/tasks/")
                page.locator("table tbody a").first.click()
                page.wait_for_url(TASK_URL)
            else:
                page.goto(base + "/indicators/")
                with page.expect_navigation():
                    page.locator("#periods a").first.click()
        else:
            page.goto(base + path)
        # Measured once the page and its stylesheets have loaded: on a busy machine a click's page
        # could be measured half-styled (the board read 479 px on a 390 px phone).
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "zh-CN", name
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0], f"{name} is {width} px wide on a {size[0]} px screen"
        screenshot(page, f"{name}-{size[0]}")
