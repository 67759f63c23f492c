"""Job runs: each scheduled job runs once per period, across every process.

A run is claimed by inserting its JobRun row and committing before any work:
the unique (job, period_key) constraint makes a second scheduler, a restart or
a manual re-run find the row taken. The work of a run (in-app messages, outbox
rows) is committed in the same transaction that marks it done, so a run that
failed or died produced nothing and may be taken over by the next attempt.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import clock, permissions
from ..extensions import db
from ..models import JobRun
from . import PermissionDenied, audit

log = logging.getLogger(__name__)

# A run still "running" after this long died with its process; nothing of it was committed.
STALE_AFTER = timedelta(minutes=30)
RUN_STATUSES = {"running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
TRIGGERS = {"scheduler": _l("Scheduler"), "catch_up": _l("Catch-up at start"), "cli": _l("Command line"),
            "admin": _l("Run now (page)"), "resend": _l("Forced resend")}
RESEND_MARK = "+r"  # period key of a forced resend: 2026-W48+r1, 2026-W48+r2 ...
MAX_NOTES = 4000


@dataclass
class RunOutcome:
    """What asking for a run did: the run (None when someone else has the period), and a summary."""

    run: JobRun | None
    period_key: str
    skipped_reason: str | None = None
    details: dict = field(default_factory=dict)
    delivery: object = None  # the outbox pass that followed, when the job sends at once

    @property
    def ran(self):
        """True when this call did the work."""
        return self.run is not None and self.run.status == "done"


def require_job_manager(actor):
    """Only the office (admin, supervisor) runs jobs and resends by hand; None is the system itself."""
    if actor is not None and not permissions.can_manage_jobs(actor):
        raise PermissionDenied(_("Only the administrator and the supervision office may run scheduled jobs."))


def claim(job, period_key, trigger, actor=None):
    """Take the run of `job` for `period_key`, or None when another process has it or it is done."""
    run = JobRun(job=job, period_key=period_key, status="running", trigger=trigger,
                 started_at=clock.now(), started_by_id=actor.id if actor is not None else None)
    db.session.add(run)
    try:
        db.session.commit()
        return run
    except IntegrityError:
        db.session.rollback()
    return _take_over(job, period_key, trigger, actor)


def _take_over(job, period_key, trigger, actor):
    """Restart a failed or dead run of the period (nothing of it was sent); None when it is done or alive."""
    existing = db.session.scalar(db.select(JobRun).where(JobRun.job == job, JobRun.period_key == period_key))
    if existing is None:
        return None  # it was deleted meanwhile; the next tick will insert again
    now = clock.now()
    dead = existing.status == "running" and existing.started_at < now - STALE_AFTER
    if existing.status != "failed" and not dead:
        return None
    # Conditional update: of two processes taking over at once, only one matches.
    taken = db.session.execute(
        db.update(JobRun)
        .where(JobRun.id == existing.id, JobRun.status == existing.status,
               JobRun.started_at == existing.started_at)
        .values(status="running", trigger=trigger, started_at=now, finished_at=None, error=None,
                message_count=0, notes=None, started_by_id=actor.id if actor is not None else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    db.session.refresh(existing)
    return existing


def claim_resend(job, period_key, actor):
    """Start a forced resend of a period that was already done: a new run under key 2026-W48+rN."""
    require_job_manager(actor)
    done = db.session.scalar(db.select(JobRun.id).where(
        JobRun.job == job, JobRun.period_key == period_key, JobRun.status == "done"))
    if done is None:
        return None
    taken = db.session.scalars(db.select(JobRun.period_key).where(
        JobRun.job == job, JobRun.period_key.like(period_key + RESEND_MARK + "%"))).all()
    number = 1 + max((int(k.rsplit(RESEND_MARK, 1)[1]) for k in taken if k.rsplit(RESEND_MARK, 1)[1].isdigit()),
                     default=0)
    run = claim(job, f"{period_key}{RESEND_MARK}{number}", "resend", actor)
    if run is not None:
        audit.record_change(actor, "job_run", run, "resend", reason=period_key)
        db.session.commit()
    return run


def finish(run, message_count, notes):
    """Mark the run done (the caller commits, together with what the run produced)."""
    run.status = "done"
    run.finished_at = clock.now()
    run.message_count = message_count
    run.notes = (notes or "")[:MAX_NOTES] or None


def fail(run, error):
    """Roll back what the run did and record why it failed; the period may be run again."""
    db.session.rollback()
    log.exception("job %s for %s failed", run.job, run.period_key)
    run = db.session.get(JobRun, run.id)
    run.status = "failed"
    run.finished_at = clock.now()
    run.error = f"{type(error).__name__}: {error}"[:MAX_NOTES]
    db.session.commit()
    return run


def existing_run(job, period_key):
    """The run of `job` recorded for `period_key`, if any."""
    return db.session.scalar(db.select(JobRun).where(JobRun.job == job, JobRun.period_key == period_key))


def latest_run(job):
    """The most recently started run of `job`, if any."""
    return db.session.scalar(db.select(JobRun).where(JobRun.job == job)
                             .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))


def is_done(job, period_key):
    """True when the period's run finished."""
    run = existing_run(job, period_key)
    return run is not None and run.status == "done"


def runs_page(page, per_page):
    """One page of job runs, newest first."""
    query = db.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)
