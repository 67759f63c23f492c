"""The scheduler: a real `flask scheduler run` process fires the weekly job on time; catch-up; settings refused."""
import signal
import subprocess
import threading
from datetime import datetime, timedelta

import click
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from tests.alerts_helpers import MONDAY, SHANGHAI, build_county, finish, start_flask
from tests.conftest import wait_for
from tracker import clock
from tracker.extensions import db
from tracker.jobs import schedule, scheduler
from tracker.models import JobRun, Notification, OutboxMessage
from tracker.services.alerts import weekly as alerts
from tracker.services.bulletins import lifecycle


def weekly_runs(app):
    """(trigger, started_at) of every weekly-alert run."""
    with app.app_context():
        db.session.expire_all()
        return [(run.trigger, run.started_at) for run in
                db.session.scalars(db.select(JobRun).where(JobRun.job == "weekly_alert"))]


class Watched:
    """A `flask scheduler run` process whose output lines are collected as they come."""

    def __init__(self, process):
        self.process, self.lines = process, []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        """Collect every line until the process closes its output."""
        for line in self.process.stdout:
            self.lines.append(line)

    def ready_line(self):
        """The "Scheduler started" line, once printed."""
        return next((line for line in self.lines if "Scheduler started" in line), None)

    def stop(self):
        """SIGTERM, wait, and return the whole output (killed if it overstays)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(10)
        self.process.stdout.close()
        return "".join(self.lines)


def start_weekly_ahead(app, smtp_server, leads=(4, 10, 25, 60)):
    """Start a scheduler whose weekly alert fires at one second ahead; (process, fire time).

    The lead is checked against the moment the process says it is ready (after its catch-up):
    a process that came up after its fire time on a busy machine has caught the week up instead,
    so it is stopped, its traces removed, and a longer lead is tried.
    """
    for lead in leads:
        fire_at = (datetime.now(SHANGHAI) + timedelta(seconds=lead)).replace(microsecond=0)
        # A schedule for this one second of this one day: no earlier time this week to catch up.
        expression = f"{fire_at.second} {fire_at.minute} {fire_at.hour} {fire_at.day} {fire_at.month} *"
        watched = Watched(start_flask(app, "scheduler", "run", SCHEDULE_WEEKLY_ALERT=expression,
                                      SCHEDULE_OUTBOX="*/1 * * * * *", SCHEDULE_MONTHLY_BULLETIN="off",
                                      TRACKER_TIMEZONE="Asia/Shanghai"))
        assert wait_for(lambda w=watched: w.ready_line() or w.process.poll() is not None, timeout=lead + 120)
        ready_at = datetime.now(SHANGHAI)
        if "caught up: none" in (watched.ready_line() or "") and ready_at + timedelta(seconds=1) < fire_at:
            return watched, fire_at
        output = watched.stop()
        assert watched.ready_line(), output  # it did not start at all: a real failure
        with app.app_context():  # a late start caught the week up: undo it and try a longer lead
            for model in (OutboxMessage, Notification, JobRun):
                db.session.execute(db.delete(model))
            db.session.commit()
        with smtp_server.sink.lock:
            smtp_server.sink.messages.clear()
    pytest.fail(f"the scheduler never became ready {leads[-1]} s ahead of its fire time")


def test_scheduler_process_fires_the_weekly_alert_at_its_time(app, smtp_server):
    """Does `flask scheduler run` fire the weekly alert at the configured second and deliver its mail, once?"""
    with app.app_context():
        build_county(today=clock.today())  # the real clock: the process computes today's lights
    watched, fire_at = start_weekly_ahead(app, smtp_server)
    try:
        assert wait_for(lambda: len(smtp_server.messages) >= 6, timeout=60), "no mail from the scheduler"
        runs = weekly_runs(app)
        assert [trigger for trigger, _at in runs] == ["scheduler"]
        assert runs[0][1] >= fire_at - timedelta(seconds=1)  # fired at its time, not at start
        # More outbox ticks: nothing is sent twice.
        assert wait_for(lambda: len(smtp_server.messages) > 6, timeout=2.5) is False
    finally:
        output = watched.stop()
    assert watched.process.returncode == 0, output
    assert "caught up: none" in output and "Scheduler stopped." in output


def test_catch_up_on_start_runs_a_missed_weekly_alert_once(app, alert_county, smtp_server):
    """Started on Wednesday after a Monday 08:30 it missed, does the scheduler send this week's alert, once?"""
    app.config.update(SCHEDULE_MONTHLY_BULLETIN="off")
    with clock.frozen(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)):
        assert scheduler.catch_up(app) == ["weekly_alert"]
        assert scheduler.catch_up(app) == []  # a second start (or a second scheduler) the same week
    assert [trigger for trigger, _at in weekly_runs(app)] == ["catch_up"]
    assert len(smtp_server.messages) == 6


