"""The weekly alert: who receives what, by mail (a real SMTP server on loopback) and in the inbox."""
from datetime import timedelta

from flask_babel import force_locale

from tests.alerts_helpers import BASE_URL, MONDAY, html_part, text_part
from tracker.extensions import db
from tracker.models import JobRun, Notification, OutboxMessage, RectificationTask, User
from tracker.services.alerts import weekly
from tracker.services.messaging import outbox
from tracker.services.tasks import lights

EMAILS = {
    "water_head": "shuili-head@yunxi.example", "water_staff": "shuili-staff@yunxi.example",
    "commerce_head": "shangwu@yunxi.example", "town_head": "chengguan@yunxi.example",
    "supervisor": "ducha@yunxi.example", "leader": "wang@yunxi.example",
}
NOBODY = ["li@yunxi.example", "admin@yunxi.example", "jiaoyu@yunxi.example", "former@yunxi.example"]


def send_week(app, day=MONDAY, **kwargs):
    """Run the weekly alert and deliver the outbox; returns the outcome's run id and what was sent."""
    with app.app_context():
        outcome = weekly.run_weekly_alert(day, **kwargs)
        result = outbox.dispatch_due()
        return (outcome.run.id if outcome.run else None), result


def codes_in(text):
    """The task codes (ZG-00N) a mail or message mentions."""
    return {f"ZG-00{n}" for n in range(1, 10) if f"ZG-00{n}" in text}


def test_each_reader_gets_their_units_red_and_yellow_tasks(app, alert_county, smtp_server):
    """Does each unit's head and staff get one mail with exactly their unit's red and yellow tasks, lead and co?"""
    send_week(app)
    expected = {
        "water_head": {"ZG-001", "ZG-002", "ZG-003"}, "water_staff": {"ZG-001", "ZG-002", "ZG-003"},
        "commerce_head": {"ZG-003"}, "town_head": {"ZG-004"},
        "supervisor": {"ZG-001", "ZG-003"},  # the summary lists red tasks; yellow ones are counted
        "leader": {"ZG-001"},  # 挂牌 task of which he is the responsible leader
    }
    for key, codes in expected.items():
        mails = smtp_server.mail_to(EMAILS[key])
        assert len(mails) == 1, key
        assert codes_in(text_part(mails[0])) == codes, key
        assert codes_in(html_part(mails[0])) == codes, key
    assert len(smtp_server.messages) == len(expected)
    for address in NOBODY:  # green-only unit, a leader of no red/yellow 挂牌 task, admin, deactivated user
        assert smtp_server.mail_to(address) == []


def test_mail_is_chinese_html_with_text_part_and_absolute_links(app, alert_county, smtp_server):
    """Is the mail a UTF-8 HTML mail with a plain-text alternative, days late/left, and a working link per task?"""
    send_week(app)
    mail = smtp_server.mail_to(EMAILS["water_head"])[0]
    assert "县水利局" in mail["Subject"] and mail["From"].addresses[0].display_name == "督查室"
    html, text = html_part(mail), text_part(mail)
    with app.app_context():
        red_id = alert_county["tasks"]["water_red"]
        assert f'href="{BASE_URL}/tasks/{red_id}"' in html
        assert f"{BASE_URL}/tasks/{red_id}" in text
        assert "农村安全饮水巩固提升" in html and "外贸进出口攻坚" in html
        with force_locale("zh_CN"):
            from flask_babel import ngettext
            assert ngettext("%(num)d day late", "%(num)d days late", 5) in text  # ZG-001, 5 days late
            assert ngettext("%(num)d day late", "%(num)d days late", 12) in text  # ZG-003 as co-unit
            assert ngettext("%(num)d day left", "%(num)d days left", 3) in text  # ZG-002


def test_the_alert_uses_the_task_list_lights(app, alert_county, smtp_server):
    """Is every task in the alert red or yellow by the same rule the task list uses, and no other task?"""
    send_week(app)
    with app.app_context():
        open_tasks = db.session.scalars(db.select(RectificationTask).where(RectificationTask.status != "draft")).all()
        states = lights.states_for(open_tasks, MONDAY)
        flagged = {t.code for t in open_tasks if states[t.id].light in ("red", "yellow")}
        in_sql = {t.code for t in db.session.scalars(db.select(RectificationTask).where(
            RectificationTask.status != "draft",
            lights.light_clause("red", MONDAY) | lights.light_clause("yellow", MONDAY)))}
    mentioned = set().union(*(codes_in(text_part(mail)) for _rcpts, mail in smtp_server.messages))
    assert flagged == in_sql == {"ZG-001", "ZG-002", "ZG-003", "ZG-004"}
    assert mentioned == flagged  # the draft ZG-007, green ZG-005/ZG-008 and closed ZG-006 never appear


