"""Signing in and out, and changing one's own password.

Routes pass what they know of the request (the client address as ProxyFix left
it, the browser's name); nothing here reads the request.
"""
import math
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash, generate_password_hash

from ... import clock
from ...extensions import db
from ...models import User
from .. import DomainError
from . import passwords, sign_ins, throttle

# One hash of a random password per hashing method, made on first use: checking an unknown user
# name against it costs what checking a real user's password costs (same method, same scrypt
# parameters), so the time of a refusal does not tell whether the name exists.
_DUMMY_HASHES = {}


class LoginRefused(DomainError):
    """Wrong credentials, an inactive account, or a user name inside its delay."""


class LoginDelayed(LoginRefused):
    """The user name is inside its delay: refused without the password being checked."""


def dummy_hash():
    """The hash unknown user names are checked against, with the configured method and cost."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def password_matches(user, password):
    """Does `password` match `user`'s hash? For no user, the dummy hash is checked (same work) and False returned."""
    stored = user.password_hash if user is not None else dummy_hash()
    matches = check_password_hash(stored, password)
    return matches and user is not None


def _delay_message(until):
    """The refusal shown during a user name's delay."""
    minutes = max(1, math.ceil((until - clock.now()).total_seconds() / 60))
    return ngettext("Too many failed attempts for this user name. Try again in %(num)d minute.",
                    "Too many failed attempts for this user name. Try again in %(num)d minutes.", minutes)


def authenticate(username, password, client_addr=None):
    """Return the active user for these credentials, or raise LoginRefused with a message."""
    state = throttle.read(username, client_addr)
    until = state.delayed_until()
    if until is not None:
        raise LoginDelayed(_delay_message(until))
    user = db.session.scalar(db.select(User).where(User.username == (username or "").strip()))
    if not password_matches(user, password or ""):
        throttle.record_failure(username, client_addr, state)
        raise LoginRefused(_("Wrong user name or password."))
    if not user.is_active:
        raise LoginRefused(_("This account has been deactivated. Ask the administrator."))
    throttle.clear(username)
    user.last_login_at = clock.now()
    db.session.commit()
    return user


def sign_in(username, password, remember=False, client_addr=None, user_agent=None):
    """Check the credentials and record a new sign-in; the user comes back with its id attached for the cookies."""
    user = authenticate(username, password, client_addr)
    sign_ins.start(user, remember, client_addr, user_agent)
    return user


def sign_out(user):
    """End the sign-in `user` was loaded through: its session and remember cookies stop working everywhere."""
    sign_ins.end(user.sign_in)


def change_password(user, current_password, new_password, client_addr=None, user_agent=None):
    """Change the user's own password, ending all their sign-ins; returns the new sign-in of this browser.

    Every sign-in ends, the one in use included, since its cookies may be the copied ones the
    change is meant to stop; this browser gets a fresh sign-in with the same "keep me logged in".
    """
    if not check_password_hash(user.password_hash, current_password or ""):
        raise DomainError(_("The current password is wrong."))
    passwords.check_strength(new_password, user.username, user.password_hash)
    remember = bool(user.sign_in is not None and user.sign_in.is_remembered)
    user.set_password(new_password)
    user.must_change_password = False
    sign_ins.end_all(user)
    db.session.commit()
    return sign_ins.start(user, remember, client_addr, user_agent)
