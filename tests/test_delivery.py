"""Delivery under slow and broken channels (issue 13): each message sent once, no channel stops the others.

Real parts: the loopback SMTP server of alerts_helpers (slowed down), raw TCP servers that
answer garbage or nothing (delivery_helpers), and real `flask` processes killed with SIGKILL.
"""
import re
import signal
import threading
from collections import Counter
from datetime import timedelta

from tests.alerts_helpers import MONDAY, build_county, finish, run_requests, start_flask
from tests.conftest import wait_for
from tracker import clock
from tracker.extensions import db
from tracker.models import JobRun, Notification, OutboxMessage, Unit
from tracker.services.alerts import weekly
from tracker.services.messaging import outbox


def dispatch(app):
    """One delivery pass in its own app context."""
    with app.app_context():
        return outbox.dispatch_due()


def queue_mails(app, count, prefix="user"):
    """Queue `count` mails to prefix0@ … ; returns the addresses."""
    addresses = [f"{prefix}{n}@yunxi.example" for n in range(count)]
    with app.app_context():
        for n, address in enumerate(addresses):
            outbox.enqueue("email", address, f"测试 {n}", f"正文 {n}")
        db.session.commit()
    return addresses


def received(smtp_server):
    """How many mails each envelope recipient got."""
    return Counter(rcpt for rcpts, _mail in smtp_server.messages for rcpt in rcpts)


def outbox_rows(app):
    """(recipient, status, last_error) of every message, by id."""
    with app.app_context():
        return [(m.recipient, m.status, m.last_error)
                for m in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]


def login(client, auth, username="supervisor"):
    """Log in, pages in English."""
    auth.login(username)
    client.post("/lang/en")


def test_a_later_pass_never_sends_what_a_slow_pass_still_holds(app, smtp_server, monday):
    """With a server so slow that a pass outlasts the old five-minute batch lease, does each mail go out once?

    The clock is moved six minutes on while the first pass is still sending its first mail, as the
    minute job would find it; the second pass may take only what nobody holds (issue 13, failure 1).
    """
    app.config.update(OUTBOX_LEASE=600, OUTBOX_HEARTBEAT=0.2)
    addresses = queue_mails(app, 4)
    smtp_server.sink.delay = 1.0
    first = threading.Thread(target=dispatch, args=(app,))
    first.start()
    try:
        assert wait_for(lambda: smtp_server.sink.started >= 1, timeout=30), "the first pass sent nothing"
        with clock.frozen(monday + timedelta(minutes=6)):
            dispatch(app)
    finally:
        first.join(120)
    assert received(smtp_server) == dict.fromkeys(addresses, 1)
    assert {status for _to, status, *_rest in outbox_rows(app)} == {"sent"}


def test_a_send_cut_off_by_kill_9_is_resent_once_and_the_office_sees_it(app, smtp_server, client, auth):
    """When `flask outbox send` is killed while the server takes a mail, is that mail sent again once the lease
    runs out (the recipient may have it twice), marked "resent after an interruption", and every other mail once?"""
    app.config.update(OUTBOX_LEASE=1, OUTBOX_HEARTBEAT=0.2)
    with app.app_context():
        build_county(today=clock.today())
    addresses = queue_mails(app, 3)
    smtp_server.sink.reply_delay = 30  # the server keeps the mail, then is slow to say so
    process = start_flask(app, "outbox", "send", OUTBOX_LEASE="1", OUTBOX_HEARTBEAT="0.2")
    try:
        assert wait_for(lambda: len(smtp_server.messages) >= 1, timeout=60), "the process sent nothing"
    finally:
        process.send_signal(signal.SIGKILL)  # accepted by the server, not yet recorded
        finish(process)
    smtp_server.sink.reply_delay = 0
    assert wait_for(lambda: dispatch(app) is not None and all(row[1] == "sent" for row in outbox_rows(app)),
                    timeout=60, step=0.3), outbox_rows(app)
    counts = received(smtp_server)
    assert counts[addresses[0]] == 2 and counts[addresses[1]] == 1 and counts[addresses[2]] == 1
    with app.app_context():
        interrupted = db.session.scalars(db.select(OutboxMessage.interrupted_sends).order_by(OutboxMessage.id)).all()
    assert interrupted == [1, 0, 0]
    login(client, auth)
    page = client.get("/admin/jobs/outbox").get_data(as_text=True)
    assert page.count("Resent after an interruption") == 2  # the phone list and the table, for that one mail


