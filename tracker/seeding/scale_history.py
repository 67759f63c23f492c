"""A seeded task's life for `flask seed-scale`: its moments drawn to fit its status, and its audit entries."""
from datetime import timedelta

from .. import clock

REPORTING = ("in_progress", "pending_review", "closed")  # statuses whose task has been reporting


def days(value):
    """A timedelta of `value` days."""
    return timedelta(days=value)


class Timeline:
    """The moments of one task's life, drawn to fit its status and a realistic deadline."""

    def __init__(self, gen, status):
        """Draw created/dispatched/accepted/requested/closed/cancelled moments and the deadline."""
        rng, now, today = gen.rng, gen.now, gen.today
        self.status = status
        self.dispatched = self.accepted = self.requested = self.closed = self.cancelled = None
        if status == "draft":
            self.created = now - days(rng.uniform(0.5, 20))
            self.deadline = today + days(rng.randint(30, 200))
        else:
            recent = status == "assigned"
            self.created = now - days(rng.uniform(1.5, 30) if recent else rng.uniform(20, 420))
            self.dispatched = self.created + days(rng.uniform(0.05, 1.0 if recent else 4.0))
            if status in REPORTING or (status == "cancelled" and rng.random() < 0.6):
                self.accepted = self.dispatched + days(rng.uniform(0.05, 5.0))
            self._finish(gen, status)
        self.before_cancel = "in_progress" if self.accepted else "assigned"
        self.moments = [m for m in (self.created, self.dispatched, self.accepted, self.requested, self.closed,
                                    self.cancelled) if m]

    def _finish(self, gen, status):
        """The end of the story: a request, a close-out, a cancellation, or a deadline still ahead."""
        rng, now, today = gen.rng, gen.now, gen.today
        if status == "pending_review":
            self.requested = max(now - days(rng.uniform(0.5, 15)), self.accepted + timedelta(hours=2))
            asked_on = clock.to_local(self.requested).date()
            self.deadline = asked_on + days(rng.randint(0, 60)) if rng.random() < 0.8 else \
                asked_on - days(rng.randint(1, 20))
        elif status == "closed":
            self.requested = self.accepted + (now - days(2) - self.accepted) * rng.uniform(0.3, 1.0)
            self.closed = min(self.requested + days(rng.uniform(0.5, 8)), now)
            asked_on = clock.to_local(self.requested).date()
            self.deadline = asked_on + days(rng.randint(0, 40)) if rng.random() < 0.8 else \
                asked_on - days(rng.randint(1, 30))
        elif status == "cancelled":
            self.cancelled = gen.between(self.accepted or self.dispatched, now)
            self.deadline = clock.to_local(self.cancelled).date() + days(rng.randint(-30, 120))
        else:
            draw = rng.random()
            if draw < (0.05 if status == "assigned" else 0.14):
                self.deadline = today - days(rng.randint(1, 120))
            elif draw < 0.22:
                self.deadline = today + days(rng.randint(0, 7))
            else:
                self.deadline = today + days(rng.randint(8, 330))

    def status_at(self, moment):
        """The status the task was in at a moment (for the audit entries of reports and milestones)."""
        if self.requested and moment >= self.requested:
            return "closed" if self.closed and moment >= self.closed else "pending_review"
        return "in_progress" if self.accepted and moment >= self.accepted else "assigned"


class TaskAudit:
    """The audit entries of one task, counting the status changes (the task's version)."""

    def __init__(self, gen, task_id):
        """Write through `gen` for task `task_id`."""
        self.gen, self.task_id, self.transitions = gen, task_id, 0

    def add(self, action, actor, moment, from_status, to_status, object_type="task", object_id=None, reason=None):
        """One entry; a step that changes the status counts as a transition."""
        self.gen.add("audit_entries", self.task_id, object_type, object_id or self.task_id, actor, action,
                     from_status, to_status, reason, moment)
        self.transitions += from_status != to_status
