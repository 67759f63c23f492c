"""“Run now” from the jobs page: the web request only records it; the scheduler process does the work.

A request is a job_requests row. The scheduler's tick (`scheduler.tick`, every
SCHEDULER_TICK seconds; in the single-process demo the in-process scheduler)
takes each waiting request with a conditional update, runs the job as the
person who asked, and writes the outcome on the request. Nothing is sent inside
a web request, so a hanging mail server or robot never holds a web worker.

While a request waits or runs, its `pending_key` is set and unique per job, so
a double click records one request. A resend names the run it makes
(2026-W48+r1, the one the page offered): even a second click after the first
resend finished finds that run made and sends nothing.
"""
import logging
import os
import socket

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import JobRequest, JobRun, OutboxMessage, SchedulerBeat, User
from ..services import DomainError, job_runs
from ..services.alerts import weekly
from .schedule import JOBS_BY_ID

log = logging.getLogger(__name__)
REQUEST_STATUSES = {"waiting": _l("Waiting for the scheduler"), "running": _l("Running"), "done": _l("Done"),
                    "failed": _l("Failed")}
RUN_KEY = "run"  # pending_key of a plain "run now"


def next_resend_key():
    """The run key a resend of this week would make now (2026-W48+r1, +r2 …), for the page's resend form."""
    week = weekly.week_key(clock.today())
    return job_runs.next_numbered_key(weekly.JOB, week, job_runs.RESEND_MARK)


def request_run(actor, job_id, force=False, resend_key=None):
    """Record a "run now" (or, with `force`, a resend of this week) for the scheduler; (request, is_new)."""
    job_runs.require_job_manager(actor)
    if job_id not in JOBS_BY_ID:
        raise DomainError(_("There is no such job."))
    period_key, pending_key = None, RUN_KEY
    if force:
        if job_id != weekly.JOB:
            raise DomainError(_("Only the weekly alert can be sent again."))
        week = weekly.week_key(clock.today())
        if resend_key and not resend_key.startswith(week + job_runs.RESEND_MARK):
            raise DomainError(_("The page was out of date (the week has changed). Reload it and try again."))
        period_key = pending_key = resend_key or next_resend_key()
    request = JobRequest(job=job_id, force=force, period_key=period_key, pending_key=pending_key, status="waiting",
                         requested_at=clock.now(), requested_by_id=actor.id if actor is not None else None)
    db.session.add(request)
    try:
        db.session.commit()
    except IntegrityError:  # the same request is already waiting or running: a double click
        db.session.rollback()
        existing = db.session.scalar(db.select(JobRequest).where(JobRequest.job == job_id,
                                                                 JobRequest.pending_key == pending_key))
        if existing is None:  # it finished between our insert and this read
            return request_run(actor, job_id, force, resend_key)
        return existing, False
    return request, True


def _take(request_id, owner):
    """Take a waiting request for this process; False when another scheduler took it first."""
    taken = db.session.execute(
        db.update(JobRequest).where(JobRequest.id == request_id, JobRequest.status == "waiting")
        .values(status="running", picked_by=owner, started_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return taken == 1


def _run(request):
    """Run the job a request asks for, as the person who asked."""
    actor = db.session.get(User, request.requested_by_id) if request.requested_by_id else None
    job = JOBS_BY_ID[request.job]
    if request.job == weekly.JOB:
        return job.run(trigger="admin", actor=actor, force=request.force, resend_key=request.period_key)
    return job.run(trigger="admin", actor=actor)


def pick_up(describe):
    """Run every waiting request, oldest first (the scheduler's tick); returns how many this process ran."""
    owner, ran = job_runs.process_owner(), 0
    waiting = db.session.scalars(db.select(JobRequest.id).where(JobRequest.status == "waiting")
                                 .order_by(JobRequest.id)).all()
    for request_id in waiting:
        if not _take(request_id, owner):
            continue
        request = db.session.get(JobRequest, request_id)
        try:
            result = _run(request)
        except Exception as error:  # written on the request, so the page says what happened
            db.session.rollback()
            log.exception("requested job %s failed", request.job)
            finish(request_id, "failed", f"{type(error).__name__}: {error}", None)
        else:
            run = getattr(result, "run", None)
            failed = run is not None and run.status == "failed"
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # stored, like a run's notes
                text = describe(result)
            finish(request_id, "failed" if failed else "done", text, run.id if run is not None else None)
        ran += 1
    return ran


def finish(request_id, status, result, run_id):
    """Write a request's outcome and free its key, so the job can be asked for again."""
    db.session.execute(db.update(JobRequest).where(JobRequest.id == request_id).values(
        status=status, result=(result or "")[:job_runs.MAX_NOTES], finished_at=clock.now(), pending_key=None,
        job_run_id=run_id).execution_options(synchronize_session=False))
    db.session.commit()


def abandon_orphans():
    """Mark failed the requests left running by a scheduler that stopped beating (its runs are taken over)."""
    alive = db.select(SchedulerBeat.owner).where(SchedulerBeat.beat_at >= clock.now() - job_runs.seconds(
        "SCHEDULER_STALE"))
    orphans = db.session.scalars(db.select(JobRequest.id).where(
        JobRequest.status == "running", JobRequest.picked_by.not_in(alive))).all()
    for request_id in orphans:
        finish(request_id, "failed", _("The scheduler running it stopped; a run it left is taken over."), None)
    return len(orphans)


def beat(owner, started_at):
    """Write this scheduler process's heartbeat (its row, made at the first beat)."""
    now = clock.now()
    written = db.session.execute(db.update(SchedulerBeat).where(SchedulerBeat.owner == owner)
                                 .values(beat_at=now).execution_options(synchronize_session=False)).rowcount
    if not written:
        db.session.add(SchedulerBeat(owner=owner, host=socket.gethostname()[:200], pid=os.getpid(),
                                     started_at=started_at, beat_at=now))
    db.session.commit()


def sign_off(owner):
    """Remove this scheduler's heartbeat at a clean stop, so the page says at once that none is running."""
    db.session.execute(db.delete(SchedulerBeat).where(SchedulerBeat.owner == owner))
    db.session.commit()


def scheduler_status():
    """The most recent scheduler heartbeat and whether it is recent enough to count as running."""
    latest = db.session.scalar(db.select(SchedulerBeat).order_by(SchedulerBeat.beat_at.desc()).limit(1))
    alive = latest is not None and latest.beat_at >= clock.now() - job_runs.seconds("SCHEDULER_STALE")
    return latest, alive


def recent_requests(limit=10):
    """The latest requests, newest first, with the run each made."""
    return db.session.scalars(db.select(JobRequest).order_by(JobRequest.id.desc()).limit(limit)).all()


def run_progress(run_ids):
    """{run id: {status: count}} of the outbox messages each run queued: how far its delivery is."""
    progress = {run_id: dict.fromkeys(("pending", "sent", "failed"), 0) for run_id in run_ids}
    if run_ids:
        rows = db.session.execute(db.select(OutboxMessage.job_run_id, OutboxMessage.status, func.count())
                                  .where(OutboxMessage.job_run_id.in_(run_ids))
                                  .group_by(OutboxMessage.job_run_id, OutboxMessage.status)).all()
        for run_id, status, count in rows:
            progress[run_id][status] = count
    return progress


def is_busy(requests, runs, progress):
    """True while something on the page is still moving (the page then refreshes itself)."""
    return (any(request.status in ("waiting", "running") for request in requests)
            or any(run.status == "running" for run in runs if isinstance(run, JobRun))
            or any(counts["pending"] for counts in progress.values()))