def test_inbox_gets_the_same_content_and_users_without_email_are_noted(app, alert_county, smtp_server):
    """Does everyone concerned get the digest in-app too, and is a user without an email address noted in the run?"""
    run_id, _result = send_week(app)
    with app.app_context():
        notes = db.session.scalars(db.select(Notification).where(Notification.kind == "weekly_alert")).all()
        by_user = {note.user_id: note for note in notes}
        users = alert_county["users"]
        assert set(by_user) == {users[k] for k in ("water_head", "water_staff", "water_noemail", "commerce_head",
                                                   "town_head", "supervisor", "supervisor2", "leader")}
        inapp = [line for line in by_user[users["water_noemail"]].body.splitlines() if line.strip()]
        mail = [line for line in text_part(smtp_server.mail_to(EMAILS["water_staff"])[0]).splitlines()
                if line.strip() and BASE_URL not in line]
        assert codes_in("\n".join(inapp)) == {"ZG-001", "ZG-002", "ZG-003"}
        assert inapp == mail[:len(inapp)]  # the mail's text, less its links and footer
        assert by_user[users["water_noemail"]].title == smtp_server.mail_to(EMAILS["water_staff"])[0]["Subject"]
        run = db.session.get(JobRun, run_id)
        assert run.status == "done" and run.message_count == 8 + 6  # in-app + emails
        assert "张无邮" in run.notes and "考核员" in run.notes
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.user_id == users["water_noemail"])) == 0


def test_second_run_for_the_same_week_sends_nothing(app, alert_county, smtp_server):
    """Does a second run in the same week (a restart, a manual re-run) send nothing more?"""
    first, _ = send_week(app)
    later_that_week = MONDAY + timedelta(days=3)
    second, result = send_week(app, later_that_week, trigger="cli")
    assert first is not None and second is None and result.attempted == 0
    assert len(smtp_server.messages) == 6
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 8


def test_forced_resend_is_an_admin_action_that_sends_again(app, alert_county, smtp_server):
    """Does a forced resend by an administrator send the week again, recorded as its own run?"""
    send_week(app)
    with app.app_context():
        admin = db.session.get(User, alert_county["users"]["admin"])
        outcome = weekly.run_weekly_alert(MONDAY, trigger="admin", actor=admin, force=True)
        outbox.dispatch_due()
        assert outcome.run.period_key == "2026-W48+r1" and outcome.run.trigger == "resend"
        assert outcome.run.started_by_id == admin.id
    assert len(smtp_server.mail_to(EMAILS["leader"])) == 2


def test_unit_user_may_not_force_a_resend(app, alert_county):
    """Is a forced resend refused to a unit head?"""
    import pytest

    from tracker.services import PermissionDenied

    with app.app_context():
        head = db.session.get(User, alert_county["users"]["water_head"])
        with pytest.raises(PermissionDenied):
            weekly.run_weekly_alert(MONDAY, trigger="admin", actor=head, force=True)


def test_a_quiet_week_sends_nothing_but_is_recorded(app, monday, smtp_server):
    """When no task is red or yellow, does nobody get anything while the run is still recorded?"""
    from tests.conftest import make_task, make_unit, make_user

    with app.app_context():
        unit = make_unit("县教育局")
        make_user("eduhead", "unit_head", unit, email="jiaoyu@yunxi.example")
        make_user("supervisor", "supervisor", email="ducha@yunxi.example")
        make_task("义务教育学位扩容", unit, deadline_on=MONDAY + timedelta(days=90),
                  dispatched_at=monday, last_reported_at=monday)
        db.session.commit()
    run_id, result = send_week(app)
    assert smtp_server.messages == [] and result.attempted == 0
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run.status == "done" and run.message_count == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0


