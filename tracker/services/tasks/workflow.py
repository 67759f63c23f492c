"""The task lifecycle, part 1: shared rules, and dispatch, accept, urge, cancel.

Every transition here and in reviews / progress follows one
pattern: check the actor's role, then the form's version, then the task's
status (permissions.role_denial / state_denial); validate the input; change the
rows; write one audit entry; notify the people concerned; commit. Any error
rolls the whole change back, so a refused action leaves nothing behind.
"""
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from ... import clock, permissions
from ...extensions import db
from ...models import Urge, User
from ...models.activity import UsedFormToken
from ...models.user import UNIT_ROLES
from .. import ConflictError, DomainError, PermissionDenied, audit
from ..messaging import notifications
from ..transaction import optional_text, required_text, saving
from . import dispatches, notices


class DuplicateSubmission(ConflictError):
    """The same form was submitted twice; the first submission was saved."""


def conflict_message():
    """The message a user gets when the task changed under them."""
    return _("This task was changed by someone else since you opened the page (or the form was sent twice). "
             "Reload the task to see its current state, then try again.")


def check_version(task, version):
    """Raise ConflictError unless the form was made from the task's current version."""
    if version is None:
        return  # callers without a form (CLI, jobs) act on what they just loaded
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ConflictError(conflict_message()) from None
    if version != task.version:
        raise ConflictError(conflict_message())


def authorize(user, action, task, version=None):
    """Refuse the action: by role first, then a stale form, then the task's status."""
    denial = permissions.role_denial(user, action, task)
    if denial:
        raise PermissionDenied(str(denial))
    check_version(task, version)
    denial = permissions.state_denial(action, task)
    if denial:
        raise PermissionDenied(str(denial))


def claim_form_token(user, token):
    """Mark a create-type form's one-time token used; DuplicateSubmission when it already was."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise DomainError(_("The form is incomplete. Reload the page and fill it in again."))
    if db.session.get(UsedFormToken, token) is not None:
        raise DuplicateSubmission(_("This form was already submitted; it was saved once."))
    db.session.add(UsedFormToken(token=token, user_id=user.id))
    try:
        db.session.flush()
    except IntegrityError:
        # A parallel request with the same token got there first.
        db.session.rollback()
        raise DuplicateSubmission(_("This form was already submitted; it was saved once.")) from None


def transition(actor, task, action, to_status, reason=None, obj=None, notify_body=None, notify=True):
    """Move the task to `to_status`, audit and notify (unless `notify` is false: the caller tells whom)."""
    from_status = task.status
    task.status = to_status
    task.updated_at = clock.now()
    # Always write the row, so the version moves (and a concurrent writer is caught) even
    # when no column value changes, e.g. an extension request.
    flag_modified(task, "updated_at")
    db.session.flush()
    audit.record(actor, task, action, from_status, to_status, reason, obj)
    if notify:
        notifications.notify_task_event(task, action, actor, body=notify_body or reason)


def notice_line(notice, note=None):
    """The inbox text of a dispatch or urge: the notice's 文号 and reply date, then the office's words."""
    line = _("%(number)s, reply by %(date)s", number=notice.doc_number, date=notice.reply_due_on.isoformat())
    return line + (f"\n{note}" if note else "")


def dispatch(actor, task, version=None, note=None, reply_due_on=None):
    """下发: send a draft to its lead unit to accept, with its 督办通知单; the deadline must not be in the past."""
    with saving(conflict=conflict_message):
        authorize(actor, "dispatch", task, version)
        note = optional_text(note, _("Note"))
        if task.deadline_on < clock.today():
            raise DomainError(_("The deadline %(date)s is in the past. Edit the draft and set a new deadline first.",
                                date=task.deadline_on.isoformat()))
        dispatches.record(actor, task, "dispatch", note)
        # The deadline the unit receives is the one extensions are measured against.
        task.original_deadline_on = task.deadline_on
        notice = notices.issue_dispatch_notice(actor, task, reply_due_on)
        transition(actor, task, "dispatched", "assigned", note, notify_body=notice_line(notice, note))
    return task


def owner_choices(task):
    """Active users of the task's lead unit, who may be named its owner."""
    return db.session.scalars(
        db.select(User).where(User.unit_id == task.lead_unit_id, User.is_active.is_(True),
                              User.role.in_(UNIT_ROLES))
        .order_by(User.role, User.display_name)
    ).all()


def accept(actor, task, owner_id, version=None, note=None):
    """签收: the lead unit's head accepts the task and names its owner from the unit's users."""
    with saving(conflict=conflict_message):
        authorize(actor, "accept", task, version)
        owner = db.session.get(User, owner_id) if owner_id else None
        if owner is None or owner not in owner_choices(task):
            raise DomainError(_("Choose the owner from the active users of %(unit)s.", unit=task.lead_unit.name))
        note = optional_text(note, _("Note"))
        task.owner = owner
        task.accepted_at = clock.now()
        transition(actor, task, "accepted", "in_progress",
                   _("Owner: %(name)s", name=owner.display_name) + (f"; {note}" if note else ""))
    return task


def urge(actor, task, message, form_token=None, reply_due_on=None):
    """催办: a supervisor's formal reminder with its 催办通知单, counted against the task's lead unit."""
    with saving(conflict=conflict_message):
        authorize(actor, "urge", task)
        message = required_text(message, _("Message"))
        if form_token is not None:
            claim_form_token(actor, form_token)
        item = Urge(task_id=task.id, unit_id=task.lead_unit_id, urged_by_id=actor.id, message=message,
                    created_at=clock.now())
        db.session.add(item)
        db.session.flush()
        notice = notices.issue_urge_notice(actor, task, item, reply_due_on)
        audit.record(actor, task, "urged", task.status, task.status, message, item)
        notifications.notify_task_event(task, "urged", actor, body=notice_line(notice, message))
    return item


def withdraw_extension(actor, task, note):
    """Withdraw the extension request waiting on the task: an event of its own, with its time, never silent."""
    pending = task.pending_extension
    if pending is None:
        return None
    pending.status, pending.decided_at, pending.decision_note = "withdrawn", clock.now(), note
    pending.decided_by_id = actor.id if actor is not None else None
    db.session.flush()
    text = _("%(date)s: %(note)s", date=pending.requested_deadline_on.isoformat(), note=note)
    audit.record(actor, task, "extension_withdrawn", task.status, task.status, text, pending)
    notifications.notify_task_event(task, "extension_withdrawn", actor, body=text)
    return pending


def withdraw_pending_requests(actor, task, note):
    """Close extension and close-out requests left without a decision when the task moves on."""
    withdraw_extension(actor, task, note)
    request_ = task.pending_closeout
    if request_ is not None:
        request_.status = "withdrawn"
        request_.decided_at = clock.now()
        request_.decision_note = note


def cancel(actor, task, reason, version=None):
    """撤销: a supervisor cancels an open task, giving the reason."""
    with saving(conflict=conflict_message):
        authorize(actor, "cancel", task, version)
        reason = required_text(reason, _("Reason"))
        task.cancelled_at = clock.now()
        withdraw_pending_requests(actor, task, _("The task was cancelled."))
        transition(actor, task, "cancelled", "cancelled", reason)
    return task
