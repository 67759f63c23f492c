"""Delivery and job runs on PostgreSQL under a lost COMMIT reply, kill -9 and two schedulers (issue 13).

Real processes, a real TCP proxy in front of the server, real SMTP on loopback, the real clock.
"""
import os
import signal
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.alerts_helpers import EMAIL_COUNT, MONDAY, finish, start_flask
from tests.alerts_helpers import build_county as build_alert_county
from tests.conftest import wait_for
from tests.delivery_helpers import CommitDroppingProxy
from tracker import clock, create_app
from tracker.extensions import db
from tracker.models import JobRun, Notification, OutboxMessage
from tracker.services.alerts import weekly
from tracker.services.messaging import outbox

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                       reason="needs TEST_DATABASE_URL pointing at PostgreSQL"),
]


def count(app, model, *where):
    """Rows of `model` matching `where`, read fresh."""
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def received(smtp_server):
    """How many mails each envelope recipient got."""
    return Counter(rcpt for rcpts, _mail in smtp_server.messages for rcpt in rcpts)


@pytest.fixture
def commit_proxy(app):
    """A proxy in front of the test database that can lose one COMMIT reply, and an app that connects through it."""
    target = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = CommitDroppingProxy(target.hostname or "127.0.0.1", target.port or 5432)
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": proxy.url(app.config["SQLALCHEMY_DATABASE_URI"]),
                          "UPLOAD_DIR": app.config["UPLOAD_DIR"]})
    proxied.config.update({key: app.config[key] for key in app.config if key.startswith("MAIL_")})
    yield proxy, proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()
    proxy.stop()


def test_a_lost_commit_reply_leaves_the_run_done_and_a_rerun_sends_nothing(app, monday, smtp_server, commit_proxy):
    """When the weekly run's COMMIT reaches the server but its reply is lost, is the run read again and kept
    done (not failed), and does running the week again add no message and send no mail twice?"""
    proxy, proxied = commit_proxy
    with app.app_context():
        build_alert_county()
    proxy.arm(b"INSERT INTO outbox")
    with proxied.app_context():
        outcome = weekly.run_weekly_alert(MONDAY)
        assert proxy.dropped == 1, "the proxy lost no reply"
        assert outcome.run.status == "done" and outcome.ran
    with app.app_context():
        again = weekly.run_weekly_alert(MONDAY)
        assert again.run is None
        outbox.dispatch_due()
    assert count(app, JobRun) == 1 and count(app, JobRun, JobRun.status == "done") == 1
    assert count(app, Notification) == 8 and count(app, OutboxMessage) == EMAIL_COUNT
    assert len(smtp_server.messages) == EMAIL_COUNT and set(received(smtp_server).values()) == {1}


def test_kill_9_of_the_scheduler_mid_run_is_taken_over_and_finished_once(app, smtp_server):
    """`kill -9` of `flask scheduler run` in the middle of the weekly run (held at its INSERT by a table lock):
    does the next scheduler take the run over once its heartbeat is stale, and send the week exactly once?"""
    with app.app_context():
        build_alert_county(today=clock.today())
    today = datetime.now(clock.local_tz())
    # Every minute of today: the catch-up at start runs the week at once (no race with a fire time).
    every_minute_today = f"* * {today.day} {today.month} *"
    settings = {"SCHEDULE_WEEKLY_ALERT": every_minute_today, "SCHEDULE_MONTHLY_BULLETIN": "off",
                "SCHEDULE_OUTBOX": "*/1 * * * * *", "JOB_HEARTBEAT": "0.3", "JOB_STALE": "3",
                "SCHEDULER_TICK": "0.5"}
    blocker = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with blocker.connect() as lock:
        lock.execute(sa.text("LOCK TABLE notifications IN EXCLUSIVE MODE"))
        first = start_flask(app, "scheduler", "run", **settings)
        try:
            running = wait_for(lambda: count(app, JobRun, JobRun.status == "running") == 1, timeout=60)
            assert running, "the first scheduler did not start the week"
        finally:
            first.send_signal(signal.SIGKILL)
            finish(first)
        lock.rollback()
    blocker.dispose()
    assert count(app, Notification) == 0 and smtp_server.messages == []
    second = start_flask(app, "scheduler", "run", **settings)
    try:
        assert wait_for(lambda: len(smtp_server.messages) >= EMAIL_COUNT
                        and count(app, JobRun, JobRun.status == "done") == 1, timeout=60), "the run was not finished"
        assert wait_for(lambda: count(app, OutboxMessage, OutboxMessage.status != "sent") == 0, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        output = finish(second, timeout=30)
    assert count(app, JobRun) == 1 and count(app, Notification) == 8
    assert len(smtp_server.messages) == EMAIL_COUNT and set(received(smtp_server).values()) == {1}, output


def test_two_schedulers_and_a_server_slower_than_the_lease_deliver_each_message_once(app, smtp_server):
    """Two `flask scheduler run` processes, a mail server taking longer than the lease for every message, and
    20 messages: does every recipient get each message exactly once?"""
    addresses = [f"user{n}@yunxi.example" for n in range(20)]
    with app.app_context():
        for n, address in enumerate(addresses):
            outbox.enqueue("email", address, f"测试 {n}", f"正文 {n}")
        db.session.commit()
    smtp_server.sink.delay = 1.5  # each message outlasts its 1-second lease: only the renewal keeps it held
    settings = {"SCHEDULE_WEEKLY_ALERT": "off", "SCHEDULE_MONTHLY_BULLETIN": "off",
                "SCHEDULE_OUTBOX": "*/1 * * * * *", "OUTBOX_LEASE": "1", "OUTBOX_HEARTBEAT": "0.2",
                "SCHEDULER_TICK": "1"}
    processes = [start_flask(app, "scheduler", "run", **settings) for _ in range(2)]
    try:
        assert wait_for(lambda: count(app, OutboxMessage, OutboxMessage.status == "sent") == 20, timeout=50), \
            "not every message was delivered"
    finally:
        outputs = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            outputs.append(finish(process, timeout=120))
    assert received(smtp_server) == dict.fromkeys(addresses, 1), outputs
    with app.app_context():
        assert db.session.scalars(db.select(OutboxMessage.interrupted_sends)).all() == [0] * 20
