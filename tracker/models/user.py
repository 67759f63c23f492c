"""Users, their roles, their sign-ins, and login throttling."""
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

    # What the session and the remember cookie carry is the random id of one sign-in (SignIn), never
    # the user id: ending the sign-in row ends every copy of those cookies (Flask-Login's "alternative
    # token"). Set by services/accounts/sign_ins.py when the user signs in or is loaded from a cookie.
    sign_in_token = None
    sign_in = None

    def get_id(self):
        """The random id of the sign-in this object was loaded through (what the cookies carry)."""
        if self.sign_in_token is None:
            raise RuntimeError("this user was not loaded through a sign-in; use sign_ins.start()")
        return self.sign_in_token

    # UserMixin compares users by get_id(); users loaded outside a sign-in (services, the CLI) have none.
    def __eq__(self, other):
        """Two objects are the same user when their ids are equal."""
        if isinstance(other, User):
            return self.id == other.id
        return NotImplemented

    __hash__ = object.__hash__

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


class SignIn(db.Model):
    """One sign-in of a user: the row every request checks its cookies against.

    Only a hash of the random id is stored, so a copy of the table signs nobody in.
    """

    __tablename__ = "sign_ins"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)  # sha256 hex of the cookies' id
    is_remembered = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    ended_at = db.Column(UTCDateTime)
    # Shown to the user on their password page so they recognise their devices; never part of the check.
    client_addr = db.Column(db.String(64))
    user_agent = db.Column(db.String(200))

    user = db.relationship("User")


class LoginThrottle(db.Model):
    """Failed login attempts per key ("user:" + a typed user name, or "addr:" + a client address).

    Kept in the database, not in process memory, so several workers share it. A user-name row's
    locked_until is the growing delay; an address row counts failures since first_failed_at.
    """

    __tablename__ = "login_throttles"

    key = db.Column(db.String(160), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    first_failed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_failed_at = db.Column(UTCDateTime)
    locked_until = db.Column(UTCDateTime)
