"""Double submits and simultaneous duplicates: saved once, and a clear message instead of a server error."""
import re
import threading

from flask_babel import force_locale

from tests.conftest import make_user
from tracker.extensions import db
from tracker.models import RectificationTask, Unit, User
from tracker.services import DomainError
from tracker.services.accounts import units as unit_service


def token_of(html):
    """The one-time token of the page's form."""
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"|'
                     r'value="([^"]+)"[^>]*name="form_token"', html).group(1)


def test_the_new_task_form_sent_twice_saves_one_draft(client, auth, world):
    """Does sending the new-task form twice (a double click, a resend after a slow answer) make one draft?"""
    auth.login("supervisor")
    client.post("/lang/en")
    page = client.get("/tasks/new").get_data(as_text=True)
    fields = {"title": "整治农贸市场周边占道经营", "source": "manual", "lead_unit": world["units"]["water"],
              "deadline_on": "2026-12-31", "supervision_level": "normal", "form_token": token_of(page)}
    first = client.post("/tasks/new", data=fields)
    second = client.post("/tasks/new", data=fields)
    assert first.status_code == 302 and "/tasks/" in first.location
    assert second.status_code == 302
    with client.application.app_context():
        titles = db.session.scalars(db.select(RectificationTask.title)
                                    .where(RectificationTask.title == "整治农贸市场周边占道经营")).all()
    assert titles == ["整治农贸市场周边占道经营"]
    assert "already submitted" in client.get(second.location).get_data(as_text=True)


def at_once(app, monkeypatch, checker, call, count=2):
    """Run `call` in `count` threads that all pass `checker` (a check-before-write) before any of them writes."""
    barrier = threading.Barrier(count, timeout=30)
    original = getattr(unit_service, checker)

    def checked(*args, **kwargs):
        """The check, then wait until every thread has checked."""
        result = original(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(unit_service, checker, checked)
    outcomes = []

    def run():
        """One request's worth: its own app context and session."""
        with app.app_context(), force_locale("en"):
            try:
                outcomes.append(("ok", call()))
            except DomainError as error:
                outcomes.append(("refused", str(error)))
            except Exception as error:  # what a user would have seen as a 500
                outcomes.append(("crashed", repr(error)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(kind for kind, _detail in outcomes), outcomes


def admin_of(app):
    """The administrator, as a fresh object in the current session."""
    return db.session.scalar(db.select(User).where(User.username == "admin"))


def test_the_same_unit_created_twice_at_once_is_one_unit_and_a_message(app, monkeypatch):
    """When two administrators create the same unit at the same moment, does one get it and the other a message?"""
    with app.app_context():
        make_user("admin", "admin")
        db.session.commit()
    kinds, outcomes = at_once(app, monkeypatch, "_check_name_free",
                              lambda: unit_service.create_unit(admin_of(app), "县数据局").id)
    assert kinds == ["ok", "refused"], outcomes
    assert "A unit named 县数据局 already exists." in [detail for kind, detail in outcomes if kind == "refused"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Unit).where(Unit.name == "县数据局")) == 1


def test_the_same_unit_list_imported_twice_at_once_imports_once(app, monkeypatch):
    """When one units CSV is imported twice at the same moment, is it imported once, the other told why?"""
    with app.app_context():
        make_user("admin", "admin")
        db.session.commit()
    data = "单位名称,单位类型\n县数据局,部门\n石门镇,乡镇\n".encode()
    kinds, outcomes = at_once(app, monkeypatch, "_check_rows",
                              lambda: unit_service.import_units_csv(admin_of(app), data).created)
    assert kinds == ["ok", "refused"], outcomes
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == 2
