"""Sign-ins that end (issue 13, failure 8): copied session and remember cookies die with the sign-in they carry."""
from datetime import timedelta

import pytest

from tests.conftest import DEMO_PASSWORD
from tracker import caching, clock
from tracker.extensions import db
from tracker.models import ProgressReport, User
from tracker.services.accounts import users as users_service

NEW_PASSWORD = "Fresh-pass-2026"
VICTIM_ADDR = "10.0.0.5"
# SignIn is imported inside the tests that need it, so that run against the code before issue 13 the
# cookie tests fail on their assertions (the proof they test the failure) instead of the module on import.


def sign_in(app, username="unitstaff", remember=True, addr=VICTIM_ADDR, headers=None):
    """A new browser signed in through the login form; returns the test client."""
    browser = app.test_client()
    response = browser.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD,
                                                  "remember": "y" if remember else ""},
                            environ_base={"REMOTE_ADDR": addr}, headers=headers or {})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def copy_cookie(browser, name):
    """The value of one cookie, as an attacker who copied it off the machine would hold it."""
    cookie = browser.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def replay(app, name, value):
    """A fresh browser elsewhere carrying only the copied cookie, claiming the victim's address in X-Forwarded-For."""
    thief = app.test_client()
    thief.environ_base.update(REMOTE_ADDR="192.0.2.66", HTTP_X_FORWARDED_FOR=VICTIM_ADDR)
    thief.set_cookie(name, value)
    return thief


def reads_anything(thief, world):
    """Can this browser read the task list, the ledger or the inbox, or post a progress report?"""
    if any(thief.get(path).status_code == 200 for path in ("/tasks/", "/tasks/export.xlsx", "/inbox/")):
        return True
    thief.post(f"/tasks/{world['tasks']['own']}/report",
               data={"form_token": "t" * 32, "body": "冒名报送", "percent_done": "50"})
    return db.session.scalar(db.select(db.func.count()).select_from(ProgressReport)) > 0


def change_own_password(app, browser, world):
    """The user changes their password in the browser the cookies were copied from."""
    response = browser.post("/auth/password", data={"current_password": DEMO_PASSWORD,
                                                    "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert browser.get("/tasks/").status_code == 200  # the user stays signed in where they changed it


def admin_resets(app, browser, world):
    """The administrator sets a new password; the user signs in with it and chooses their own."""
    with app.app_context():
        admin, staff = (db.session.get(User, world["users"][key]) for key in ("admin", "unitstaff"))
        users_service.reset_password(admin, staff, NEW_PASSWORD)
    again = app.test_client()
    again.post("/auth/login", data={"username": "unitstaff", "password": NEW_PASSWORD})
    assert again.post("/auth/password", data={"current_password": NEW_PASSWORD, "new_password": "Own-choice-77",
                                              "confirm": "Own-choice-77"}).status_code == 302
    assert again.get("/tasks/").status_code == 200


def deactivated_then_reactivated(app, browser, world):
    """The administrator deactivates the user, then reactivates them."""
    with app.app_context():
        admin, staff = (db.session.get(User, world["users"][key]) for key in ("admin", "unitstaff"))
        users_service.set_user_active(admin, staff, False)
        users_service.set_user_active(admin, staff, True)


def signs_out_everywhere(app, browser, world):
    """The user presses "sign out everywhere" on their password page."""
    assert browser.post("/auth/sign-out-everywhere").status_code == 302
    assert browser.get("/tasks/").status_code == 302


ENDINGS = {
    "logout": lambda app, browser, world: browser.post("/auth/logout"),
    "password change": change_own_password,
    "admin reset": admin_resets,
    "deactivation and reactivation": deactivated_then_reactivated,
    "sign out everywhere": signs_out_everywhere,
}


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_copied_cookie_dies_with_its_sign_in(app, world, cookie, ending):
    """After the sign-in ends, can a copied session or remember cookie still read tasks, the ledger, the inbox,
    or post a report?"""
    browser = sign_in(app)
    copied = copy_cookie(browser, cookie)
    with app.app_context():
        assert reads_anything(replay(app, cookie, copied), world), "the copy works while the sign-in lasts"
        db.session.execute(db.delete(ProgressReport))
        db.session.commit()
    ENDINGS[ending](app, browser, world)
    with app.app_context():
        assert not reads_anything(replay(app, cookie, copied), world)


def test_sign_out_everywhere_ends_the_other_browsers(app, world):
    """Does "sign out everywhere" in one browser sign the user out of another one too, and no one else?"""
    office, home, colleague = sign_in(app), sign_in(app, remember=False), sign_in(app, "unithead")
    office.post("/lang/en")
    page = office.get("/auth/password").get_data(as_text=True)
    assert "Sign out everywhere" in page and page.count("10.0.0.5") == 2
    office.post("/auth/sign-out-everywhere")
    assert home.get("/tasks/").status_code == 302
    assert office.get("/tasks/").status_code == 302
    assert colleague.get("/tasks/").status_code == 200


def test_each_sign_in_gets_its_own_random_cookie(app, world):
    """Do two sign-ins of the same user carry different remember cookies that hold no user id?"""
    from tracker.models import SignIn

    first, second = (copy_cookie(sign_in(app), "remember_token") for _ in range(2))
    assert first != second
    assert not first.startswith(f"{world['users']['unitstaff']}|")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SignIn)) == 2
        stored = db.session.scalars(db.select(SignIn.token_hash)).all()
    assert all(first.split("|")[0] not in value for value in stored)  # only a hash is kept


