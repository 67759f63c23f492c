"""The one permission module: role gates for routes, per-object rules for everything.

Routes, services and templates all ask here; nothing else repeats a rule.
"""
from functools import partial, wraps
from inspect import signature

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import false, func, select, true, union_all

from .extensions import db
from .models import RectificationTask, User, task_co_units
from .models.task import OPEN_STATUSES
from .models.user import ADMIN, LEADER, SUPERVISOR, UNIT_HEAD

OFFICE_ROLES = (ADMIN, SUPERVISOR)  # see every task and every unit


def permission_required(rule):
    """Route decorator: logged in and allowed by `rule(user)` (one of the can_* below), else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def has_role(user, *roles):
    """True when an authenticated user holds one of `roles`."""
    return bool(user and user.is_authenticated and user.role in roles)


def sees_all_tasks(user):
    """Office roles and principal leaders see every task."""
    return user.role in OFFICE_ROLES or (user.role == LEADER and user.is_principal)


def visible_tasks_clause(user):
    """SQL condition restricting a task query to what `user` may see.

    Lists, search, exports and downloads all filter with this, so nothing leaks.
    """
    if sees_all_tasks(user):
        return true()
    if user.role == LEADER:
        return RectificationTask.responsible_leader_id == user.id
    if user.is_unit_user and user.unit_id:
        return (RectificationTask.status != "draft") & _id_among(unit_task_ids(user.unit_id))
    return false()


def visibility_key(user):
    """A value equal for two users exactly when visible_tasks_clause gives them the same tasks (cache keys)."""
    if sees_all_tasks(user):
        return ("all",)
    if user.role == LEADER:
        return ("leader", user.id)
    if user.is_unit_user and user.unit_id:
        return ("unit", user.unit_id)
    return ("none",)


def _id_among(ids):
    """SQL: the task's id is one of `ids` (a select of ids).

    On PostgreSQL as `id = ANY(ARRAY(…))`: the ids are then read first and each task fetched
    by its key; with `id IN (…)` the planner guessed that a filter such as the yellow light
    would leave few tasks and scanned all 100,000 of them (63 ms against 6 ms for a unit's
    yellow list; benchmarks/RESULTS.md). SQLite has no arrays.
    """
    if db.engine.dialect.name == "postgresql":
        return RectificationTask.id == func.any(func.array(ids.scalar_subquery()))
    return RectificationTask.id.in_(ids)


def unit_task_ids(unit_id):
    """SQL: ids of the tasks a unit leads or co-organizes.

    Two index lookups in one list, not "lead = X OR id IN (…)": PostgreSQL cannot use an
    index for that OR and scans every task (40 ms at 100k tasks against 8 ms; benchmarks/RESULTS.md).
    """
    led = RectificationTask.__table__.alias("led_tasks")
    return union_all(select(led.c.id).where(led.c.lead_unit_id == unit_id),
                     select(task_co_units.c.task_id).where(task_co_units.c.unit_id == unit_id))


def can_view(user, task):
    """May `user` see this task (and its reports, files and history)?"""
    if not (user and user.is_authenticated):
        return False
    if sees_all_tasks(user):
        return True
    if user.role == LEADER:
        return task.responsible_leader_id == user.id
    if user.is_unit_user:
        return task.status != "draft" and task.involves_unit(user.unit_id)
    return False


def is_former_lead_unit(user, task):
    """A unit user whose unit led the task before the office moved it: they read their own reports, nothing else."""
    from .models import TaskDispatch

    if not (user and user.is_authenticated and user.is_unit_user and user.unit_id) or task.involves_unit(user.unit_id):
        return False
    return db.session.scalar(select(TaskDispatch.id).where(
        TaskDispatch.task_id == task.id, TaskDispatch.unit_id == user.unit_id).limit(1)) is not None


def can_view_report(user, report):
    """May `user` read this progress report (and its files): whoever sees the task, and a former lead unit its own."""
    if can_view(user, report.task):
        return True
    return report.unit_id == user.unit_id and is_former_lead_unit(user, report.task)


def can_name_leader(user, person):
    """May `user` see this person named as a responsible leader (a filter line, an export)?

    Only a county leader is ever named so, and only to the office, to the leader, or to
    someone who sees one of that leader's tasks: an id typed into a URL names nobody else.
    """
    if person is None or person.role != LEADER or not (user and user.is_authenticated):
        return False
    if sees_all_tasks(user) or user.id == person.id:
        return True
    return db.session.scalar(select(RectificationTask.id).where(
        visible_tasks_clause(user), RectificationTask.responsible_leader_id == person.id).limit(1)) is not None


def can_edit(user, task):
    """May `user` change this task's details (title, units, deadline, level)?"""
    return has_role(user, SUPERVISOR) and task.is_open


