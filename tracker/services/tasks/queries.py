"""Reading tasks: the filtered, permission-limited list, "needs my action", and the single-task loader."""
from dataclasses import astuple, dataclass, fields, replace

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import case, func, literal, or_, union_all
from sqlalchemy.orm import selectinload

from ... import caching, clock, permissions
from ...extensions import db
from ...models import (
    AssessmentPeriod,
    Indicator,
    IndicatorResult,
    ProgressReport,
    RectificationTask,
    TaskResultLink,
    Unit,
    User,
)
from ...models.task import FINISHED_STATUSES, LEVELS, OPEN_STATUSES, SOURCES, STATUSES
from ...models.types import db_int
from ...models.user import LEADER
from .. import PermissionDenied, office_settings
from . import acceptance, action_views, lights

T = RectificationTask
# Closed and cancelled tasks sink below open ones in the default order: the list is a work queue.
_FINISHED_LAST = case((T.status.in_(FINISHED_STATUSES), 1), else_=0)
SORTS = {
    "deadline": (_FINISHED_LAST, T.deadline_on.asc()),
    "-deadline": T.deadline_on.desc(),
    "-created": T.created_at.desc(),
    "-updated": T.updated_at.desc(),
    "code": T.code.asc(),
    "title": T.title.asc(),
    "-percent": T.percent_done.desc(),
}
SORT_LABELS = {
    "deadline": _l("Open first, nearest deadline"),
    "-deadline": _l("Deadline, latest first"),
    "-created": _l("Newest first"),
    "-updated": _l("Recently changed"),
    "code": _l("Code"),
    "title": _l("Title"),
    "-percent": _l("Percent done, highest first"),
}
MAX_DUE_WITHIN = 366
# Query-string name -> TaskFilters field, for the integer id filters.
ID_ARGS = {"lead_unit": "lead_unit_id", "co_unit": "co_unit_id", "leader": "leader_id", "period": "period_id",
           "indicator": "indicator_id", "answering": "answering_id"}


@dataclass
class TaskFilters:
    """What the task list is narrowed by; unknown or malformed values are dropped."""

    status: str | None = None
    light: str | None = None
    lead_unit_id: int | None = None
    co_unit_id: int | None = None
    leader_id: int | None = None
    period_id: int | None = None
    indicator_id: int | None = None
    answering_id: int | None = None  # a period: the tasks answering their indicator in it (carried ones too)
    source: str | None = None
    level: str | None = None
    overdue: bool = False
    late_accept: bool = False  # 逾期未签收 (acceptance.late_clause)
    on_time: bool = False  # 按期完成: closed on time, the tasks the on-time rate counts as done
    due_within: int | None = None
    q: str | None = None
    sort: str = "deadline"
    mine: str | None = None

    @classmethod
    def from_args(cls, args):
        """Parse query-string arguments, ignoring what does not parse; returns (filters, ignored names)."""
        ignored, values = [], {}
        views = {"all", *action_views.UNIT_VIEWS, *action_views.OFFICE_VIEWS}
        for name, allowed in (("status", STATUSES), ("light", lights.LIGHTS), ("source", SOURCES),
                              ("level", LEVELS), ("mine", views)):
            value = args.get(name) or None
            if value and value not in allowed:
                ignored.append(name)
                value = None
            values[name] = value
        for arg, name in ID_ARGS.items():
            if args.get(arg):
                try:
                    values[name] = db_int(args[arg])
                except ValueError:
                    ignored.append(arg)
        if args.get("due_within"):
            try:
                values["due_within"] = max(0, min(int(args["due_within"]), MAX_DUE_WITHIN))
            except ValueError:
                ignored.append("due_within")
        for flag in ("overdue", "late_accept", "on_time"):
            values[flag] = args.get(flag) in ("1", "on", "true", "yes")
        values["sort"] = args.get("sort") or "deadline"
        if values["sort"] not in SORTS:
            ignored.append("sort")
            values["sort"] = "deadline"
        values["q"] = (args.get("q") or "").strip()[:100] or None
        return cls(**values), ignored

    def without_sort(self):
        """The filters as a tuple, the order left out: what decides which tasks match."""
        return astuple(replace(self, sort=""))

    def active_count(self):
        """How many filters narrow the list (sort and the "mine" view not counted)."""
        skip = {"sort", "mine"}
        return sum(1 for f in fields(self) if f.name not in skip and getattr(self, f.name) not in (None, False))

    def uses_more_filters(self):
        """True when a filter beyond search, status and light is set (the form then shows them all)."""
        basic = sum(1 for name in ("q", "status", "light") if getattr(self, name))
        return self.active_count() > basic


