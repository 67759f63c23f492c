"""Can the administrator create users, change their role and unit, deactivate them and reset passwords?"""
import pytest
from flask_babel import force_locale

from tests.conftest import DEMO_PASSWORD, AuthActions
from tests.test_admin_units import in_english
from tracker.extensions import db
from tracker.models import AuditEntry, Unit, User
from tracker.services import DomainError
from tracker.services.accounts import users as user_service

NEW_PASSWORD = "new-password-2"


@pytest.fixture
def admin(client, auth, world):
    """The test client, logged in as the administrator, in English."""
    assert auth.login("admin").status_code == 302
    return in_english(client)


def new_user_form(world, **changes):
    """A valid new-user form for a staff member of 县水利局, with `changes` applied."""
    form = {
        "username": "zhangsan", "display_name": "张三", "title": "办公室主任", "email": "zhangsan@example.cn",
        "phone": "0851-1234 5678", "role": "unit_staff", "unit_id": str(world["units"]["water"]),
        "password": "initial-pass-1",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def edit_form(user, **changes):
    """The edit form as the page would post it for `user`, with `changes` applied."""
    form = {
        "display_name": user.display_name, "title": user.title or "", "email": user.email or "",
        "phone": user.phone or "", "role": user.role, "unit_id": str(user.unit_id or ""),
    }
    if user.is_principal:
        form["is_principal"] = "y"
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def user_count(app):
    """How many users there are."""
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User))


