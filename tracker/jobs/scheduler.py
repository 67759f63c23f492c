"""The scheduler process: fires the jobs of `schedule.JOBS` at their times and catches up missed runs.

The scheduler is a process of its own (`flask scheduler run`, APScheduler's
BlockingScheduler); web workers never start it, so four gunicorn workers do not
send four copies. On start, a run left "running" by a process that died (no
heartbeat for JOB_STALE) is taken over and finished, then a run missed while the
process was down is caught up. Every SCHEDULER_TICK seconds the process writes
its heartbeat (the jobs page shows it), takes over runs of processes that died
meanwhile, and runs the "run now" requests of the jobs page (requests.py). A
single-process `flask run` demo may host the scheduler in a background thread
instead (TRACKER_SCHEDULER_IN_PROCESS=1).
"""
import atexit
import logging
import os
import signal
from datetime import timedelta
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .. import clock
from ..extensions import db
from ..services import job_runs
from ..services.messaging import outbox
from . import requests
from .overview import describe
from .schedule import JOBS, JOBS_BY_ID, parse_schedule, resume

log = logging.getLogger(__name__)
MAX_LOOKBACK_STEPS = 5000  # fire times walked through to find the last one (dense test schedules stop early)


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


def take_over_stale(app, trigger="takeover"):
    """Take over and finish each run whose process stopped beating; returns the ids of the runs finished here."""
    finished = []
    with app.app_context():
        for stale in job_runs.stale_runs():
            run = job_runs.take_over(stale, trigger)
            if run is None:
                continue  # another scheduler took it first
            log.warning("job %s for %s: its process stopped (last heartbeat %s); taken over", run.job,
                        run.period_key, stale.heartbeat_at)
            try:
                outcome = resume(run)
            except Exception:
                log.exception("job %s for %s: the takeover failed", run.job, run.period_key)
                db.session.rollback()
                continue
            log.info("job %s (takeover): %s", run.job, describe(outcome))
            finished.append(run.id)
    return finished


def beat(app, owner, started_at):
    """The scheduler's heartbeat (a job of its own, so a long run never stops it)."""
    with app.app_context():
        try:
            requests.beat(owner, started_at)
        except Exception as error:  # the database is down: the page will say no scheduler runs, which is true
            db.session.rollback()
            log.warning("scheduler heartbeat not written: %s", error)


def tick(app):
    """Runs of dead processes taken over, orphaned requests closed, then the waiting "run now" requests."""
    take_over_stale(app)
    with app.app_context():
        try:
            requests.abandon_orphans()
            requests.pick_up(describe)
        except Exception:
            log.exception("scheduler tick failed")
            db.session.rollback()


def add_ticks(app, scheduler):
    """Add the heartbeat and the request tick to a scheduler; returns this process's owner name."""
    owner, started_at = job_runs.process_owner(), clock.now()
    every = IntervalTrigger(seconds=float(app.config["SCHEDULER_TICK"]))
    scheduler.add_job(beat, every, args=(app, owner, started_at), id="heartbeat", name="heartbeat",
                      replace_existing=True)
    scheduler.add_job(tick, every, args=(app,), id="tick", name="run-now requests", replace_existing=True)
    beat(app, owner, started_at)
    return owner


def run_scheduler(app):
    """The scheduler process: check the settings, take over dead runs, catch up, then fire jobs until stopped."""
    found = triggers(app)
    scheduler = build_scheduler(app, BlockingScheduler, found)
    owner = add_ticks(app, scheduler)
    taken = take_over_stale(app)
    caught_up = catch_up(app, found)
    click.echo(f"Scheduler started (time zone {app.config['TIMEZONE']}); caught up: {', '.join(caught_up) or 'none'}"
               f"; taken over: {len(taken)}")
    signal.signal(signal.SIGTERM, lambda *_args: scheduler.shutdown(wait=True))
    try:
        for line in schedule_lines(app, found):
            click.echo(line)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    with app.app_context():
        requests.sign_off(owner)
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
    add_ticks(app, scheduler)  # "run now" on the jobs page is done by this scheduler's tick
    scheduler.add_job(catch_up, args=(app, found), id="catch_up")  # once, right away, off the startup path
    scheduler.start()
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))
    log.warning("scheduler running inside `flask run` (TRACKER_SCHEDULER_IN_PROCESS); use `flask scheduler run` "
                "beside gunicorn in production")
    return scheduler