def can_print_notices(user, task):
    """May `user` print the task's 督办/催办通知单? The office, and the users of the task's units once dispatched."""
    if has_role(user, SUPERVISOR):
        return True
    return bool(user and user.is_authenticated and user.is_unit_user and task.status != "draft"
                and task.involves_unit(user.unit_id))


def can_manage_units(user):
    """Units and users (and a unit's group robot) are the administrator's."""
    return has_role(user, ADMIN)


def can_manage_office_settings(user):
    """The office settings (due days, caps, the bulletin's 主送/抄送 …): the administrator and the office."""
    return has_role(user, ADMIN, SUPERVISOR)


def can_manage_jobs(user):
    """Scheduled jobs and the outbox: run now, resend, retry (the office's)."""
    return has_role(user, ADMIN, SUPERVISOR)


def can_view_returns(user):
    """The returns (申请调整) counted per unit are read by the office and the administrator."""
    return has_role(user, ADMIN, SUPERVISOR)


def can_create_tasks(user):
    """Tasks are created (as drafts) by the supervision office."""
    return has_role(user, SUPERVISOR) and user.is_active


def can_manage_assessments(user):
    """Periods, results imports, weak-indicator rules and the tasks made from them are the office's."""
    return has_role(user, SUPERVISOR) and user.is_active


def can_view_assessments(user):
    """The indicator pages are open to the office, the county leaders and the administrator."""
    return has_role(user, SUPERVISOR, LEADER, ADMIN)


def can_view_bulletins(user):
    """The monthly bulletins are read by the office, the county leaders and the administrator."""
    return has_role(user, SUPERVISOR, LEADER, ADMIN)


def can_manage_bulletins(user):
    """Generating and issuing (定稿) bulletins is the supervision office's."""
    return has_role(user, SUPERVISOR) and user.is_active


def bulletins_clause(user):
    """SQL condition on Bulletin: the office sees drafts too; leaders only what has been issued (voided or not)."""
    from .models import Bulletin

    if has_role(user, *OFFICE_ROLES):
        return true()
    if has_role(user, LEADER):
        return Bulletin.status.in_(("issued", "voided"))
    return false()


def can_view_bulletin(user, bulletin):
    """May `user` open this bulletin (a leader: only once it is issued)?"""
    return has_role(user, *OFFICE_ROLES) or (has_role(user, LEADER) and bulletin.status in ("issued", "voided"))


# Workflow actions on a task: the statuses each is possible in (DESIGN, Task lifecycle).
ACTION_STATUSES = {
    "edit": ("draft",),
    "dispatch": ("draft",),
    "accept": ("assigned",),
    "report": ("in_progress",),
    "plan_milestone": ("in_progress",),
    "complete_milestone": ("in_progress",),
    "request_closeout": ("in_progress",),
    "review_closeout": ("pending_review",),
    "request_extension": ("in_progress",),
    # A unit asking for close-out may keep its extension request waiting: the office still decides it.
    "review_extension": ("in_progress", "pending_review"),
    "cancel": OPEN_STATUSES,
    # Under review the unit has done its part; urging it then would be noise.
    "urge": ("assigned", "in_progress"),
    # After dispatch the office corrects what it got wrong (a draft is simply edited).
    "correct": ("assigned", "returned", "in_progress", "pending_review"),
    "return_task": ("assigned",),  # 申请调整: only before 签收
    "decide_return": ("returned",),
    "add_milestone": OPEN_STATUSES,
    "change_milestone": OPEN_STATUSES,
    # 回头看: a closed task whose indicator did not improve goes back to 整改中 (the one edge out of closed).
    "reopen": ("closed",),
    "follow_up": ("closed",),
}
ACTION_NAMES = {
    "edit": _l("Edit"),
    "dispatch": _l("Dispatch"),
    "accept": _l("Accept"),
    "report": _l("Report progress"),
    "plan_milestone": _l("Plan a milestone"),
    "complete_milestone": _l("Mark a milestone done"),
    "request_closeout": _l("Request close-out"),
    "review_closeout": _l("Review the close-out"),
    "request_extension": _l("Request an extension"),
    "review_extension": _l("Decide on the extension"),
    "cancel": _l("Cancel the task"),
    "urge": _l("Urge"),
    "correct": _l("Correct the task"),
    "return_task": _l("Return for adjustment"),
    "decide_return": _l("Answer the return"),
    "add_milestone": _l("Add a milestone"),
    "change_milestone": _l("Move or delete a milestone"),
    "reopen": _l("Reopen the task"),
    "follow_up": _l("Create a follow-up task"),
}
_OFFICE_ACTIONS = ("edit", "dispatch", "review_closeout", "review_extension", "cancel", "urge", "correct",
                   "decide_return", "add_milestone", "change_milestone", "reopen", "follow_up")
