"""Logging in and out, the sign-in delay and the address throttle (issue 13, failure 9), safe redirects,
password change, production config."""
import re
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


def attempt(client, username, password=DEMO_PASSWORD, addr="10.0.0.5"):
    """Post the login form from a client address; returns the response."""
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def delayed(response):
    """Was the attempt refused because the user name is inside its delay?"""
    return response.status_code == 401 and "失败次数过多" in response.get_data(as_text=True)


def test_wrong_passwords_delay_the_user_name_then_the_right_one_signs_in(app, world):
    """After the free failures, is even the right password refused during the delay, and accepted once it is over?"""
    start = clock.now()
    with clock.frozen(start):
        for _ in range(5):  # three free failures, the fourth starts a minute's delay, the fifth is not checked
            attempt(app.test_client(), "supervisor", "wrong")
        assert delayed(attempt(app.test_client(), "supervisor"))
    with clock.frozen(start + timedelta(seconds=50)):
        assert delayed(attempt(app.test_client(), "supervisor"))
    with clock.frozen(start + timedelta(seconds=61)):
        assert attempt(app.test_client(), "supervisor").status_code == 302


def test_the_delay_grows_to_at_most_fifteen_minutes(app, world):
    """Does each failure after the free ones double the delay (1, 2, 4, 8 minutes), up to 15?"""
    from tracker.services.accounts import throttle

    moment, delays = clock.now(), []
    for _ in range(8):
        with clock.frozen(moment):
            attempt(app.test_client(), "supervisor", "wrong")
        with app.app_context():
            _failures, until = throttle.status("supervisor")
        if until is not None:
            delays.append(round((until - moment).total_seconds() / 60))
            moment = until + timedelta(seconds=1)
    assert delays == [1, 2, 4, 8, 15]


def test_attempts_during_the_delay_are_not_checked(app, world, monkeypatch):
    """During the delay, is the password not even checked, and does the attempt add no failure?"""
    from tracker.services.accounts import auth as auth_service
    from tracker.services.accounts import throttle

    with clock.frozen(clock.now()):
        for _ in range(4):
            attempt(app.test_client(), "supervisor", "wrong")
        checked = []
        monkeypatch.setattr(auth_service, "check_password_hash", lambda *args: checked.append(args) or True)
        assert delayed(attempt(app.test_client(), "supervisor"))
        assert checked == []
        with app.app_context():
            assert throttle.status("supervisor")[0] == 4


def test_twenty_failures_from_one_address_lock_nobody_out(app, world):
    """Behind a shared proxy, do 20 failures on other names leave a user free to sign in, there and elsewhere?"""
    for index in range(25):
        attempt(app.test_client(), f"guess{index}", "wrong", addr="10.0.0.1")
    assert attempt(app.test_client(), "supervisor", addr="10.0.0.1").status_code == 302
    assert attempt(app.test_client(), "leader", addr="10.0.0.2").status_code == 302


def test_a_hot_address_gets_no_free_failures(app, world):
    """From an address with many recent failures, does one wrong password start a user name's delay at once?"""
    with clock.frozen(clock.now()):
        for index in range(20):
            attempt(app.test_client(), f"guess{index}", "wrong", addr="10.0.0.1")
        attempt(app.test_client(), "supervisor", "wrong", addr="10.0.0.1")
        assert delayed(attempt(app.test_client(), "supervisor", addr="10.0.0.1"))
        attempt(app.test_client(), "leader", "wrong", addr="10.0.0.2")  # elsewhere the free failures remain
        assert attempt(app.test_client(), "leader", addr="10.0.0.2").status_code == 302


def test_unknown_user_names_are_delayed_like_known_ones(app, world):
    """Does an unknown user name get the same answers, delay included, as an existing one?"""
    with clock.frozen(clock.now()):
        answers = {}
        for name in ("supervisor", "nobody"):
            for _ in range(4):
                attempt(app.test_client(), name, "wrong")
            response = attempt(app.test_client(), name, "wrong")
            message = re.search(r"该用户名[^<]*", response.get_data(as_text=True))[0].strip()
            answers[name] = (response.status_code, message)
    assert answers["nobody"] == answers["supervisor"] == (401, "该用户名登录失败次数过多，请 1 分钟后再试。")


def test_an_unknown_user_name_costs_a_hash_of_the_same_kind(app, world, monkeypatch):
    """Is an unknown name's password checked against a dummy hash made like a real user's (same method, cost)?"""
    from tracker.services.accounts import auth as auth_service

    checked = []
    real_check = auth_service.check_password_hash
    monkeypatch.setattr(auth_service, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real_check(stored, password))
    attempt(app.test_client(), "nobody", "wrong")
    attempt(app.test_client(), "supervisor", "wrong")
    with app.app_context():
        real_hash = db.session.get(User, world["users"]["supervisor"]).password_hash
        assert checked == [auth_service.dummy_hash(), real_hash]
    assert checked[0].split("$")[0] == real_hash.split("$")[0]  # e.g. scrypt:32768:8:1 in production


def test_the_dummy_hash_follows_the_production_method(app):
    """With the production method (scrypt), is the dummy hash a scrypt hash of the same parameters as a user's?"""
    from tracker.services.accounts import auth as auth_service

    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    with app.app_context():
        probe = User()
        probe.set_password("whatever-9")
        assert auth_service.dummy_hash().split("$")[0] == probe.password_hash.split("$")[0]


def test_successful_login_resets_the_failure_count(client, auth, world):
    """Do three failures, a success, and three more failures leave the account open?"""
    for _ in range(3):
        auth.login("supervisor", "wrong")
    assert auth.login("supervisor").status_code == 302
    auth.logout()
    for _ in range(3):
        auth.login("supervisor", "wrong")
    assert auth.login("supervisor").status_code == 302


def test_the_administrator_clears_the_delay(app, client, auth, world):
    """Can the administrator see a user's delay on their page and lift it with a button?"""
    with clock.frozen(clock.now()):
        for _ in range(4):
            attempt(app.test_client(), "unitstaff", "wrong")
        assert delayed(attempt(app.test_client(), "unitstaff"))
        auth.login("admin")
        client.post("/lang/en")
        page = client.get(f"/admin/users/{world['users']['unitstaff']}/edit").get_data(as_text=True)
        assert "4 wrong passwords" in page and "Clear the sign-in delay" in page
        assert client.post(f"/admin/users/{world['users']['unitstaff']}/sign-in-delay").status_code == 302
        assert attempt(app.test_client(), "unitstaff").status_code == 302


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
    assert auth.login("unitstaff").status_code == 401
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
