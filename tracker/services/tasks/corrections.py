"""调整: the office corrects a dispatched task — deadline, units, leader, level, title, problem, measures.

A moved deadline is a DeadlineAdjustment (with its reason), kept in the deadline
history apart from extensions. A new lead unit gets the task anew: it is
dispatched to it (the acceptance clock restarts), waits for its 签收 and owner,
and the unit that had it keeps read access to its own reports only. Every
correction is one audit entry listing each change, old → new, and is told to
every unit it concerns, including those it took the task from.
"""
from dataclasses import replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import clock
from ...extensions import db
from ...models import DeadlineAdjustment, Unit, User
from ...models.task import LEVELS
from .. import DomainError
from ..messaging import notifications
from ..transaction import optional_text, saving
from . import dispatches, drafts, returns
from .workflow import authorize, conflict_message, transition

# What a correction may change, with the label its audit entry uses.
FIELDS = {
    "title": _l("Title"),
    "problem": _l("Problem"),
    "measures": _l("Measures"),
    "deadline_on": _l("Deadline"),
    "lead_unit_id": _l("Lead unit"),
    "responsible_leader_id": _l("Responsible leader"),
    "supervision_level": _l("Supervision level"),
}
LONG_TEXTS = ("problem", "measures")  # said to have changed, not quoted whole


def correct(actor, task, draft, reason=None, version=None):
    """Apply the office's correction of a dispatched task (a TaskDraft of its new values), audited and notified."""
    with saving(conflict=conflict_message):
        authorize(actor, "correct", task, version)
        # What a correction does not change stays as the task has it.
        draft = replace(draft, source=task.source, source_detail=task.source_detail, period_id=task.period_id,
                        indicator_result_id=task.indicator_result_id, duplicate_reason=task.duplicate_reason)
        values, co_units = drafts.clean(draft, task.id, past_deadline_allowed=draft.deadline_on == task.deadline_on)
        reason = optional_text(reason, _("Reason"))
        changed = [name for name in FIELDS if getattr(task, name) != values[name]]
        old_co_units = list(task.co_units)
        co_changed = [u.id for u in old_co_units] != [u.id for u in co_units]
        if not changed and not co_changed:
            raise DomainError(_("Nothing was changed. Change a field, or go back to the task."))
        if "deadline_on" in changed and not reason:
            raise DomainError(_("Give the reason for moving the deadline: it is kept in the deadline history."))
        moved = "lead_unit_id" in changed
        if moved and task.status == "pending_review":
            raise DomainError(_("The close-out request of %(unit)s is waiting for review. Decide it first, then "
                                "change the lead unit.", unit=task.lead_unit.name))
        lines = [_describe(name, getattr(task, name), values[name]) for name in changed]
        if co_changed:
            lines.append(_("%(field)s: %(old)s → %(new)s", field=_("Co-organizing units"),
                           old=_names(old_co_units), new=_names(co_units)))
        old_lead = task.lead_unit
        if "deadline_on" in changed:
            db.session.add(DeadlineAdjustment(task_id=task.id, old_deadline_on=task.deadline_on,
                                              new_deadline_on=values["deadline_on"], reason=reason,
                                              adjusted_by_id=actor.id, created_at=clock.now()))
        if moved:
            dispatches.note_first(task)  # before the lead unit changes: the unit that had it stays on record
        for name in changed:
            setattr(task, name, values[name])
        task.co_units = co_units
        to_status = task.status
        if moved:
            to_status = _hand_to_new_lead_unit(actor, task, db.session.get(Unit, values["lead_unit_id"]), reason)
        text = "\n".join(lines + ([_("Reason: %(reason)s", reason=reason)] if reason else []))
        transition(actor, task, "corrected", to_status, text, notify=False)
        _tell(actor, task, text, moved, old_lead, old_co_units)
    return task


def _hand_to_new_lead_unit(actor, task, unit, reason):
    """The task goes to `unit` as if newly dispatched: no owner yet, to accept; returns the status it takes."""
    task.lead_unit = unit
    task.owner = None
    task.accepted_at = None
    pending = task.pending_extension
    if pending is not None:
        pending.status, pending.decided_at = "withdrawn", clock.now()
        pending.decision_note = _("Withdrawn: the lead unit was changed.")
    waiting = returns.pending_return(task)
    if waiting is not None:
        returns.close_return(actor, waiting, "reassigned", reason, unit)
    db.session.flush()
    dispatches.record(actor, task, "correction", reason)
    return "assigned"


def _tell(actor, task, text, moved, old_lead, old_co_units):
    """The new lead unit gets the task to accept; everyone else concerned (old units too) the correction."""
    others = {old_lead.id} | {unit.id for unit in old_co_units}
    told = set()
    if moved:
        told = {note.user_id for note in notifications.notify_task_event(task, "redispatched", actor, body=text)}
    notifications.notify_task_event(task, "corrected", actor, body=text, also_units=others, skip_ids=told)


def _names(units):
    """Unit names joined the Chinese way, or a dash."""
    return "、".join(unit.name for unit in units) or "—"


def _describe(name, old, new):
    """One line of the audit entry: what changed, from what to what."""
    label = FIELDS[name]
    if name in LONG_TEXTS:
        return _("%(field)s was rewritten", field=label)
    return _("%(field)s: %(old)s → %(new)s", field=label, old=_shown(name, old), new=_shown(name, new))


def _shown(name, value):
    """A field's value as a person reads it."""
    if value is None or value == "":
        return "—"
    if name == "lead_unit_id":
        return db.session.get(Unit, value).name
    if name == "responsible_leader_id":
        return db.session.get(User, value).display_name
    if name == "supervision_level":
        return str(LEVELS.get(value, value))
    if name == "deadline_on":
        return value.isoformat()
    return str(value)
