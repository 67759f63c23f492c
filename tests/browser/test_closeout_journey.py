"""A close-out that checks, in a real Chromium, by the labels a user reads: the unit on a phone, the office on a desk.

The head of 县水利局 (`unithead`, on a 390×844 screen) asks for more time on a demo
task with a milestone still open, then asks for close-out: each missing piece (a
real statement of results, the reason for a percent below 100, the open milestone,
the pending extension, evidence of its own) is refused with its message and nothing
saved, until the request is complete. The office (`supervisor`) reviews it with the
whole task above its decision, opens the photo in the browser, grants less time than
asked while the close-out waits, and approves. The app runs on a server of its own,
since the journey changes a task that the shared demo's tests count.
"""
import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import screenshot, serve_demo
from tests.browser.test_workflow_journey import TASK_URL, timeline
from tracker.seeding import demo_files

pytestmark = pytest.mark.browser

TITLE = "城区防洪排涝能力提升"  # a demo task of 县水利局, due in a few days, one milestone open
OPEN_MILESTONE = "完成阶段性整改任务并报送进展"
STATEMENT = "泵站机组全部更换，主干管网疏通完毕，汛期检验城区未再积水，群众回访满意"
PHOTO = {"name": "整改后现场照片.png", "mimeType": "image/png", "buffer": demo_files.png(64, 40, (150, 200, 240),
                                                                                   (70, 140, 70))}
RECORD = {"name": "竣工验收记录.pdf", "mimeType": "application/pdf", "buffer": demo_files.pdf(["Acceptance"])}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo county on a server of this module's own (page_for logs in there)."""
    yield from serve_demo(tmp_path_factory, "closeout")


def click_action(page, name):
    """Press one of the task page's action buttons by its Chinese name and wait for its form."""
    page.locator("#task-actions").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r"/tasks/\d+/\S+$"))


def send(page, button):
    """Press a form's button by its name and wait for the page that answers."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def refused(page, button, words):
    """Press the button and expect the form back with a message naming `words`."""
    send(page, button)
    assert not TASK_URL.search(page.url), "the form was accepted"
    message = page.locator("#form-error").inner_text()
    assert words in message and "未保存任何内容" in message, message


def deadline_of(page):
    """The deadline in force on the task page."""
    return date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}",
                                        page.locator("dt:has-text('完成时限') + dd").first.inner_text()).group())


def test_a_close_out_walks_through_its_checks(page_for, live_server):
    """Is each missing piece of a close-out refused with what to do, and the complete request reviewed and approved?"""
    head = page_for("unithead", width=390, height=844)
    head.goto(live_server + "/tasks/?q=" + TITLE)
    head.locator("table tbody a", has_text=TITLE).click()
    head.wait_for_url(TASK_URL)
    task_url, deadline = head.url, deadline_of(head)
    asked, granted = deadline + timedelta(days=30), deadline + timedelta(days=20)

    # The unit asks for more time first.
    click_action(head, "申请延期")
    head.get_by_label("新完成时限").fill(asked.isoformat())
    head.get_by_label("理由", exact=True).fill("汛期施工受阻，泵站机组到货推迟")
    send(head, "申请延期")
    assert TASK_URL.search(head.url)

    # Then close-out: the form says the extension waits, and refuses each missing piece in turn.
    click_action(head, "申请销号")
    assert asked.isoformat() in head.locator("#pending-extension").inner_text()
    head.get_by_label("整改成效").fill("已完成")
    refused(head, "申请销号", "整改成效请至少写20个字")
    head.get_by_label("整改成效").fill(STATEMENT)
    head.get_by_label("完成进度").fill("90")
    refused(head, "申请销号", "请说明未全部完成即申请销号的原因")
    head.get_by_label("未达100％即申请销号的原因").fill("主体工程已完工，剩余绿化恢复不影响排涝能力")
    refused(head, "申请销号", f"请说明时间节点“{OPEN_MILESTONE}”是否已完成")
    milestone = head.get_by_role("group", name=re.compile(OPEN_MILESTONE))
    milestone.get_by_label("未完成", exact=True).check()
    refused(head, "申请销号", f"时间节点“{OPEN_MILESTONE}”未完成：请写明原因")
    milestone.get_by_label("完成情况或未完成原因").fill("阶段报告并入竣工验收一并报送")
    refused(head, "申请销号", f"您申请延期至{asked.isoformat()}的延期申请尚待审核")
    head.get_by_role("group", name="您的延期申请").get_by_label("保留，等待督查室审核").check()
    refused(head, "申请销号", "请为本次销号申请至少上传一份佐证材料")
    head.get_by_label("本次佐证材料").set_input_files([PHOTO, RECORD])
    screenshot(head, "closeout-01-form-phone")
    assert head.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways on a phone"
    send(head, "申请销号")
    assert TASK_URL.search(head.url) and head.locator(".alert-success").count() == 1
    assert "待审核销号" in head.locator("main").inner_text()
    assert asked.isoformat() in head.locator(".alert-info").inner_text()  # still waiting, as chosen
    assert [step for step, _ in timeline(head)].count("closeout_requested") == 1  # the refusals saved nothing
    screenshot(head, "closeout-02-requested-phone")

    # The office reviews with the whole task above its decision, and opens the photo in the browser.
    office = page_for("supervisor")
    office.goto(task_url)
    click_action(office, "审核销号")
    summary = office.locator("#review-summary")
    text = summary.inner_text()
    assert STATEMENT in text and "90%" in text and "剩余绿化恢复不影响排涝能力" in text
    assert "未完成原因：阶段报告并入竣工验收一并报送" in text
    assert "本次申请2个" in text and f"延期至{asked.isoformat()}的申请尚待决定" in text
    own = summary.locator("#review-files li[data-own='1']")
    assert sorted(own.all_inner_texts()) == sorted(
        [f"{PHOTO['name']} (1 KB) 本次申请", f"{RECORD['name']} (1 KB) 本次申请"])
    screenshot(office, "closeout-03-review")
    with office.expect_popup() as opened:
        summary.get_by_role("link", name=PHOTO["name"]).click()
    photo = opened.value
    photo.wait_for_load_state()
    assert photo.evaluate("document.images.length && document.images[0].naturalWidth") == 64
    shown = office.request.get(photo.url)
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["content-security-policy"].startswith("sandbox")
    photo.close()

    # While the close-out waits, it grants less time than asked (and not more), then approves the close-out.
    office.goto(task_url)
    click_action(office, "审批延期")
    field = office.get_by_label("批准的完成时限")
    assert field.input_value() == asked.isoformat()
    field.fill((asked + timedelta(days=1)).isoformat())
    refused(office, "同意", "晚于单位申请的" + asked.isoformat())
    office.get_by_label("批准的完成时限").fill(granted.isoformat())
    office.get_by_label("理由/备注").fill("给予20天，请倒排工期")
    send(office, "同意")
    assert deadline_of(office) == granted
    assert f"申请至{asked.isoformat()}" in office.locator("#deadline-history").inner_text()
    click_action(office, "审核销号")
    send(office, "同意")
    assert "已销号" in office.locator("main").inner_text()
    steps = timeline(office)
    assert steps[-4:] == [("extension_requested", "申请延期"), ("closeout_requested", "申请销号"),
                          ("extension_approved", "同意延期"), ("closeout_approved", "同意销号")]
    screenshot(office, "closeout-04-closed")