def answering_clause(period_id):
    """Tasks answering their indicator in a period: made for it, linked to one of its results, or carried.

    Carried: still open and made for a period that ended before it (DESIGN, continuity across periods;
    services/indicators/continuity.py shows the same tasks on the board).
    """
    period = db.select(AssessmentPeriod.ends_on).where(AssessmentPeriod.id == period_id).scalar_subquery()
    origin_ended = db.select(AssessmentPeriod.ends_on) \
        .join(IndicatorResult, IndicatorResult.period_id == AssessmentPeriod.id) \
        .where(IndicatorResult.id == T.indicator_result_id).scalar_subquery()
    linked = db.select(TaskResultLink.task_id).join(IndicatorResult, TaskResultLink.result_id == IndicatorResult.id) \
        .where(IndicatorResult.period_id == period_id)
    return db.and_(T.indicator_result_id.is_not(None), db.or_(
        T.indicator_result.has(IndicatorResult.period_id == period_id), T.id.in_(linked),
        db.and_(T.status.in_(OPEN_STATUSES), origin_ended < period)))


def visible_tasks(user):
    """A select of every task `user` may see."""
    return db.select(T).where(permissions.visible_tasks_clause(user))


def _like(text):
    """A LIKE pattern matching `text` literally anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filtered_tasks(user, filters, today=None, ordered=True):
    """The task query for the list page, filtered and (unless `ordered` is False) sorted, not yet paginated."""
    today = today or clock.today()
    query = visible_tasks(user)
    simple = {"status": T.status, "lead_unit_id": T.lead_unit_id, "leader_id": T.responsible_leader_id,
              "period_id": T.period_id, "source": T.source, "level": T.supervision_level}
    for name, column in simple.items():
        if getattr(filters, name):
            query = query.where(column == getattr(filters, name))
    if filters.co_unit_id:
        query = query.where(T.co_units.any(Unit.id == filters.co_unit_id))
    if filters.indicator_id:
        query = query.where(T.indicator_result.has(IndicatorResult.indicator_id == filters.indicator_id))
    if filters.answering_id:
        query = query.where(answering_clause(filters.answering_id))
    if filters.light:
        query = query.where(lights.light_clause(filters.light, today))
    if filters.overdue:
        query = query.where(lights.overdue_clause(today))
    if filters.due_within is not None:
        query = query.where(lights.due_within_clause(filters.due_within, today))
    if filters.late_accept:
        query = query.where(acceptance.late_clause(today))
    if filters.on_time:
        query = query.where(lights.on_time_clause())
    if filters.mine:
        query = query.where(action_views.mine_clause(user, filters.mine, today))
    if filters.q:
        pattern = _like(filters.q)
        # Words without letter case (Chinese, digits) need no case folding, and LIKE scans three times
        # faster than ILIKE where the trigram index cannot help (two-character words; RESULTS.md).
        match = "like" if filters.q.lower() == filters.q.upper() else "ilike"
        query = query.where(or_(*(getattr(column, match)(pattern, escape="\\")
                                  for column in (T.title, T.code, T.problem, T.measures))))
    if not ordered:
        return query
    order = SORTS[filters.sort]
    return query.order_by(*(order if isinstance(order, tuple) else (order,)), T.id)


def task_page(user, filters, page, per_page):
    """One page of the filtered list, with units and people loaded in a fixed number of queries."""
    options = (selectinload(T.lead_unit), selectinload(T.co_units), selectinload(T.owner),
               selectinload(T.responsible_leader))
    paging = dict(session=db.session(), page=page, per_page=per_page, max_per_page=100, error_out=False,
                  count_key=(action_views.list_scope_key(user), filters.without_sort()))
    # A unit sees its own thousand tasks at most: sorting them is cheaper than reading status by status.
    if filters.sort == "deadline" and not user.is_unit_user:
        return OpenFirstPagination(select=filtered_tasks(user, filters, ordered=False), options=options,
                                   statuses=statuses_to_read(user, filters), light=filters.light, **paging)
    return CountedPagination(select=filtered_tasks(user, filters).options(*options), **paging)


def statuses_to_read(user, filters):
    """The statuses a task of this list may have (the others cannot match its filters), open ones first."""
    statuses = [filters.status] if filters.status else list(STATUSES)
    if filters.late_accept:
        statuses = [status for status in statuses if status == "assigned"]
    if filters.on_time:
        statuses = [status for status in statuses if status == "closed"]
    if filters.light or filters.overdue or filters.due_within is not None:
        statuses = [status for status in statuses if status not in FINISHED_STATUSES]  # lights: open tasks only
    if user.is_unit_user:
        statuses = [status for status in statuses if status != "draft"]  # never visible to units
    if filters.mine:
        views = action_views.mine_views(user) if filters.mine == "all" else [filters.mine]
        waiting = {status for view in views for status in action_views.VIEW_STATUSES.get(view, ())}
        statuses = [status for status in statuses if status in waiting]
    return statuses


class CountedPagination(SelectPagination):
    """A page of tasks whose total is counted once per change of the data (tracker/caching.py).

    Counting every matching task is most of a list page's SQL at 100,000 tasks (the yellow
    light: 65 ms); the total is the same for every view until a task changes.
    """

    def _query_count(self):
        """The number of matching tasks, kept under the list's filters and scope."""
        return caching.cached("task_count", self._query_args["count_key"], super()._query_count)


