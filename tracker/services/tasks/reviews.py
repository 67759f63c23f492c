"""The task lifecycle, part 3b: the close-out (销号) review, and extension (延期) requests and their decision.

The close-out request itself and its checks are in closeouts.py.
"""
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import ExtensionRequest
from .. import DomainError
from ..transaction import optional_text, required_text, saving
from .workflow import authorize, conflict_message, transition, withdraw_extension


def decide_closeout(actor, task, approve, note=None, version=None):
    """The supervision office approves the close-out (task closed) or rejects it with a reason (back to work)."""
    with saving(conflict=conflict_message):
        authorize(actor, "review_closeout", task, version)
        request_ = task.pending_closeout
        if request_ is None:
            raise DomainError(_("There is no close-out request waiting for review."))
        note = optional_text(note, _("Reason")) if approve else required_text(note, _("Reason for rejecting"))
        now = clock.now()
        request_.status = "approved" if approve else "rejected"
        request_.decided_by_id, request_.decided_at, request_.decision_note = actor.id, now, note
        if approve:
            task.closed_at = now
            task.percent_done = 100  # closed out means done, whatever the last report said
            # The unit chose to keep its extension request waiting; closed out, it has nothing left to decide.
            withdraw_extension(actor, task, _("The task was closed out before the extension was decided."))
            transition(actor, task, "closeout_approved", "closed", note, request_)
        else:
            # Back to work: the next request sets its own date, so this one no longer counts.
            task.closeout_requested_at = None
            transition(actor, task, "closeout_rejected", "in_progress", note, request_)
    return request_


def request_extension(actor, task, requested_deadline_on, reason, version=None):
    """The lead unit's head asks for a later deadline, giving the reason; a supervisor decides."""
    with saving(conflict=conflict_message):
        authorize(actor, "request_extension", task, version)
        if requested_deadline_on is None:
            raise DomainError(_("Choose the new deadline."))
        if requested_deadline_on <= task.deadline_on:
            raise DomainError(_("The new deadline must be after the current deadline %(date)s.",
                                date=task.deadline_on.isoformat()))
        if requested_deadline_on < clock.today():
            raise DomainError(_("The new deadline %(date)s is in the past.", date=requested_deadline_on.isoformat()))
        reason = required_text(reason, _("Reason"))
        request_ = ExtensionRequest(task=task, requested_by_id=actor.id, current_deadline_on=task.deadline_on,
                                    requested_deadline_on=requested_deadline_on, reason=reason,
                                    status="pending", created_at=clock.now())
        db.session.add(request_)
        db.session.flush()
        text = _("%(old)s → %(new)s: %(reason)s", old=task.deadline_on.isoformat(),
                 new=requested_deadline_on.isoformat(), reason=reason)
        transition(actor, task, "extension_requested", task.status, text, request_)
    return request_


def decide_extension(actor, task, approve, note=None, version=None, granted_on=None):
    """The supervision office approves (to a date of its choosing) or rejects an extension request.

    An approval grants `granted_on` (default: the date asked), later than the deadline in
    force and no later than the date asked, not in the past. The original deadline stays in
    original_deadline_on and every change in the extension requests, so the whole history of
    the deadline is on record.
    """
    with saving(conflict=conflict_message):
        authorize(actor, "review_extension", task, version)
        request_ = task.pending_extension
        note = optional_text(note, _("Note")) if approve else required_text(note, _("Reason for rejecting"))
        old, asked = task.deadline_on, request_.requested_deadline_on
        new = granted_on or asked
        if approve:
            _check_granted(old, asked, new)
        request_.status = "approved" if approve else "rejected"
        request_.decided_by_id, request_.decided_at, request_.decision_note = actor.id, clock.now(), note
        if approve:
            request_.approved_deadline_on = new
            task.deadline_on = new
            text = _("%(old)s → %(new)s", old=old.isoformat(), new=new.isoformat())
            if new != asked:
                text += " " + _("(asked: %(asked)s)", asked=asked.isoformat())
        else:
            text = _("%(old)s → %(new)s", old=old.isoformat(), new=asked.isoformat())
        text += f": {note}" if note else ""
        transition(actor, task, "extension_approved" if approve else "extension_rejected", task.status,
                   text, request_)
    return request_


def _check_granted(current, asked, granted):
    """DomainError unless `granted` is after the deadline in force, no later than asked, and not past."""
    if granted > asked:
        raise DomainError(_("The approved deadline %(date)s is later than the %(asked)s the unit asked for. Choose "
                            "a date up to %(asked)s, or reject and ask the unit for a new request.",
                            date=granted.isoformat(), asked=asked.isoformat()))
    if granted <= current:
        raise DomainError(_("The approved deadline %(date)s is not after the current deadline %(current)s. Choose "
                            "a date from the day after it up to %(asked)s.",
                            date=granted.isoformat(), current=current.isoformat(), asked=asked.isoformat()))
    if granted < clock.today():
        if granted == asked:
            raise DomainError(_("The requested deadline %(date)s has already passed. Reject this request and "
                                "ask the unit for a new one.", date=granted.isoformat()))
        raise DomainError(_("The approved deadline %(date)s has already passed. Choose a date from today up to "
                            "%(asked)s.", date=granted.isoformat(), asked=asked.isoformat()))
