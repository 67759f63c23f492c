"""Logging in, with throttling shared by every worker, and changing passwords."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import LoginThrottle, User
from .. import DomainError

MIN_PASSWORD_LENGTH = 8


class LoginRefused(DomainError):
    """Wrong credentials, an inactive account, or too many failures."""


def _throttle_keys(username, client_addr):
    keys = ["user:" + username.strip().lower()[:100]]
    if client_addr:
        keys.append("addr:" + client_addr[:100])
    return keys


def _locked_until(keys):
    """The latest lock still in force on any of the keys, or None."""
    now = clock.now()
    rows = db.session.scalars(select_throttles(keys)).all()
    locks = [row.locked_until for row in rows if row.locked_until and row.locked_until > now]
    return max(locks) if locks else None


def select_throttles(keys):
    """Query for the throttle rows of `keys`."""
    return db.select(LoginThrottle).where(LoginThrottle.key.in_(keys))


def _record_failure(keys):
    """Count a failure against every key; lock a key that reaches the limit in the window."""
    cfg = current_app.config
    now = clock.now()
    window = timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_failed_at=now)
            db.session.add(row)
        elif now - row.first_failed_at > window:
            row.failures, row.first_failed_at, row.locked_until = 0, now, None
        row.failures += 1
        # An address carries many users: give it a wider allowance than one account.
        limit = cfg["LOGIN_MAX_FAILURES"] * (4 if key.startswith("addr:") else 1)
        if row.failures >= limit:
            row.locked_until = now + window
    db.session.commit()


def clear_failures(username):
    """Forget the failed attempts of a user name (after a success or an admin's reset)."""
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key == _throttle_keys(username, None)[0]))


def authenticate(username, password, client_addr=None):
    """Return the active user for these credentials, or raise LoginRefused with a message."""
    keys = _throttle_keys(username or "", client_addr)
    locked = _locked_until(keys)
    if locked is not None:
        minutes = max(1, int((locked - clock.now()).total_seconds() // 60) + 1)
        raise LoginRefused(_("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes))
    user = db.session.scalar(db.select(User).where(User.username == (username or "").strip()))
    if user is None or not user.check_password(password or ""):
        _record_failure(keys)
        raise LoginRefused(_("Wrong user name or password."))
    if not user.is_active:
        raise LoginRefused(_("This account has been deactivated. Ask the administrator."))
    clear_failures(username)
    user.last_login_at = clock.now()
    db.session.commit()
    return user


def validate_new_password(password):
    """Raise DomainError when a new password is too weak."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))


def change_password(user, current_password, new_password):
    """Change the user's own password after checking the current one."""
    if not user.check_password(current_password or ""):
        raise DomainError(_("The current password is wrong."))
    validate_new_password(new_password)
    user.set_password(new_password)
    user.must_change_password = False
    db.session.commit()
