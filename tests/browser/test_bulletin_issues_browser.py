"""Bulletins in a real Chromium: the demo's voided issue and its 更正, the Word download, and voiding by the form.

The office (`supervisor`) finds the demo's voided 第1期 with who and why in the list,
downloads last month's issue as .docx from its page, tries to void it without a reason
(refused on the page), voids it with one; the leader (`leader`) then reads 作废 and the
reason in the list, with no void form on the page. Only the pages' own links and buttons
are clicked, found by their Chinese labels.
"""
import zipfile

import pytest

from tests.browser.conftest import screenshot, serving

pytestmark = pytest.mark.browser
REASON = "表2逾期天数计算有误"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """The demo county with its bulletins (seed-demo's second step), served for this module."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.seeding import demo, demo_bulletins

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('bulletins') / 'live.sqlite3'}",
        "BULLETIN_DIR": str(tmp_path_factory.mktemp("bulletin-files")), "WTF_CSRF_ENABLED": True,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("bulletin-uploads")),
    })
    with app.app_context():
        upgrade()
        demo.load_demo()
        demo_bulletins.load_bulletins()
        db.session.remove()
    with serving(app) as base:
        yield base


def test_the_office_downloads_word_and_voids_an_issue_the_leader_sees_it(open_as, own_server, tmp_path):
    """Does the list show the demo's 作废 with its reason, the page give the .docx, and the void form work?"""
    page = open_as("supervisor")
    page.get_by_role("link", name="月度通报").first.click()
    rows = page.locator("#bulletins tbody tr")
    assert "已作废" in rows.nth(3).inner_text() and "录入有误" in rows.nth(3).inner_text()
    assert "更正第1期" in rows.nth(2).inner_text() and "第3期" in rows.nth(1).inner_text()
    rows.nth(0).get_by_role("link").first.click()  # this month's 截至 draft
    assert "第__期（定稿时编号）" in page.locator("h1").inner_text()
    page.go_back()
    page.locator("#bulletins tbody tr").nth(1).get_by_role("link").first.click()  # last month, 第3期
    assert "第3期" in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载Word（.docx）").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".docx" and "word/document.xml" in zipfile.ZipFile(saved).namelist()
    assert "在Word中修改后的定稿文本不在本系统中保存" in page.locator("#docx-note").inner_text()
    page.get_by_role("button", name="作废本期通报").click()
    assert "请填写作废理由" in page.locator(".alert").first.inner_text()
    page.get_by_label("作废理由").fill(REASON)
    page.get_by_role("button", name="作废本期通报").click()
    assert "通报已作废" in page.content() and REASON in page.locator("#void-note").inner_text()
    screenshot(page, "bulletin-voided")
    leader = open_as("leader")
    leader.goto(own_server + "/bulletins/")
    listing = leader.locator("#bulletins").inner_text()
    assert listing.count("已作废") == 2 and REASON in listing
    leader.locator("#bulletins tbody tr").first.get_by_role("link").first.click()  # 第3期: leaders see no draft
    assert leader.locator("#void-form").count() == 0
