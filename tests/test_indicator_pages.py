"""Do the indicator pages let the office import, review and act on results — and nobody else?"""
import io
import os
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import DEMO_PASSWORD
from tests.indicator_helpers import GOOD, TODAY, counts, csv_bytes, make_period, sample_bytes, xlsx_bytes
from tracker.extensions import db
from tracker.models import Indicator, IndicatorResult, RectificationTask, Unit
from tracker.services.documents import upload_staging

ROLE_USERS = {"supervisor": "supervisor", "leader": "leader0", "admin": "admin", "unit_head": "unithead"}


def login(client, username):
    """Log in through the form and switch the UI to English."""
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
    client.post("/lang/en")


def upload(client, url, data, name="assessment-2026H1.xlsx", **fields):
    """Post a file to an upload form (encoded in memory: the test client's own temp file for a big body leaks)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name), **fields})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def result_id(name, period_id):
    """The id of an indicator's result in a period."""
    return db.session.scalar(db.select(IndicatorResult.id).join(Indicator)
                             .where(Indicator.name == name, IndicatorResult.period_id == period_id))


# --- who may see what ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("supervisor", 200), ("leader", 200), ("admin", 200), ("unit_head", 403)])
def test_board_access(client, imported, role, status):
    """Do the office, leaders and the administrator see the board, and a unit head get 403?"""
    login(client, ROLE_USERS[role])
    assert client.get(f"/indicators/periods/{imported['current']}").status_code == status
    assert client.get("/indicators/").status_code == status
    assert (b'href="/indicators/"' in client.get("/").data) is (status == 200)


@pytest.mark.parametrize("role", ["leader", "admin", "unit_head"])
def test_only_the_office_imports_and_acts(client, imported, role):
    """Are import, rules, generate and task import refused to everyone but the office?"""
    login(client, ROLE_USERS[role])
    period = imported["current"]
    for url in (f"/indicators/periods/{period}/import", f"/indicators/periods/{period}/rules",
                f"/indicators/periods/{period}/generate?result=1", "/indicators/task-import"):
        assert client.get(url).status_code == 403, url
    assert client.post("/indicators/periods/new", data={"name": "x"}).status_code == 403


def test_anonymous_is_sent_to_login(client, imported):
    """Is a visitor who is not logged in sent to the login page?"""
    response = client.get(f"/indicators/periods/{imported['current']}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- the import through the pages ------------------------------------------------------------------

def test_upload_preview_confirm(app, client, results_county):
    """Does the sample go upload → preview (nothing written yet) → confirm → the board of weak indicators?"""
    login(client, "supervisor")
    response = client.post("/indicators/periods/new", data={
        "name": "2026年上半年考核", "kind": "half_year", "starts_on": "2026-01-01", "ends_on": "2026-06-30"})
    import_url = response.headers["Location"]
    response = upload(client, import_url, sample_bytes())
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert re.search(r'id="count-results-create">36<', page) and re.search(r'id="count-errors">0<', page)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)) == 0
    response = client.post(preview_url, data={})
    assert response.status_code == 302 and "show=weak" in response.headers["Location"]
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-indicator="民间投资增速"' in board and 'data-reason="last_place"' in board
    assert 'data-indicator="地区生产总值增速"' not in board  # a strength, not weak
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)) == 36
    assert client.post(preview_url, data={}).status_code == 302  # the staged file is gone: back to upload


def test_reupload_shows_unchanged_and_keeps_one_result_each(app, client, imported):
    """Does importing the same file again preview 36 unchanged rows and keep 36 results?"""
    login(client, "supervisor")
    response = upload(client, f"/indicators/periods/{imported['current']}/import", sample_bytes())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="count-results-unchanged">36<', page)
    assert re.search(r'id="count-indicators-update">0<', page)  # co-units in another order are the same
    client.post(response.headers["Location"], data={})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)
                                 .where(IndicatorResult.period_id == imported["current"])) == 36


