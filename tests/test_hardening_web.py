"""Pages under attack: security headers, no inline code for the policy to refuse, numbers too big, no database."""
import re

import pytest
from flask_babel import force_locale

from tests.conftest import make_user
from tests.indicator_helpers import GOOD, HEADER, OTHER, load_demo_units, make_period, xlsx_bytes
from tracker import create_app
from tracker.extensions import db
from tracker.models import IndicatorResult
from tracker.security import CONTENT_SECURITY_POLICY

HUGE = "99999999999999999999"
OFFICE_PAGES = ["/", "/tasks/", "/tasks/{own}", "/tasks/{draft}/edit", "/tasks/new", "/inbox/", "/indicators/",
                "/bulletins/", "/admin/jobs", "/tasks/print", "/auth/password"]
# An attribute that runs script or sets style inline, a <style> block, or a <script> without src.
INLINE = re.compile(r"""\s(on[a-z]+|style)\s*=\s*["']|<style[\s>]|<script(?![^>]*\ssrc=)[^>]*>""", re.I)


def test_every_page_carries_the_security_headers(client, auth, world):
    """Does every page say which scripts may run, that it must not be framed elsewhere, nor sniffed nor cached?"""
    auth.login("supervisor")
    for page in ["/auth/login", *OFFICE_PAGES]:
        response = client.get(page.format(**world["tasks"]))
        assert response.status_code in (200, 302), page
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, page
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store", page
    assert "frame-ancestors 'self'" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_static_files_stay_cacheable_and_unsniffed(client):
    """Are the product's own scripts and styles served with nosniff but without no-store (they carry no data)?"""
    response = client.get("/static/js/app.js")
    try:
        assert response.status_code == 200 and "data-width" in response.get_data(as_text=True)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers.get("Cache-Control") != "no-store"
    finally:
        response.close()


@pytest.mark.parametrize("username", ["supervisor", "unithead", "admin"])
def test_pages_hold_no_inline_script_or_style(client, auth, world, username):
    """Does no page rely on inline handlers, style attributes or blocks that the policy would refuse?"""
    auth.login(username)
    for page in OFFICE_PAGES:
        response = client.get(page.format(**world["tasks"]))
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        found = INLINE.search(html)
        assert found is None, f"{page}: {html[max(0, found.start() - 80):found.end() + 80]}"


@pytest.mark.parametrize("page", [
    f"/tasks/{HUGE}", f"/tasks/{HUGE}/edit", f"/tasks/files/{HUGE}", f"/bulletins/{HUGE}",
    f"/indicators/periods/{HUGE}", "/tasks/2147483648",
])
def test_ids_too_big_for_the_database_are_not_found(client, auth, world, page):
    """Does an id larger than any the database stores give 404 rather than a server error?"""
    auth.login("supervisor")
    assert client.get(page).status_code == 404


@pytest.mark.parametrize("query", [
    f"page={HUGE}", "page=2147483647", "page=-3", f"lead_unit={HUGE}", f"co_unit={HUGE}", f"leader={HUGE}",
    f"period={HUGE}", f"indicator={HUGE}", f"due_within={HUGE}", f"lead_unit=-{HUGE}", "lead_unit=1e400",
    f"unit={HUGE}",
])
@pytest.mark.parametrize("path", ["/tasks/", "/", "/tasks/print", "/inbox/", "/admin/users"])
def test_filter_and_page_numbers_too_big_are_ignored(client, auth, world, path, query):
    """Do page numbers and filter ids beyond what the database stores give a page, never a 500?"""
    auth.login("admin" if path.startswith("/admin") else "supervisor")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, (path, query)


def test_indicator_draft_ids_too_big_are_ignored(client, auth, world):
    """Does the task-draft page take result ids beyond the database's range as no result, not a crash?"""
    auth.login("supervisor")
    with client.application.app_context():
        period = make_period()
        db.session.commit()
        period_id = period.id
    response = client.get(f"/indicators/periods/{period_id}/generate?result={HUGE}")
    assert response.status_code in (200, 302)


@pytest.fixture
def units(ctx):
    """The demo county's units and a supervisor."""
    units = load_demo_units()
    make_user("supervisor", "supervisor")
    db.session.commit()
    return units


def row(base=GOOD, **changes):
    """A sheet row: `base` with cells replaced by header name."""
    values = list(base)
    for name, value in changes.items():
        values[HEADER.index(name)] = value
    return values


def test_numbers_too_big_in_a_results_sheet_are_row_errors(units):
    """Are a 400-digit rank, a rank of 99,999,999,999 and a 400-digit actual value named as row errors, not stored?"""
    from tracker.services.indicators import results_import

    data = xlsx_bytes([row(GOOD, 全市排名="9" * 400), row(OTHER, 全市排名=99_999_999_999, 参评县区数=99_999_999_999),
                       row(OTHER, 指标名称="规上工业增加值增速", 完成值="9" * 400)])
    with force_locale("en"):
        plan = results_import.plan_import(make_period(), data, "results.xlsx")
    found = {(error.row, error.column, error.code) for error in plan.errors}
    assert (4, "全市排名", "too_large") in found
    assert (5, "全市排名", "too_large") in found and (5, "参评县区数", "too_large") in found
    assert (6, "完成值", "too_large") in found
    assert not plan.ok
    assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)) == 0


def test_server_error_page_needs_no_database(migrated, tmp_path):
    """With the database unreachable, is the answer the product's own page in Chinese and English, not a bare 500?"""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://nobody:nothing@127.0.0.1:9/none?connect_timeout=2",
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "PROPAGATE_EXCEPTIONS": False})
    client = app.test_client()
    # Signing in must ask the database who this is.
    response = client.post("/auth/login", data={"username": "supervisor", "password": "whatever-it-is"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "系统暂时无法使用" in html and "Service unavailable" in html
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    with app.app_context():
        db.engine.dispose()


def criteria(html):
    """The print view's line of filters in force."""
    return re.search(r'<p class="criteria" id="criteria">(.*?)</p>', html, re.S).group(1)


def test_the_ledger_names_only_people_the_user_may_see(client, auth, world):
    """Does the print view's filter line name a leader only to who may see them, and never a non-leader?"""
    users = world["users"]
    auth.login("unithead")
    client.post("/lang/en")
    own = criteria(client.get(f"/tasks/print?leader={users['leader']}").get_data(as_text=True))
    assert "Responsible leader: leader" in own  # the leader of 县水利局's own task, named to its head
    for other in ("admin", "supervisor", "principal", "otherhead"):
        line = criteria(client.get(f"/tasks/print?leader={users[other]}").get_data(as_text=True))
        assert f"Responsible leader: #{users[other]}" in line and other not in line.replace("leader:", ""), other
    auth.logout()
    auth.login("supervisor")
    client.post("/lang/en")
    line = criteria(client.get(f"/tasks/print?leader={users['admin']}").get_data(as_text=True))
    assert f"Responsible leader: #{users['admin']}" in line  # not a leader: named to nobody
