"""Rectification tasks and everything recorded against them."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import validates

from .. import clock
from ..extensions import db
from .types import UTCDateTime, utcnow

STATUSES = {
    "draft": _l("Draft"),
    "assigned": _l("To accept"),
    "returned": _l("Returned for adjustment"),
    "in_progress": _l("In progress"),
    "pending_review": _l("Pending close-out review"),
    "closed": _l("Closed out"),
    "cancelled": _l("Cancelled"),
}
AWAITING_LEAD_UNIT = _l("Awaiting the lead unit's acceptance")  # "assigned", as a co-unit reads it
# 回头看 of a closed task against a later period of its indicator (services/indicators/continuity.py).
RECHECKS = {"no_effect": _l("No visible effect"), "effective": _l("Clearly effective")}
OPEN_STATUSES = ("draft", "assigned", "returned", "in_progress", "pending_review")
# Dispatched and not yet accepted: the lead unit has it to accept (签收) or has sent it back (申请调整).
TO_ACCEPT_STATUSES = ("assigned", "returned")
FINISHED_STATUSES = ("closed", "cancelled")

SOURCES = {
    "indicator": _l("Weak assessment indicator"),
    "inspection": _l("Upper-level inspection feedback"),
    "survey": _l("Public-satisfaction survey"),
    "supervision": _l("Supervision finding"),
    "manual": _l("Entered by hand"),
}
# Extension and close-out requests: a decision, or withdrawn when the task moved on without one.
REQUEST_STATUSES = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}
# Evidence the browser shows itself, under a sandboxing Content-Security-Policy (tasks.routes.view_file).
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")
LEVELS = {
    "normal": _l("Normal"),
    "key": _l("Key"),
    "listed": _l("Listed"),
}

task_co_units = db.Table(
    "task_co_units",
    db.Column("task_id", db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    db.Column("unit_id", db.Integer, db.ForeignKey("units.id"), primary_key=True),
    # A unit's co-organized task ids from the index alone (migration 0004_scale_indexes).
    db.Index("ix_task_co_units_unit_task", "unit_id", "task_id"),
)


class RectificationTask(db.Model):
    """整改任务: one piece of rectification work with a lead unit and a deadline."""

    __tablename__ = "tasks"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True)  # 编号, e.g. ZG2026-0007
    title = db.Column(db.String(300), nullable=False)
    problem = db.Column(db.Text)  # 存在问题
    measures = db.Column(db.Text)  # 整改措施 / 目标
    source = db.Column(db.String(20), nullable=False, default="manual")
    source_detail = db.Column(db.String(300))  # e.g. which inspection, which survey item
    period_id = db.Column(db.Integer, db.ForeignKey("assessment_periods.id"), index=True)
    indicator_result_id = db.Column(db.Integer, db.ForeignKey("indicator_results.id"), index=True)
    lead_unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False)
    responsible_leader_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    deadline_on = db.Column(db.Date, nullable=False, index=True)
    original_deadline_on = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(20), nullable=False, default="draft")
    supervision_level = db.Column(db.String(10), nullable=False, default="normal")
    percent_done = db.Column(db.Integer, nullable=False, default=0)
    last_reported_at = db.Column(UTCDateTime)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    dispatched_at = db.Column(UTCDateTime)  # the first dispatch
    # The latest (re)dispatch: a return reassigned or insisted on, a lead unit corrected (services/tasks/dispatches).
    last_dispatched_at = db.Column(UTCDateTime)
    accepted_at = db.Column(UTCDateTime)
    closeout_requested_at = db.Column(UTCDateTime)
    # The local date of that request, kept beside it so list filters can compare it with
    # deadline_on in SQL; set by the validator below, never by hand.
    closeout_requested_on = db.Column(db.Date)
    closed_at = db.Column(UTCDateTime)
    cancelled_at = db.Column(UTCDateTime)
    # A follow-up task made after 回头看 found the closed one had no effect.
    follow_up_of_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), index=True)
    # Why a second open task was made for an indicator and lead unit that already had one.
    duplicate_reason = db.Column(db.Text)
    version = db.Column(db.Integer, nullable=False, default=1)

    # Optimistic locking: an UPDATE against a stale version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}
    # Chosen with EXPLAIN ANALYZE at 100,000 tasks (migration 0004_scale_indexes, benchmarks/RESULTS.md).
    __table_args__ = (
        # The list order, status by status; overdue tasks counted from the index alone.
        db.Index("ix_tasks_status_deadline", "status", "deadline_on", "id", "closeout_requested_on"),
        db.Index("ix_tasks_lead_unit_status", "lead_unit_id", "status", "deadline_on", "id"),  # a unit's tasks
        # Search (ILIKE '%…%') through trigrams on PostgreSQL; on SQLite an empty placeholder (WHERE 0).
        db.Index("ix_tasks_text_trgm", "title", "code", "problem", "measures", postgresql_using="gin",
                 postgresql_ops=dict.fromkeys(("title", "code", "problem", "measures"), "gin_trgm_ops"),
                 sqlite_where=db.text("0")),
    )

    lead_unit = db.relationship("Unit", foreign_keys=[lead_unit_id])
    follow_up_of = db.relationship("RectificationTask", remote_side=[id], foreign_keys=[follow_up_of_id])
    co_units = db.relationship("Unit", secondary=task_co_units, order_by="Unit.id")
    responsible_leader = db.relationship("User", foreign_keys=[responsible_leader_id])
    owner = db.relationship("User", foreign_keys=[owner_id])
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    period = db.relationship("AssessmentPeriod")
    indicator_result = db.relationship("IndicatorResult", backref="tasks")
    milestones = db.relationship(
        "Milestone", back_populates="task", order_by="Milestone.due_on", cascade="all, delete-orphan"
    )
    reports = db.relationship(
        "ProgressReport", back_populates="task", order_by="ProgressReport.created_at.desc()",
        cascade="all, delete-orphan",
    )
    extension_requests = db.relationship(
        "ExtensionRequest", back_populates="task", order_by="ExtensionRequest.id", cascade="all, delete-orphan",
    )
    closeout_requests = db.relationship(
        "CloseoutRequest", back_populates="task", order_by="CloseoutRequest.id", cascade="all, delete-orphan",
    )

    @validates("closeout_requested_at")
    def _keep_request_date(self, key, value):
        """Keep closeout_requested_on equal to the local date of closeout_requested_at."""
        self.closeout_requested_on = clock.to_local(value).date() if value is not None else None
        return value

    @property
    def pending_extension(self):
        """The extension request awaiting a decision, if any."""
        return next((r for r in self.extension_requests if r.status == "pending"), None)

    @property
    def pending_closeout(self):
        """The close-out request awaiting review, if any."""
        return next((r for r in self.closeout_requests if r.status == "pending"), None)

    @property
    def status_label(self):
        """Human label of the status."""
        return STATUSES.get(self.status, self.status)

    def status_label_for(self, user):
        """The status as `user` reads it: a co-unit has nothing to accept, it waits for the lead unit's 签收."""
        if self.status == "assigned" and getattr(user, "is_unit_user", False) and user.unit_id != self.lead_unit_id:
            return AWAITING_LEAD_UNIT
        return self.status_label

    @property
    def source_label(self):
        """Human label of the source."""
        return SOURCES.get(self.source, self.source)

    @property
    def level_label(self):
        """Human label of the supervision level."""
        return LEVELS.get(self.supervision_level, self.supervision_level)

    @property
    def is_open(self):
        """True unless closed or cancelled."""
        return self.status not in FINISHED_STATUSES

    def involves_unit(self, unit_id):
        """True when the unit leads or co-organizes this task."""
        return unit_id is not None and (
            self.lead_unit_id == unit_id or any(u.id == unit_id for u in self.co_units)
        )

    def __repr__(self):
        return f"<Task {self.id} {self.status}>"


