"""督办通知单 and 催办通知单: the numbered documents a task's units receive, and the counters that number them."""
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .types import UTCDateTime, utcnow

# kind → the word of its 文号 (督办〔2026〕3号, 催办〔2026〕1号) and its label.
NOTICE_KINDS = {
    "dispatch": ("督办", _l("Supervision notice")),
    "urge": ("催办", _l("Urge notice")),
}


class DocumentCounter(db.Model):
    """The last number given in one series of documents in one year; only ever counts up (never reused)."""

    __tablename__ = "document_counters"

    series = db.Column(db.String(20), primary_key=True)
    year = db.Column(db.Integer, primary_key=True)
    last_number = db.Column(db.Integer, nullable=False, default=0)


class SupervisionNotice(db.Model):
    """One 督办 (at a dispatch) or 催办 (at an urge) notice: its 文号, the unit it went to and its 回告 date.

    The task's text is printed as it stands when the notice is printed; what an urge said
    was late is kept here as it was (late_items), since a later report changes the task.
    Rows are never deleted or renumbered.
    """

    __tablename__ = "supervision_notices"
    __table_args__ = (
        db.UniqueConstraint("kind", "year", "number", name="uq_supervision_notices_number"),
        db.Index("ix_supervision_notices_task", "task_id", "kind", "issued_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(10), nullable=False)  # dispatch | urge
    year = db.Column(db.Integer, nullable=False)
    number = db.Column(db.Integer, nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    urge_id = db.Column(db.Integer, db.ForeignKey("urges.id"), unique=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), nullable=False)
    reply_due_on = db.Column(db.Date, nullable=False)  # 回告期限
    late_items = db.Column(db.JSON)  # urge: [[what, since (ISO date)], …] as they were at the urge
    issued_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    issued_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    task = db.relationship("RectificationTask")
    urge = db.relationship("Urge")
    unit = db.relationship("Unit")
    issued_by = db.relationship("User")

    @property
    def doc_number(self):
        """The 文号: 督办〔2026〕3号."""
        return f"{NOTICE_KINDS[self.kind][0]}〔{self.year}〕{self.number}号"

    @property
    def kind_label(self):
        """Human label of the kind of notice."""
        return NOTICE_KINDS[self.kind][1]
