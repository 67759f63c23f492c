"""The demo's corrections and returns: a task a unit returned (待调整), one reassigned after a return, a moved deadline.

Steps of the demo scenarios (demo_tasks.SCENARIOS) written as the services would:
every (re)dispatch a TaskDispatch, a return a TaskReturn, the office's deadline
adjustment a DeadlineAdjustment, each with its audit entry.
"""
from datetime import timedelta

from ..models import DeadlineAdjustment, TaskDispatch, TaskReturn

RETURN_REASON = "该事项主要涉及其他单位职责，本单位不具备牵头条件，申请调整牵头单位。"
REASSIGN_NOTE = "经研究，改由{unit}牵头，请于3个工作日内签收。"
ADJUST_REASON = "省级考核评估时间调整，整改时限相应顺延。"


class CorrectionSteps:
    """The _Player's steps for returns, reassignments and deadline adjustments (mixed into demo_tasks._Player)."""

    def correction_steps(self):
        """(kind, day, detail) of the scenario's returns, reassignment and deadline adjustments."""
        scenario = self.scenario
        steps = [(kind, scenario[kind], None) for kind in ("returned", "reassigned") if kind in scenario]
        return steps + [("adjusted", day, until) for day, until in scenario.get("adjustments", ())]

    def record_dispatch(self, moment, actor, kind, note=None):
        """A (re)dispatch of the task to its lead unit now: the acceptance clock restarts."""
        task = self.task
        task.last_dispatched_at = moment
        self.add(TaskDispatch(unit_id=self.lead.id, dispatched_by_id=actor.id, dispatched_at=moment, kind=kind,
                              note=note))

    def _returned(self, moment, day, _detail):
        """申请调整: the lead unit's head returns the task before accepting it."""
        reason = self.spec.get("return_reason", RETURN_REASON)
        self.returned = self.add(TaskReturn(unit_id=self.lead.id, requested_by_id=self.head.id, reason=reason,
                                            status="pending", created_at=moment))
        self.move(moment, self.head, "returned", ("assigned",), "returned", reason, self.returned)

    def _reassigned(self, moment, day, _detail):
        """改派: the office gives the returned task to the spec's lead unit, a new dispatch."""
        old, new = self.lead, self.units[self.spec["lead"]]
        note = REASSIGN_NOTE.format(unit=new.name)
        item = self.returned
        item.status, item.decided_by_id, item.decided_at = "reassigned", self.people.supervisor.id, moment
        item.decision_note, item.new_unit_id = note, new.id
        self.lead, self.head = new, self.people.heads[new.name]
        self.task.lead_unit = new
        self.record_dispatch(moment, self.people.supervisor, "reassign", note)
        self.move(moment, self.people.supervisor, "reassigned", ("returned",), "assigned",
                  f"{old.name} → {new.name}: {note}", item)

    def _adjusted(self, moment, day, until):
        """调整: the office moves the deadline, with its reason."""
        task = self.task
        new = self.today + timedelta(days=until)
        self.add(DeadlineAdjustment(old_deadline_on=task.deadline_on, new_deadline_on=new, reason=ADJUST_REASON,
                                    adjusted_by_id=self.people.supervisor.id, created_at=moment))
        text = f"完成时限：{task.deadline_on.isoformat()} → {new.isoformat()}\n理由：{ADJUST_REASON}"
        task.deadline_on = new
        self.move(moment, self.people.supervisor, "corrected", ("assigned", "in_progress"), reason=text)
