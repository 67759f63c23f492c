"""The audit log and the in-app inbox."""
from ..extensions import db
from .types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """Who did what, when, from which status to which, and why."""

    __tablename__ = "audit_entries"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    object_type = db.Column(db.String(40), nullable=False)  # task, unit, user, bulletin...
    object_id = db.Column(db.Integer)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))  # None for the scheduler
    action = db.Column(db.String(40), nullable=False)
    from_status = db.Column(db.String(20))
    to_status = db.Column(db.String(20))
    reason = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    actor = db.relationship("User")


class Notification(db.Model):
    """A message in a user's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"))
    kind = db.Column(db.String(40), nullable=False)
    title = db.Column(db.String(300), nullable=False)
    body = db.Column(db.Text)
    link = db.Column(db.String(300))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)
