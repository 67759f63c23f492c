"""Audit entries for changes outside a task (units, users, settings)."""
from ..extensions import db
from ..models import AuditEntry


def record_change(actor, object_type, obj, action, reason=None, from_status=None, to_status=None):
    """Add the audit entry of an administrative change (committed with the change by the caller)."""
    entry = AuditEntry(
        object_type=object_type, object_id=obj.id, actor_id=actor.id if actor is not None else None,
        action=action, reason=reason, from_status=from_status, to_status=to_status,
    )
    db.session.add(entry)
    return entry
