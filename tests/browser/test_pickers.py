"""The unit picker (Tom Select, static/vendor/) on a phone: type to search, pick by touch and by keyboard, submit."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot, serve_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def picker_server(tmp_path_factory):
    """A demo county of its own: the draft made here must not change what the shared demo's tests count."""
    yield from serve_demo(tmp_path_factory, "pickers")


def test_co_units_are_picked_by_typing_and_touch_on_a_phone(browser, picker_server):
    """On a 390 px touch screen, does typing narrow the units, do a tap and Enter pick one each, kept by the draft?"""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(picker_server + "/auth/login")
    page.fill("#username", "supervisor")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(picker_server + "/")
    page.goto(picker_server + "/tasks/new")
    page.fill("#title", "城区内涝点位排查整治")
    page.select_option("#lead_unit", label="县水利局")

    box = page.locator("#co_units-ts-control")
    assert box.get_attribute("placeholder") == "输入单位名称搜索"
    box.tap()
    box.press_sequentially("城关")
    options = page.locator("#co_units-ts-dropdown .option")
    expect(options).to_have_text(["城关镇"])  # every other unit filtered out (after the picker's short pause)
    options.first.tap()
    box.press_sequentially("住建")
    expect(page.locator("#co_units-ts-dropdown .no-results")).to_have_text("没有符合的单位")
    box.fill("")
    box.press_sequentially("住房")
    expect(options).to_have_text(["县住房和城乡建设局"])
    page.keyboard.press("Enter")
    screenshot(page, "picker-two-units-phone")
    expect(page.locator(".ts-control .item")).to_have_count(2)
    chosen = page.locator("#co_units option:checked").all_inner_texts()
    assert sorted(chosen) == sorted(["城关镇", "县住房和城乡建设局"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the form scrolls sideways"

    page.fill("#deadline_on", (date.today() + timedelta(days=45)).isoformat())
    with page.expect_navigation():
        page.locator("#submit").click()
    assert page.locator(".alert-success").count() == 1, page.locator("main").inner_text()[:300]
    details = page.locator("main").inner_text()
    assert "城关镇、县住房和城乡建设局" in details or "县住房和城乡建设局、城关镇" in details
    assert refused == []
    context.close()
