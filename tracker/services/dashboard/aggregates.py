"""The dashboard's figures as SQL aggregates: a fixed number of statements, however many tasks there are.

The definitions are the monthly bulletin's (services/bulletins/figures.py), taken
live, as of now: a task counts once dispatched and until cancelled (not draft,
not cancelled); 销号率 = closed ÷ counted; 按期完成率 = closed on time ÷ due.
Each SQL condition below is the twin of a Python rule, and tests check that
they agree on the same tasks:

- overdue: lights.overdue_clause, the twin of lights.is_overdue;
- on time: lights.on_time_clause, the twin of lights.is_on_time;
- due: ``due_clause``, the twin of bulletins/history.TaskAsOf.is_due on today.
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, true
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult, RectificationTask, Unit, Urge, User
from ...models.task import OPEN_STATUSES, STATUSES, TO_ACCEPT_STATUSES
from ..bulletins.figures import Figures, UnitRow, overdue_rows
from ..bulletins.history import COUNTED_OUT, TaskAsOf
from ..tasks import acceptance, lights, queries

T = RectificationTask
FIGURE_FIELDS = ("tasks", "closed", "to_accept", "in_progress", "pending_review", "overdue", "on_time", "due")
# The Figures field that counts the tasks of a status.
STATUS_FIELDS = {"closed": "closed", "assigned": "to_accept", "returned": "to_accept", "in_progress": "in_progress",
                 "pending_review": "pending_review"}


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


def lead_scope(scope, unit_id):
    """SQL: the tasks of `scope` that `unit_id` leads (a unit accepts only those)."""
    return and_(scope, T.lead_unit_id == unit_id)


def _count_if(condition):
    """SQL: how many rows of the group meet `condition`."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figure_columns(today):
    """The Figures counts as labelled aggregate columns over counted tasks."""
    return [
        func.count(T.id).label("tasks"),
        _count_if(T.status == "closed").label("closed"),
        _count_if(T.status.in_(TO_ACCEPT_STATUSES)).label("to_accept"),
        _count_if(T.status == "in_progress").label("in_progress"),
        _count_if(T.status == "pending_review").label("pending_review"),
        _count_if(lights.overdue_clause(today)).label("overdue"),
        _count_if(lights.on_time_clause()).label("on_time"),
        _count_if(due_clause(today)).label("due"),
    ]


def _figures_of(row):
    """The Figures fields of one aggregate row, as ints."""
    return {name: int(getattr(row, name) or 0) for name in FIGURE_FIELDS}


@dataclass
class ScopeFigures:
    """Every count the dashboard shows of its scope, from one pass over the tasks."""

    statuses: dict  # status -> how many tasks
    lights: dict  # light -> how many tasks show it today
    units: list  # a bulletin UnitRow per lead unit with counted tasks, urges included; not yet ranked


def scope_figures(scope, today, hide_drafts=False):
    """Statuses, lights and lead units of the tasks in scope, in one aggregate (plus urges and names).

    Grouped by (lead unit, status) and summed here: one scan of the tasks instead of three
    (statuses, lights, units: 225 → ~120 ms of SQL at 100,000 tasks; it runs after every
    change, benchmarks/RESULTS.md). The same conditions as the list's filters.
    """
    rows = db.session.execute(
        db.select(T.lead_unit_id, T.status, func.count(T.id).label("tasks"),
                  _count_if(lights.overdue_clause(today)).label("overdue"),
                  _count_if(lights.on_time_clause()).label("on_time"), _count_if(due_clause(today)).label("due"),
                  _count_if(lights.light_clause("yellow", today)).label("yellow"))
        .where(scope).group_by(T.lead_unit_id, T.status)).all()
    statuses = dict.fromkeys(STATUSES, 0)
    if hide_drafts:
        del statuses["draft"]  # unit users never see drafts: a "0 drafts" card would only puzzle them
    counts = dict.fromkeys(lights.LIGHTS, 0)
    units = {}
    for row in rows:
        if row.status in statuses:
            statuses[row.status] += row.tasks
        if row.status in OPEN_STATUSES:  # red is overdue; the rest of the open tasks are yellow or green
            counts["red"] += row.overdue
            counts["yellow"] += row.yellow
            counts["green"] += row.tasks - row.overdue - row.yellow
        if row.status in COUNTED_OUT:
            continue
        _add(units.setdefault(row.lead_unit_id, UnitRow(unit_id=row.lead_unit_id)), row)
    names = dict(db.session.execute(db.select(Unit.id, Unit.name).where(Unit.id.in_(list(units)))).all()) \
        if units else {}
    urged = dict(db.session.execute(
        db.select(Urge.unit_id, func.count()).join(T, T.id == Urge.task_id)
        .where(scope, counted_clause()).group_by(Urge.unit_id)).all()) if units else {}
    for unit_id, row in units.items():
        row.unit_name, row.urges = names.get(unit_id, ""), int(urged.get(unit_id, 0))
    return ScopeFigures(statuses=statuses, lights=counts, units=list(units.values()))


def _add(figures, row):
    """Add one (lead unit, status) group's counts to a Figures."""
    figures.tasks += row.tasks
    status_field = STATUS_FIELDS.get(row.status)
    if status_field:
        setattr(figures, status_field, getattr(figures, status_field) + row.tasks)
    figures.overdue += int(row.overdue or 0)
    figures.on_time += int(row.on_time or 0)
    figures.due += int(row.due or 0)


def late_accept_count(scope, today):
    """How many tasks in scope wait for 签收 longer than ACCEPT_DUE_DAYS (the list's late_accept filter)."""
    return db.session.scalar(db.select(func.count(T.id)).where(scope, acceptance.late_clause(today)))


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


def weak_progress(scope, today, period, indicator_ids):
    """indicator id -> (Figures, average percent done, carried count) of the counted tasks answering it in `period`.

    The tasks made for the period's result, linked to it, and open ones carried from earlier periods
    (queries.answering_clause, the same the task list's `answering` filter uses).
    """
    if not indicator_ids:
        return {}
    carried = func.sum(case((IndicatorResult.period_id != period.id, 1), else_=0)).label("carried")
    rows = db.session.execute(
        db.select(IndicatorResult.indicator_id, func.avg(T.percent_done).label("percent"), carried,
                  *_figure_columns(today))
        .join(IndicatorResult, T.indicator_result_id == IndicatorResult.id)
        .where(scope, counted_clause(), IndicatorResult.indicator_id.in_(indicator_ids),
               queries.answering_clause(period.id))
        .group_by(IndicatorResult.indicator_id)
    )
    return {row.indicator_id: (Figures(**_figures_of(row)), float(row.percent or 0), int(row.carried or 0))
            for row in rows}


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
