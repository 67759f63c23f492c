"""Reading tasks: the filtered, permission-limited list and the single-task loader."""
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import RectificationTask, Unit
from ..models.task import STATUSES
from . import PermissionDenied

SORTS = {
    "deadline": RectificationTask.deadline_on.asc(),
    "-deadline": RectificationTask.deadline_on.desc(),
    "-created": RectificationTask.created_at.desc(),
    "title": RectificationTask.title.asc(),
}


@dataclass
class TaskFilters:
    """What the task list is narrowed by; unknown or malformed values are dropped."""

    status: str | None = None
    lead_unit_id: int | None = None
    q: str | None = None
    sort: str = "deadline"

    @classmethod
    def from_args(cls, args):
        """Parse query-string arguments, ignoring what does not parse; returns (filters, ignored names)."""
        ignored = []
        status = args.get("status") or None
        if status and status not in STATUSES:
            ignored.append("status")
            status = None
        lead_unit_id = None
        if args.get("lead_unit"):
            try:
                lead_unit_id = int(args["lead_unit"])
            except ValueError:
                ignored.append("lead_unit")
        sort = args.get("sort") or "deadline"
        if sort not in SORTS:
            ignored.append("sort")
            sort = "deadline"
        q = (args.get("q") or "").strip()[:100] or None
        return cls(status=status, lead_unit_id=lead_unit_id, q=q, sort=sort), ignored


def visible_tasks(user):
    """A select of every task `user` may see."""
    return db.select(RectificationTask).where(permissions.visible_tasks_clause(user))


def filtered_tasks(user, filters):
    """The task query for the list page, filtered and sorted, not yet paginated."""
    query = visible_tasks(user)
    if filters.status:
        query = query.where(RectificationTask.status == filters.status)
    if filters.lead_unit_id:
        query = query.where(RectificationTask.lead_unit_id == filters.lead_unit_id)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            RectificationTask.title.ilike(pattern, escape="\\"),
            RectificationTask.code.ilike(pattern, escape="\\"),
            RectificationTask.problem.ilike(pattern, escape="\\"),
        ))
    return query.order_by(SORTS[filters.sort], RectificationTask.id)


def task_page(user, filters, page, per_page):
    """One page of the filtered list, with units and people loaded in a fixed number of queries."""
    query = filtered_tasks(user, filters).options(
        selectinload(RectificationTask.lead_unit),
        selectinload(RectificationTask.co_units),
        selectinload(RectificationTask.owner),
        selectinload(RectificationTask.responsible_leader),
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def status_counts(user):
    """How many visible tasks are in each status."""
    query = (
        db.select(RectificationTask.status, func.count())
        .where(permissions.visible_tasks_clause(user))
        .group_by(RectificationTask.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(db.session.execute(query).all()))
    return counts


def lead_unit_choices(user):
    """Units offered in the lead-unit filter: all for the office, one's own for unit users."""
    query = db.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)
    if user.is_unit_user:
        query = query.where(Unit.id == user.unit_id)
    return db.session.scalars(query).all()


def get_task(user, task_id):
    """Load a task the user may see; None when it does not exist, PermissionDenied when hidden."""
    task = db.session.get(RectificationTask, task_id)
    if task is None:
        return None
    if not permissions.can_view(user, task):
        raise PermissionDenied()
    return task


def task_history(task):
    """The records shown on a task page: audit trail, urges, extensions, close-out reviews."""
    from ..models import AuditEntry, CloseoutRequest, ExtensionRequest, Urge

    def rows(model, newest_first=True):
        order = model.created_at.desc() if newest_first else model.created_at.asc()
        return db.session.scalars(db.select(model).where(model.task_id == task.id).order_by(order, model.id)).all()

    return {
        "audit": rows(AuditEntry),
        "urges": rows(Urge),
        "extensions": rows(ExtensionRequest),
        "closeouts": rows(CloseoutRequest),
    }
