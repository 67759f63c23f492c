"""The office's day one in a real browser: import the city's ranking sheet, see the weak points, dispatch tasks."""
import os

import pytest

from tests.browser.conftest import DEMO_PASSWORD, screenshot, serve_demo

pytestmark = pytest.mark.browser

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "tracker", "seeding", "demo_data",
                      "assessment-2026H1.xlsx")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """The demo county on its own database and server: this test adds tasks the shared demo's tests count."""
    yield from serve_demo(tmp_path_factory, "indicators")


def logged_in(browser, base, username, width=1366, height=900):
    """A new page logged in as `username`."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(base + "/")
    return page


def test_supervisor_imports_the_sheet_and_dispatches_tasks_for_weak_indicators(browser, own_server):
    """Can the office import the sample through the pages, see why indicators are weak, and dispatch tasks?"""
    page = logged_in(browser, own_server, "supervisor")
    page.click("nav a[href='/indicators/']")
    page.fill("#name", "2026年第三季度考核")
    page.select_option("#kind", "quarter")
    page.fill("#starts_on", "2026-07-01")
    page.fill("#ends_on", "2026-09-30")
    page.click("#submit")
    page.set_input_files("#file", SAMPLE)
    page.click("#submit")
    assert page.locator("#count-results-create").inner_text() == "36"
    assert page.locator("#count-errors").inner_text() == "0"
    screenshot(page, "indicators-import-preview")
    page.click("#submit")

    # The board of weak indicators, most points lost first, each with why.
    rows = page.locator("#board tbody tr")
    assert rows.count() == 23  # the progress rule counts only where points were lost outside the top 3
    assert rows.first.get_attribute("data-indicator") == "规上工业增加值增速"
    private = page.locator("tr[data-indicator='民间投资增速']")
    assert private.locator("[data-reason]").evaluate_all("els => els.map(e => e.dataset.reason)") == [
        "last_place", "bottom_k", "behind_progress"]
    assert "12/12" in private.locator("td.rank").inner_text()
    screenshot(page, "indicators-board-weak")

    # Tick two weak indicators, edit one draft, dispatch both.
    private.locator("input[name='result']").check()
    page.locator("tr[data-indicator='农村安全饮水解困项目完成率'] input[name='result']").check()
    page.click("#generate")
    drafts = page.locator(".draft")
    assert drafts.count() == 2
    assert drafts.nth(0).locator("select[name$='lead_unit'] option:checked").inner_text() == "县发展和改革局"
    assert "王建国" in drafts.nth(0).locator("select[name$='responsible_leader'] option:checked").inner_text()
    drafts.nth(1).locator("input[name$='title']").fill("农村安全饮水三季度攻坚")
    # The demo's half-year task of the water bureau for this indicator is still open: the draft offers to
    # link to it; the office creates a second one anyway, with its reason.
    carried = drafts.nth(1).locator(".carried-choice")
    assert "该指标已有牵头单位相同的未办结任务" in carried.inner_text()
    carried.locator("select[name$='link_task']").select_option(label="仍新建任务")
    carried.locator("textarea[name$='duplicate_reason']").fill("三季度新增安全饮水攻坚点位，需单独立项督办")
    screenshot(page, "indicators-generate")
    page.click("#dispatch")
    assert "alert-success" in page.locator("main .alert").first.get_attribute("class")
    water = page.locator("tr[data-indicator='农村安全饮水解困项目完成率']")
    own = water.locator("td.open-tasks .open-task:not(.carried) a")
    assert own.count() == 1 and own.inner_text().startswith("ZG")
    assert "结转自" in water.locator("td.open-tasks .carried").inner_text()  # the half-year's task, still open
    assert water.locator("input[name='result']").count() == 0

    # The water bureau's head finds the dispatched task waiting to be accepted.
    head = logged_in(browser, own_server, "unithead")
    head.goto(own_server + "/tasks/?status=assigned")
    assert "农村安全饮水三季度攻坚" in head.locator("main").inner_text()


def test_board_fits_a_phone(browser, own_server):
    """On a 390 px phone, does the board scroll inside its table rather than the whole page?"""
    page = logged_in(browser, own_server, "leader", width=390, height=844)
    page.goto(own_server + "/indicators/")
    with page.expect_navigation():
        page.locator("#periods a").first.click()
    page.wait_for_load_state("load")  # measure with the stylesheets applied, not a half-loaded page
    assert page.locator("#board tbody tr").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    screenshot(page, "indicators-board-leader-phone")
