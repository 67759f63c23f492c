"""What changes a dispatched task: its (re)dispatches, the office's deadline adjustments, the units' returns."""
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .types import UTCDateTime, utcnow

# How a task reached its lead unit (each one restarts the acceptance clock).
DISPATCH_KINDS = {
    "dispatch": _l("Dispatched"),
    "reassign": _l("Reassigned after a return"),
    "insist": _l("Sent back after a return"),
    "correction": _l("Lead unit corrected"),
}
RETURN_STATUSES = {
    "pending": _l("Pending"),
    "reassigned": _l("Reassigned"),
    "insisted": _l("Insisted"),
}


class TaskDispatch(db.Model):
    """One (re)dispatch of a task to a lead unit: the lead unit's history and the acceptance clock's start."""

    __tablename__ = "task_dispatches"
    __table_args__ = (db.Index("ix_task_dispatches_task_at", "task_id", "dispatched_at"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False, index=True)
    dispatched_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    dispatched_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    kind = db.Column(db.String(20), nullable=False, default="dispatch")
    note = db.Column(db.Text)

    unit = db.relationship("Unit")
    dispatched_by = db.relationship("User")

    @property
    def kind_label(self):
        """Human label of the kind of dispatch."""
        return DISPATCH_KINDS.get(self.kind, self.kind)


class DeadlineAdjustment(db.Model):
    """调整: the office moves a dispatched task's deadline, with a reason; kept apart from extensions."""

    __tablename__ = "deadline_adjustments"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    old_deadline_on = db.Column(db.Date, nullable=False)
    new_deadline_on = db.Column(db.Date, nullable=False)
    reason = db.Column(db.Text, nullable=False)
    adjusted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    adjusted_by = db.relationship("User")


class TaskReturn(db.Model):
    """申请调整: before 签收 the lead unit's head sends the task back; the office reassigns it or insists."""

    __tablename__ = "task_returns"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False, index=True)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    reason = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(20), nullable=False, default="pending")
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.Text)
    new_unit_id = db.Column(db.Integer, db.ForeignKey("units.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask")
    unit = db.relationship("Unit", foreign_keys=[unit_id])
    new_unit = db.relationship("Unit", foreign_keys=[new_unit_id])
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    @property
    def status_label(self):
        """Human label of the return's status."""
        return RETURN_STATUSES.get(self.status, self.status)
