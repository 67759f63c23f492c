"""Sign-ins recorded on the server: what the session and the remember cookie carry, checked on each request.

A cookie holds the random id of one SignIn row, never the user id, so ending the
row (logout, "sign out everywhere", a password change, an admin's reset, a
deactivation) ends every copy of that cookie wherever it was taken. Nothing the
client sends besides the id (its address, X-Forwarded-For, its browser) is part
of the check: those are shown to the user, not trusted.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_

from ... import clock
from ...extensions import db
from ...models import SignIn, User

# Ended and expired rows are kept this long (the user's page lists recent ones), then purged at the
# user's next sign-in, so the table stays about one row per device in use.
KEEP_ENDED = timedelta(days=30)


def _hash(token):
    """The stored form of a cookie's random id."""
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(remember):
    """How long a sign-in lasts: REMEMBER_DAYS when remembered, SESSION_HOURS otherwise."""
    cfg = current_app.config
    return timedelta(days=cfg["REMEMBER_DAYS"]) if remember else timedelta(hours=cfg["SESSION_HOURS"])


def start(user, remember=False, client_addr=None, user_agent=None):
    """Record a new sign-in of `user` (committed) and attach its random id, for login_user()."""
    now = clock.now()
    db.session.execute(db.delete(SignIn).where(SignIn.user_id == user.id, SignIn.expires_at < now - KEEP_ENDED))
    token = secrets.token_urlsafe(32)
    row = SignIn(user_id=user.id, token_hash=_hash(token), is_remembered=bool(remember), created_at=now,
                 expires_at=now + lifetime(remember), client_addr=(client_addr or "")[:64] or None,
                 user_agent=(user_agent or "")[:200] or None)
    db.session.add(row)
    db.session.commit()
    user.sign_in_token, user.sign_in = token, row
    return row


def load(token):
    """The active user whose live sign-in carries `token`, with it attached; None otherwise.

    One indexed read (sign_ins.token_hash is unique), joined with the user: Flask-Login's
    user_loader calls it at most once per request and keeps the result for the request.
    """
    if not token or len(token) > 100:
        return None
    found = db.session.execute(
        db.select(User, SignIn).join(SignIn, SignIn.user_id == User.id).where(
            SignIn.token_hash == _hash(token), SignIn.ended_at.is_(None), SignIn.expires_at > clock.now(),
            User.is_active.is_(True))
    ).first()
    if found is None:
        return None
    user, row = found
    user.sign_in_token, user.sign_in = token, row
    return user


def end(sign_in):
    """End one sign-in (logout): its cookies, wherever copied, sign nobody in any more (committed)."""
    if sign_in is not None and sign_in.ended_at is None:
        sign_in.ended_at = clock.now()
        db.session.commit()


def end_all(user):
    """End every live sign-in of `user`; the caller commits. Returns how many were ended."""
    now = clock.now()
    result = db.session.execute(
        db.update(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None), SignIn.expires_at > now)
        .values(ended_at=now).execution_options(synchronize_session=False))
    return result.rowcount


def sign_out_everywhere(user):
    """The user's own "sign out everywhere": end all their sign-ins, this one included (committed)."""
    count = end_all(user)
    db.session.commit()
    return count


def live_sign_ins(user):
    """The user's sign-ins still in force, newest first (for their password page)."""
    return db.session.scalars(
        db.select(SignIn).where(and_(SignIn.user_id == user.id, SignIn.ended_at.is_(None),
                                     SignIn.expires_at > clock.now()))
        .order_by(SignIn.created_at.desc(), SignIn.id.desc())
    ).all()