def test_a_robot_answering_garbage_fails_alone_and_every_mail_goes_out(app, alert_county, monday, smtp_server,
                                                                      garbage_robot):
    """A robot that answers with non-HTTP bytes (BadStatusLine): is that message kept as failed with its error
    while the pass goes on and delivers every mail?"""
    with app.app_context():
        water = db.session.get(Unit, alert_county["units"]["water"])
        water.webhook_kind = "wecom"
        water.webhook_url = f"http://127.0.0.1:{garbage_robot.port}/cgi-bin/webhook/send?key=k1"
        db.session.commit()
        weekly.run_weekly_alert(MONDAY)
    result = dispatch(app)
    assert result.sent == 6 and result.failed == 1
    assert len(smtp_server.messages) == 6
    robot = [row for row in outbox_rows(app) if row[0].startswith("http")]
    assert len(robot) == 1 and robot[0][1] == "pending" and "BadStatusLine" in robot[0][2]


def test_a_line_break_in_a_unit_name_does_not_stop_mail(app, alert_county, monday, smtp_server):
    """A unit name typed with a line break goes into mail subjects: is every mail still delivered, on one line?"""
    with app.app_context():
        db.session.get(Unit, alert_county["units"]["water"]).name = "县水利局\n（临时）"
        db.session.commit()
        weekly.run_weekly_alert(MONDAY)
    result = dispatch(app)
    assert result.sent == 6 and result.failed == 0
    subjects = [mail["Subject"] for rcpts, mail in smtp_server.messages if "shuili-head@yunxi.example" in rcpts]
    assert len(subjects) == 1 and "县水利局 （临时）" in subjects[0]


def test_an_address_the_mail_library_refuses_fails_alone(app, smtp_server):
    """A recipient with a line break makes the email library raise: is that one message failed with its
    error, and are the mails before and after it delivered in the same pass?"""
    with app.app_context():
        for address in ("a@yunxi.example", "b@yunxi.example\nBcc: c@yunxi.example", "d@yunxi.example"):
            outbox.enqueue("email", address, "主题", "正文")
        db.session.commit()
    result = dispatch(app)
    assert (result.sent, result.failed) == (2, 1)
    assert sorted(received(smtp_server)) == ["a@yunxi.example", "d@yunxi.example"]
    statuses = outbox_rows(app)
    assert statuses[1][1] == "pending" and "ValueError" in statuses[1][2]


def test_a_hanging_robot_does_not_hold_up_mail(app, alert_county, monday, smtp_server, hanging_robot):
    """While a robot holds its connection and never answers, is every mail of the week delivered meanwhile?"""
    app.config.update(WEBHOOK_TIMEOUT=60)
    with app.app_context():
        water = db.session.get(Unit, alert_county["units"]["water"])
        water.webhook_kind = "wecom"
        water.webhook_url = f"http://127.0.0.1:{hanging_robot.port}/cgi-bin/webhook/send?key=k1"
        db.session.commit()
        outbox.enqueue("wecom", water.webhook_url, "先排队的机器人消息", "**测试**", unit_id=water.id)
        db.session.commit()
        weekly.run_weekly_alert(MONDAY)
    passing = threading.Thread(target=dispatch, args=(app,))
    passing.start()
    try:
        assert wait_for(lambda: len(smtp_server.messages) == 6, timeout=40), "mail waited for the robot"
        assert hanging_robot.open == 1  # the robot still holds its connection: mail did not wait for it
    finally:
        hanging_robot.release.set()
        passing.join(120)
    assert len(smtp_server.messages) == 6


