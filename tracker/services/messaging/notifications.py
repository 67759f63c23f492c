"""The in-app inbox, and the one place that decides who hears about what.

Every channel asks here: the event notifications through `recipients()`, the weekly
alert's 挂牌 digests through `audience()`, so "who is concerned" stays in one place.
"""
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ... import clock
from ...extensions import db
from ...models import Notification, User
from ...models.user import SUPERVISOR, UNIT_HEAD, UNIT_ROLES
from .. import PermissionDenied

# Who is concerned by each step of the lifecycle. The actor never notifies themself.
#   lead_unit: heads and staff of the lead unit; lead_heads: its heads only;
#   owner: the task's owner; co_units: users of the co-organizing units;
#   supervisors: the supervision office; listed_leader: the responsible leader, for 挂牌 tasks only.
AUDIENCES = {
    "dispatched": ("lead_unit", "co_units", "listed_leader"),
    "accepted": ("supervisors", "owner", "co_units"),
    "reported": ("lead_heads", "owner"),
    "closeout_requested": ("supervisors",),
    "closeout_approved": ("lead_unit", "co_units", "listed_leader"),
    "closeout_rejected": ("lead_unit",),
    "extension_requested": ("supervisors",),
    "extension_approved": ("lead_unit", "co_units"),
    "extension_rejected": ("lead_unit",),
    "extension_withdrawn": ("supervisors", "lead_heads"),
    "urged": ("lead_unit", "listed_leader"),
    "cancelled": ("lead_unit", "co_units", "listed_leader"),
    "milestone_planned": ("co_units",),
    "milestone_done": (),
    "reopened": ("lead_unit", "co_units", "listed_leader"),
    "result_linked": ("lead_unit", "co_units"),
    # Corrections and returns (services/tasks/corrections, returns); the units a correction took
    # the task from are told too (also_units).
    "corrected": ("lead_unit", "co_units", "listed_leader"),
    "redispatched": ("lead_unit",),
    "returned": ("supervisors",),
    "insisted": ("lead_unit",),
    "milestone_changed": ("lead_unit", "co_units"),
}
TITLES = {
    "dispatched": _l("New task to accept: %(task)s"),
    "accepted": _l("Task accepted: %(task)s"),
    "reported": _l("Progress reported: %(task)s"),
    "closeout_requested": _l("Close-out to review: %(task)s"),
    "closeout_approved": _l("Close-out approved: %(task)s"),
    "closeout_rejected": _l("Close-out rejected: %(task)s"),
    "extension_requested": _l("Extension to decide: %(task)s"),
    "extension_approved": _l("Extension approved: %(task)s"),
    "extension_rejected": _l("Extension rejected: %(task)s"),
    "extension_withdrawn": _l("Extension request withdrawn: %(task)s"),
    "urged": _l("Urged: %(task)s"),
    "cancelled": _l("Task cancelled: %(task)s"),
    "milestone_planned": _l("Milestone planned: %(task)s"),
    "milestone_done": _l("Milestone done: %(task)s"),
    "reopened": _l("Task reopened after the recheck: %(task)s"),
    "result_linked": _l("Task carried into a new period: %(task)s"),
    "corrected": _l("Task corrected by the supervision office: %(task)s"),
    "redispatched": _l("New task to accept: %(task)s"),
    "returned": _l("Task returned for adjustment: %(task)s"),
    "insisted": _l("Return not accepted, please accept the task: %(task)s"),
    "milestone_changed": _l("Milestones changed by the supervision office: %(task)s"),
}
# What an audience group is told instead of the event's title: only the lead unit accepts (签收) a task,
# so the others hear of a dispatch as information, never as something waiting for them.
GROUP_TITLES = {
    ("dispatched", "co_units"): _l("Co-organized task dispatched: %(task)s"),
    ("dispatched", "listed_leader"): _l("Task dispatched: %(task)s"),
}
TITLE_LENGTH = Notification.__table__.c.title.type.length


