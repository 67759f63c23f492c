"""Sign-in throttling, shared by every worker through the database.

Two separate rules, so that a shared address cannot lock other people out:

- per user name typed (existing or not, so the answer tells nothing): after
  LOGIN_FREE_FAILURES wrong passwords, each further one delays the next attempt
  1, 2, 4 … minutes (at most LOGIN_MAX_DELAY_MINUTES). During the delay every
  attempt for that name is refused without its password being checked; after
  it the right password signs in. An administrator can clear it.
- per client address: LOGIN_ADDRESS_FAILURES failures within the window make the
  address "hot"; from a hot address a user name gets no free failures, which
  slows a password spray across accounts. It never refuses an attempt by
  itself: behind the county's nginx every user has the proxy's address, and 20
  anonymous requests must not lock the county out.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ... import clock
from ...extensions import db
from ...models import LoginThrottle


def name_key(username):
    """The throttle key of a typed user name (case and surrounding spaces ignored)."""
    return "user:" + (username or "").strip().lower()[:150]


def address_key(client_addr):
    """The throttle key of a client address, or None when unknown."""
    return "addr:" + client_addr[:150] if client_addr else None


@dataclass
class Throttle:
    """The throttle rows of one attempt, read once: the user name's and the address's."""

    name: LoginThrottle | None
    address: LoginThrottle | None

    def delayed_until(self):
        """When the user name may be tried again, or None when it may be now."""
        row = self.name
        if row is not None and row.locked_until is not None and row.locked_until > clock.now():
            return row.locked_until
        return None

    def address_is_hot(self):
        """Has the address failed often enough, recently enough, to lose the free failures?"""
        cfg, row = current_app.config, self.address
        return row is not None and not _address_window_over(row, clock.now()) \
            and row.failures >= cfg["LOGIN_ADDRESS_FAILURES"]


def _address_window_over(row, now):
    """Has the address row's counting window passed?"""
    return now - row.first_failed_at > timedelta(minutes=current_app.config["LOGIN_ADDRESS_WINDOW_MINUTES"])


def _name_forgotten(row, now):
    """Is the user name's last failure long enough ago to start counting again?"""
    last = row.last_failed_at or row.first_failed_at
    return now - last > timedelta(hours=current_app.config["LOGIN_FORGET_HOURS"])


def read(username, client_addr):
    """The throttle rows for this user name and address, in one query."""
    keys = [key for key in (name_key(username), address_key(client_addr)) if key]
    rows = {row.key: row for row in db.session.scalars(db.select(LoginThrottle).where(LoginThrottle.key.in_(keys)))}
    return Throttle(rows.get(keys[0]), rows.get(keys[1]) if len(keys) > 1 else None)


def delay_after(failures, hot):
    """The delay a user name earns with its `failures`-th failure (None while still free)."""
    cfg = current_app.config
    counted = failures - (0 if hot else cfg["LOGIN_FREE_FAILURES"])
    if counted <= 0:
        return None
    return timedelta(minutes=min(2 ** min(counted - 1, 20), cfg["LOGIN_MAX_DELAY_MINUTES"]))


def record_failure(username, client_addr, throttle):
    """Count a wrong password against the user name and the address, setting the name's delay (committed)."""
    now = clock.now()
    hot = throttle.address_is_hot()
    _purge(now)
    for _attempt in range(2):
        try:
            _count(name_key(username), now, hot, is_name=True)
            if address_key(client_addr):
                _count(address_key(client_addr), now, hot, is_name=False)
            db.session.commit()
            return
        except IntegrityError:
            # Another worker inserted the same key meanwhile: count again on the row it made.
            db.session.rollback()
    raise RuntimeError("login throttle rows could not be written")


def _purge(now):
    """Drop rows nobody failed on for LOGIN_FORGET_HOURS: random user names would otherwise pile up."""
    cutoff = now - timedelta(hours=current_app.config["LOGIN_FORGET_HOURS"])
    db.session.execute(db.delete(LoginThrottle).where(
        LoginThrottle.first_failed_at < cutoff,
        db.or_(LoginThrottle.last_failed_at.is_(None), LoginThrottle.last_failed_at < cutoff)))


def _count(key, now, hot, is_name):
    """Add one failure to the row of `key`, created when missing (read() loaded it: no second query)."""
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, first_failed_at=now)
        db.session.add(row)
    elif (is_name and _name_forgotten(row, now)) or (not is_name and _address_window_over(row, now)):
        row.failures, row.first_failed_at, row.locked_until = 0, now, None
    row.failures += 1
    row.last_failed_at = now
    if is_name:
        delay = delay_after(row.failures, hot)
        row.locked_until = now + delay if delay else None
    db.session.flush()


def clear(username):
    """Forget a user name's failures and its delay (after a success, an admin's clear or reset); caller commits."""
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key == name_key(username)))


def status(username):
    """(failures, delayed until or None) of a user name, for the administrator's page."""
    row = db.session.get(LoginThrottle, name_key(username))
    if row is None or _name_forgotten(row, clock.now()):
        return 0, None
    return row.failures, Throttle(row, None).delayed_until()