def load(app, username):
    """A detached copy of a user's current row."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def fresh_client(app):
    """A second browser, in English, with a login helper."""
    client = in_english(app.test_client())
    return client, AuthActions(client)


def test_create_user_who_can_then_log_in(app, admin, world):
    """Does a created unit staff member belong to the unit, log in with the initial password, and get audited?"""
    response = admin.post("/admin/users/new", data=new_user_form(world))
    assert response.status_code == 302
    user = load(app, "zhangsan")
    assert (user.role, user.unit_id, user.title, user.is_active) == ("unit_staff", world["units"]["water"],
                                                                     "办公室主任", True)
    client, auth = fresh_client(app)
    assert auth.login("zhangsan", "initial-pass-1").status_code == 302
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.object_type == "user",
                                                             AuditEntry.object_id == user.id))
        assert (entry.action, entry.actor_id) == ("user_created", world["users"]["admin"])


def test_create_principal_leader_without_unit(app, admin, world):
    """Can a principal county leader be created without a unit?"""
    response = admin.post("/admin/users/new", data=new_user_form(
        world, username="xianzhang", role="leader", unit_id="", is_principal="y"))
    assert response.status_code == 302
    user = load(app, "xianzhang")
    assert user.is_principal and user.unit_id is None


@pytest.mark.parametrize("changes, message", [
    ({"username": "unithead"}, "The user name unithead is already taken."),
    ({"username": "UnitHead"}, "The user name UnitHead is already taken."),
    ({"username": "zhang san"}, "A user name may contain only letters, digits"),
    ({"username": "z" * 65}, "Field cannot be longer than 64 characters."),
    ({"display_name": "张" * 65}, "Field cannot be longer than 64 characters."),
    ({"display_name": "  "}, "This field is required."),
    ({"email": "zhangsan.example.cn"}, "zhangsan.example.cn is not a valid email address."),
    ({"email": "a" * 251 + "@x.cn"}, "Field cannot be longer than 255 characters."),
    ({"phone": "call me"}, "A phone number may contain only digits"),
    ({"role": "superuser"}, "Not a valid choice."),
    ({"unit_id": ""}, "Users with the role Unit staff need a unit."),
    ({"role": "unit_head", "unit_id": ""}, "Users with the role Unit head need a unit."),
    ({"role": "admin"}, "Users with the role Administrator belong to no unit"),
    ({"role": "supervisor"}, "Users with the role Supervision office belong to no unit"),
    ({"role": "leader"}, "Users with the role County leader belong to no unit"),
    ({"is_principal": "y"}, "Only a county leader can be a principal leader."),
    ({"unit_id": "99999"}, "Not a valid choice."),
    ({"password": "short"}, "Field must be between 8 and 200 characters long."),
])
def test_create_user_refuses_bad_input(app, admin, world, changes, message):
    """Is each kind of bad input refused with a clear message and no user created?"""
    before = user_count(app)
    response = admin.post("/admin/users/new", data=new_user_form(world, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_count(app) == before


def test_create_user_refuses_a_deactivated_unit(app, admin, world):
    """Can nobody be put into a deactivated unit, even by posting its id?"""
    with app.app_context():
        db.session.get(Unit, world["units"]["other"]).is_active = False
        db.session.commit()
    assert "县商务局" not in admin.get("/admin/users/new").get_data(as_text=True)
    response = admin.post("/admin/users/new", data=new_user_form(world, unit_id=str(world["units"]["other"])))
    assert response.status_code == 400
    assert user_count(app) == 8


def test_service_rules_hold_without_the_form(app, world):
    """Does the service itself refuse what the form would catch (for the CLI)?"""
    with app.test_request_context(), force_locale("en"):
        actor = db.session.get(User, world["users"]["admin"])
        base = {"username": "lisi", "display_name": "李四", "role": "unit_staff", "unit_name": "县水利局",
                "password": "initial-pass-1"}
        for changes, message in [
            ({"username": "l" * 65}, "65 characters; at most 64"),
            ({"password": "short"}, "at least 8 characters"),
            ({"unit_name": "县不存在局"}, "There is no unit named 县不存在局."),
            ({"role": "superuser"}, "Unknown role superuser."),
            ({"display_name": ""}, "is required."),
        ]:
            with pytest.raises(DomainError, match=message):
                user_service.create_user(actor, **(base | changes))
        assert user_service.create_user(actor, **base).unit.name == "县水利局"


def test_edit_user_role_and_unit(app, admin, world):
    """Does the edit form move a staff member to another unit as its head, and audit the change?"""
    user = load(app, "unitstaff")
    response = admin.post(f"/admin/users/{user.id}/edit", data=edit_form(
        user, role="unit_head", unit_id=str(world["units"]["town"]), display_name="王五"))
    assert response.status_code == 302
    changed = load(app, "unitstaff")
    assert (changed.role, changed.unit_id, changed.display_name) == ("unit_head", world["units"]["town"], "王五")
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user_updated"))
        assert "role: 'unit_staff' → 'unit_head'" in entry.reason


def test_edit_user_keeps_a_deactivated_unit(app, admin, world):
    """Can a user of a since-deactivated unit still be edited without moving them?"""
    with app.app_context():
        db.session.get(Unit, world["units"]["water"]).is_active = False
        db.session.commit()
    user = load(app, "unitstaff")
    page = admin.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "县水利局" in page
    response = admin.post(f"/admin/users/{user.id}/edit", data=edit_form(user, title="联络员"))
    assert response.status_code == 302
    assert load(app, "unitstaff").title == "联络员"


@pytest.mark.parametrize("username, changes, message", [
    ("leader", {"unit_id": "{water}"}, "belong to no unit"),
    ("unithead", {"role": "supervisor"}, "belong to no unit"),
    ("unithead", {"is_principal": "y"}, "Only a county leader can be a principal leader."),
    ("unithead", {"email": "no-at-sign"}, "is not a valid email address."),
    ("admin", {"role": "supervisor"}, "You cannot change your own role"),
])
def test_edit_user_refuses_bad_input(app, admin, world, username, changes, message):
    """Is each bad edit refused with a message and the user left as they were?"""
    user = load(app, username)
    changes = {key: value.format(**world["units"]) for key, value in changes.items()}
    response = admin.post(f"/admin/users/{user.id}/edit", data=edit_form(user, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    after = load(app, username)
    assert (after.role, after.unit_id, after.is_principal, after.email) == (
        user.role, user.unit_id, user.is_principal, user.email)


def test_deactivated_user_can_no_longer_log_in(app, admin, world):
    """Once deactivated, is a user refused at login and their open session ended?"""
    their_client, their_auth = fresh_client(app)
    assert their_auth.login("unitstaff").status_code == 302
    assert their_client.get("/tasks/").status_code == 200
    response = admin.post(f"/admin/users/{world['users']['unitstaff']}/active", data={"active": "0"})
    assert response.status_code == 302
    assert their_client.get("/tasks/").status_code == 302  # the open session no longer counts
    refused = fresh_client(app)[1].login("unitstaff")
    assert refused.status_code == 401
    assert "This account has been deactivated." in refused.get_data(as_text=True)
    admin.post(f"/admin/users/{world['users']['unitstaff']}/active", data={"active": "1"})
    assert fresh_client(app)[1].login("unitstaff").status_code == 302


def test_admin_cannot_deactivate_themselves(app, admin, world):
    """Is an administrator stopped from deactivating their own account?"""
    response = admin.post(f"/admin/users/{world['users']['admin']}/active", data={"active": "0"},
                          follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert load(app, "admin").is_active


def test_reset_password(app, admin, world):
    """After a reset, does only the new password work, and must the user change it?"""
    user_id = world["users"]["unithead"]
    response = admin.post(f"/admin/users/{user_id}/password",
                          data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert load(app, "unithead").must_change_password
    _client, auth = fresh_client(app)
    assert auth.login("unithead", DEMO_PASSWORD).status_code == 401
    assert auth.login("unithead", NEW_PASSWORD).status_code == 302
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user_password_reset"))
        assert entry.object_id == user_id and NEW_PASSWORD not in (entry.reason or "")


@pytest.mark.parametrize("data, message", [
    ({"new_password": "short", "confirm": "short"}, "Field must be between 8 and 200 characters long."),
    ({"new_password": NEW_PASSWORD, "confirm": "other-password"}, "The two passwords differ."),
])
def test_reset_password_refuses_bad_input(app, admin, world, data, message):
    """Is a too-short or mistyped new password refused, leaving the old one in force?"""
    response = admin.post(f"/admin/users/{world['users']['unithead']}/password", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert not load(app, "unithead").must_change_password
    assert fresh_client(app)[1].login("unithead").status_code == 302


def test_user_list_filters(admin, world):
    """Do the role, unit and name filters narrow the list?"""
    by_role = admin.get("/admin/users?role=leader").get_data(as_text=True)
    assert "principal" in by_role and "unitstaff" not in by_role
    by_unit = admin.get(f"/admin/users?unit={world['units']['water']}").get_data(as_text=True)
    assert "unithead" in by_unit and "unitstaff" in by_unit and "townstaff" not in by_unit
    by_name = admin.get("/admin/users?q=town").get_data(as_text=True)
    assert "townstaff" in by_name and "otherhead" not in by_name
    bad = admin.get("/admin/users?role=root&unit=abc").get_data(as_text=True)
    assert "were ignored: role, unit" in bad


def test_missing_user_or_unit_is_404(admin):
    """Does an unknown id give 404 rather than an error?"""
    assert admin.get("/admin/users/99999/edit").status_code == 404
    assert admin.post("/admin/units/99999/active", data={"active": "0"}).status_code == 404


def test_cli_create_user_uses_the_service(app, runner, world):
    """Does `flask create-user` create a unit user through the same service (no acting user)?"""
    result = runner.invoke(args=["create-user", "wangwu", "--role", "unit_staff", "--unit", "城关镇",
                                 "--password", "initial-pass-1"])
    assert result.exit_code == 0, result.output
    user = load(app, "wangwu")
    assert (user.role, user.unit_id, user.display_name) == ("unit_staff", world["units"]["town"], "wangwu")


def test_cli_create_user_reports_a_bad_unit(app, runner, world):
    """Does `flask create-user` with an unknown unit print the service's message?"""
    result = runner.invoke(args=["create-user", "wangwu", "--role", "unit_staff", "--unit", "县不存在局",
                                 "--password", "initial-pass-1"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 1
    assert "县不存在局" in result.output
