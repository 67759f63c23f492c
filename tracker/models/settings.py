"""Office settings (办公室设置): values an office changes between months, kept in the database."""
from ..extensions import db
from .types import UTCDateTime, utcnow


class OfficeSetting(db.Model):
    """One setting the office changed from its default (the environment variable of the same name).

    A missing row means "the default"; the audit trail keeps every change (old and new value).
    """

    __tablename__ = "office_settings"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(64), nullable=False, unique=True)
    value = db.Column(db.Text, nullable=False)  # JSON
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    updated_by = db.relationship("User")

    def __repr__(self):
        return f"<OfficeSetting {self.key}>"