_LEAD_HEAD_ACTIONS = ("accept", "plan_milestone", "request_closeout", "request_extension", "return_task")
# Why an action is impossible in a status, saying what to do instead (the generic message otherwise).
_STATE_HINTS = {
    ("correct", "draft"): _l("This task is still a draft: edit it instead."),
    ("correct", "closed"): _l("A closed-out task is no longer corrected: its record stays as it was approved. "
                              "Create a new task if more work is needed."),
    ("correct", "cancelled"): _l("A cancelled task is no longer corrected. Create a new task if the work is "
                                 "still needed."),
    ("return_task", "in_progress"): _l("The task was already accepted, so it can no longer be returned. Ask the "
                                       "supervision office to correct it, or request an extension."),
    ("return_task", "pending_review"): _l("The task was already accepted, so it can no longer be returned."),
    ("return_task", "returned"): _l("The task was already returned; the supervision office will answer."),
}
WHO_MAY = {
    "office": _l("Only the supervision office may do this."),
    "lead_head": _l("Only the head of the lead unit may do this."),
    "lead_unit": _l("Only users of the lead unit may do this."),
    "involved": _l("Only users of the lead unit or a co-organizing unit may do this."),
}


def _in_unit_of(user, unit_id):
    """True for an active unit user of that unit."""
    return user.is_unit_user and user.unit_id is not None and user.unit_id == unit_id


def unit_has_active_head(unit_id):
    """Does the unit have an active head (负责人) who sends its requests and replies in its name?"""
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.unit_id == unit_id, User.role == UNIT_HEAD, User.is_active.is_(True))) > 0


def can_prepare_for_unit(user, unit_id):
    """May `user` prepare (draft) a request, reply or submission of this unit? Any of its active users."""
    return bool(user and user.is_authenticated and user.is_active and _in_unit_of(user, unit_id))


def can_send_in_unit_name(user, unit_id):
    """May `user` send something in the unit's name (以单位名义)? Its head; its staff only while it has no
    active head (the page says the unit has no head). What staff prepare otherwise waits for the head."""
    if not can_prepare_for_unit(user, unit_id):
        return False
    return user.role == UNIT_HEAD or not unit_has_active_head(unit_id)


def role_denial(user, action, task):
    """Why `user` may never take `action` on this task whatever its status, or None when their role allows it."""
    if action not in ACTION_STATUSES:
        raise ValueError(f"unknown task action {action!r}")
    if not (user and user.is_authenticated and user.is_active):
        return WHO_MAY["office"] if action in _OFFICE_ACTIONS else WHO_MAY["involved"]
    if action in _OFFICE_ACTIONS:
        return None if user.role == SUPERVISOR else WHO_MAY["office"]
    if action in _LEAD_HEAD_ACTIONS:
        return None if user.role == UNIT_HEAD and _in_unit_of(user, task.lead_unit_id) else WHO_MAY["lead_head"]
    if action == "complete_milestone":
        return None if _in_unit_of(user, task.lead_unit_id) else WHO_MAY["lead_unit"]
    # report: the lead unit, and each co-unit for its part
    return None if user.is_unit_user and task.involves_unit(user.unit_id) else WHO_MAY["involved"]


def state_denial(action, task):
    """Why `action` is impossible in the task's current state, or None when it is possible."""
    if task.status not in ACTION_STATUSES[action]:
        hint = _STATE_HINTS.get((action, task.status))
        if hint is not None:
            return hint
        return _l("“%(action)s” is not possible while the task is “%(status)s”.",
                  action=ACTION_NAMES[action], status=task.status_label)
    if action == "request_extension" and task.pending_extension is not None:
        return _l("An extension request is already waiting for a decision.")
    if action == "review_extension" and task.pending_extension is None:
        return _l("There is no extension request waiting for a decision.")
    return None


def can(user, action, task):
    """May `user` take the workflow `action` on this task now?"""
    return role_denial(user, action, task) is None and state_denial(action, task) is None


def template_helpers():
    """Every can_* rule (and has_role) for templates, bound to the current user: `can_manage_jobs()`, `can(a, task)`."""
    rules = {name: rule for name, rule in globals().items()
             if name.startswith("can") and callable(rule) and next(iter(signature(rule).parameters), None) == "user"}
    rules["has_role"] = has_role
    helpers = {name: partial(rule, current_user) for name, rule in rules.items()}
    helpers["ACTION_NAMES"] = ACTION_NAMES
    return helpers