class OpenFirstPagination(CountedPagination):
    """A page of the default order, open tasks first, nearest deadline first, read status by status.

    ORDER BY CASE WHEN finished … makes PostgreSQL sort every visible task for each page (80 ms at
    100,000 tasks). Instead each status's tasks are read in (deadline, id) order along the index
    ix_tasks_status_deadline, at most offset + per_page of each, and the short lists merged
    (benchmarks/RESULTS.md).
    """

    def _query_items(self):
        """The page's tasks: the first offset + per_page of each status, merged, then cut to the page."""
        query, end = self._query_args["select"], self._query_offset + self.per_page
        parts, today = [], clock.today()
        for status in self._query_args["statuses"]:
            finished = literal(int(status in FINISHED_STATUSES)).label("part")  # open ones first
            part = query.where(T.status == status)
            floor = lights.deadline_floor(status, self._query_args["light"], today)
            if floor is not None:  # implied by the light filter; lets the index start there
                part = part.where(T.deadline_on >= floor)
            parts.append(db.select(part.with_only_columns(T.id, T.deadline_on, finished)
                                   .order_by(T.deadline_on, T.id).limit(end).subquery()))
        if not parts:
            return []
        merged = union_all(*parts).subquery()
        page = (db.select(T).join(merged, T.id == merged.c.id)
                .order_by(merged.c.part, merged.c.deadline_on, merged.c.id)
                .offset(self._query_offset).limit(self.per_page).options(*self._query_args["options"]))
        return list(self._query_args["session"].scalars(page))


def status_counts(user):
    """How many visible tasks are in each status."""
    query = (
        db.select(T.status, func.count())
        .where(permissions.visible_tasks_clause(user))
        .group_by(T.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    if user.is_unit_user:
        del counts["draft"]  # units never see drafts; a "0 drafts" card would only puzzle them
    counts.update((status, n) for status, n in db.session.execute(query).all() if status in counts)
    return counts


def _unit_choices():
    """(id, name) of every active unit; columns, not objects (a province has hundreds of units)."""
    return [tuple(row) for row in db.session.execute(
        db.select(Unit.id, Unit.name).where(Unit.is_active.is_(True)).order_by(Unit.id))]


def _choice_lists():
    """(id, name) of the active units, the active leaders, the periods and the indicators."""
    rows = lambda query: [tuple(row) for row in db.session.execute(query)]  # noqa: E731
    return {
        "units": _unit_choices(),
        "leaders": rows(db.select(User.id, User.display_name)
                        .where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)),
        "periods": rows(db.select(AssessmentPeriod.id, AssessmentPeriod.name)
                        .order_by(AssessmentPeriod.starts_on.desc())),
        "indicators": rows(db.select(Indicator.id, Indicator.name).order_by(Indicator.category, Indicator.id)),
    }


def filter_choices(user):
    """Everything the list's filter form offers, limited to what the user may use."""
    lists = caching.cached("filter_choices", None, _choice_lists)
    units = lists["units"]
    return {
        "lead_units": [unit for unit in units if unit[0] == user.unit_id] if user.is_unit_user else units,
        "co_units": units,
        "leaders": lists["leaders"] if permissions.sees_all_tasks(user) else [],
        "periods": lists["periods"],
        "indicators": lists["indicators"],
        "sorts": SORT_LABELS,
        "lights": lights.LIGHTS,
        "due_soon_days": office_settings.value("YELLOW_DUE_DAYS"),
    }


def get_task(user, task_id):
    """Load a task the user may see; None when it does not exist, PermissionDenied when hidden."""
    task = db.session.get(T, task_id)
    if task is None:
        return None
    if not permissions.can_view(user, task):
        raise PermissionDenied()
    return task


def former_unit_reports(user, task_id):
    """(task, its reports by the user's unit) for a unit that led the task before the office moved it; else None."""
    task = db.session.get(T, task_id)
    if task is None or not permissions.is_former_lead_unit(user, task):
        return None
    reports = db.session.scalars(db.select(ProgressReport).where(
        ProgressReport.task_id == task.id, ProgressReport.unit_id == user.unit_id)
        .order_by(ProgressReport.created_at.desc(), ProgressReport.id.desc())).all()
    return task, reports
