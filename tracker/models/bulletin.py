"""Monthly bulletins (月度通报)."""
from ..extensions import db
from .types import UTCDateTime, utcnow


class Bulletin(db.Model):
    """One month's bulletin: a draft until issued, then frozen with its checksum."""

    __tablename__ = "bulletins"
    __table_args__ = (db.UniqueConstraint("year", "issue_no"),)

    id = db.Column(db.Integer, primary_key=True)
    month = db.Column(db.String(7), nullable=False, unique=True)  # YYYY-MM
    year = db.Column(db.Integer, nullable=False)
    issue_no = db.Column(db.Integer, nullable=False)  # 第N期, counted per year
    status = db.Column(db.String(20), nullable=False, default="draft")  # draft/issued
    requirements_text = db.Column(db.Text)  # 下步要求
    # Units asked for a 情况说明, as issued: comma-separated ids ("" none; NULL when issued before 0009).
    explain_unit_ids = db.Column(db.Text)
    file_path = db.Column(db.String(500))
    sha256 = db.Column(db.String(64))
    generated_at = db.Column(UTCDateTime)
    generated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    issued_at = db.Column(UTCDateTime)
    issued_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    issued_by = db.relationship("User", foreign_keys=[issued_by_id])
    generated_by = db.relationship("User", foreign_keys=[generated_by_id])
