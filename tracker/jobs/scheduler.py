"""Scheduled jobs: the one list of what runs when, the scheduler process, and its commands.

The scheduler is a process of its own (`flask scheduler run`, APScheduler's
BlockingScheduler); web workers never start it, so four gunicorn workers do not
send four copies. Jobs are plain service functions, the same ones the CLI and
the admin page call; each records its run under a unique (job, period) key, so
even two schedulers send a week's alert once. On start, a run missed while the
process was down is caught up. A single-process `flask run` demo may host the
scheduler in a background thread instead (TRACKER_SCHEDULER_IN_PROCESS=1).
"""
import atexit
import logging
import os
import signal
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import clock
from .extensions import db
from .services import DomainError, alerts, alerts_runs, outbox

log = logging.getLogger(__name__)
OFF = ("", "off", "none", "disabled")
MAX_LOOKBACK_STEPS = 5000  # fire times walked through to find the last one (dense test schedules stop early)


def run_weekly_alert(trigger="scheduler", actor=None, fired_at=None):
    """The weekly alert for this week; its mail goes out at once rather than at the next outbox tick."""
    outcome = alerts.run_weekly_alert(trigger=trigger, actor=actor)
    if outcome.ran:
        outbox.dispatch_due()
    return outcome


def run_monthly_bulletin(trigger="scheduler", actor=None, fired_at=None):
    """Generate the month's bulletin draft once (the month of the scheduled time, for a catch-up too)."""
    month = clock.to_local(fired_at or clock.now()).strftime("%Y-%m")
    run = alerts_runs.claim("monthly_bulletin", month, trigger, actor)
    if run is None:
        return alerts_runs.RunOutcome(None, month, skipped_reason=_("The bulletin of %(month)s was already "
                                                                    "generated.", month=month))
    try:
        # Imported here: the bulletin module is written separately and the scheduler must start without it.
        from .services.bulletins import generate_monthly_draft

        bulletin = generate_monthly_draft(month, actor=None)
        issued = getattr(bulletin, "status", None) == "issued"
        alerts_runs.finish(run, 0, _("The bulletin of %(month)s was already issued; left as it is.", month=month)
                           if issued else _("Draft bulletin of %(month)s generated.", month=month))
        db.session.commit()
    except Exception as error:  # recorded on the run, visible on the admin page
        run = alerts_runs.fail(run, error)
    return alerts_runs.RunOutcome(run, month)


def run_outbox(trigger="scheduler", actor=None, fired_at=None):
    """Send the outbox messages that are due."""
    return outbox.dispatch_due()


def same_week(last_fire, now):
    """Catch up the weekly alert only within the week it was for."""
    return last_fire.isocalendar()[:2] == now.isocalendar()[:2]


def within_a_week(last_fire, now):
    """Catch up the monthly bulletin within seven days of its time."""
    return now - last_fire <= timedelta(days=7)


@dataclass(frozen=True)
class Job:
    """One scheduled job: its schedule setting, what it runs, and whether a missed run is caught up."""

    id: str
    label: object
    setting: str
    run: object
    catch_up: object = None  # (last fire, now) -> bool; None: never caught up
    lookback: timedelta = timedelta(days=7)


JOBS = (
    Job("weekly_alert", _l("Weekly alert"), "SCHEDULE_WEEKLY_ALERT", run_weekly_alert, same_week),
    Job("monthly_bulletin", _l("Monthly bulletin"), "SCHEDULE_MONTHLY_BULLETIN", run_monthly_bulletin,
        within_a_week, lookback=timedelta(days=40)),
    Job("outbox", _l("Outbox delivery"), "SCHEDULE_OUTBOX", run_outbox),
)
JOBS_BY_ID = {job.id: job for job in JOBS}


