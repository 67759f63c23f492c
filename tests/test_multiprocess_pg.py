"""Several processes on one PostgreSQL database: is each week's alert sent once, each bulletin drafted once,
and is a stale write refused across connections?

These run only against PostgreSQL (TEST_DATABASE_URL), where processes really
run at the same moment; SQLite serialises writers, so the races cannot happen
there the same way. The processes are real `flask` processes on the test
database, with the real clock (the test cannot freeze another process's clock).
"""
import os
import signal
import time
from datetime import datetime, timedelta

import pytest

from tests.alerts_helpers import SHANGHAI, build_county, finish, start_flask
from tests.conftest import wait_for
from tests.workflow_helpers import new_task, user
from tracker import clock
from tracker.extensions import db
from tracker.models import Bulletin, JobRun, Notification, OutboxMessage, RectificationTask
from tracker.services import ConflictError
from tracker.services.tasks import reviews, workflow

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


def test_two_schedulers_send_the_weekly_alert_once_and_draft_the_bulletin_once(app, smtp_server, tmp_path):
    """Do two `flask scheduler run` processes firing at the same second record one run of each job,
    queue and mail one set of alert messages, and make one draft bulletin (numbered only at issue, 第__期)?"""
    with app.app_context():
        build_county(today=clock.today())  # the real clock: the processes judge today's lights
    fire_at = (datetime.now(SHANGHAI) + timedelta(seconds=8)).replace(microsecond=0)
    # One second of this one day for both jobs: nothing earlier to catch up, both processes fire together.
    schedule = f"{fire_at.second} {fire_at.minute} {fire_at.hour} {fire_at.day} {fire_at.month} *"
    processes = [start_flask(app, "scheduler", "run", SCHEDULE_WEEKLY_ALERT=schedule,
                             SCHEDULE_MONTHLY_BULLETIN=schedule, SCHEDULE_OUTBOX="*/1 * * * * *",
                             TRACKER_TIMEZONE="Asia/Shanghai", BULLETIN_DIR=str(tmp_path)) for _ in range(2)]
    try:
        done = wait_for(lambda: count(app, JobRun, JobRun.status == "done") >= 2
                        and count(app, OutboxMessage, OutboxMessage.status == "sent") >= 1
                        and count(app, OutboxMessage, OutboxMessage.status != "sent") == 0, timeout=60)
        assert done, "the jobs did not run"
        time.sleep(1.5)  # more outbox ticks in both processes: nothing is sent twice
    finally:
        outputs = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            outputs.append(finish(process, timeout=120))
    assert all(process.returncode == 0 for process in processes), outputs
    # Both normally fire at the second; on a busy machine a process may start after it and catch the
    # week up instead. Either way each job must have run once: that is what is checked below.
    assert all("Scheduler started" in output for output in outputs), outputs
    with app.app_context():
        runs = db.session.execute(db.select(JobRun.job, JobRun.period_key, JobRun.status)).all()
        assert sorted(job for job, _key, _status in runs) == ["monthly_bulletin", "weekly_alert"]
        assert {status for *_rest, status in runs} == {"done"}
        weekly = db.session.scalar(db.select(JobRun).where(JobRun.job == "weekly_alert"))
        emails = db.session.scalars(db.select(OutboxMessage.recipient).where(OutboxMessage.channel == "email")).all()
        assert weekly.message_count == count(app, OutboxMessage) + count(app, Notification,
                                                                         Notification.kind == "weekly_alert")
        bulletins = db.session.execute(db.select(Bulletin.month, Bulletin.issue_no)).all()
        assert bulletins == [(fire_at.strftime("%Y-%m"), None)]
        assert count(app, Notification, Notification.kind == "bulletin_ready") == 2  # the two supervisors, once
    mailed = sorted(rcpt for rcpts, _mail in smtp_server.messages for rcpt in rcpts)
    assert mailed == sorted(emails) and len(set(mailed)) == len(mailed)  # every address once


def test_two_processes_generating_one_month_make_one_draft(app, tmp_path):
    """Do two `flask bulletin monthly` processes started together for the same month leave one draft, unnumbered?"""
    with app.app_context():
        build_county(today=clock.today())
    processes = [start_flask(app, "bulletin", "monthly", "--month", "2026-10", BULLETIN_DIR=str(tmp_path))
                 for _ in range(2)]
    outputs = [finish(process, timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    with app.app_context():
        rows = db.session.scalars(db.select(Bulletin)).all()
        assert [(row.month, row.year, row.issue_no, row.status) for row in rows] == [("2026-10", 2026, None, "draft")]
        assert os.path.isfile(tmp_path / rows[0].file_path)


def test_a_stale_write_from_another_connection_is_refused(app, flow, workflow_today):  # noqa: F811
    """When two workers load the same task and both act, does the second get ConflictError and change nothing?"""
    with app.app_context():
        task_id = new_task(flow, status="in_progress").id
    with app.app_context():  # worker A: the supervisor opens the cancel form
        task_a = db.session.get(RectificationTask, task_id)
        form_version = task_a.version
        with app.app_context():  # worker B, its own session and connection: the unit head asks for more time
            task_b = db.session.get(RectificationTask, task_id)
            reviews.request_extension(user(flow, "lead_head"), task_b, task_b.deadline_on + timedelta(30),
                                               "汛期施工受阻", version=task_b.version)
        assert db.session.get(RectificationTask, task_id) is task_a and task_a.status == "in_progress"
        with pytest.raises(ConflictError):
            workflow.cancel(user(flow, "supervisor"), task_a, "任务调整", version=form_version)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task.status == "in_progress" and task.version == form_version + 1
        assert task.pending_extension is not None


def test_the_app_connections_run_without_jit_or_parallel_workers(app):
    """Do the app's PostgreSQL connections run with JIT and parallel query off (both cost more than they save)?"""
    with app.app_context():
        settings = {name: db.session.execute(db.text(f"SHOW {name}")).scalar()
                    for name in ("jit", "max_parallel_workers_per_gather")}
        db.session.rollback()  # a new transaction on the same connection keeps them
        assert db.session.execute(db.text("SHOW jit")).scalar() == "off"
    assert settings == {"jit": "off", "max_parallel_workers_per_gather": "0"}