def test_unknown_units_need_the_explicit_choice(app, client, results_county):
    """Is an unknown unit listed with the create option, refused without the tick, created with it?"""
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
    login(client, "supervisor")
    data = xlsx_bytes([GOOD[:11] + ["县数据资源局"] + GOOD[12:]])
    preview_url = upload(client, f"/indicators/periods/{period_id}/import", data).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert 'id="unknown-units"' in page and "县数据资源局" in page and 'name="create_units"' in page
    response = client.post(preview_url, data={})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(Unit).where(Unit.name == "县数据资源局")) is None
    response = client.post(preview_url, data={"create_units": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Unit).where(Unit.name == "县数据资源局")) is not None


def formula_sheet():
    """A sheet whose score cell is a formula with no cached value."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["指标名称", "分值", "得分", "全市排名", "参评县区数", "牵头单位"])
    sheet.append(["民间投资增速", 4, "=B2*0.4", 12, 12, "县发展和改革局"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name, data, words", [
    ("r.xlsx", b"not a spreadsheet", "not a readable Excel workbook"),
    ("r.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64, "old .xls"),
    ("r.csv", b"", "empty"),
    ("r.csv", b"\r\n,,\r\n", "no data"),
    ("r.csv", "说明,备注\r\n甲,乙\r\n".encode("gbk"), "No header row"),
    ("r.xlsx", b"P" * (20 * 1024 * 1024), "more than the limit"),
    ("r.xlsx", None, "formulas"),
])
def test_bad_files_get_a_clear_message_and_change_nothing(app, client, results_county, name, data, words):
    """Does each bad file get a message on the upload page (400), with nothing stored or written?"""
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
        before = counts()
    login(client, "supervisor")
    data = formula_sheet() if data is None else data
    response = upload(client, f"/indicators/periods/{period_id}/import", data, name)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    with app.app_context():
        assert counts() == before
        assert os.listdir(upload_staging.staging_dir()) == []


def test_gbk_csv_through_the_page(app, client, results_county):
    """Does a GBK CSV upload preview and import like an .xlsx?"""
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
    login(client, "supervisor")
    preview_url = upload(client, f"/indicators/periods/{period_id}/import", csv_bytes([GOOD], encoding="gbk"),
                         "结果.csv").headers["Location"]
    assert client.post(preview_url, data={}).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(IndicatorResult.rank)) == 12


def test_someone_elses_upload_cannot_be_confirmed(app, client, imported):
    """Is a staged upload usable only by the supervisor who uploaded it?"""
    login(client, "supervisor")
    url = f"/indicators/periods/{imported['current']}/import"
    preview_url = upload(client, url, sample_bytes()).headers["Location"]
    client.post("/auth/logout")
    with app.app_context():
        from tests.conftest import make_user
        make_user("supervisor2", "supervisor")
        db.session.commit()
    login(client, "supervisor2")
    response = client.get(preview_url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/import")
    assert client.get(f"/indicators/periods/{imported['current']}/import/../../x").status_code in (302, 404)


# --- rules and board -------------------------------------------------------------------------------

def test_rules_change_the_weak_list(client, imported):
    """Last-place rule only: do the four last-placed indicators stay weak, beside the four veto ones at risk?"""
    login(client, "supervisor")
    period = imported["current"]
    response = client.post(f"/indicators/periods/{period}/rules", data={
        "bottom_k": "0", "last_place": "y", "default_deadline_days": "60"})
    assert response.status_code == 302
    page = client.get(f"/indicators/periods/{period}?show=weak").get_data(as_text=True)
    assert re.search(r'id="count-weak">\s*<div class="card-body py-2"><div class="text-muted small">[^<]*</div>'
                     r'<div class="h3 mb-0">8<', page)
    assert page.count('data-reason="last_place"') == 4 and 'data-reason="bottom_k"' not in page
    # 一票否决 is judged by its own rule: 信访维稳, 安全生产 beyond their pro-rata ceiling, 污染防治攻坚战 and
    # 党风廉政建设 below their floor, whatever the rank rules say.
    assert page.count('data-reason="veto_at_risk"') == 4


def test_board_shows_rank_change_against_the_previous_period(client, imported):
    """Does 民间投资增速 show ↓3 (9th last time, 12th now)?"""
    login(client, "supervisor")
    page = client.get(f"/indicators/periods/{imported['current']}").get_data(as_text=True)
    row = page[page.index('data-indicator="民间投资增速"'):]
    row = row[:row.index("</tr>")]
    assert "↓3" in row and "12/12" in row


def test_create_period_with_a_taken_name(client, imported):
    """Is a second period with the same name refused with a message?"""
    login(client, "supervisor")
    response = client.post("/indicators/periods/new", data={
        "name": "2026年上半年考核", "kind": "half_year", "starts_on": "2026-01-01", "ends_on": "2026-06-30"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


# --- from weak indicators to tasks -----------------------------------------------------------------

def draft_fields(page):
    """The drafts form of the generate page as the browser would post it (every draft ticked)."""
    data = {}
    for name, value in re.findall(r'<input[^>]*name="(drafts-\d+-[a-z_]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(r'name="(drafts-\d+-include)"', page):
        data[name] = "y"
    for name, body in re.findall(r'<select[^>]*name="(drafts-\d+-[a-z_]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option selected value="([^"]*)"', body)
        if chosen:
            data[name] = chosen if name.endswith("co_units") else chosen[0]
    for name, body in re.findall(r'<textarea[^>]*name="(drafts-\d+-[a-z_]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body.strip()
    return data


def test_generate_prefills_and_dispatches(app, client, imported, results_county):
    """Are drafts prefilled from the results, and dispatched in one go to their lead units?"""
    login(client, "supervisor")
    period = imported["current"]
    with app.app_context():
        ids = [result_id(name, period) for name in ("民间投资增速", "安全生产")]
    page = client.get(f"/indicators/periods/{period}/generate?result={ids[0]}&result={ids[1]}").get_data(as_text=True)
    data = draft_fields(page)
    assert data["drafts-0-title"] == "Rectify the weak indicator 民间投资增速"
    assert data["drafts-0-lead_unit"] == str(results_county["units"]["县发展和改革局"])
    assert data["drafts-0-co_units"] == [str(results_county["units"]["县投资促进局"])]
    assert data["drafts-0-responsible_leader"] == str(results_county["leaders"]["常务副县长"])
    assert data["drafts-0-deadline_on"] == (TODAY + timedelta(days=90)).isoformat()
    assert data["drafts-0-supervision_level"] == "key"  # last place
    assert "ranking 12 of 12" in data["drafts-0-problem"]
    data["drafts-1-title"] = "安全生产专项整治"
    data["dispatch"] = "Create and dispatch"
    response = client.post(f"/indicators/periods/{period}/generate", data=data)
    assert response.status_code == 302
    with app.app_context():
        tasks = db.session.scalars(db.select(RectificationTask).order_by(RectificationTask.id)).all()
        assert [(t.title, t.status, t.source, t.indicator_result_id, t.period_id) for t in tasks] == [
            ("Rectify the weak indicator 民间投资增速", "assigned", "indicator", ids[0], period),
            ("安全生产专项整治", "assigned", "indicator", ids[1], period)]
    board = client.get(f"/indicators/periods/{period}").get_data(as_text=True)
    row = board[board.index('data-indicator="民间投资增速"'):]
    assert tasks[0].code in row[:row.index("</tr>")] and f'value="{ids[0]}"' not in board


def test_no_duplicate_task_for_an_indicator_with_an_open_one(app, client, imported):
    """Once an indicator has an open task, is it skipped on the generate page and refused on a replayed post?"""
    login(client, "supervisor")
    period = imported["current"]
    with app.app_context():
        rid = result_id("民间投资增速", period)
    url = f"/indicators/periods/{period}/generate"
    data = draft_fields(client.get(f"{url}?result={rid}").get_data(as_text=True))
    assert client.post(url, data={**data, "dispatch": "y"}).status_code == 302
    response = client.post(url, data={**data, "dispatch": "y"})
    assert response.status_code == 400 and "already has an open task" in response.get_data(as_text=True)
    page = client.get(f"{url}?result={rid}").get_data(as_text=True)
    assert 'id="skipped"' in page and "drafts-0-title" not in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 1


def test_one_bad_draft_means_none_is_created(app, client, imported):
    """With one draft's deadline in the past, is no draft created and the bad one marked?"""
    login(client, "supervisor")
    period = imported["current"]
    with app.app_context():
        ids = [result_id(name, period) for name in ("民间投资增速", "服务业增加值增速")]
    url = f"/indicators/periods/{period}/generate"
    data = draft_fields(client.get(f"{url}?result={ids[0]}&result={ids[1]}").get_data(as_text=True))
    data["drafts-1-deadline_on"] = "2026-01-01"
    response = client.post(url, data={**data, "save_drafts": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and page.count('class="alert alert-danger py-2 row-error"') == 1
    assert "in the past" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 0


def test_a_leader_sees_only_the_tasks_in_their_portfolio(app, client, imported, results_county):
    """On the board, does a leader see the codes of their own tasks and not the others'?"""
    login(client, "supervisor")
    period = imported["current"]
    with app.app_context():
        ids = [result_id(name, period) for name in ("民间投资增速", "社会消费品零售总额增速")]
    url = f"/indicators/periods/{period}/generate"
    data = draft_fields(client.get(f"{url}?result={ids[0]}&result={ids[1]}").get_data(as_text=True))
    client.post(url, data={**data, "dispatch": "y"})
    with app.app_context():
        mine, theirs = db.session.scalars(db.select(RectificationTask).order_by(RectificationTask.id)).all()
        assert mine.responsible_leader.title == "常务副县长" and theirs.responsible_leader.title == "分管工业副县长"
    client.post("/auth/logout")
    login(client, "leader0")  # 常务副县长
    board = client.get(f"/indicators/periods/{period}").get_data(as_text=True)
    assert mine.code in board and theirs.code not in board and 'name="result"' not in board


# --- tasks from other sources ----------------------------------------------------------------------

def test_task_import_pages(app, client, results_county):
    """Does a task sheet go upload → preview → create and dispatch, and a bad one show its errors?"""
    login(client, "supervisor")
    header = ["问题", "来源", "牵头单位", "完成时限"]
    good = xlsx_bytes([["路灯损坏", "察访核验", "县住房和城乡建设局", "2026-09-30"]], header=header)
    response = upload(client, "/indicators/task-import", good, "清单.xlsx", default_source="inspection")
    preview_url = response.headers["Location"]
    assert "路灯损坏" in client.get(preview_url).get_data(as_text=True)
    response = client.post(preview_url, data={"dispatch": "Create and dispatch"})
    assert response.status_code == 302
    with app.app_context():
        task = db.session.scalar(db.select(RectificationTask))
        assert (task.title, task.status, task.source) == ("路灯损坏", "assigned", "inspection")
    bad = xlsx_bytes([["路灯损坏2", "察访核验", "县城管局", "2026-09-30"]], header=header)
    preview_url = upload(client, "/indicators/task-import", bad, "清单.xlsx").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert 'data-code="unknown_unit"' in page and 'name="dispatch"' not in page
    assert client.post(preview_url, data={"dispatch": "y"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 1


def test_period_list_counts_results(client, imported):
    """Does the period list show each period with its number of results, latest first?"""
    login(client, "supervisor")
    page = client.get("/indicators/").get_data(as_text=True)
    assert page.index("2026年上半年考核") < page.index("2025年下半年考核")
    counts_shown = re.findall(r'<td class="text-end">(\d+)</td>', page)
    assert counts_shown == ["36", "1"]


def test_correcting_an_indicator_changes_its_judgement(app, client, imported):
    """When the office marks 企业上市培育 lower-is-better, is it judged behind progress on the board?"""
    login(client, "supervisor")
    with app.app_context():
        indicator = db.session.scalar(db.select(Indicator).where(Indicator.name == "企业上市培育"))
        assert (indicator.direction, indicator.kind) == ("higher", "cumulative")
    board = f"/indicators/periods/{imported['current']}"
    url = f"/indicators/indicator/{indicator.id}?next={board}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"direction": "lower", "kind": "cumulative", "bonus_cap": "0.5",
                                       "formula": "完成辅导备案企业数/目标数×分值"})
    assert response.status_code == 302 and response.headers["Location"] == board
    page = client.get(board).get_data(as_text=True)
    row = page[page.index('data-indicator="企业上市培育"'):]
    assert 'data-reason="behind_progress"' in row[:row.index("</tr>")]  # 206 家 against a ceiling of 200 × 50%
    with app.app_context():
        assert db.session.get(Indicator, indicator.id).bonus_cap == 0.5
    client.post("/auth/logout")
    login(client, "leader0")
    assert client.get(url).status_code == 403
