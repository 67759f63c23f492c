"""Monthly bulletins (月度通报)."""
from ..extensions import db
from .types import UTCDateTime, utcnow

DRAFT, ISSUED, VOIDED = "draft", "issued", "voided"


class Bulletin(db.Model):
    """One month's bulletin: a draft (no number yet) until issued, then frozen with its figures and checksums.

    A month has at most one draft and one live issued bulletin; a voided one (作废) keeps
    its number and file, and the issue that corrects it (更正) names it in replaces_id.
    """

    __tablename__ = "bulletins"
    __table_args__ = (
        db.UniqueConstraint("year", "issue_no"),
        db.Index("uq_bulletins_draft_month", "month", unique=True, sqlite_where=db.text("status = 'draft'"),
                 postgresql_where=db.text("status = 'draft'")),
        db.Index("uq_bulletins_issued_month", "month", unique=True, sqlite_where=db.text("status = 'issued'"),
                 postgresql_where=db.text("status = 'issued'")),
    )

    id = db.Column(db.Integer, primary_key=True)
    month = db.Column(db.String(7), nullable=False)  # YYYY-MM
    year = db.Column(db.Integer, nullable=False)
    issue_no = db.Column(db.Integer)  # 第N期, counted per year, taken at issue (NULL while a draft)
    status = db.Column(db.String(20), nullable=False, default=DRAFT)  # draft/issued/voided
    requirements_text = db.Column(db.Text)  # 下步要求
    # Units asked for a 情况说明, as issued: comma-separated ids ("" none; NULL when issued before 0009).
    explain_unit_ids = db.Column(db.Text)
    as_of = db.Column(db.Date)  # the day the figures are taken at (截至): the month's last day once it ended
    figures_json = db.Column(db.Text)  # the figures an issued bulletin printed (services/bulletins/frozen.py)
    file_path = db.Column(db.String(500))
    sha256 = db.Column(db.String(64))
    docx_path = db.Column(db.String(500))
    docx_sha256 = db.Column(db.String(64))
    generated_at = db.Column(UTCDateTime)
    generated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    issued_at = db.Column(UTCDateTime)
    issued_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    voided_at = db.Column(UTCDateTime)
    voided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    void_reason = db.Column(db.Text)
    replaces_id = db.Column(db.Integer, db.ForeignKey("bulletins.id"))  # the voided issue this one corrects
    # The signed final PDF the office uploads to an issue (the text it edited in Word, as circulated).
    signed_path = db.Column(db.String(500))
    signed_sha256 = db.Column(db.String(64))
    signed_at = db.Column(UTCDateTime)
    signed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    issued_by = db.relationship("User", foreign_keys=[issued_by_id])
    generated_by = db.relationship("User", foreign_keys=[generated_by_id])
    voided_by = db.relationship("User", foreign_keys=[voided_by_id])
    signed_by = db.relationship("User", foreign_keys=[signed_by_id])
    replaces = db.relationship("Bulletin", remote_side=[id], foreign_keys=[replaces_id])

    @property
    def is_draft(self):
        """Not issued yet."""
        return self.status == DRAFT

    @property
    def is_voided(self):
        """作废."""
        return self.status == VOIDED

    @property
    def number_text(self):
        """第N期, or 第__期 while a draft."""
        return f"第{self.issue_no}期" if self.issue_no else "第__期"
