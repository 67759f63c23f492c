"""What the jobs page shows of the scheduled jobs: their schedules in words, next times, last runs; and run now."""
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import clock
from ..services import job_runs
from ..services.messaging import outbox
from . import requests
from .schedule import JOBS, OFF, Job, parse_schedule

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


def page(runs):
    """What the jobs page shows besides the list of runs: jobs, requests, the scheduler, delivery progress."""
    recent = requests.recent_requests()
    jobs = overview()
    shown = [view.last_run for view in jobs if view.last_run is not None] + list(runs)
    progress = requests.run_progress(sorted({run.id for run in shown}))
    beat, alive = requests.scheduler_status()
    return {"jobs": jobs, "requests": recent, "progress": progress, "scheduler_beat": beat,
            "scheduler_alive": alive, "resend_key": requests.next_resend_key(),
            "busy": requests.is_busy(recent, shown, progress)}


def overview():
    """Each job with its schedule, next time and latest recorded run, for the admin page."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    views = []
    for job in JOBS:
        expression = current_app.config[job.setting]
        view = JobView(job, expression, last_run=job_runs.latest_run(job.id))
        try:
            trigger = parse_schedule(expression, tz)
        except ValueError as error:
            view.error = str(error)
        else:
            view.next_at = trigger.get_next_fire_time(None, clock.now().astimezone(tz)) if trigger else None
        views.append(view)
    return views


def describe(result):
    """A one-line account of a job's result, for logs and the admin page."""
    if isinstance(result, outbox.DispatchResult):
        text = _("%(sent)d sent, %(failed)d failed.", sent=result.sent, failed=result.failed)
        if result.resent:
            text += " " + _("%(num)d resent after an interruption.", num=result.resent)
        if result.left:
            text += " " + _("The rest waits for the next pass (time budget reached).")
        return text
    if isinstance(result, job_runs.RunOutcome):
        if result.run is None:
            return result.skipped_reason or ""
        if result.run.status == "failed":
            return _("%(period)s failed: %(error)s", period=result.run.period_key, error=result.run.error)
        return _("%(period)s done: %(count)d messages.", period=result.run.period_key,
                 count=result.run.message_count)
    return ""

