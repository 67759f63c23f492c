"""\"Needs my action\": the views of tasks waiting for a user to act, as SQL, and how many each holds.

A unit head accepts what was dispatched to the unit, staff report on what is in progress,
urges wait for an answer, rejected close-outs for rework; the supervision office
dispatches drafts, reviews close-outs and decides extensions.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, literal, or_, union_all

from ... import caching, clock, permissions
from ...extensions import db
from ...models import CloseoutRequest, ExtensionRequest, ProgressReport, RectificationTask, Urge
from ...models.user import SUPERVISOR, UNIT_HEAD
from . import lights

T = RectificationTask
# What each kind of user is waiting to do.
UNIT_VIEWS = {
    "to_accept": _l("To accept"),
    "to_report": _l("To report"),
    "urged": _l("Urged"),
    "rejected": _l("Close-out rejected"),
}
OFFICE_VIEWS = {
    "to_dispatch": _l("To dispatch"),
    "returned": _l("Returned for adjustment"),
    "to_review": _l("Close-out to review"),
    "extensions": _l("Extensions to decide"),
}
# The statuses a task can have in each view (mine_clause below says the same in SQL).
VIEW_STATUSES = {"to_accept": ("assigned",), "to_report": ("in_progress",), "urged": ("assigned", "in_progress"),
                 "rejected": ("in_progress",), "to_dispatch": ("draft",), "returned": ("returned",),
                 "to_review": ("pending_review",), "extensions": ("in_progress", "pending_review")}

def list_scope_key(user):
    """What, besides the filters, decides which tasks a list holds: the visible tasks and the user's views."""
    return permissions.visibility_key(user), user.role, user.unit_id


def _involves_unit(unit_id):
    """SQL: the unit leads or co-organizes the task."""
    return T.id.in_(permissions.unit_task_ids(unit_id))


def mine_views(user):
    """The "needs my action" views this user has (none for leaders and administrators)."""
    if user.is_unit_user:
        views = dict(UNIT_VIEWS)
        if user.role != UNIT_HEAD:
            views.pop("to_accept")  # only the head accepts
        return views
    if user.role == SUPERVISOR:
        return dict(OFFICE_VIEWS)
    return {}


def mine_clause(user, view, today):
    """SQL: the task waits for `user` to act in the way `view` names ("all": any of their views)."""
    views = mine_views(user)
    if view == "all":
        return or_(false(), *(mine_clause(user, name, today) for name in views))
    if view not in views:
        return false()
    unit_id = user.unit_id
    if view == "to_accept":
        return and_(T.status == "assigned", T.lead_unit_id == unit_id)
    if view == "to_report":
        recent = exists().where(ProgressReport.task_id == T.id, ProgressReport.unit_id == unit_id,
                                ProgressReport.created_at >= lights.silent_cutoff(today))
        return and_(T.status == "in_progress", _involves_unit(unit_id), ~recent)
    if view == "urged":
        # An urge stays open until the unit reports after it.
        answered = exists().where(ProgressReport.task_id == Urge.task_id, ProgressReport.unit_id == unit_id,
                                  ProgressReport.created_at >= Urge.created_at)
        open_urge = exists().where(Urge.task_id == T.id, Urge.unit_id == unit_id, ~answered)
        return and_(T.status.in_(("assigned", "in_progress")), T.lead_unit_id == unit_id, open_urge)
    if view == "rejected":
        # Back in progress with a rejected request: the unit has to rework and ask again.
        rejected = exists().where(CloseoutRequest.task_id == T.id, CloseoutRequest.status == "rejected")
        return and_(T.status == "in_progress", T.lead_unit_id == unit_id, rejected)
    if view == "to_dispatch":
        return T.status == "draft"
    if view == "to_review":
        return T.status == "pending_review"
    if view == "returned":
        return T.status == "returned"
    pending = exists().where(ExtensionRequest.task_id == T.id, ExtensionRequest.status == "pending")
    return and_(T.status.in_(VIEW_STATUSES["extensions"]), pending)


def mine_counts(user, today=None):
    """How many visible tasks are in each of the user's "needs my action" views, and in any ("all").

    One statement: each view's ids are selected on their own (each can use its indexes, where
    "view 1 OR view 2 OR …" makes PostgreSQL scan every task), then counted per view and distinct.
    """
    today = today or clock.today()
    if not mine_views(user):
        return {}
    if today != clock.today():
        return _count_views(user, today)
    return caching.cached("mine_counts", list_scope_key(user), lambda: _count_views(user, today))


def _count_views(user, today):
    """mine_counts, counted now."""
    views = list(mine_views(user))
    visible = permissions.visible_tasks_clause(user)
    found = union_all(*(db.select(T.id.label("task_id"), literal(view).label("view"))
                        .where(visible, mine_clause(user, view, today)) for view in views)).subquery()
    row = db.session.execute(db.select(
        *(func.coalesce(func.sum(case((found.c.view == view, 1), else_=0)), 0) for view in views),
        func.count(func.distinct(found.c.task_id)))).one()
    return {**dict(zip(views, row[:-1], strict=True)), "all": row[-1]}
