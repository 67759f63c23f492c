"""Issue 14 in a real browser: the office imports 前三季度 after the half-year, finds its open tasks carried
over, links one instead of a second task, and reopens a task 回头看 shows had no effect."""
import os

import pytest

from tests.browser.conftest import screenshot, serve_demo
from tests.browser.test_indicators_browser import logged_in
from tests.browser.test_periods_browser import new_period, upload

pytestmark = pytest.mark.browser

NINE_MONTHS = os.path.join(os.path.dirname(__file__), os.pardir, "data", "assessment-2026Q1-3.xlsx")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """The demo county without its 前三季度, on its own database: this test imports it through the pages."""
    yield from serve_demo(tmp_path_factory, "second-period", later_period=False)


def board_row(page, indicator):
    """The board's row of one indicator."""
    return page.locator(f"#board tr[data-indicator='{indicator}']")


def test_second_period_carries_tasks_and_a_recheck_reopens_one(browser, own_server):
    """Import 前三季度; carried tasks marked with the half-year; link one; reopen the 安全生产 task."""
    page = logged_in(browser, own_server, "supervisor")
    page.click("nav a[href='/indicators/']")
    new_period(page, "2026年前三季度考核")
    upload(page, NINE_MONTHS)
    page.get_by_role("button", name="导入36条结果").click()
    page.wait_for_url("**show=weak")

    # A full-score first-place indicator below its target is a strength with a 关注 note, not weak.
    page.get_by_role("link", name="全部指标").first.click()
    gdp = board_row(page, "地区生产总值增速")
    assert "优势指标" in gdp.inner_text() and "关注" in gdp.inner_text()
    assert gdp.locator("input[name='result']").count() == 0
    # The half-year's open task of 服务业增加值增速 answers 前三季度 too, marked with where it came from.
    services = board_row(page, "服务业增加值增速")
    assert "结转自2026年上半年考核" in services.locator("td.open-tasks").inner_text()
    assert "未办结任务按指标计" in page.locator("#figures-basis").inner_text()
    screenshot(page, "second-period-board")

    # Ticked for a task: the draft offers to link the carried task instead of making a second one.
    services.locator("input[name='result']").check()
    page.get_by_role("button", name="为所选弱项指标生成整改任务").click()
    choice = page.locator(".carried-choice")
    assert "该指标已有牵头单位相同的未办结任务" in choice.inner_text()
    screenshot(page, "second-period-link")
    page.get_by_role("button", name="创建并下发").click()
    page.wait_for_url("**show=weak")
    assert "已关联到本期，未新建任务" in page.locator("main").inner_text()
    assert "已关联本期" in board_row(page, "服务业增加值增速").inner_text()

    # 回头看: the closed 安全生产 task of the half-year; the indicator is still weak (veto ceiling at risk).
    page.get_by_role("link", name="全部指标").first.click()
    safety = board_row(page, "安全生产")
    assert safety.locator(".recheck").inner_text().endswith("整改成效未显现")
    safety.locator("td.open-tasks .text-muted a").first.click()
    assert "整改成效未显现" in page.locator("#recheck").inner_text()
    page.get_by_role("link", name="重新打开任务").click()
    page.get_by_role("button", name="重新打开任务").click()
    assert "请选择重新打开后的新完成时限" in page.locator("#form-error").inner_text()
    page.get_by_label("新完成时限").fill("2027-03-31")
    page.get_by_label("理由").fill("前三季度安全生产仍超出序时控制线，整改成效未显现，重新打开督办")
    page.get_by_role("button", name="重新打开任务").click()
    assert "任务已重新打开" in page.locator("main .alert").first.inner_text()
    assert "整改中" in page.locator("main").inner_text() and "2027-03-31" in page.locator("main").inner_text()
    screenshot(page, "second-period-reopened")
