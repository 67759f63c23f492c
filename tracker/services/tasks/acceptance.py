"""逾期未签收: a dispatched task its lead unit has not accepted within ACCEPT_DUE_DAYS calendar days.

A task dispatched on day D (local date) is due to be accepted by D + ACCEPT_DUE_DAYS; from the
day after, while it is still 待签收, it is late. The clock starts at each dispatch (a first
dispatch, a reassignment after a return, an insistence, a lead-unit correction): the latest
TaskDispatch, kept on the task as last_dispatched_at (dispatches.dispatched_at_clause).

As with the lights, the rule exists in SQL (lists, counts) and in Python (the days shown).
"""
from datetime import datetime, time, timedelta

from sqlalchemy import and_

from ... import clock
from ...extensions import db
from ...models import RectificationTask
from .. import office_settings
from . import dispatches

T = RectificationTask


def dispatched_at_clause():
    """SQL: when the task was last (re)dispatched to its lead unit."""
    return dispatches.dispatched_at_clause()


def accept_cutoff(today):
    """Tasks dispatched before this UTC moment are late to accept today: local midnight ACCEPT_DUE_DAYS ago."""
    day = today - timedelta(days=office_settings.value("ACCEPT_DUE_DAYS"))
    return datetime.combine(day, time.min, tzinfo=clock.local_tz())


def late_clause(today):
    """SQL: the task waits for 签收 longer than ACCEPT_DUE_DAYS calendar days (逾期未签收)."""
    return and_(T.status == "assigned", dispatched_at_clause() < accept_cutoff(today))


def late_tasks(scope, today, options=()):
    """(task, dispatched at) of the tasks in `scope` late to be accepted, waiting longest first."""
    dispatched = dispatched_at_clause().label("dispatched")
    rows = db.session.execute(
        db.select(T, dispatched).where(scope, late_clause(today)).order_by(dispatched, T.id).options(*options))
    return [(task, moment) for task, moment in rows]


def days_waiting(dispatched_at, today):
    """Calendar days since the dispatch (0 on its own day)."""
    return (today - clock.to_local(dispatched_at).date()).days


def due_on(dispatched_at):
    """The last day to accept a task dispatched at `dispatched_at`."""
    return clock.to_local(dispatched_at).date() + timedelta(days=office_settings.value("ACCEPT_DUE_DAYS"))
