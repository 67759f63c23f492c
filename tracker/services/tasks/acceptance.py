"""逾期未签收: a dispatched task its lead unit has not accepted within ACCEPT_DUE_DAYS calendar days.

A task dispatched on day D (local date) is due to be accepted by D + ACCEPT_DUE_DAYS; from the
day after, while it is still 待签收, it is late. The clock starts at each dispatch: the moment
the task last entered "assigned", read from the audit entry of that status change (the task's
dispatched_at when a task has no such entry, e.g. one loaded by hand). `dispatched_at_clause`
is the one place that says when a task was dispatched, so a re-dispatch event points it elsewhere.

As with the lights, the rule exists in SQL (lists, counts) and in Python (the days shown).
"""
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func

from ... import clock
from ...extensions import db
from ...models import AuditEntry, RectificationTask
from .. import office_settings

T = RectificationTask


def dispatched_at_clause():
    """SQL: when the task last entered 待签收 (its audit entry), else its dispatched_at."""
    entered = (db.select(func.max(AuditEntry.created_at))
               .where(AuditEntry.task_id == T.id, AuditEntry.object_type == "task",
                      AuditEntry.to_status == "assigned")
               .correlate(T).scalar_subquery())
    return func.coalesce(entered, T.dispatched_at)


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
