"""Job runs: each scheduled job runs once per period, across every process.

A run is claimed by inserting its JobRun row and committing before any work:
the unique (job, period_key) constraint makes a second scheduler, a restart or
a manual re-run find the row taken. The work of a run (in-app messages, outbox
rows) is committed in the same transaction that marks it done, so a run that
failed or died produced nothing and may be taken over by the next attempt.

While it works, a run writes a heartbeat (JOB_HEARTBEAT seconds, from a thread
of its own on its own connection); a "running" row whose heartbeat is older
than JOB_STALE belongs to a process that died and is taken over. When the
commit of a run fails, its outcome may still be "committed" (the connection
was lost after COMMIT was sent), so the run is read again before it is marked
failed: a run whose rows exist is never marked failed nor run twice.
"""
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from .. import clock, permissions
from ..extensions import db
from ..models import JobRun
from . import PermissionDenied, audit

log = logging.getLogger(__name__)

RUN_STATUSES = {"running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
TRIGGERS = {"scheduler": _l("Scheduler"), "catch_up": _l("Catch-up at start"), "cli": _l("Command line"),
            "admin": _l("Run now (page)"), "resend": _l("Forced resend"),
            "takeover": _l("Taken over from a stopped process")}
RESEND_MARK = "+r"  # period key of a forced resend: 2026-W48+r1, 2026-W48+r2 ...
MANUAL_MARK = "+m"  # period key of a bulletin drafted by "run now": 2026-10+m1 (never the month-end run's key)
MAX_NOTES = 4000
_process = {"pid": None, "owner": None}


def process_owner():
    """This process's name in leases and claims: host:pid:random (random, so a reused pid is another owner)."""
    if _process["pid"] != os.getpid():  # a forked worker is another process
        _process.update(pid=os.getpid(), owner=f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(4)}")
    return _process["owner"]


def seconds(setting):
    """A duration setting (seconds, may be fractional) as a timedelta."""
    return timedelta(seconds=float(current_app.config[setting]))


def shares_one_connection():
    """True for an in-memory SQLite database: one connection for every thread, so no helper threads."""
    return db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:")


class KeepAlive:
    """Call `beat(connection)` every `interval` seconds in a thread of its own, on its own connection.

    Used as a context manager around work that takes long: a job run's heartbeat, an outbox
    lease being renewed while a channel sends. A beat that fails (database busy or gone) is
    logged and tried again at the next one; the work itself is never interrupted.
    """

    def __init__(self, beat, interval, name):
        self._engine = db.engine  # captured here: the thread has no app context
        self._beat, self._interval = beat, max(float(interval), 0.05)
        self._stop = threading.Event()
        self._thread = None if shares_one_connection() else threading.Thread(target=self._loop, name=name,
                                                                               daemon=True)

    def _loop(self):
        """Beat until stopped."""
        while not self._stop.wait(self._interval):
            try:
                with self._engine.begin() as connection:
                    self._beat(connection)
            except Exception as error:  # retried at the next beat; the lease or stale limit covers a few misses
                log.warning("%s: heartbeat not written: %s", self._thread.name, error)

    def __enter__(self):
        """Start beating."""
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        """Stop beating (after the work's commit, so a beat waiting on its row lock is released first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 30)


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
    now = clock.now()
    run = JobRun(job=job, period_key=period_key, status="running", trigger=trigger, started_at=now,
                 heartbeat_at=now, owner=process_owner(), started_by_id=actor.id if actor is not None else None)
    db.session.add(run)
    try:
        db.session.commit()
        return run
    except IntegrityError:
        db.session.rollback()
    return _take_over(job, period_key, trigger, actor)


def _stale_clause(now):
    """SQL: a running run whose process has shown no sign of life for JOB_STALE."""
    return (JobRun.status == "running") & (func.coalesce(JobRun.heartbeat_at, JobRun.started_at)
                                           < now - seconds("JOB_STALE"))


def _take_over(job, period_key, trigger, actor):
    """Restart a failed or dead run of the period (nothing of it was sent); None when it is done or alive."""
    existing = db.session.scalar(db.select(JobRun).where(JobRun.job == job, JobRun.period_key == period_key))
    if existing is None:
        return None  # it was deleted meanwhile; the next tick will insert again
    return take_over(existing, trigger, actor)


def take_over(existing, trigger, actor=None):
    """Take a failed or dead run for this process; None when it is done, alive, or another process won."""
    now = clock.now()
    # Conditional update: of two processes taking over at once, only one matches (the winner's
    # heartbeat makes the run alive again, or its status is no longer "failed").
    taken = db.session.execute(
        db.update(JobRun)
        .where(JobRun.id == existing.id, (JobRun.status == "failed") | _stale_clause(now))
        .values(status="running", trigger=trigger, started_at=now, finished_at=None, error=None,
                message_count=0, notes=None, started_by_id=actor.id if actor is not None else None,
                owner=process_owner(), heartbeat_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    db.session.refresh(existing)
    return existing


def stale_runs():
    """Runs still marked running whose process stopped beating (killed, host lost)."""
    return db.session.scalars(db.select(JobRun).where(_stale_clause(clock.now())).order_by(JobRun.id)).all()


def heartbeat(run):
    """A context manager writing the run's heartbeat every JOB_HEARTBEAT seconds while its work goes on."""
    run_id, owner = run.id, run.owner
    table = JobRun.__table__

    def beat(connection):
        """Only a running run of ours: a finished or taken-over run is left as it is."""
        connection.execute(table.update().where(table.c.id == run_id, table.c.owner == owner,
                                                table.c.status == "running").values(heartbeat_at=clock.now()))

    return KeepAlive(beat, current_app.config["JOB_HEARTBEAT"], f"job-run-{run_id}-heartbeat")


def next_numbered_key(job, period_key, mark):
    """The next free key of a numbered extra run of a period: 2026-W48+r1, then +r2 …"""
    taken = db.session.scalars(db.select(JobRun.period_key).where(
        JobRun.job == job, JobRun.period_key.like(period_key + mark + "%"))).all()
    number = 1 + max((int(k.rsplit(mark, 1)[1]) for k in taken if k.rsplit(mark, 1)[1].isdigit()), default=0)
    return f"{period_key}{mark}{number}"


def claim_resend(job, period_key, actor, key=None):
    """Start a forced resend of a period that was already done: a new run under key 2026-W48+rN.

    `key` names the resend to make (the one the page offered): asked twice, the second finds it taken.
    """
    require_job_manager(actor)
    done = db.session.scalar(db.select(JobRun.id).where(
        JobRun.job == job, JobRun.period_key == period_key, JobRun.status == "done"))
    if done is None:
        return None
    run = claim(job, key or next_numbered_key(job, period_key, RESEND_MARK), "resend", actor)
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
    """Roll back what the run did and record why it failed; the period may be run again.

    The run is read again first: when the error hid a commit that went through (the reply to
    COMMIT was lost), the run is done and its messages exist, and it is returned as done.
    """
    run_id, owner = run.id, run.owner
    db.session.rollback()
    current = db.session.scalar(db.select(JobRun).where(JobRun.id == run_id)
                                .execution_options(populate_existing=True))
    if current is not None and current.status == "done":
        log.warning("job %s for %s: the commit reported %s but went through; the run is done",
                    current.job, current.period_key, type(error).__name__)
        return current
    log.error("job %s for %s failed", run.job, run.period_key, exc_info=error)
    db.session.execute(
        db.update(JobRun).where(JobRun.id == run_id, JobRun.status == "running", JobRun.owner == owner)
        .values(status="failed", finished_at=clock.now(), error=f"{type(error).__name__}: {error}"[:MAX_NOTES])
        .execution_options(synchronize_session=False))
    db.session.commit()
    return db.session.scalar(db.select(JobRun).where(JobRun.id == run_id)
                             .execution_options(populate_existing=True))


def give_up(run, reason):
    """Mark a run taken over from a dead process failed without doing it again (its time has passed)."""
    run.status, run.finished_at, run.error = "failed", clock.now(), str(reason)[:MAX_NOTES]
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
