"""督办通知单 and 催办通知单 in a real Chromium: the office dispatches with a reply date and urges; the unit prints.

The office (`supervisor`, desktop) writes a task and dispatches it to 县水利局 with a
回告期限 it sets on the form; the task page lists the 督办通知单 under its 文号 with PDF and
Word links; the office urges the unit and the 催办通知单 appears next to it. The unit's head
(`unithead`, on a phone) finds the dispatch message in the inbox and follows its link to
print the notice. Each document is fetched with the browser's own session and read back:
pdftotext for the 文号, zbar for the QR code, python-docx for the Word file.
"""
import re
from datetime import datetime, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import click_and_wait, screenshot, serve_demo
from tests.notice_helpers import docx_text, open_docx, qr_codes, requires_zbar, text_of

pytestmark = pytest.mark.browser

TITLE = "城区内涝点整治"
TASK_URL = re.compile(r"/tasks/(\d+)$")
PHONE = {"width": 390, "height": 844}
NUMBER = re.compile(r"督办〔\d{4}〕\d+号")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A demo county of this module's own: the task it adds changes no other test's counts."""
    yield from serve_demo(tmp_path_factory, "notices")


def fetched(page, href, tmp_path, name):
    """Fetch a link with the page's own session; the file, after checking it was served."""
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200, (href, response.status)
    path = tmp_path / name
    path.write_bytes(response.body())
    return path, response.headers["content-type"]


@requires_zbar
def test_the_office_dispatches_and_urges_and_the_unit_prints_both_notices(open_as, own_server, tmp_path):
    """Does a dispatch with a set reply date give a printable 督办通知单, an urge a 催办通知单, both for the unit?"""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's today (TRACKER_TIMEZONE)
    reply_on = today + timedelta(days=3)
    office = open_as("supervisor")
    office.goto(own_server + "/tasks/new")
    office.get_by_label("标题").fill(TITLE)
    office.select_option("#lead_unit", label="县水利局")
    office.fill("#deadline_on", (today + timedelta(days=45)).isoformat())
    click_and_wait(office, office.get_by_role("button", name="保存草稿"))
    task_url = office.url
    task_id = TASK_URL.search(task_url).group(1)
    click_and_wait(office, office.locator("#task-actions").get_by_role("link", name="交办", exact=True))
    assert office.get_by_label("回告期限").input_value() == (today + timedelta(days=5)).isoformat()
    office.get_by_label("回告期限").fill(reply_on.isoformat())
    click_and_wait(office, office.get_by_role("button", name="交办"))
    assert office.url == task_url

    notices = office.locator("#notices li")
    assert notices.count() == 1
    number = NUMBER.search(notices.first.inner_text()).group(0)
    assert reply_on.isoformat() in notices.first.inner_text()
    pdf, mimetype = fetched(office, notices.first.get_by_role("link", name="PDF").get_attribute("href"), tmp_path,
                            "dispatch.pdf")
    assert mimetype == "application/pdf"
    text = text_of(pdf)
    assert number in text and TITLE in text and f"回告期限{reply_on.year}年{reply_on.month}月{reply_on.day}日" in text
    assert qr_codes(pdf) == [f"http://127.0.0.1:5000/tasks/{task_id}"]  # TRACKER_BASE_URL's default here
    word, _mimetype = fetched(office, notices.first.get_by_role("link", name="Word").get_attribute("href"),
                              tmp_path, "dispatch.docx")
    assert number in docx_text(open_docx(word.read_bytes()))

    # The office urges the unit: a 催办通知单 joins the list.
    click_and_wait(office, office.locator("#task-actions").get_by_role("link", name="催办", exact=True))
    office.get_by_label("催办内容").fill("请于本周内报送整改方案")
    click_and_wait(office, office.get_by_role("button", name="催办"))
    assert office.locator("#notices li").count() == 2
    urge_text = office.locator("#notices li").nth(1).inner_text()
    assert re.search(r"催办〔\d{4}〕\d+号", urge_text)
    screenshot(office, "notices-01-task-page")

    # On a phone, the unit's head follows the inbox message's link to the notice.
    head = open_as("unithead", **PHONE)
    head.goto(own_server + "/inbox/")
    message = head.locator("#inbox li", has_text=TITLE).filter(has_text=number).first
    link = message.get_by_role("link", name="打印督办通知单")
    printed, _mimetype = fetched(head, link.get_attribute("href"), tmp_path, "unit.pdf")
    assert number in text_of(printed)
    screenshot(head, "notices-02-inbox-phone")
    assert head.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