def parse_schedule(expression, tz):
    """A CronTrigger from "min hour day month dow" (or with seconds first); None when "off"."""
    text = (expression or "").strip()
    if text.lower() in OFF:
        return None
    fields = text.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"expected 5 fields (minute hour day month day-of-week) or 6 with seconds first, "
                         f"got {len(fields)}")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, day_of_week = fields
    if any(ch.isdigit() for ch in day_of_week):
        # APScheduler counts mon=0, cron counts sun=0: a number would silently shift the day.
        raise ValueError("write the day of week as a name (mon, tue, … sun), not a number")
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=day_of_week, timezone=tz)


def triggers(app):
    """Each job's trigger (None when switched off); click.ClickException naming a bad setting."""
    tz = ZoneInfo(app.config["TIMEZONE"])  # validated by create_app
    found = {}
    for job in JOBS:
        try:
            found[job.id] = parse_schedule(app.config[job.setting], tz)
        except ValueError as error:
            raise click.ClickException(
                f"{job.setting}={app.config[job.setting]!r} is not a valid schedule: {error}") from None
    return found


def execute(app, job_id, trigger="scheduler", actor=None, fired_at=None):
    """Run one job in its own app context, logging instead of raising (the run records its error)."""
    with app.app_context():
        try:
            result = JOBS_BY_ID[job_id].run(trigger=trigger, actor=actor, fired_at=fired_at)
        except Exception:
            log.exception("job %s raised", job_id)
            db.session.rollback()
            return None
        idle = isinstance(result, outbox.DispatchResult) and result.attempted == 0
        log.log(logging.DEBUG if idle else logging.INFO, "job %s (%s): %s", job_id, trigger, describe(result))
        return result


def last_fire_time(trigger, now, lookback):
    """The trigger's latest scheduled time at or before `now`, looking back at most `lookback`."""
    last, moment = None, trigger.get_next_fire_time(None, now - lookback)
    for _step in range(MAX_LOOKBACK_STEPS):
        if moment is None or moment > now:
            break
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last


def catch_up(app, found_triggers=None):
    """Run now each job whose latest scheduled time passed while nobody ran it; returns the job ids run."""
    found_triggers = found_triggers or triggers(app)
    ran = []
    with app.app_context():
        now = clock.to_local(clock.now())
    for job in JOBS:
        trigger = found_triggers.get(job.id)
        if trigger is None or job.catch_up is None:
            continue
        last = last_fire_time(trigger, now, job.lookback)
        if last is not None and job.catch_up(last, now):
            result = execute(app, job.id, "catch_up", fired_at=last)
            if result is not None and getattr(result, "run", None) is not None:
                ran.append(job.id)
    return ran


def build_scheduler(app, scheduler_class=BlockingScheduler, found_triggers=None):
    """A scheduler with every job that is switched on: coalesced, one instance at a time."""
    found_triggers = found_triggers or triggers(app)
    scheduler = scheduler_class(
        timezone=ZoneInfo(app.config["TIMEZONE"]),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in JOBS:
        if found_triggers[job.id] is not None:
            scheduler.add_job(execute, found_triggers[job.id], args=(app, job.id), id=job.id, name=str(job.label),
                              replace_existing=True)
    return scheduler


def run_scheduler(app):
    """The scheduler process: check the settings, catch up, then fire jobs until stopped."""
    found = triggers(app)
    scheduler = build_scheduler(app, BlockingScheduler, found)
    caught_up = catch_up(app, found)
    click.echo(f"Scheduler started (time zone {app.config['TIMEZONE']}); caught up: {', '.join(caught_up) or 'none'}")
    signal.signal(signal.SIGTERM, lambda *_args: scheduler.shutdown(wait=True))
    try:
        for line in schedule_lines(app, found):
            click.echo(line)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    click.echo("Scheduler stopped.")


def schedule_lines(app, found):
    """One line per job: its setting and next time."""
    tz = ZoneInfo(app.config["TIMEZONE"])
    lines = []
    for job in JOBS:
        trigger = found[job.id]
        if trigger is None:
            lines.append(f"  {job.id}: off ({job.setting})")
            continue
        upcoming = trigger.get_next_fire_time(None, clock.now().astimezone(tz))
        lines.append(f"  {job.id}: {app.config[job.setting]!r} -> next {upcoming:%Y-%m-%d %H:%M:%S %Z}")
    return lines


def start_in_process(app):
    """Host the scheduler in this process, only for a `flask run` demo that asked for it; else None."""
    if not app.config.get("SCHEDULER_IN_PROCESS"):
        return None
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return None  # gunicorn, other commands, tests: never
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's watcher process: only the child that serves starts it
    found = triggers(app)
    scheduler = build_scheduler(app, BackgroundScheduler, found)
    scheduler.add_job(catch_up, args=(app, found), id="catch_up")  # once, right away, off the startup path
    scheduler.start()
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))
    log.warning("scheduler running inside `flask run` (TRACKER_SCHEDULER_IN_PROCESS); use `flask scheduler run` "
                "beside gunicorn in production")
    return scheduler


