"""The audit trail: one entry per step of a task (who, when, from, to, why) and per administrative change."""
from .. import clock
from ..extensions import db
from ..models import AuditEntry

# The audit object_type of each record a task step can make; the task timeline links entries back by it.
OBJECT_TYPES = {
    "ProgressReport": "progress_report",
    "Milestone": "milestone",
    "Urge": "urge",
    "ExtensionRequest": "extension_request",
    "CloseoutRequest": "closeout_request",
    "TaskReturn": "task_return",
}


def _object_type(obj):
    """The audit object_type of a record ("task" for the task itself)."""
    return "task" if obj is None else OBJECT_TYPES[type(obj).__name__]


def record(actor, task, action, from_status=None, to_status=None, reason=None, obj=None):
    """Add the audit entry of one task step (who, when, from, to, why), pointing at the record it made."""
    entry = AuditEntry(
        task_id=task.id, object_type=_object_type(obj), object_id=obj.id if obj is not None else task.id,
        actor_id=actor.id if actor is not None else None, action=action,
        from_status=from_status, to_status=to_status, reason=reason, created_at=clock.now(),
    )
    db.session.add(entry)
    return entry


def record_change(actor, object_type, obj, action, reason=None, from_status=None, to_status=None):
    """Add the audit entry of an administrative change (committed with the change by the caller)."""
    entry = AuditEntry(
        object_type=object_type, object_id=obj.id, actor_id=actor.id if actor is not None else None,
        action=action, reason=reason, from_status=from_status, to_status=to_status,
    )
    db.session.add(entry)
    return entry
