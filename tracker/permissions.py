"""The one permission module: role gates for routes, per-object rules for everything.

Routes, services and templates all ask here; nothing else repeats a rule.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select, true

from .models import RectificationTask, task_co_units

ADMIN = "admin"
SUPERVISOR = "supervisor"
LEADER = "leader"
UNIT_HEAD = "unit_head"
UNIT_STAFF = "unit_staff"

ALL_ROLES = (ADMIN, SUPERVISOR, LEADER, UNIT_HEAD, UNIT_STAFF)
OFFICE_ROLES = (ADMIN, SUPERVISOR)  # see every task and every unit


def role_required(*roles):
    """Route decorator: logged in and holding one of `roles`, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
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
        co_unit_tasks = select(task_co_units.c.task_id).where(task_co_units.c.unit_id == user.unit_id)
        return (RectificationTask.status != "draft") & or_(
            RectificationTask.lead_unit_id == user.unit_id,
            RectificationTask.id.in_(co_unit_tasks),
        )
    return false()


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


def can_edit(user, task):
    """May `user` change this task's details (title, units, deadline, level)?"""
    return has_role(user, SUPERVISOR) and task.is_open


def can_manage_units(user):
    """Units and users are the administrator's."""
    return has_role(user, ADMIN)


def template_helpers():
    """The permission functions templates may call, bound to the current user."""
    return {
        "can_view": lambda task: can_view(current_user, task),
        "can_edit": lambda task: can_edit(current_user, task),
        "has_role": lambda *roles: has_role(current_user, *roles),
    }