def test_dry_run_prints_who_would_get_what_and_sends_nothing(app, alert_county, runner, smtp_server):
    """Does `flask alerts weekly --dry-run` list readers and tasks without sending or recording anything?"""
    result = runner.invoke(args=["alerts", "weekly", "--on", "2026-11-23", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2026-W48" in result.output
    assert "shuili-head@yunxi.example" in result.output and "ZG-003" in result.output
    assert "jiaoyu@yunxi.example" not in result.output
    assert smtp_server.messages == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(JobRun)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0


def test_cli_sends_the_week_once(app, alert_county, runner, smtp_server):
    """Does `flask alerts weekly --on` send the week and refuse a second time, and reject a malformed date?"""
    first = runner.invoke(args=["alerts", "weekly", "--on", "2026-11-23"])
    assert first.exit_code == 0, first.output
    assert "2026-W48" in first.output and len(smtp_server.messages) == 6
    second = runner.invoke(args=["alerts", "weekly", "--on", "2026-11-25"])
    assert second.exit_code == 0 and len(smtp_server.messages) == 6
    bad = runner.invoke(args=["alerts", "weekly", "--on", "23/11/2026"])
    assert bad.exit_code != 0 and "23/11/2026" in bad.output


def test_a_failed_run_leaves_nothing_and_may_run_again(app, alert_county, smtp_server, monkeypatch):
    """If building the alert fails, is nothing sent, the error recorded, and the next run allowed to send?"""
    from tracker.services.alerts import digests

    real = digests.build_digests

    def broken(day):
        """Fail the way a lost database connection would."""
        raise RuntimeError("database hiccup")

    # The failure is injected because no real input makes digest building fail half-way.
    monkeypatch.setattr(digests, "build_digests", broken)
    run_id, _ = send_week(app)
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run.status == "failed" and "database hiccup" in run.error
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0
    monkeypatch.setattr(digests, "build_digests", real)
    again, _ = send_week(app)
    assert again == run_id and len(smtp_server.messages) == 6


def test_inbox_shows_the_whole_alert_and_opens_the_task_list(app, client, auth, alert_county, smtp_server):
    """Does the inbox show the whole weekly alert, and does opening it lead to the unit's red tasks in the list?"""
    send_week(app)
    with app.app_context():
        note = db.session.scalars(db.select(Notification).where(
            Notification.user_id == alert_county["users"]["water_noemail"])).one()
        note_id, body = note.id, note.body
    auth.login("waternomail")
    page = client.get("/inbox/").get_data(as_text=True)
    assert codes_in(page) == {"ZG-001", "ZG-002", "ZG-003"}
    assert body.strip().splitlines()[-1] in page  # the end of the alert too, not a cut excerpt
    opened = client.post(f"/inbox/{note_id}/read", data={"open": "1"})
    assert opened.status_code == 302 and opened.location.endswith("/tasks/?light=red")
    listing = client.get(opened.location).get_data(as_text=True)
    assert "农村安全饮水巩固提升" in listing and "外贸进出口攻坚" in listing  # red as lead and as co-unit


def test_two_processes_for_the_same_week_send_one_set(app, alert_county, smtp_server):
    """Do two `flask alerts weekly` processes started at once for the same week send one set of messages?"""
    from tests.alerts_helpers import finish, start_flask

    processes = [start_flask(app, "alerts", "weekly", "--on", "2026-11-25") for _ in range(2)]
    outputs = [finish(process) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert sum("2026-W48 done" in output or "2026-W48已完成" in output for output in outputs) == 1, outputs
    assert sorted(rcpt for rcpts, _mail in smtp_server.messages for rcpt in rcpts) == sorted(EMAILS.values())
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(JobRun)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 8


def test_a_run_alive_elsewhere_is_left_alone_and_a_dead_one_is_taken_over(app, alert_county, smtp_server, monday):
    """Is a week being sent by another live process skipped, while a run whose process died is redone?"""
    from tracker import clock

    with app.app_context():
        db.session.add(JobRun(job="weekly_alert", period_key="2026-W48", status="running", trigger="scheduler",
                              started_at=clock.now() - timedelta(minutes=5),
                              heartbeat_at=clock.now() - timedelta(seconds=10)))
        db.session.commit()
        skipped = weekly.run_weekly_alert(MONDAY)
        assert skipped.run is None and db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0
        with clock.frozen(monday + timedelta(hours=1)):  # no heartbeat for an hour: that process died
            taken = weekly.run_weekly_alert(MONDAY, trigger="cli")
            outbox.dispatch_due()
        assert taken.run.status == "done" and taken.run.trigger == "cli"
    assert len(smtp_server.messages) == 6
