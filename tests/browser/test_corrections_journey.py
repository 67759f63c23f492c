"""Corrections and returns in a real Chromium: the unit returns a task, the office insists, then corrects it.

The office (`supervisor`, desktop) writes a task with its milestones and dispatches
it to 县水利局; the unit's head (`unithead`, on a 390×844 phone screen) returns it
(申请调整); the office insists; the head accepts it; the office moves its deadline
(refused first without a reason) and gives it to 县商务局, whose head (`head_5`, phone)
finds it to accept while 县水利局 keeps only its own reports. Only the pages' own
links, forms and buttons are clicked, found by their Chinese labels.
"""
import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import click_and_wait, screenshot, serve_demo

pytestmark = pytest.mark.browser

TITLE = "乡镇污水处理设施运维整改"
TASK_URL = re.compile(r"/tasks/(\d+)$")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A demo county of this module's own: the tasks it adds change no other test's counts."""
    yield from serve_demo(tmp_path_factory, "corrections")


def sent_back_to_task(page):
    """The form was accepted: the app is back on the task page with a success message."""
    problems = page.locator("#form-error, .invalid-feedback").all_inner_texts()
    assert TASK_URL.search(page.url), f"the form was not accepted: {problems}"
    assert page.locator(".alert-success").count() == 1


def action(page, label):
    """The task page's action button with this Chinese label."""
    return page.locator("#task-actions").get_by_role("link", name=label, exact=True)


def test_a_unit_returns_a_task_and_the_office_corrects_it(open_as, own_server):
    """Can a unit return a task from a phone, and the office insist, move the deadline and change the lead unit?"""
    today = date.today()
    deadline, later = today + timedelta(days=60), today + timedelta(days=75)
    office = open_as("supervisor")
    head = open_as("unithead", **PHONE)

    # The office writes the task with two milestones and dispatches it.
    office.goto(own_server + "/tasks/")
    click_and_wait(office, office.get_by_role("link", name="新建任务"))
    office.get_by_label("标题").fill(TITLE)
    office.select_option("#lead_unit", label="县水利局")
    office.fill("#deadline_on", deadline.isoformat())
    office.get_by_label("时间节点（选填）").fill(
        f"{(today + timedelta(days=20)).isoformat()} 完成设施摸排\n{(today + timedelta(days=40)).isoformat()} 完成维修")
    click_and_wait(office, office.get_by_role("button", name="保存草稿"))
    sent_back_to_task(office)
    task_url = office.url
    assert office.locator("#milestones li").count() == 2
    click_and_wait(office, action(office, "交办"))
    click_and_wait(office, office.get_by_role("button", name="交办"))
    sent_back_to_task(office)

    # On a phone, the unit's head finds it to accept and returns it instead, saying why.
    head.goto(own_server + "/tasks/?mine=to_accept")
    click_and_wait(head, head.locator("table tbody a", has_text=TITLE))
    assert head.url == task_url
    click_and_wait(head, action(head, "申请调整"))
    click_and_wait(head, head.get_by_role("button", name="申请调整"))
    assert "请填写申请调整的理由" in head.locator("#form-error").inner_text()
    head.get_by_label("申请调整的理由").fill("污水处理设施运维属县住房和城乡建设局职责")
    screenshot(head, "corrections-01-return-phone")
    click_and_wait(head, head.get_by_role("button", name="申请调整"))
    sent_back_to_task(head)
    assert "待调整" in head.locator("main").inner_text()
    assert head.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The office sees it waiting (待调整) and insists, with its reason.
    office.goto(own_server + "/tasks/?mine=returned")
    click_and_wait(office, office.locator("table tbody a", has_text=TITLE))
    assert "污水处理设施运维属县住房和城乡建设局职责" in office.locator("#task-returned").inner_text()
    click_and_wait(office, action(office, "处理申请调整"))
    office.get_by_label("给单位的说明").fill("县政府分工方案明确由水利局牵头")
    click_and_wait(office, office.get_by_role("button", name="坚持原单位"))
    sent_back_to_task(office)
    assert "待签收" in office.locator("main").inner_text()

    # Back on the phone: the head is told, and accepts it.
    head.goto(task_url)
    assert "县政府分工方案明确由水利局牵头" in head.locator("#timeline").inner_text()
    click_and_wait(head, action(head, "签收"))
    head.select_option("#owner", index=1)
    click_and_wait(head, head.get_by_role("button", name="签收任务"))
    sent_back_to_task(head)
    assert "整改中" in head.locator("main").inner_text()

    # The office moves the deadline: refused without a reason, then saved with one.
    office.goto(task_url)
    click_and_wait(office, action(office, "调整任务"))
    office.get_by_label("完成时限").fill(later.isoformat())
    click_and_wait(office, office.get_by_role("button", name="保存调整"))
    assert "调整截止日期须填写理由" in office.locator("#form-error").inner_text()
    office.get_by_label("完成时限").fill(later.isoformat())
    office.get_by_label("调整理由").fill("省级考核评估时间推迟")
    click_and_wait(office, office.get_by_role("button", name="保存调整"))
    sent_back_to_task(office)
    history = office.locator("#deadline-history li")
    assert history.count() == 2 and "督查室调整" in history.nth(1).inner_text()
    assert "省级考核评估时间推迟" in history.nth(1).inner_text()
    screenshot(office, "corrections-02-deadline-adjusted")

    # Then gives it to 县商务局: a new dispatch, to accept there.
    click_and_wait(office, action(office, "调整任务"))
    office.select_option("#lead_unit", label="县商务局")
    office.get_by_label("调整理由").fill("职能划转至县商务局")
    click_and_wait(office, office.get_by_role("button", name="保存调整"))
    sent_back_to_task(office)
    assert "待签收" in office.locator("main").inner_text()
    assert "县商务局" in office.locator("dt:has-text('牵头单位') + dd").first.inner_text()

    # 县水利局 keeps only its own part; 县商务局's head finds it to accept, on a phone too.
    head.goto(task_url)
    assert "改由县商务局牵头" in head.locator("#former-unit").inner_text()
    screenshot(head, "corrections-03-former-unit-phone")
    new_head = open_as("head_5", **PHONE)
    new_head.goto(own_server + "/tasks/?mine=to_accept")
    click_and_wait(new_head, new_head.locator("table tbody a", has_text=TITLE))
    assert action(new_head, "签收").count() == 1
    assert "职能划转至县商务局" in new_head.locator("#timeline").inner_text()
    assert "完成设施摸排" in new_head.locator("#milestones").inner_text()
    screenshot(new_head, "corrections-04-new-lead-phone")
