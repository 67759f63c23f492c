"""The task lifecycle, part 3: close-out (销号) and extension (延期) requests and their review."""
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Attachment, CloseoutRequest, ExtensionRequest
from .. import DomainError
from ..transaction import optional_text, required_text, saving
from . import attachments
from .workflow import authorize, conflict_message, transition


def request_closeout(actor, task, summary, files=(), version=None):
    """The lead unit's head asks for close-out with a summary and evidence (new files, or earlier reports' files).

    The request date is kept: a task asked to be closed out on or before its
    deadline is not overdue while under review, and counts as on time once approved.
    """
    authorize(actor, "request_closeout", task, version)
    summary = required_text(summary, _("Summary"))
    staged = attachments.stage(files)
    if not staged and not _has_evidence(task):
        raise DomainError(_("Attach the evidence of the work done: no file has been reported on this task yet."))
    with saving(cleanup=lambda: attachments.discard(staged), conflict=conflict_message,
                after_commit=lambda: attachments.place(staged)):
        now = clock.now()
        request_ = CloseoutRequest(task=task, requested_by_id=actor.id, summary=summary,
                                   deadline_in_force_on=task.deadline_on, status="pending", created_at=now)
        db.session.add(request_)
        db.session.flush()
        attachments.attach(staged, task, actor, closeout_request=request_)
        task.closeout_requested_at = now
        # Asking for close-out supersedes a pending request for more time.
        pending = task.pending_extension
        if pending is not None:
            pending.status, pending.decided_at = "withdrawn", now
            pending.decision_note = _("Withdrawn: close-out was requested.")
        transition(actor, task, "closeout_requested", "pending_review", summary, request_)
    return request_


def _has_evidence(task):
    """True when some file is already attached to the task."""
    return db.session.scalar(db.select(Attachment.id).where(Attachment.task_id == task.id).limit(1)) is not None


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


def decide_extension(actor, task, approve, note=None, version=None):
    """The supervision office approves (the new date replaces the deadline) or rejects an extension request.

    The original deadline stays in original_deadline_on, and every change in the
    extension requests, so the whole history of the deadline is on record.
    """
    with saving(conflict=conflict_message):
        authorize(actor, "review_extension", task, version)
        request_ = task.pending_extension
        note = optional_text(note, _("Note")) if approve else required_text(note, _("Reason for rejecting"))
        old, new = task.deadline_on, request_.requested_deadline_on
        if approve and new < clock.today():
            raise DomainError(_("The requested deadline %(date)s has already passed. Reject this request and "
                                "ask the unit for a new one.", date=new.isoformat()))
        if approve and new <= old:
            raise DomainError(_("The requested deadline %(date)s is not after the current deadline.",
                                date=new.isoformat()))
        request_.status = "approved" if approve else "rejected"
        request_.decided_by_id, request_.decided_at, request_.decision_note = actor.id, clock.now(), note
        if approve:
            task.deadline_on = new
        text = _("%(old)s → %(new)s", old=old.isoformat(), new=new.isoformat()) + (f": {note}" if note else "")
        transition(actor, task, "extension_approved" if approve else "extension_rejected", task.status,
                   text, request_)
    return request_
