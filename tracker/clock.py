"""The one clock: every "now" and "today" in the product comes from here.

Tests move time with `frozen(...)`; dates are in the configured time zone,
timestamps are UTC.
"""
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

_frozen_at = None
DEFAULT_TZ = "Asia/Shanghai"


def local_tz():
    """Return the configured time zone (Asia/Shanghai unless TRACKER_TIMEZONE says otherwise)."""
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def now():
    """Return the current time as an aware UTC datetime."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC)


def today():
    """Return today's date in the configured time zone."""
    return now().astimezone(local_tz()).date()


def to_local(moment):
    """Convert an aware datetime to the configured time zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_tz())


def set_frozen(moment):
    """Freeze the clock at `moment` (aware datetime, or a date meaning local noon); None unfreezes."""
    global _frozen_at
    if moment is not None and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, 12, tzinfo=local_tz())
    _frozen_at = moment.astimezone(UTC) if moment is not None else None


@contextmanager
def frozen(moment):
    """Run a block with the clock frozen at `moment`."""
    previous = _frozen_at
    set_frozen(moment)
    try:
        yield
    finally:
        globals()["_frozen_at"] = previous