def test_no_catch_up_before_this_weeks_time(app, alert_county):
    """Started on Monday at 08:00, before this week's 08:30, does the scheduler leave last week alone?"""
    app.config.update(SCHEDULE_MONTHLY_BULLETIN="off")
    with clock.frozen(datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)):
        assert scheduler.catch_up(app) == []
    assert weekly_runs(app) == []


def test_catch_up_skips_a_week_already_sent(app, alert_county, monday):
    """When this week's alert was already sent (say by the CLI), does the catch-up send nothing?"""
    app.config.update(SCHEDULE_MONTHLY_BULLETIN="off")
    with app.app_context():
        alerts.run_weekly_alert(MONDAY, trigger="cli")
    with clock.frozen(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)):
        assert scheduler.catch_up(app) == []
    assert [trigger for trigger, _at in weekly_runs(app)] == ["cli"]


def test_job_list_defaults(app):
    """Are the jobs at Monday 08:30 and the last day of the month 17:00 (Shanghai), coalesced, one at a time?"""
    built = scheduler.build_scheduler(app, BackgroundScheduler)
    built.start(paused=True)  # started, so the job defaults are applied; paused, so nothing fires
    try:
        by_id = {job.id: job for job in built.get_jobs()}
    finally:
        built.shutdown(wait=False)
    assert set(by_id) == {"weekly_alert", "monthly_bulletin", "outbox"}
    start = datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)
    weekly = by_id["weekly_alert"].trigger.get_next_fire_time(None, start)
    assert weekly == datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI) and weekly.weekday() == 0
    monthly = by_id["monthly_bulletin"].trigger.get_next_fire_time(None, datetime(2027, 2, 1, tzinfo=SHANGHAI))
    assert monthly == datetime(2027, 2, 28, 17, 0, tzinfo=SHANGHAI)
    assert str(by_id["weekly_alert"].trigger.timezone) == "Asia/Shanghai"
    for job in by_id.values():
        assert job.coalesce is True and job.max_instances == 1


@pytest.mark.parametrize("setting, value, says", [
    ("SCHEDULE_WEEKLY_ALERT", "30 8 * * 1", "day of week as a name"),
    ("SCHEDULE_WEEKLY_ALERT", "61 8 * * mon", "61"),
    ("SCHEDULE_OUTBOX", "* * *", "5 fields"),
])
def test_a_bad_schedule_is_refused_with_its_name(app, runner, setting, value, says):
    """Does the scheduler refuse a bad schedule, naming the setting and the problem?"""
    app.config[setting] = value
    # `scheduler jobs` checks the schedules exactly as `scheduler run` does first, and cannot hang if it did not.
    result = runner.invoke(args=["scheduler", "jobs"])
    assert result.exit_code != 0
    assert setting in result.output and says in result.output


def test_an_unknown_time_zone_stops_the_scheduler_at_start(app):
    """Does `flask scheduler run` with a time zone that does not exist stop at once with a clear message?"""
    process = start_flask(app, "scheduler", "run", TRACKER_TIMEZONE="Asia/Shangai")
    output = finish(process, timeout=120)
    assert process.returncode != 0
    assert "TRACKER_TIMEZONE='Asia/Shangai' is not a known time zone" in output


def test_monthly_bulletin_entry_generates_the_month_once(app, monkeypatch):
    """Does the monthly job ask the bulletin service for the month of its scheduled time, once per month?"""
    asked = []
    # The bulletin itself (a PDF) is tested with its module; here only the job's wiring is under test.
    monkeypatch.setattr(lifecycle, "generate_monthly_draft", lambda month, actor=None: asked.append((month, actor)))
    last_day = datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI)
    with app.app_context(), clock.frozen(last_day + timedelta(days=1)):
        first = schedule.run_monthly_bulletin(trigger="catch_up", fired_at=last_day)
        second = schedule.run_monthly_bulletin(trigger="scheduler", fired_at=last_day)
        assert first.run.status == "done" and first.period_key == "2026-11" and second.run is None
    assert asked == [("2026-11", None)]


def test_in_process_scheduler_only_inside_flask_run(app, mail_down):
    """Is the in-process scheduler started only for `flask run` with the setting on, never elsewhere?"""
    assert scheduler.start_in_process(app) is None  # setting off
    app.config["SCHEDULER_IN_PROCESS"] = True
    assert scheduler.start_in_process(app) is None  # not inside `flask run` (gunicorn, tests, other commands)
    app.config.update(SCHEDULE_WEEKLY_ALERT="off", SCHEDULE_MONTHLY_BULLETIN="off")
    with click.Context(click.Command("run"), info_name="run"):
        started = scheduler.start_in_process(app)
    try:
        assert started is not None and started.running
        assert {job.id for job in started.get_jobs()} <= {"outbox", "catch_up", "heartbeat", "tick"}
    finally:
        started.shutdown(wait=True)