class Milestone(db.Model):
    """时间节点: an intermediate deadline with a deliverable."""

    __tablename__ = "milestones"
    # The tasks with an overdue milestone (yellow), from the index alone (migration 0004_scale_indexes).
    __table_args__ = (db.Index("ix_milestones_open_due", "done_at", "due_on", "task_id"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    title = db.Column(db.String(300), nullable=False)
    due_on = db.Column(db.Date, nullable=False)
    done_at = db.Column(UTCDateTime)
    done_note = db.Column(db.Text)
    done_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask", back_populates="milestones")
    done_by = db.relationship("User")

    @property
    def is_done(self):
        """True once marked done."""
        return self.done_at is not None


class ProgressReport(db.Model):
    """进展报送: dated text with percent done, by the lead unit or a co-unit."""

    __tablename__ = "progress_reports"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    percent_done = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    task = db.relationship("RectificationTask", back_populates="reports")
    unit = db.relationship("Unit")
    author = db.relationship("User")
    attachments = db.relationship("Attachment", back_populates="report", order_by="Attachment.id")


class Attachment(db.Model):
    """An evidence file stored outside static/ under a generated name."""

    __tablename__ = "attachments"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    report_id = db.Column(db.Integer, db.ForeignKey("progress_reports.id"), index=True)
    closeout_request_id = db.Column(db.Integer, db.ForeignKey("closeout_requests.id"))
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    original_name = db.Column(db.String(255), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(100))
    size_bytes = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask")
    report = db.relationship("ProgressReport", back_populates="attachments")
    closeout_request = db.relationship("CloseoutRequest", back_populates="attachments")

    @property
    def opens_inline(self):
        """Images and PDFs open in the browser (in a sandbox); other types are downloaded."""
        return self.content_type in INLINE_TYPES

    @property
    def size_label(self):
        """The size in KB or MB, for lists of files."""
        if self.size_bytes >= 1024 * 1024:
            return f"{self.size_bytes / 1024 / 1024:.1f} MB"
        return f"{max(1, round(self.size_bytes / 1024))} KB"


class ExtensionRequest(db.Model):
    """延期申请: the lead unit asks for a new deadline; a supervisor decides."""

    __tablename__ = "extension_requests"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    current_deadline_on = db.Column(db.Date, nullable=False)
    requested_deadline_on = db.Column(db.Date, nullable=False)
    # The date the office granted: later than the deadline then, no later than the one asked (partial extension).
    approved_deadline_on = db.Column(db.Date)
    reason = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(20), nullable=False, default="pending")  # pending/approved/rejected
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask", back_populates="extension_requests")
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    @property
    def granted_deadline_on(self):
        """The deadline an approval set: the office's date (rows from before partial approvals: the date asked)."""
        if self.status != "approved":
            return None
        return self.approved_deadline_on or self.requested_deadline_on

    @property
    def is_partial(self):
        """Approved to an earlier date than the one asked."""
        return self.status == "approved" and self.granted_deadline_on < self.requested_deadline_on

    @property
    def status_label(self):
        """Human label of the request's status."""
        return REQUEST_STATUSES.get(self.status, self.status)


class CloseoutRequest(db.Model):
    """销号申请 and its review: the lead unit's summary, the supervisor's decision."""

    __tablename__ = "closeout_requests"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    summary = db.Column(db.Text, nullable=False)  # 整改成效: what the rectification achieved
    deadline_in_force_on = db.Column(db.Date, nullable=False)  # decides 按期完成
    percent_done = db.Column(db.Integer)  # as the unit stated it in the request
    percent_reason = db.Column(db.Text)  # why close-out is asked below 100 %
    # What the unit chose for its extension request pending at the time: "withdraw" or "wait" (None: there was none).
    extension_choice = db.Column(db.String(10))
    status = db.Column(db.String(20), nullable=False, default="pending")  # pending/approved/rejected
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask", back_populates="closeout_requests")
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    attachments = db.relationship("Attachment", back_populates="closeout_request", order_by="Attachment.id")
    milestone_notes = db.relationship("CloseoutMilestoneNote", back_populates="closeout_request",
                                      order_by="CloseoutMilestoneNote.id", cascade="all, delete-orphan")

    @property
    def status_label(self):
        """Human label of the request's status."""
        return REQUEST_STATUSES.get(self.status, self.status)


class CloseoutMilestoneNote(db.Model):
    """What a close-out request said about one milestone open at the time: done now, or why it stays open."""

    __tablename__ = "closeout_milestone_notes"
    __table_args__ = (db.UniqueConstraint("closeout_request_id", "milestone_id"),)

    id = db.Column(db.Integer, primary_key=True)
    closeout_request_id = db.Column(db.Integer, db.ForeignKey("closeout_requests.id", ondelete="CASCADE"),
                                    nullable=False, index=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="CASCADE"), nullable=False)
    is_done = db.Column(db.Boolean, nullable=False)
    note = db.Column(db.Text, nullable=False)

    closeout_request = db.relationship("CloseoutRequest", back_populates="milestone_notes")
    milestone = db.relationship("Milestone")


class Urge(db.Model):
    """催办: a supervisor's formal reminder on one task, counted against its lead unit."""

    __tablename__ = "urges"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False, index=True)
    urged_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    message = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask")
    unit = db.relationship("Unit")
    urged_by = db.relationship("User")


class TaskResultLink(db.Model):
    """A later period's result that an open task answers too (the office linked it instead of a second task).

    A task's own result (indicator_result_id) is the one it was made for; it carries into every later
    period of its indicator until closed without a link. A link records the office's decision that the
    new period's weak result is answered by the existing task, with who and when; links are never removed.
    """

    __tablename__ = "task_result_links"
    __table_args__ = (db.UniqueConstraint("task_id", "result_id"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False, index=True)
    result_id = db.Column(db.Integer, db.ForeignKey("indicator_results.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask")
    result = db.relationship("IndicatorResult")
