"""Under the Content-Security-Policy, in a real Chromium: nothing refused, and what was inline still works."""
import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PAGES = ["/", "/tasks/", "/indicators/", "/bulletins/", "/admin/jobs", "/inbox/", "/tasks/print", "/tasks/new"]


def refusals(page):
    """Collect the console's messages about content the policy refused."""
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text
            else None)
    return seen


def test_no_page_has_anything_refused_by_the_policy(page_for, live_server):
    """Does every main page load without a single script, style or frame refused by the policy?"""
    page = page_for("supervisor")
    refused = refusals(page)
    for path in PAGES:
        page.goto(live_server + path)
        page.wait_for_load_state("load")
    page.goto(live_server + "/tasks/")
    page.locator("table tbody tr a").first.click()
    page.wait_for_load_state("load")
    assert refused == []


def test_progress_bars_and_the_period_choice_still_work(page_for, live_server):
    """Are the dashboard's progress bars drawn to their percent, and does choosing a period reload the page?"""
    page = page_for("supervisor")
    bars = page.locator(".progress-bar[data-width]")
    assert bars.count() > 0
    drawn = [(float(bar.get_attribute("data-width")), bar.evaluate("b => b.style.width")) for bar in bars.all()]
    assert all(width == f"{percent:g}%" for percent, width in drawn)
    assert any(percent > 0 for percent, _width in drawn)
    choice = page.locator("select#period")
    value = choice.locator("option").nth(1).get_attribute("value")
    with page.expect_navigation():
        choice.select_option(value)
    assert f"period={value}" in page.url
    screenshot(page, "dashboard-under-csp")


def test_the_dropdown_menu_opens(page_for):
    """Does the user menu (Bootstrap's script, now the only script besides ours) still open?"""
    page = page_for("unithead")
    page.locator("nav .dropdown-toggle").click()
    assert page.locator("nav .dropdown-menu").is_visible()
    with page.expect_navigation():
        page.locator("#menu-sign-ins").click()  # where one is signed in, and "sign out everywhere"
    assert page.locator("#sign-ins").is_visible() and page.url.endswith("/auth/password#sign-ins")
