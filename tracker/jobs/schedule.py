"""The one list of scheduled jobs: what each runs, on which schedule setting, and whether a missed run is caught up.

Jobs are plain service functions, the same ones the CLI and the admin page call; each
records its run under a unique (job, period) key, so even two schedulers send a week's
alert once.
"""
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..services import job_runs
from ..services.alerts import weekly
from ..services.bulletins import lifecycle
from ..services.messaging import outbox

OFF = ("", "off", "none", "disabled")


def run_weekly_alert(trigger="scheduler", actor=None, fired_at=None, force=False, day=None, resend_key=None):
    """The weekly alert for the week of `day` (today), then its mail at once rather than at the next outbox tick.

    `force` resends a week already sent (the office's "resend"), as the run `resend_key` when given.
    What the outbox pass did is the outcome's `delivery`.
    """
    outcome = weekly.run_weekly_alert(day, trigger=trigger, actor=actor, force=force, resend_key=resend_key)
    if outcome.ran:
        outcome.delivery = outbox.dispatch_due()
    return outcome


def last_ended_month(moment=None):
    """"YYYY-MM" of the last month that has ended by `moment` (now)."""
    first = clock.to_local(moment or clock.now()).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def run_monthly_bulletin(trigger="scheduler", actor=None, fired_at=None):
    """Generate a month's bulletin draft: the month-end run's month once, or ("run now") the last ended month.

    The month-end run has the month as its key; a draft made by "run now" is recorded under a key of its
    own (2026-10+m1), so it never makes the month-end run skip: that one regenerates the draft.
    """
    if trigger == "admin":
        month = last_ended_month()
        key = job_runs.next_numbered_key("monthly_bulletin", month, job_runs.MANUAL_MARK)
    else:
        month = key = clock.to_local(fired_at or clock.now()).strftime("%Y-%m")
    run = job_runs.claim("monthly_bulletin", key, trigger, actor)
    if run is None:
        return job_runs.RunOutcome(None, key, skipped_reason=_("The bulletin of %(month)s was already "
                                                                  "generated.", month=month))
    return draft_bulletin(run, month)


def draft_bulletin(run, month):
    """Do a claimed bulletin run: (re)generate the month's draft, an issued one left as it is."""
    with job_runs.heartbeat(run):
        try:
            bulletin = lifecycle.generate_monthly_draft(month, actor=None)
            issued = getattr(bulletin, "status", None) == "issued"
            job_runs.finish(run, 0, _("The bulletin of %(month)s was already issued; left as it is.", month=month)
                            if issued else _("Draft bulletin of %(month)s generated.", month=month))
            db.session.commit()
        except Exception as error:  # recorded on the run, visible on the admin page
            run = job_runs.fail(run, error)
    return job_runs.RunOutcome(run, run.period_key)


def run_outbox(trigger="scheduler", actor=None, fired_at=None):
    """Send the outbox messages that are due."""
    return outbox.dispatch_due()


def resume(run):
    """Finish a run taken over from a process that died: do its period's work again (nothing of it was kept)."""
    base = run.period_key.split("+", 1)[0]
    if run.job == "monthly_bulletin":
        return draft_bulletin(run, base)
    if run.job == "weekly_alert":
        if weekly.week_key(clock.today()) != base:  # a week's alert is worth sending only within its week
            return job_runs.RunOutcome(job_runs.give_up(run, _("Its process stopped and its week is over: "
                                                               "not sent.")), run.period_key)
        outcome = weekly.work(run, clock.today())
        if outcome.ran:
            outcome.delivery = outbox.dispatch_due()
        return outcome
    return job_runs.RunOutcome(job_runs.give_up(run, _("Its process stopped.")), run.period_key)


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


