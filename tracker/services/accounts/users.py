"""Users: create, edit role and unit, (de)activate, reset a password, and the admin list."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Unit, User
from ...models.types import db_int
from ...models.user import LEADER, ROLES, UNIT_ROLES
from .. import DomainError, audit
from . import sign_ins, throttle
from .passwords import check_strength
from .units import require_admin

USERNAME_RE = re.compile(r"^[\w.@-]+$")
# Deliberately loose: one @, no spaces, a dot in the domain. Delivery is the real test.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+\-() ]+$")
# Fields an admin edits on an existing user; their changes are listed in the audit entry.
EDITABLE = ("display_name", "title", "email", "phone", "role", "unit_id", "is_principal")


def _max(column):
    """The length limit of a User string column."""
    return User.__table__.c[column].type.length


def _audit(actor, user, action, **details):
    """Add an audit entry for `user` (committed by the caller)."""
    audit.record_change(actor, "user", user, action, **details)


def _text(value, label, column, required=False):
    """A stripped text field: None when blank; DomainError when required and blank, or too long."""
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(_("%(field)s is required.", field=label))
        return None
    if len(value) > _max(column):
        raise DomainError(_("%(field)s has %(length)d characters; at most %(max)d are allowed.",
                            field=label, length=len(value), max=_max(column)))
    return value


def _clean_username(username):
    """A valid user name not yet taken by anyone (compared without case)."""
    username = _text(username, _l("User name"), "username", required=True)
    if not USERNAME_RE.match(username):
        raise DomainError(_("A user name may contain only letters, digits and . _ - @ (no spaces)."))
    taken = db.session.scalar(db.select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise DomainError(_("The user name %(name)s is already taken.", name=username))
    return username


def _clean_contact(email, phone):
    """Validated (email, phone), each None when blank."""
    email = _text(email, _l("Email"), "email")
    if email and not EMAIL_RE.match(email):
        raise DomainError(_("%(email)s is not a valid email address.", email=email))
    phone = _text(phone, _l("Phone"), "phone")
    if phone and not PHONE_RE.match(phone):
        raise DomainError(_("A phone number may contain only digits, spaces and + - ( )."))
    return email, phone


def _resolve_unit(role, unit_id=None, unit_name=None, current_unit_id=None):
    """The unit id a user of `role` gets: required for unit roles, refused for the others.

    A unit must be active to receive a user; a user may stay in their current unit
    after it was deactivated.
    """
    if role not in ROLES:
        raise DomainError(_("Unknown role %(role)s. Allowed: %(allowed)s.", role=role, allowed=", ".join(ROLES)))
    unit = None
    if unit_name:
        unit = db.session.scalar(db.select(Unit).where(Unit.name == unit_name.strip()))
        if unit is None:
            raise DomainError(_("There is no unit named %(name)s.", name=unit_name.strip()))
    elif unit_id:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise DomainError(_("The chosen unit does not exist."))
    if role in UNIT_ROLES and unit is None:
        raise DomainError(_("Users with the role %(role)s need a unit.", role=ROLES[role]))
    if role not in UNIT_ROLES and unit is not None:
        raise DomainError(_("Users with the role %(role)s belong to no unit; leave the unit empty.",
                            role=ROLES[role]))
    if unit is not None and not unit.is_active and unit.id != current_unit_id:
        raise DomainError(_("The unit %(name)s is deactivated.", name=unit.name))
    return unit.id if unit else None


def _check_principal(role, is_principal):
    """Only a county leader can be a principal leader (who sees every task)."""
    if is_principal and role != LEADER:
        raise DomainError(_("Only a county leader can be a principal leader."))
    return bool(is_principal)


def create_user(actor, username, display_name, role, password, unit_name=None, email=None, *,
                unit_id=None, title=None, phone=None, is_principal=False):
    """Create an active user; the CLI passes actor None and a unit by name, the admin pages a unit id."""
    require_admin(actor)
    values = {
        "username": _clean_username(username),
        "display_name": _text(display_name, _l("Display name"), "display_name", required=True),
        "title": _text(title, _l("Title"), "title"),
        "unit_id": _resolve_unit(role, unit_id, unit_name),
        "is_principal": _check_principal(role, is_principal),
        "role": role,
    }
    values["email"], values["phone"] = _clean_contact(email, phone)
    check_strength(password, values["username"])
    user = User(is_active=True, **values)
    user.set_password(password)
    try:
        # Inside the try: on PostgreSQL the unique index refuses a name taken meanwhile at the flush.
        db.session.add(user)
        db.session.flush()
        _audit(actor, user, "user_created", reason=f"{user.username} ({role})")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("The user name %(name)s is already taken.", name=values["username"])) from None
    return user


def update_user(actor, user, display_name, role, unit_id=None, title=None, email=None, phone=None,
                is_principal=False):
    """Change a user's names, contact, role, unit and principal flag; the changes go to the audit trail."""
    require_admin(actor)
    if actor is not None and actor.id == user.id and role != user.role:
        raise DomainError(_("You cannot change your own role; ask another administrator."))
    values = {
        "display_name": _text(display_name, _l("Display name"), "display_name", required=True),
        "title": _text(title, _l("Title"), "title"),
        "unit_id": _resolve_unit(role, unit_id, current_unit_id=user.unit_id),
        "is_principal": _check_principal(role, is_principal),
        "role": role,
    }
    values["email"], values["phone"] = _clean_contact(email, phone)
    changes = [f"{name}: {getattr(user, name)!r} → {values[name]!r}"
               for name in EDITABLE if getattr(user, name) != values[name]]
    if not changes:
        return user
    for name, value in values.items():
        setattr(user, name, value)
    _audit(actor, user, "user_updated", reason="; ".join(changes))
    db.session.commit()
    return user


