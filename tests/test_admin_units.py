"""Can the administrator manage units, and import them from a CSV file without harm?"""
import io
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, make_unit
from tracker.extensions import db
from tracker.models import AuditEntry, Unit, User
from tracker.services import PermissionDenied
from tracker.services.accounts import units as unit_service

DATA = Path(__file__).parent / "data"
SAMPLE_UNITS = 33  # rows in units_sample.csv, a copy of the shared sample
WORLD_UNITS_IN_SAMPLE = 3  # 县水利局, 城关镇, 县商务局 exist in the world fixture and in the sample


def in_english(client):
    """Switch the client's UI to English, so the assertions hold once the Chinese catalogue exists."""
    client.post("/lang/en")
    return client


def upload(client, content, filename="units.csv"):
    """Post bytes to the import form as an uploaded file."""
    return client.post("/admin/units/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def unit_names(app):
    """Every unit name in the database."""
    with app.app_context():
        return set(db.session.scalars(db.select(Unit.name)))


def audit_count(app, object_type="unit"):
    """How many audit entries there are about units (or users)."""
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.object_type == object_type))


@pytest.fixture
def admin(client, auth, world):
    """The test client, logged in as the administrator."""
    assert auth.login("admin").status_code == 302
    return in_english(client)


def test_sample_file_imports_new_units_and_skips_existing(app, admin):
    """Does the real sample file create the missing units and leave the existing ones alone?"""
    before = unit_names(app)
    response = upload(admin, (DATA / "units_sample.csv").read_bytes())
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "created 30, unchanged 3" in text
    assert "县水利局 already exists, skipped." in text
    names = unit_names(app)
    assert len(names) == len(before) + SAMPLE_UNITS - WORLD_UNITS_IN_SAMPLE
    with app.app_context():
        assert db.session.scalar(db.select(Unit.kind).where(Unit.name == "桃源镇")) == "town"
        assert db.session.scalar(db.select(Unit.kind).where(Unit.name == "县委组织部")) == "department"
        entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "unit_created")).all()
        assert len(entries) == 30
        assert {entry.actor.username for entry in entries} == {"admin"}


def test_reimporting_the_same_file_is_harmless(app, admin):
    """Does importing the same file twice create nothing the second time and say so?"""
    content = (DATA / "units_sample.csv").read_bytes()
    upload(admin, content)
    names, audits = unit_names(app), audit_count(app)
    response = upload(admin, content)
    assert response.status_code == 200
    assert f"created 0, unchanged {SAMPLE_UNITS}" in response.get_data(as_text=True)
    assert unit_names(app) == names
    assert audit_count(app) == audits


@pytest.mark.parametrize("filename", ["units_gbk.csv", "units_bom.csv"])
def test_excel_encodings_give_the_same_units(app, admin, filename):
    """Do a GBK file (Excel on Chinese Windows) and a UTF-8 file with BOM import the same names as the sample?"""
    response = upload(admin, (DATA / filename).read_bytes())
    assert "created 30, unchanged 3" in response.get_data(as_text=True)
    sample_rows = (DATA / "units_sample.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {row.split(",")[0] for row in sample_rows} <= unit_names(app)


def test_english_headers_and_kind_codes_are_accepted(app, admin):
    """Does a file with the headers name,kind and types department/town import?"""
    response = upload(admin, (DATA / "units_english.csv").read_bytes())
    assert "created 2, unchanged 0" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Unit.kind).where(Unit.name == "花溪乡")) == "town"


def assert_refused(app, response, *messages):
    """The import was refused with these messages and wrote nothing."""
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in text or "not a CSV" in text or "empty" in text
    for message in messages:
        assert message in text, message
    assert "县审计局" not in unit_names(app)


def test_missing_column_changes_nothing(app, admin):
    """Does a file without the 单位类型 column say which column is missing and change nothing?"""
    before = unit_names(app)
    response = upload(admin, (DATA / "units_missing_column.csv").read_bytes())
    assert_refused(app, response, "lacks the column(s) 单位类型", "单位名称,单位类型")
    assert unit_names(app) == before