DAY_NAMES = {"mon": _l("Monday"), "tue": _l("Tuesday"), "wed": _l("Wednesday"), "thu": _l("Thursday"),
             "fri": _l("Friday"), "sat": _l("Saturday"), "sun": _l("Sunday")}


def describe_schedule(expression):
    """A person's reading of the usual schedules ("Every Monday at 08:30"); "" for any other."""
    text = (expression or "").strip()
    if text.lower() in OFF:
        return _("Off")
    fields = text.split()
    if fields == ["*"] * 5:
        return _("Every minute")
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()) or fields[3] != "*":
        return ""
    at = f"{int(fields[1]):02d}:{int(fields[0]):02d}"
    day, day_of_week = fields[2], fields[4].lower()
    if day == "*" and day_of_week == "*":
        return _("Every day at %(time)s", time=at)
    if day == "*" and day_of_week in DAY_NAMES:
        return _("Every %(day)s at %(time)s", day=DAY_NAMES[day_of_week], time=at)
    if day == "last" and day_of_week == "*":
        return _("Last day of each month at %(time)s", time=at)
    return ""


@dataclass
class JobView:
    """A job as the admin page shows it."""

    job: Job
    expression: str
    next_at: object = None
    last_run: object = None
    error: str | None = None

    @property
    def schedule_label(self):
        """The schedule in words, when it is a usual one."""
        return describe_schedule(self.expression)


def overview():
    """Each job with its schedule, next time and latest recorded run, for the admin page."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    views = []
    for job in JOBS:
        expression = current_app.config[job.setting]
        view = JobView(job, expression, last_run=alerts_runs.latest_run(job.id))
        try:
            trigger = parse_schedule(expression, tz)
        except ValueError as error:
            view.error = str(error)
        else:
            view.next_at = trigger.get_next_fire_time(None, clock.now().astimezone(tz)) if trigger else None
        views.append(view)
    return views


def run_now(actor, job_id, force=False):
    """Run a job at once for the admin page; `force` resends a week that was already sent."""
    alerts_runs.require_job_manager(actor)
    if job_id not in JOBS_BY_ID:
        raise DomainError(_("There is no such job."))
    if job_id == "weekly_alert":
        outcome = alerts.run_weekly_alert(trigger="admin", actor=actor, force=force)
        if outcome.ran:
            outbox.dispatch_due()
        return outcome
    return JOBS_BY_ID[job_id].run(trigger="admin", actor=actor)


def describe(result):
    """A one-line account of a job's result, for logs and the admin page."""
    if isinstance(result, outbox.DispatchResult):
        return _("%(sent)d sent, %(failed)d failed.", sent=result.sent, failed=result.failed)
    if isinstance(result, alerts_runs.RunOutcome):
        if result.run is None:
            return result.skipped_reason or ""
        if result.run.status == "failed":
            return _("%(period)s failed: %(error)s", period=result.run.period_key, error=result.run.error)
        return _("%(period)s done: %(count)d messages.", period=result.run.period_key,
                 count=result.run.message_count)
    return ""

