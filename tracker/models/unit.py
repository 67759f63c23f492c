"""Units: the departments (部门) and towns (乡镇) that own tasks."""
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .types import UTCDateTime, utcnow

UNIT_KINDS = {
    "department": _l("Department"),
    "town": _l("Town"),
}
# The words offices write in the 单位类型 column of a units CSV.
UNIT_KIND_ALIASES = {"部门": "department", "乡镇": "town", "department": "department", "town": "town"}


class Unit(db.Model):
    """A department or town that can lead or co-organize rectification tasks."""

    __tablename__ = "units"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False, unique=True)
    kind = db.Column(db.String(20), nullable=False, default="department")
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Optional group robot (企业微信 / 钉钉) that also receives the unit's weekly alert.
    webhook_kind = db.Column(db.String(20))  # wecom / dingtalk
    webhook_url = db.Column(db.String(500))
    webhook_secret = db.Column(db.String(200))  # DingTalk signing secret (加签, "SEC…"), if the robot uses one

    @property
    def kind_label(self):
        """Human label of the unit type."""
        return UNIT_KINDS.get(self.kind, self.kind)

    def __repr__(self):
        return f"<Unit {self.name}>"