def test_unknown_unit_type_changes_nothing(app, admin):
    """Does a CSV with an unknown unit type name the row and the allowed types, and change nothing?"""
    before, audits = unit_names(app), audit_count(app)
    response = upload(admin, (DATA / "units_unknown_kind.csv").read_bytes())
    assert_refused(app, response, "Row 3", "园区", "部门, 乡镇, department, town")
    assert unit_names(app) == before  # the valid rows 2 and 4 were not written either
    assert audit_count(app) == audits


def test_duplicate_names_in_the_file_change_nothing(app, admin):
    """Does a name appearing twice in the file name both rows and change nothing?"""
    response = upload(admin, (DATA / "units_duplicates.csv").read_bytes())
    assert_refused(app, response, "Row 4", "县审计局 already appears in row 2")


def test_over_long_name_changes_nothing(app, admin):
    """Is a 101-character name refused with its row, while 100 characters would do?"""
    content = ("单位名称,单位类型\n县审计局,部门\n" + "长" * 101 + ",部门\n").encode()
    response = upload(admin, content)
    assert_refused(app, response, "Row 3", "101 characters; at most 100")
    response = upload(admin, ("单位名称,单位类型\n" + "长" * 100 + ",部门\n").encode())
    assert "created 1, unchanged 0" in response.get_data(as_text=True)


def test_every_error_is_listed_with_its_row(app, admin):
    """Does one upload list every bad row, not just the first?"""
    content = "单位名称,单位类型\n县审计局,部门\n,部门\n花溪乡,村\n县审计局,乡镇\n".encode()
    text = upload(admin, content).get_data(as_text=True)
    assert "3 errors" in text  # three bad rows, one problem each
    for expected in ("Row 3", "The unit name is required.", "Row 4", "村", "Row 5"):
        assert expected in text
    assert "县审计局" not in unit_names(app)


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\r\n  \r\n", "The file is empty."),
    ("单位名称,单位类型\r\n".encode(), "has a header row but no units"),
    (bytes(range(256)) * 4, "not a CSV text file"),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 50, "Excel workbook, not a CSV file"),
    (b"\x89PNG\r\n\x1a\n" + b"\xff\xfe" * 20, "not a CSV text file"),
    ('单位名称,单位类型\n"县审计局,部门\n'.encode(), "quotation mark is not closed"),
])
def test_unusable_files_get_a_clear_message(app, admin, content, message):
    """Do an empty file, a header alone, binary data, an Excel workbook and broken quoting each get a clear message?"""
    before = unit_names(app)
    response = upload(admin, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert unit_names(app) == before


def test_import_without_a_file_asks_for_one(admin):
    """Does submitting the import form without a file ask for one?"""
    response = admin.post("/admin/units/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file to import." in response.get_data(as_text=True)


def test_create_unit(app, admin):
    """Does the create form add an active unit and an audit entry?"""
    response = admin.post("/admin/units/new", data={"name": " 县审计局 ", "kind": "department"})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(db.select(Unit).where(Unit.name == "县审计局"))
        assert unit.is_active and unit.kind == "department"
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.object_id == unit.id,
                                                             AuditEntry.object_type == "unit"))
        assert entry.action == "unit_created"


@pytest.mark.parametrize("name, message", [
    ("县水利局", "A unit named 县水利局 already exists."),
    ("长" * 101, "Field cannot be longer than 100 characters."),
    ("   ", "This field is required."),
])
def test_create_unit_refuses_bad_names(app, admin, name, message):
    """Are a duplicate, an over-long and a blank unit name refused with a message?"""
    before = unit_names(app)
    response = admin.post("/admin/units/new", data={"name": name, "kind": "department"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert unit_names(app) == before


def test_create_unit_refuses_an_unknown_kind(app, admin):
    """Is a made-up unit type refused?"""
    response = admin.post("/admin/units/new", data={"name": "县审计局", "kind": "village"})
    assert response.status_code == 400
    assert "县审计局" not in unit_names(app)


def test_rename_unit(app, admin, world):
    """Does renaming keep the unit (and its users) and record the old name?"""
    unit_id = world["units"]["water"]
    assert admin.get(f"/admin/units/{unit_id}/edit").status_code == 200
    response = admin.post(f"/admin/units/{unit_id}/edit", data={"name": "县水务局"})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert unit.name == "县水务局"
        assert unit.users.count() == 2
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "unit_renamed"))
        assert entry.reason == "县水利局 → 县水务局"


