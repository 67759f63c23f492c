"""Scheduled job runs and the delivery outbox."""
from ..extensions import db
from .types import UTCDateTime, utcnow


class JobRun(db.Model):
    """One run of a scheduled job; (job, period_key) is unique so a period runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (db.UniqueConstraint("job", "period_key"),)

    id = db.Column(db.Integer, primary_key=True)
    job = db.Column(db.String(40), nullable=False)
    period_key = db.Column(db.String(40), nullable=False)  # e.g. 2026-W48, 2026-11
    status = db.Column(db.String(20), nullable=False, default="running")  # running/done/failed
    trigger = db.Column(db.String(20), nullable=False, default="scheduler")  # scheduler/cli/admin
    started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    finished_at = db.Column(UTCDateTime)
    message_count = db.Column(db.Integer, nullable=False, default=0)
    notes = db.Column(db.Text)
    error = db.Column(db.Text)
    started_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))  # who asked, for runs from the admin page
    # The process doing the run and its last sign of life: a "running" row without a recent
    # heartbeat belongs to a process that died, and is taken over (job_runs.STALE).
    owner = db.Column(db.String(80))
    heartbeat_at = db.Column(UTCDateTime)

    started_by = db.relationship("User")


class OutboxMessage(db.Model):
    """A delivery waiting to be sent by email or webhook; retried with backoff, never dropped."""

    __tablename__ = "outbox"
    __table_args__ = (db.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id = db.Column(db.Integer, primary_key=True)
    job_run_id = db.Column(db.Integer, db.ForeignKey("job_runs.id"), index=True)
    channel = db.Column(db.String(20), nullable=False)  # email / wecom / dingtalk
    recipient = db.Column(db.String(500), nullable=False)  # address or webhook URL
    subject = db.Column(db.String(300))
    body_text = db.Column(db.Text)
    body_html = db.Column(db.Text)
    status = db.Column(db.String(20), nullable=False, default="pending")  # pending/sent/failed
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_error = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)  # the person an email is for
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"))  # the unit whose group robot a webhook is for
    # One pass at a time holds a message: its lease, renewed while it sends (outbox.py).
    lease_owner = db.Column(db.String(80))
    lease_until = db.Column(UTCDateTime)
    # Set just before the channel is given the message, cleared with its outcome: still set when
    # the lease ran out means the process stopped mid-send, and the message may have arrived.
    sending_at = db.Column(UTCDateTime)
    interrupted_sends = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    job_run = db.relationship("JobRun")
    user = db.relationship("User")
    unit = db.relationship("Unit")

    @property
    def is_resent_after_interruption(self):
        """True when a send of this message was cut off by a crash and it was (or will be) sent again."""
        return self.interrupted_sends > 0


class JobRequest(db.Model):
    """A "run now" asked for on the jobs page; the scheduler process picks it up at its next tick.

    `pending_key` is set while the request waits or runs and cleared when it is finished: the
    unique (job, pending_key) makes a double click record one request. A resend names the run
    it makes (`period_key`, e.g. 2026-W48+r1), so a second click can never make a second one.
    """

    __tablename__ = "job_requests"
    __table_args__ = (db.UniqueConstraint("job", "pending_key"),)

    id = db.Column(db.Integer, primary_key=True)
    job = db.Column(db.String(40), nullable=False)
    force = db.Column(db.Boolean, nullable=False, default=False)
    period_key = db.Column(db.String(40))  # the resend's run key; None: decided when it runs
    pending_key = db.Column(db.String(40))
    status = db.Column(db.String(20), nullable=False, default="waiting")  # waiting/running/done/failed
    requested_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    picked_by = db.Column(db.String(80))
    started_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)
    result = db.Column(db.Text)
    job_run_id = db.Column(db.Integer, db.ForeignKey("job_runs.id"))

    requested_by = db.relationship("User")
    job_run = db.relationship("JobRun")


class SchedulerBeat(db.Model):
    """A scheduler process's sign of life, written at every tick; the jobs page shows the latest."""

    __tablename__ = "scheduler_beats"

    owner = db.Column(db.String(80), primary_key=True)  # host:pid:random
    host = db.Column(db.String(200), nullable=False)
    pid = db.Column(db.Integer, nullable=False)
    started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    beat_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class DataVersion(db.Model):
    """A counter raised by every commit that changes what the figures are computed from (tracker/caching.py).

    Every process reads it once per request: figures cached under the value it reads are still true.
    """

    __tablename__ = "data_versions"

    name = db.Column(db.String(40), primary_key=True)
    version = db.Column(db.BigInteger, nullable=False, default=0)
