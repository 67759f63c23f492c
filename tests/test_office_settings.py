"""Office settings: stored in the database, the environment's value as the first default, audited."""
from datetime import timedelta

import pytest

from tests.conftest import make_task, make_unit
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, OfficeSetting, User
from tracker.services import DomainError, PermissionDenied, office_settings
from tracker.services.tasks import lights


def stored_count():
    """How many settings the office changed."""
    return db.session.scalar(db.select(db.func.count()).select_from(OfficeSetting))


def person(world, name):
    """A user of the world fixture."""
    return db.session.get(User, world["users"][name])


def test_default_comes_from_the_environment_setting(app, ctx):
    """Nothing stored: the config (environment) value is in force."""
    app.config["YELLOW_DUE_DAYS"] = 5
    assert office_settings.value("YELLOW_DUE_DAYS") == 5


def test_a_saved_value_wins_and_is_audited(app, world, ctx):
    """The supervisor's value replaces the default everywhere, with old and new in the audit trail."""
    supervisor = person(world, "supervisor")
    changed = office_settings.update(supervisor, {"YELLOW_DUE_DAYS": "10", "BULLETIN_AREA": " 全市 "})
    assert set(changed) == {"YELLOW_DUE_DAYS", "BULLETIN_AREA"}
    assert office_settings.value("YELLOW_DUE_DAYS") == 10
    assert office_settings.value("BULLETIN_AREA") == "全市"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "setting_changed",
                                                          AuditEntry.reason.like("YELLOW_DUE_DAYS%")))
    assert entry.reason == "YELLOW_DUE_DAYS: 7 → 10" and entry.actor_id == supervisor.id


def test_one_bad_value_saves_none(app, world, ctx):
    """A value out of range is refused with its label, and the good one beside it is not kept either."""
    with pytest.raises(DomainError, match="须在0至90之间"):
        office_settings.update(person(world, "supervisor"), {"YELLOW_SILENT_DAYS": "20", "YELLOW_DUE_DAYS": "400"})
    assert stored_count() == 0
    assert office_settings.value("YELLOW_SILENT_DAYS") == app.config["YELLOW_SILENT_DAYS"]


def test_only_the_office_changes_settings(app, world, ctx):
    """A unit head may not; the administrator may."""
    with pytest.raises(PermissionDenied):
        office_settings.update(person(world, "unithead"), {"YELLOW_DUE_DAYS": "3"})
    assert office_settings.update(person(world, "admin"), {"YELLOW_DUE_DAYS": "3"}) == ["YELLOW_DUE_DAYS"]


def test_the_lights_follow_the_page_value(app, world, ctx):
    """A task due in 9 days and just reported is green with the default 7 days, yellow once the office sets 10."""
    task = make_task("防汛物资补充", make_unit("县应急局"), deadline_on=clock.today() + timedelta(days=9),
                     last_reported_at=clock.now())
    db.session.commit()
    assert lights.task_state(task).light == "green"
    office_settings.update(person(world, "supervisor"), {"YELLOW_DUE_DAYS": "10"})
    assert lights.task_state(task).light == "yellow"


def test_settings_page_saves_and_shows_errors(app, world, client, auth):
    """The page shows the defaults, saves a change, and names a bad value without saving anything."""
    auth.login("supervisor")
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "YELLOW_DUE_DAYS" in page.get_data(as_text=True)
    with app.app_context():
        form = {item.key: str(office_settings.value(item.key)) for item in office_settings.SETTINGS}
    bad = client.post("/admin/settings", data={**form, "ALERT_MAX_ROWS": "abc"})
    assert bad.status_code == 400 and "abc" in bad.get_data(as_text=True)
    with app.app_context():
        assert stored_count() == 0
    client.post("/admin/settings", data={**form, "BULLETIN_EXPLAIN_UNITS": "5"})
    with app.app_context():
        assert office_settings.value("BULLETIN_EXPLAIN_UNITS") == 5


def test_cli_shows_and_sets(app, runner):
    """`flask settings set` checks the value like the page does."""
    assert "YELLOW_DUE_DAYS=7" in runner.invoke(args=["settings", "show"]).output
    refused = runner.invoke(args=["settings", "set", "yellow_due_days", "400"])
    assert refused.exit_code != 0 and "须在0至90之间" in refused.output
    assert "YELLOW_DUE_DAYS=12" in runner.invoke(args=["settings", "set", "yellow_due_days", "12"]).output