def test_rename_to_an_existing_name_is_refused(app, admin, world):
    """Is renaming a unit to another unit's name refused with a message?"""
    response = admin.post(f"/admin/units/{world['units']['water']}/edit", data={"name": "县商务局"})
    assert response.status_code == 400
    assert "A unit named 县商务局 already exists." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Unit, world["units"]["water"]).name == "县水利局"


def test_deactivate_and_reactivate_unit(app, admin, world):
    """Do the deactivate and reactivate buttons (POST only) switch the unit and audit it?"""
    unit_id = world["units"]["other"]
    assert admin.get(f"/admin/units/{unit_id}/active").status_code == 405
    assert admin.post(f"/admin/units/{unit_id}/active", data={"active": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(Unit, unit_id).is_active is False
    admin.post(f"/admin/units/{unit_id}/active", data={"active": "1"})
    with app.app_context():
        assert db.session.get(Unit, unit_id).is_active is True
        actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_id == unit_id)
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["unit_deactivated", "unit_reactivated"]


def test_unit_list_is_paginated_and_counts_active_users(app, admin, world):
    """Does the list page through many units and show each unit's active users?"""
    with app.app_context():
        for number in range(60):
            make_unit(f"测试单位{number:02d}")
        db.session.get(User, world["users"]["unitstaff"]).is_active = False
        db.session.commit()
    first = admin.get("/admin/units").get_data(as_text=True)
    assert "县水利局" in first and "测试单位55" not in first
    assert "/admin/units?page=2" in first
    second = admin.get("/admin/units?page=2").get_data(as_text=True)
    assert "测试单位55" in second
    with app.app_context():
        _pagination, counts = unit_service.unit_page(1, 50)
    assert counts[world["units"]["water"]] == 1  # the unit head; the staff member is deactivated


def test_services_refuse_a_non_admin_actor(app, world):
    """Do the unit services refuse a supervisor even when called directly?"""
    with app.test_request_context():
        supervisor = db.session.get(User, world["users"]["supervisor"])
        with pytest.raises(PermissionDenied):
            unit_service.create_unit(supervisor, "县审计局", "department")
        with pytest.raises(PermissionDenied):
            unit_service.import_units_csv(supervisor, (DATA / "units_english.csv").read_bytes())


ADMIN_URLS = [
    ("get", "/admin/units"), ("get", "/admin/users"), ("get", "/admin/users/new"),
    ("get", "/admin/units/{water}/edit"), ("get", "/admin/users/{unitstaff}/edit"),
    ("post", "/admin/units/new"), ("post", "/admin/units/import"), ("post", "/admin/units/{water}/edit"),
    ("post", "/admin/units/{water}/active"), ("post", "/admin/users/new"), ("post", "/admin/users/{unitstaff}/edit"),
    ("post", "/admin/users/{unitstaff}/password"), ("post", "/admin/users/{unitstaff}/active"),
]


@pytest.mark.parametrize("username", ["supervisor", "leader", "unithead", "unitstaff"])
def test_non_admin_roles_get_403_everywhere(app, client, auth, world, username):
    """Does every admin URL answer 403 to every other role, and change nothing?"""
    auth.login(username)
    ids = {"water": world["units"]["water"], "unitstaff": world["users"]["unitstaff"]}
    for method, url in ADMIN_URLS:
        response = getattr(client, method)(url.format(**ids), data={"name": "x", "active": "0"})
        assert response.status_code == 403, (method, url)
    with app.app_context():
        assert db.session.get(Unit, ids["water"]).is_active
        assert db.session.get(User, ids["unitstaff"]).is_active


def test_anonymous_visitor_is_sent_to_login(client, world):
    """Is a visitor who is not logged in sent to the login page?"""
    response = client.get("/admin/units")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(csrf_app, world):
    """Is a unit-changing POST without a CSRF token refused when CSRF protection is on?"""
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/auth/login", data={"username": "admin", "password": DEMO_PASSWORD,
                                            "csrf_token": token}).status_code == 302
    response = client.post("/admin/units/new", data={"name": "县审计局", "kind": "department"})
    assert response.status_code == 400
    response = client.post(f"/admin/units/{world['units']['water']}/active", data={"active": "0"})
    assert response.status_code == 400
    with csrf_app.app_context():
        assert "县审计局" not in set(db.session.scalars(db.select(Unit.name)))
        assert db.session.get(Unit, world["units"]["water"]).is_active
