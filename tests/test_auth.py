"""Logging in and out, throttling, safe redirects, password change, production config."""
from datetime import timedelta

import pytest

from tests.conftest import DEMO_PASSWORD
from tracker import clock, create_app
from tracker.extensions import db
from tracker.models import User


def test_login_and_logout(client, auth, world):
    """Can a user log in, see the home page, and log out again?"""
    response = auth.login("supervisor")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("username, password", [
    ("supervisor", "wrong-password"),
    ("nobody", DEMO_PASSWORD),
    ("", ""),
])
def test_bad_credentials_are_refused_with_a_message(client, auth, world, username, password):
    """Do a wrong password and an unknown user both get the same clear message?"""
    response = auth.login(username, password)
    assert response.status_code in (200, 401)
    if username:
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(app, client, auth, world):
    """Is a deactivated account refused even with the right password?"""
    with app.app_context():
        db.session.get(User, world["users"]["unitstaff"]).is_active = False
        db.session.commit()
    response = auth.login("unitstaff")
    assert response.status_code == 401
    assert "停用" in response.get_data(as_text=True)


def test_deactivation_ends_an_open_session(app, client, auth, world):
    """Is a user already logged in shut out once deactivated?"""
    auth.login("unitstaff")
    assert client.get("/tasks/").status_code == 200
    with app.app_context():
        db.session.get(User, world["users"]["unitstaff"]).is_active = False
        db.session.commit()
    assert client.get("/tasks/").status_code == 302


def test_repeated_failures_lock_the_account_then_expire(app, client, auth, world):
    """After five wrong passwords, is even the right one refused until the lock expires?"""
    with clock.frozen(clock.now()):
        for _ in range(5):
            auth.login("supervisor", "wrong")
        response = auth.login("supervisor")
        assert response.status_code == 401
        assert "尝试次数过多" in response.get_data(as_text=True)
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        assert auth.login("supervisor").status_code == 302


def test_successful_login_resets_the_failure_count(client, auth, world):
    """Do four failures, a success, and four more failures leave the account open?"""
    for _ in range(4):
        auth.login("supervisor", "wrong")
    assert auth.login("supervisor").status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login("supervisor", "wrong")
    assert auth.login("supervisor").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/tasks/", "/tasks/"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
])
def test_next_redirect_is_local_only(client, world, target, expected):
    """Does login follow `next` only to a path on this site?"""
    response = client.post("/auth/login?next=" + target, data={"username": "supervisor", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.location == expected


def test_login_without_csrf_token_is_refused(csrf_app, world):
    """Is a login POST without a CSRF token rejected without logging in?"""
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_change_password(client, auth, world):
    """Can a user change their password, and does the old one stop working?"""
    auth.login("unithead")
    response = client.post("/auth/password", data={
        "current_password": DEMO_PASSWORD, "new_password": "another-pass-9", "confirm": "another-pass-9",
    })
    assert response.status_code == 302
    auth.logout()
    assert auth.login("unithead").status_code == 401
    assert auth.login("unithead", "another-pass-9").status_code == 302


def test_change_password_checks_the_current_one(client, auth, world):
    """Is a wrong current password refused with a message?"""
    auth.login("unithead")
    response = client.post("/auth/password", data={
        "current_password": "nope", "new_password": "another-pass-9", "confirm": "another-pass-9",
    })
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_passwords_are_hashed(app, world):
    """Is no password stored in clear?"""
    with app.app_context():
        user = db.session.get(User, world["users"]["admin"])
        assert DEMO_PASSWORD not in user.password_hash
        assert user.check_password(DEMO_PASSWORD)


def test_over_long_username_gets_a_message(client, world):
    """Is a 500-character user name refused by the form, not by a crash?"""
    response = client.post("/auth/login", data={"username": "x" * 500, "password": "whatever"})
    assert response.status_code == 200
    assert "64" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    """Does the production config refuse to start when SECRET_KEY is missing?"""
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    import config

    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_unknown_time_zone_is_refused_at_start():
    """Does a misspelt time zone stop the app with a clear message?"""
    with pytest.raises(RuntimeError, match="time zone"):
        create_app({"TIMEZONE": "Asia/Shanghia"})


def test_session_cookie_is_http_only(client, world):
    """Is the session cookie out of reach of page scripts?"""
    response = client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_reset_password_forces_a_change_and_lifts_the_lock(app, client, auth, world):
    """After an admin's reset, is a locked-out user let in but sent to change the password first?"""
    from tracker.services.accounts import users as users_service

    for _ in range(5):
        auth.login("unitstaff", "wrong")
    with app.app_context():
        admin = db.session.get(User, world["users"]["admin"])
        staff = db.session.get(User, world["users"]["unitstaff"])
        users_service.reset_password(admin, staff, "temporary-pass-1")
    assert auth.login("unitstaff", "temporary-pass-1").status_code == 302
    response = client.get("/tasks/")
    assert response.status_code == 302
    assert response.location.endswith("/auth/password")
    client.post("/auth/password", data={
        "current_password": "temporary-pass-1", "new_password": "my-own-pass-1", "confirm": "my-own-pass-1",
    })
    assert client.get("/tasks/").status_code == 200
