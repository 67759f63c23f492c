"""A second period in a real browser: 前三季度 created from its name alone, its sheet previewed value by value."""
import os

import pytest

from tests.browser.conftest import screenshot, serve_demo
from tests.browser.test_indicators_browser import logged_in
from tests.indicator_helpers import PREVIEW_LABELS

pytestmark = pytest.mark.browser

NINE_MONTHS = os.path.join(os.path.dirname(__file__), os.pardir, "data", "assessment-2026Q1-3.xlsx")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """The demo county on its own database: this test adds periods that would become the shared demo's latest."""
    yield from serve_demo(tmp_path_factory, "periods", later_period=False)


def new_period(page, name):
    """Create a period on the period list by its name alone, then go on to its import page."""
    page.goto(page.url.split("/indicators")[0] + "/indicators/")
    page.get_by_label("名称").fill(name)
    page.get_by_role("button", name="创建考核周期").click()
    page.wait_for_url("**/import")


def upload(page, path):
    """Upload a results sheet on the import page and wait for its preview."""
    page.get_by_label("考核结果文件（.xlsx或.csv）").set_input_files(path)
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_selector("#preview-rows")


def test_office_imports_a_nine_month_sheet_and_is_warned_of_a_duplicate_period(browser, own_server):
    """Does 2026年前三季度考核 get its dates from its name, its preview show every value, a twin period warn?"""
    page = logged_in(browser, own_server, "supervisor")
    page.click("nav a[href='/indicators/']")
    new_period(page, "2026年前三季度考核")
    assert page.get_by_label("表中目标值为").locator("option:checked").inner_text() == "全年目标"
    upload(page, NINE_MONTHS)
    assert "前三季度 · 2026-01-01 – 2026-09-30" in page.locator("#import-period").inner_text()
    assert page.locator("#count-results-create").inner_text() == "36"
    assert page.locator("#count-errors").inner_text() == "0"
    headers = page.locator("#preview-rows thead th").all_inner_texts()
    assert set(PREVIEW_LABELS) <= set(headers)
    reform = page.locator("tr[data-indicator='全面深化改革']")
    assert reform.locator("[data-cell='score']").inner_text() == "4.6"
    assert reform.locator("[data-cell='weight']").inner_text() == "4"
    safety = page.locator("tr[data-indicator='安全生产']")
    assert [safety.locator(f"[data-cell='{key}']").inner_text() for key in ("target_value", "actual_value")] == [
        "32起", "39起"]
    assert page.locator("text=以上仅为提醒，不影响导入。").count() == 0
    screenshot(page, "periods-preview-nine-months")
    page.get_by_role("button", name="导入36条结果").click()
    page.wait_for_url("**show=weak")
    assert "已导入36条考核结果" in page.locator("main .alert").first.inner_text()

    # The same nine months under a second name: the preview warns and names the first, and still imports.
    new_period(page, "2026年1-9月考核")
    upload(page, NINE_MONTHS)
    warnings = page.locator("#import-warnings").inner_text()
    assert ("周期“2026年前三季度考核”（前三季度，2026-01-01 – 2026-09-30）与“2026年1-9月考核”的起止日期完全相同"
            in warnings)
    assert "以上仅为提醒，不影响导入。" in warnings
    screenshot(page, "periods-preview-overlap")
    assert page.get_by_role("button", name="导入36条结果").is_enabled()