def set_user_active(actor, user, is_active):
    """Deactivate a user (who can no longer log in; their sign-ins end) or reactivate them.

    Reactivating starts nothing again: the sign-ins ended at deactivation stay ended, so an old
    cookie does not come back to life with the account.
    """
    require_admin(actor)
    if not is_active and actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.is_active == bool(is_active):
        return user
    before = "active" if user.is_active else "inactive"
    user.is_active = bool(is_active)
    if not is_active:
        sign_ins.end_all(user)
    _audit(actor, user, "user_reactivated" if is_active else "user_deactivated",
           from_status=before, to_status="active" if is_active else "inactive")
    db.session.commit()
    return user


def reset_password(actor, user, new_password):
    """Set a new password chosen by the admin, ending the user's sign-ins; they must change it at next login."""
    require_admin(actor)
    check_strength(new_password, user.username, user.password_hash)
    user.set_password(new_password)
    user.must_change_password = True
    sign_ins.end_all(user)
    throttle.clear(user.username)  # a reset also lifts a sign-in delay
    _audit(actor, user, "user_password_reset")
    db.session.commit()
    return user


def clear_sign_in_delay(actor, user):
    """Forget the user's wrong passwords and lift their sign-in delay (the administrator's button)."""
    require_admin(actor)
    throttle.clear(user.username)
    _audit(actor, user, "user_sign_in_delay_cleared")
    db.session.commit()
    return user


def sign_in_delay(user):
    """(wrong passwords counted, delayed until or None) of a user, for the administrator's page."""
    return throttle.status(user.username)


@dataclass
class UserFilters:
    """What the user list is narrowed by; malformed values are dropped."""

    role: str | None = None
    unit_id: int | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args):
        """Parse query-string arguments, ignoring what does not parse; returns (filters, ignored names)."""
        ignored = []
        role = args.get("role") or None
        if role and role not in ROLES:
            ignored.append("role")
            role = None
        unit_id = None
        if args.get("unit"):
            try:
                unit_id = db_int(args["unit"])
            except ValueError:
                ignored.append("unit")
        q = (args.get("q") or "").strip()[:64] or None
        return cls(role=role, unit_id=unit_id, q=q), ignored


def user_page(filters, page, per_page):
    """One page of users matching `filters`, with their units loaded."""
    query = db.select(User).options(selectinload(User.unit)).order_by(User.role, User.unit_id, User.id)
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.unit_id:
        query = query.where(User.unit_id == filters.unit_id)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.ilike(pattern, escape="\\"),
                                User.display_name.ilike(pattern, escape="\\")))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=200)


def get_user(user_id):
    """The user with this id, or None."""
    return db.session.get(User, user_id)
