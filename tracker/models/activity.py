"""The audit log, the in-app inbox, and one-time form tokens."""
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .types import UTCDateTime, utcnow

# Audit actions on tasks, with the labels the task timeline shows.
ACTIONS = {
    "created": _l("Created"),
    "edited": _l("Edited"),
    "dispatched": _l("Dispatched"),
    "accepted": _l("Accepted"),
    "reported": _l("Progress reported"),
    "milestone_planned": _l("Milestone planned"),
    "milestone_done": _l("Milestone done"),
    "closeout_requested": _l("Close-out requested"),
    "closeout_approved": _l("Close-out approved"),
    "closeout_rejected": _l("Close-out rejected"),
    "extension_requested": _l("Extension requested"),
    "extension_approved": _l("Extension approved"),
    "extension_rejected": _l("Extension rejected"),
    "extension_withdrawn": _l("Extension request withdrawn"),
    "urged": _l("Urged"),
    "cancelled": _l("Cancelled"),
    "corrected": _l("Corrected by the office"),
    "reopened": _l("Reopened after the recheck"),
    "result_linked": _l("Carried into a new period"),
    "follow_up_created": _l("Follow-up task created"),
    "returned": _l("Return requested"),
    "reassigned": _l("Reassigned to another unit"),
    "insisted": _l("Return not accepted"),
    "milestone_moved": _l("Milestone moved"),
    "milestone_removed": _l("Milestone deleted"),
}


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
    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_at"),
                      db.Index("ix_notifications_user_created", "user_id", "created_at", "id"))  # the inbox page

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"))
    kind = db.Column(db.String(40), nullable=False)
    title = db.Column(db.String(300), nullable=False)
    body = db.Column(db.Text)
    link = db.Column(db.String(300))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)


class UsedFormToken(db.Model):
    """A one-time token a create-type form carried, kept so a second submission is recognised."""

    __tablename__ = "used_form_tokens"

    token = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
