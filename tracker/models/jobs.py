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

    job_run = db.relationship("JobRun")
    user = db.relationship("User")
    unit = db.relationship("Unit")


class DataVersion(db.Model):
    """A counter raised by every commit that changes what the figures are computed from (tracker/caching.py).

    Every process reads it once per request: figures cached under the value it reads are still true.
    """

    __tablename__ = "data_versions"

    name = db.Column(db.String(40), primary_key=True)
    version = db.Column(db.BigInteger, nullable=False, default=0)