def test_remember_me_lasts_the_setting(app, world):
    """Does a remembered sign-in last REMEMBER_DAYS (14) and no longer, whatever the cookie says?"""
    browser = sign_in(app)
    cookie = browser.get_cookie("remember_token")
    assert cookie.expires is not None
    assert timedelta(days=13) < cookie.expires - clock.now() <= timedelta(days=14, minutes=1)
    copied = cookie.value
    with clock.frozen(clock.now() + timedelta(days=13)):
        assert replay(app, "remember_token", copied).get("/tasks/").status_code == 200
    with clock.frozen(clock.now() + timedelta(days=14, minutes=1)):
        assert replay(app, "remember_token", copied).get("/tasks/").status_code == 302


def test_a_sign_in_not_remembered_ends_after_the_session_hours(app, world):
    """Does a sign-in without "keep me logged in" end SESSION_HOURS (12) after it began, on the server?"""
    copied = copy_cookie(sign_in(app, remember=False), "session")
    with clock.frozen(clock.now() + timedelta(hours=11)):
        assert replay(app, "session", copied).get("/tasks/").status_code == 200
    with clock.frozen(clock.now() + timedelta(hours=12, minutes=1)):
        assert replay(app, "session", copied).get("/tasks/").status_code == 302


def test_x_forwarded_for_changes_nothing_without_proxy_hops(app, world):
    """Without TRACKER_PROXY_HOPS, does a client's X-Forwarded-For neither end its session nor become its address?"""
    from tracker.models import SignIn

    browser = sign_in(app, headers={"X-Forwarded-For": "198.51.100.7"})
    assert browser.get("/tasks/", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                       headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    with app.app_context():
        assert db.session.scalars(db.select(SignIn.client_addr)).all() == ["10.0.0.5"]


def test_proxy_hops_trust_the_proxy_address(app, world):
    """With TRACKER_PROXY_HOPS=1, is the address nginx puts in X-Forwarded-For the one recorded?"""
    from tracker import create_app
    from tracker.models import SignIn

    behind_proxy = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_HOPS": 1})
    try:
        sign_in(behind_proxy, addr="127.0.0.1", headers={"X-Forwarded-For": "198.51.100.7"})
        with behind_proxy.app_context():
            assert db.session.scalars(db.select(SignIn.client_addr)).all() == ["198.51.100.7"]
    finally:
        with behind_proxy.app_context():
            db.session.remove()
            db.engine.dispose()


def test_each_request_checks_its_sign_in_with_one_read(app, world):
    """Does a signed-in request read its sign-in once (one statement on sign_ins), however often it asks?"""
    from benchmarks.sqlcount import counting

    browser = sign_in(app)
    browser.get("/inbox/")
    with app.app_context(), counting(db.engine) as counter:
        assert browser.get("/inbox/").status_code == 200
    assert sum("sign_ins" in statement for statement in counter.statements) == 1


def test_signing_in_and_out_leaves_the_figures_cached(app, world):
    """Do sign-ins, logouts and "sign out everywhere" leave the figure cache's counter alone?"""
    assert "sign_ins" not in caching.FIGURE_TABLES and "login_throttles" not in caching.FIGURE_TABLES
    with app.app_context():
        before = caching.data_version()
    browser = sign_in(app)
    browser.post("/auth/logout")
    browser = sign_in(app)
    app.test_client().post("/auth/login", data={"username": "unitstaff", "password": "wrong"})
    browser.post("/auth/sign-out-everywhere")
    with app.app_context():
        assert caching.data_version() == before
