"""The foundation as a user meets it in a real browser: log in, see the county, switch language."""
import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_supervisor_logs_in_and_sees_the_county_in_chinese(page_for, live_server):
    """Does the supervision office log in and find the demo county's tasks, in Chinese?"""
    page = page_for("supervisor")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "整改督办" in page.locator("nav").inner_text()
    screenshot(page, "home-supervisor")
    page.goto(live_server + "/tasks/")
    rows = page.locator("table tbody tr")
    assert rows.count() == 20
    assert "共41项任务" in page.content() or "41" in page.locator(".pagination").locator("..").inner_text()
    screenshot(page, "tasks-supervisor")
    page.locator("table tbody tr a").first.click()
    assert page.locator("h1").inner_text()
    screenshot(page, "task-detail-supervisor")


def test_language_switch_turns_the_page_english_and_back(page_for):
    """Does the 中文/English switch change the whole page, and switch back?"""
    page = page_for("unithead")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Tasks" in page.locator("nav").inner_text()
    page.get_by_role("button", name="中文").click()
    assert "整改任务" in page.locator("nav").inner_text()


def test_unit_head_on_a_phone_sees_only_their_unit(page_for, live_server):
    """Does a unit head on a 390 px phone see their unit's tasks, fit the screen, and get refused elsewhere?"""
    office = page_for("supervisor")
    office.goto(live_server + "/tasks/?q=" + "社会消费品零售")
    foreign_href = office.locator("table tbody tr a").first.get_attribute("href")

    page = page_for("unithead", width=390, height=844)
    page.goto(live_server + "/tasks/")
    assert "县水利局" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    screenshot(page, "tasks-unithead-phone")
    response = page.goto(live_server + foreign_href)
    assert response.status == 403
    assert "社会消费品零售" not in page.content()


def test_wrong_password_shows_a_message(page_for, live_server):
    """Does a wrong password keep the user on the login page with a message?"""
    page = page_for(None)
    page.fill("#username", "supervisor")
    page.fill("#password", "not-the-password")
    page.click("#submit")
    assert "用户名或密码错误" in page.locator(".alert").inner_text()
    screenshot(page, "login-wrong-password")