def _unit_users(unit_ids, roles=UNIT_ROLES):
    """Active users of these units holding one of `roles`."""
    if not unit_ids:
        return []
    return db.session.scalars(
        db.select(User).where(User.unit_id.in_(unit_ids), User.role.in_(roles), User.is_active.is_(True))
    ).all()


def unit_members(unit_ids):
    """Active heads and staff of these units, ordered by id (the readers of a unit's weekly alert)."""
    return sorted(_unit_users(unit_ids), key=lambda user: user.id)


def office_supervisors():
    """Active users of the supervision office, ordered by id."""
    return db.session.scalars(
        db.select(User).where(User.role == SUPERVISOR, User.is_active.is_(True)).order_by(User.id)
    ).all()


def audience(task, group):
    """The users of one audience group for this task (the events above, and the weekly alert's 挂牌 digests)."""
    if group == "lead_unit":
        return _unit_users([task.lead_unit_id])
    if group == "lead_heads":
        return _unit_users([task.lead_unit_id], (UNIT_HEAD,))
    if group == "owner":
        return [task.owner] if task.owner is not None and task.owner.is_active else []
    if group == "co_units":
        return _unit_users([unit.id for unit in task.co_units])
    if group == "supervisors":
        return office_supervisors()
    if group == "listed_leader":
        leader = task.responsible_leader
        if task.supervision_level == "listed" and leader is not None and leader.is_active:
            return [leader]
        return []
    raise ValueError(f"unknown audience {group!r}")


def concerned(task, event, actor=None, also_units=()):
    """(user, audience group) of everyone concerned by `event` (and of `also_units`' users), once each, no actor.

    The first group wins; users of `also_units` only (told of a change that took the task from them) get the
    group None, and the event's general title.
    """
    if task.dispatched_at is None:
        return []  # a draft nobody has received concerns nobody outside the office
    people = {user.id: (user, None) for user in _unit_users(list(also_units))}
    for group in AUDIENCES.get(event, ()):
        for user in audience(task, group):
            if people.get(user.id, (None, None))[1] is None:
                people[user.id] = (user, group)
    if actor is not None:
        people.pop(actor.id, None)
    return [people[user_id] for user_id in sorted(people)]


def recipients(task, event, actor=None, also_units=()):
    """Everyone concerned by `event` on this task (and `also_units`' users), once each, without the actor, by id."""
    return [user for user, _group in concerned(task, event, actor, also_units)]


def title_for(event, group):
    """The (lazy) title of `event` as told to one audience group."""
    return GROUP_TITLES.get((event, group), TITLES[event])


def task_label(task):
    """How a notification names a task: its code and title."""
    return f"{task.code} {task.title}" if task.code else task.title


def _locale_of(user):
    """The language a user reads notifications in."""
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def notify_task_event(task, event, actor=None, body=None, also_units=(), skip_ids=()):
    """Put a message about `event` in the inbox of everyone concerned, and of `also_units`' users.

    Users whose id is in `skip_ids` (told already in another message) are left out. Returns the new notifications.
    """
    created = []
    for user, group in concerned(task, event, actor, also_units):
        if user.id in skip_ids:
            continue
        with force_locale(_locale_of(user)):
            title = str(title_for(event, group)) % {"task": task_label(task)}
        note = Notification(user_id=user.id, task_id=task.id, kind=event, title=title[:TITLE_LENGTH],
                            body=str(body) if body else None, created_at=clock.now())
        db.session.add(note)
        created.append(note)
    return created


def unread_count(user):
    """How many unread messages the user has (one query, for the navigation bar)."""
    return db.session.scalar(
        db.select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox_page(user, page, per_page, unread_only=False):
    """One page of the user's messages, newest first."""
    query = db.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def mark_read(user, notification_id):
    """Mark one of the user's messages read and return it; PermissionDenied for someone else's."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise PermissionDenied()
    if note.read_at is None:
        note.read_at = clock.now()
        db.session.commit()
    return note


def mark_all_read(user):
    """Mark every unread message of the user read; returns how many there were."""
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount

