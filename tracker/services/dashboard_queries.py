"""The dashboard's figures as SQL aggregates: a fixed number of statements, however many tasks there are.

The definitions are the monthly bulletin's (services/bulletin_data.py), taken
live, as of now: a task counts once dispatched and until cancelled (not draft,
not cancelled); 销号率 = closed ÷ counted; 按期完成率 = closed on time ÷ due.
Each SQL condition below is the twin of a Python rule, and tests check that
they agree on the same tasks:

- overdue: lights.overdue_clause, the twin of lights.is_overdue;
- on time: ``on_time_clause``, the twin of lights.is_on_time;
- due: ``due_clause``, the twin of bulletin_history.TaskAsOf.is_due on today.
"""
from sqlalchemy import and_, case, func, or_, true
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import AssessmentPeriod, IndicatorResult, RectificationTask, Unit, Urge, User
from ..models.task import STATUSES
from . import lights
from .bulletin_data import Figures, UnitRow, overdue_rows
from .bulletin_history import COUNTED_OUT, TaskAsOf

T = RectificationTask
FIGURE_FIELDS = ("tasks", "closed", "to_accept", "in_progress", "pending_review", "overdue", "on_time", "due")


def on_time_clause():
    """SQL: 按期完成 — closed, with the close-out asked for on or before the deadline (lights.is_on_time)."""
    return and_(T.status == "closed", T.closeout_requested_on.is_not(None), T.closeout_requested_on <= T.deadline_on)


def due_clause(today):
    """SQL: 应完成 — closed, or its deadline has passed (TaskAsOf.is_due, judged today)."""
    return or_(T.status == "closed", T.deadline_on < today)


def counted_clause():
    """SQL: the task counts in the figures (dispatched, not cancelled)."""
    return T.status.not_in(COUNTED_OUT)


def scope_clause(user, period_id=None):
    """SQL: the tasks the dashboard covers — what the user may see, of one assessment period if given."""
    clause = permissions.visible_tasks_clause(user)
    return and_(clause, T.period_id == period_id) if period_id else and_(clause, true())


def _count_if(condition):
    """SQL: how many rows of the group meet `condition`."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figure_columns(today):
    """The Figures counts as labelled aggregate columns over counted tasks."""
    return [
        func.count(T.id).label("tasks"),
        _count_if(T.status == "closed").label("closed"),
        _count_if(T.status == "assigned").label("to_accept"),
        _count_if(T.status == "in_progress").label("in_progress"),
        _count_if(T.status == "pending_review").label("pending_review"),
        _count_if(lights.overdue_clause(today)).label("overdue"),
        _count_if(on_time_clause()).label("on_time"),
        _count_if(due_clause(today)).label("due"),
    ]


def _figures_of(row):
    """The Figures fields of one aggregate row, as ints."""
    return {name: int(getattr(row, name) or 0) for name in FIGURE_FIELDS}


def status_counts(scope, hide_drafts=False):
    """status -> how many tasks in scope (every status present, 0 when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    if hide_drafts:
        del counts["draft"]  # unit users never see drafts: a "0 drafts" card would only puzzle them
    rows = db.session.execute(db.select(T.status, func.count()).where(scope).group_by(T.status))
    counts.update((status, n) for status, n in rows if status in counts)
    return counts


def light_counts(scope, today):
    """light -> how many tasks in scope show it today (the same conditions as the list's light filter)."""
    row = db.session.execute(db.select(
        *(_count_if(lights.light_clause(light, today)).label(light) for light in lights.LIGHTS)
    ).select_from(T).where(scope)).one()
    return {light: int(getattr(row, light) or 0) for light in lights.LIGHTS}


def unit_rows(scope, today, lead_unit_id=None):
    """One bulletin UnitRow per lead unit with counted tasks in scope, urges included; not yet ranked."""
    query = (
        db.select(T.lead_unit_id, Unit.name, *_figure_columns(today))
        .join(Unit, Unit.id == T.lead_unit_id)
        .where(scope, counted_clause())
        .group_by(T.lead_unit_id, Unit.name)
    )
    urges = db.select(Urge.unit_id, func.count()).join(T, T.id == Urge.task_id).where(scope, counted_clause())
    if lead_unit_id is not None:
        query = query.where(T.lead_unit_id == lead_unit_id)
        urges = urges.where(Urge.unit_id == lead_unit_id)
    urged = dict(db.session.execute(urges.group_by(Urge.unit_id)).all())
    return [UnitRow(unit_id=row.lead_unit_id, unit_name=row.name, urges=int(urged.get(row.lead_unit_id, 0)),
                    **_figures_of(row)) for row in db.session.execute(query)]


def leader_rows(scope, today):
    """(leader User, Figures) for each responsible leader (分管领导) with counted tasks in scope, most tasks first."""
    query = (
        db.select(T.responsible_leader_id, *_figure_columns(today))
        .where(scope, counted_clause(), T.responsible_leader_id.is_not(None))
        .group_by(T.responsible_leader_id)
    )
    rows = db.session.execute(query).all()
    leaders = {user.id: user for user in db.session.scalars(
        db.select(User).where(User.id.in_([row.responsible_leader_id for row in rows])))} if rows else {}
    found = [(leaders[row.responsible_leader_id], Figures(**_figures_of(row))) for row in rows]
    found.sort(key=lambda pair: (-pair[1].tasks, pair[0].display_name))
    return found


def overdue_list(scope, today, limit):
    """The `limit` overdue tasks in scope that are most days late, as the bulletin's OverdueRow (逾期任务点名)."""
    tasks = db.session.scalars(
        db.select(T).where(scope, lights.overdue_clause(today)).order_by(T.deadline_on, T.id).limit(limit)
        .options(selectinload(T.lead_unit), selectinload(T.owner))
    ).all()
    items = [TaskAsOf(task=task, status=task.status, deadline_on=task.deadline_on, as_of=today, is_overdue=True,
                      days_late=(today - task.deadline_on).days, is_on_time=False) for task in tasks]
    return overdue_rows(items)


def weak_progress(scope, today, result_ids):
    """indicator result id -> (Figures, average percent done) of the counted tasks made from it."""
    if not result_ids:
        return {}
    rows = db.session.execute(
        db.select(T.indicator_result_id, func.avg(T.percent_done).label("percent"), *_figure_columns(today))
        .where(scope, counted_clause(), T.indicator_result_id.in_(result_ids))
        .group_by(T.indicator_result_id)
    )
    return {row.indicator_result_id: (Figures(**_figures_of(row)), float(row.percent or 0)) for row in rows}


def latest_assessed_period():
    """The assessment period that ended last among those with results imported, or None."""
    has_results = db.select(IndicatorResult.id).where(IndicatorResult.period_id == AssessmentPeriod.id).exists()
    return db.session.scalar(
        db.select(AssessmentPeriod).where(has_results)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1))


def periods():
    """Every assessment period, latest first, for the dashboard's period choice."""
    return db.session.scalars(
        db.select(AssessmentPeriod).order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc())).all()
