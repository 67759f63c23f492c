"""Users, their roles, and login throttling."""
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow

# The roles, named once: permissions, services and templates use these names.
ADMIN = "admin"
SUPERVISOR = "supervisor"
LEADER = "leader"
UNIT_HEAD = "unit_head"
UNIT_STAFF = "unit_staff"
ROLES = {
    ADMIN: _l("Administrator"),
    SUPERVISOR: _l("Supervision office"),
    LEADER: _l("County leader"),
    UNIT_HEAD: _l("Unit head"),
    UNIT_STAFF: _l("Unit staff"),
}
UNIT_ROLES = (UNIT_HEAD, UNIT_STAFF)


class User(UserMixin, db.Model):
    """A person who logs in; unit roles belong to exactly one unit."""

    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    display_name = db.Column(db.String(64), nullable=False)
    title = db.Column(db.String(64))  # 职务, e.g. 常务副县长
    email = db.Column(db.String(255))
    phone = db.Column(db.String(32))
    role = db.Column(db.String(20), nullable=False)
    unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), index=True)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    password_hash = db.Column(db.String(255), nullable=False)
    is_principal = db.Column(db.Boolean, nullable=False, default=False)  # 主要领导: sees every task
    must_change_password = db.Column(db.Boolean, nullable=False, default=False)
    locale = db.Column(db.String(10))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(UTCDateTime)

    unit = db.relationship("Unit", backref=db.backref("users", lazy="dynamic"))

    def set_password(self, password):
        """Hash and store a new password."""
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        """True when `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def role_label(self):
        """Human label of the role."""
        return ROLES.get(self.role, self.role)

    @property
    def is_unit_user(self):
        """True for unit heads and unit staff, who see only their unit's tasks."""
        return self.role in UNIT_ROLES

    def __repr__(self):
        return f"<User {self.username} {self.role}>"


class LoginThrottle(db.Model):
    """Failed login attempts per key (a username or a client address).

    Kept in the database, not in process memory, so several workers share it.
    """

    __tablename__ = "login_throttles"

    key = db.Column(db.String(160), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    first_failed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = db.Column(UTCDateTime)
