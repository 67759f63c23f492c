"""Jinja filters for dates, times and numbers in the user's language."""
from flask_babel import format_date, format_datetime

from . import clock


def local_datetime(moment, fmt="yyyy-MM-dd HH:mm"):
    """A UTC timestamp shown in the configured time zone."""
    if moment is None:
        return ""
    return format_datetime(clock.to_local(moment), fmt, rebase=False)


def full_date(day):
    """A date written in full: 2026年11月30日 in Chinese."""
    if day is None:
        return ""
    return format_date(day, "long")


def short_date(day):
    """A date as yyyy-MM-dd."""
    return day.isoformat() if day is not None else ""


def register(app):
    """Install the filters."""
    app.jinja_env.filters.update(local_datetime=local_datetime, full_date=full_date, short_date=short_date)