def test_run_now_only_records_the_request_and_the_page_says_no_scheduler_runs(app, client, auth, alert_county,
                                                                              smtp_server):
    """Does "run now" send nothing inside the web request, say plainly that no scheduler is running, and leave
    the work to the scheduler's tick, whose heartbeat the page then shows?"""
    login(client, auth)
    response = client.post("/admin/jobs/weekly_alert/run", follow_redirects=True)
    assert smtp_server.messages == []
    page = response.get_data(as_text=True)
    assert "No scheduler is running" in page and 'data-alive="no"' in page
    assert re.findall(r'data-request="\d+" data-status="(\w+)"', page) == ["waiting"]
    with app.app_context():
        from tracker.jobs import requests

        requests.beat("test-host:1:abc", clock.now())
    assert 'data-alive="yes"' in client.get("/admin/jobs").get_data(as_text=True)
    assert run_requests(app) == 1
    assert len(smtp_server.messages) == 6
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert re.findall(r'data-request="\d+" data-status="(\w+)"', page) == ["done"]
    assert "Delivered 6 of 6, failed 0" in page


def test_a_double_click_on_resend_sends_the_week_once_more(app, client, auth, alert_county, smtp_server):
    """Two posts of the same resend form (a double click), and the same form again after that resend finished:
    is the week sent once more, not two or three times?"""
    login(client, auth)
    client.post("/admin/jobs/weekly_alert/run")
    run_requests(app)
    assert len(smtp_server.messages) == 6
    key = re.search(r'name="resend_key" value="([^"]+)"', client.get("/admin/jobs").get_data(as_text=True)).group(1)
    form = {"force": "1", "confirm": "1", "resend_key": key}
    first, second = (client.post("/admin/jobs/weekly_alert/run", data=form, follow_redirects=True)
                     for _click in range(2))
    assert "already asked for" in second.get_data(as_text=True)
    run_requests(app)
    client.post("/admin/jobs/weekly_alert/run", data=form)  # the same page, sent once more later
    run_requests(app)
    assert len(smtp_server.messages) == 12
    from tracker.models import JobRequest

    with app.app_context():
        keys = db.session.scalars(db.select(JobRun.period_key).order_by(JobRun.id)).all()
        assert keys == ["2026-W48", "2026-W48+r1"]
        assert db.session.scalar(db.select(db.func.count()).select_from(JobRequest)) == 3


def test_a_run_left_by_a_dead_process_is_taken_over_at_start_and_finished_once(app, smtp_server):
    """A weekly run marked running by a process that stopped beating ten minutes ago: does a starting
    `flask scheduler run` take it over, finish it, and send each of its mails once?"""
    with app.app_context():
        build_county(today=clock.today())
        long_ago = clock.now() - timedelta(minutes=10)
        db.session.add(JobRun(job="weekly_alert", period_key=weekly.week_key(clock.today()), status="running",
                              trigger="scheduler", started_at=long_ago, heartbeat_at=long_ago,
                              owner="gone-host:4242:dead"))
        db.session.commit()
    process = start_flask(app, "scheduler", "run", SCHEDULE_WEEKLY_ALERT="off", SCHEDULE_MONTHLY_BULLETIN="off",
                          SCHEDULE_OUTBOX="*/1 * * * * *", JOB_STALE="60", SCHEDULER_TICK="0.5")
    try:
        assert wait_for(lambda: len(smtp_server.messages) >= 6, timeout=60), "the dead run was not finished"
        with app.app_context():
            run = db.session.scalars(db.select(JobRun)).one()
            assert (run.status, run.trigger) == ("done", "takeover") and run.owner != "gone-host:4242:dead"
            assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 8
    finally:
        process.send_signal(signal.SIGTERM)
        output = finish(process, timeout=120)
    assert "taken over: 1" in output, output
    assert len(smtp_server.messages) == 6 and set(received(smtp_server).values()) == {1}
