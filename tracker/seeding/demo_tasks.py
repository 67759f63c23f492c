"""The demo's rectification tasks: each spec of demo_data/tasks.json played through a scenario.

A scenario is a timeline in days relative to today: created, dispatched,
accepted, progress reports (day, percent), milestones (due, done), extension
and close-out requests with their decisions, urges, cancellation. Playing it
writes what the workflow would have written: the status and its timestamps,
the records, one audit entry per step, and inbox messages for recent steps.
"""
from datetime import UTC, datetime, timedelta

from .. import clock
from ..extensions import db
from ..models import (
    AuditEntry,
    CloseoutMilestoneNote,
    CloseoutRequest,
    ExtensionRequest,
    Milestone,
    Notification,
    ProgressReport,
    RectificationTask,
    TaskReturn,
    Urge,
)
from . import demo_files
from .demo_corrections import CorrectionSteps
from .demo_scenarios import (
    CLOSEOUT_FILES,
    CLOSEOUT_MILESTONE_NOTE,
    CLOSEOUT_SUMMARY,
    CO_HEAD_EVENTS,
    CO_REPORT_TEXT,
    DECISION_NOTES,
    DISPATCH_NOTE,
    EXTENSION_NOTE,
    EXTENSION_REASON,
    EXTENSION_WITHDRAWN,
    HOURS,
    LEAD_HEAD_EVENTS,
    MILESTONE_NOTE,
    MILESTONE_TITLES,
    NOTIFY_DAYS,
    OFFICE_EVENTS,
    PERCENT_REASON,
    READ_AFTER_DAYS,
    REPORT_PHOTO,
    REPORT_TEXTS,
    REWORK_TEXT,
    SCENARIOS,
    URGE_TEXTS,
)

AUDIT_OBJECT_TYPES = {
    ProgressReport: "progress_report", Milestone: "milestone", Urge: "urge",
    ExtensionRequest: "extension_request", CloseoutRequest: "closeout_request", TaskReturn: "task_return",
}


class ScenarioError(RuntimeError):
    """A scenario asks for a step the task's status does not allow (a bug in the demo data)."""


def load_tasks(specs, units, people, period):
    """Create a task with its history for every spec (dicts of demo_data/tasks.json); returns them, oldest first."""
    today = clock.today()
    db.session.flush()  # ids of units, users and results
    results = {result.indicator.name: result for result in period.results}
    # Tasks playing the same scenario are set a few days and percent points apart, so they do not look cloned.
    plays = [(spec, varied(SCENARIOS[spec["scenario"]], -(index % 4), 5 * (index % 3)))
             for index, spec in enumerate(specs)]
    plays.sort(key=lambda play: play[1]["created"])  # stable: ties keep the file's order
    numbers = {}
    tasks = []
    for spec, scenario in plays:
        year = (today + timedelta(days=scenario["created"])).year
        numbers[year] = numbers.get(year, 0) + 1
        player = _Player(spec, scenario, f"ZG{year}-{numbers[year]:04d}", units, people, period, results, today)
        tasks.append(player.play())
    return tasks


def varied(scenario, shift, lift):
    """The scenario with every day moved by `shift` (<= 0: nothing moves to the future), unfinished percents +`lift`."""
    def day(value):
        """A day moved by the shift (None stays None)."""
        return None if value is None else value + shift

    return {
        **{key: value + shift for key, value in scenario.items() if isinstance(value, int)},
        "milestones": [(day(due), day(done)) for due, done in scenario.get("milestones", ())],
        "reports": [(day(when), percent if percent == 100 else min(percent + lift, 99))
                    for when, percent in scenario.get("reports", ())],
        "extensions": [(day(asked), day(until), day(decided), outcome, *(day(granted) for granted in rest))
                       for asked, until, decided, outcome, *rest in scenario.get("extensions", ())],
        "closeouts": [(day(asked), day(decided), outcome) for asked, decided, outcome in scenario.get("closeouts", ())],
        "urges": [day(when) for when in scenario.get("urges", ())],
        "adjustments": [(day(when), until) for when, until in scenario.get("adjustments", ())],
        **{key: scenario[key] for key in ("closeout_milestones", "closeout_extension") if key in scenario},
    }


class _Player(CorrectionSteps):
    """Plays one task's scenario, adding the rows each step would have added."""

    def __init__(self, spec, scenario, code, units, people, period, results, today):
        """Get ready to play `scenario` for `spec`, numbered `code`."""
        self.spec, self.scenario, self.code, self.units, self.people, self.today = (
            spec, scenario, code, units, people, today)
        self.period = period
        self.result = results[spec["indicator"]] if spec["source"] == "indicator" else None
        # A task reassigned after a return was first dispatched to the unit that returned it.
        self.lead = units[spec.get("moved_from", spec["lead"])]
        self.head = people.heads[self.lead.name]
        self.audits = []  # (moment, actor, action, from, to, reason, record)
        self.milestones = []
        self.requests = {}
        self.reworking = False

    def at(self, day, kind):
        """The UTC moment of a step `day` days from today, at its usual local hour."""
        local = datetime.combine(self.today + timedelta(days=day), HOURS[kind], tzinfo=clock.local_tz())
        return local.astimezone(UTC)

    def play(self):
        """Create the task, run its steps in time order, then write the audit trail."""
        task = self.task = self._create()
        for kind, day, detail in sorted(self._steps(), key=lambda step: self.at(step[1], step[0])):
            getattr(self, "_" + kind)(self.at(day, kind), day, detail)
        db.session.flush()
        for moment, actor, action, from_status, to_status, reason, record in self.audits:
            db.session.add(AuditEntry(
                task_id=task.id, object_type=AUDIT_OBJECT_TYPES[type(record)] if record else "task",
                object_id=record.id if record else task.id, actor_id=actor.id, action=action,
                from_status=from_status, to_status=to_status, reason=reason, created_at=moment,
            ))
        task.updated_at = max(entry[0] for entry in self.audits)
        return task

    def _create(self):
        """The draft as the office entered it."""
        scenario, spec = self.scenario, self.spec
        deadline = self.today + timedelta(days=scenario["deadline"])
        leader_title = self.result.indicator.leader_title if self.result else spec["leader"]
        creator = self.people.kaohe if self.result else self.people.supervisor
        moment = self.at(scenario["created"], "created")
        task = RectificationTask(
            code=self.code, title=spec["title"], problem=spec["problem"], measures=spec["measures"],
            source=spec["source"], source_detail=spec.get("detail") or self._result_detail(),
            period_id=self.period.id if self.result else None, indicator_result=self.result,
            lead_unit=self.lead, co_units=[self.units[name] for name in spec["co"]],
            responsible_leader=self.people.leaders[leader_title], deadline_on=deadline,
            original_deadline_on=deadline, status="draft", supervision_level=spec["level"],
            created_by=creator, created_at=moment, updated_at=moment,
        )
        db.session.add(task)
        db.session.flush()
        self.audit(moment, creator, "created", None, "draft")
        return task

    def _result_detail(self):
        """Where an indicator task comes from: the period, the rank and the points lost."""
        result = self.result
        if result is None:
            return None
        return (f"{self.period.name}：{result.indicator.name}全市排第{result.rank}名"
                f"（共{result.peer_count}个），失分{result.indicator.weight - result.score:.2f}分")

    def _steps(self):
        """(kind, day, detail) of every step after creation."""
        scenario = self.scenario
        steps = [(kind, scenario[kind], None) for kind in ("dispatched", "accepted", "cancelled") if kind in scenario]
        for number, (day, percent) in enumerate(scenario.get("reports", ())):
            steps.append(("reported", day, percent))
            if number == 1 and self.spec["co"]:
                steps.append(("co_reported", day, None))
        steps += [("milestone_done", done, index)
                  for index, (_due, done) in enumerate(scenario.get("milestones", ())) if done is not None]
        for request in scenario.get("extensions", ()):
            steps.append(("extension_requested", request[0], request))
            if request[2] is not None:
                steps.append(("extension_decided", request[2], request))
        for request in scenario.get("closeouts", ()):
            steps.append(("closeout_requested", request[0], request))
            if request[1] is not None:
                steps.append(("closeout_decided", request[1], request))
        steps += [("urged", day, number) for number, day in enumerate(scenario.get("urges", ()))]
        return steps + self.correction_steps()

    def audit(self, moment, actor, action, from_status, to_status, reason=None, record=None):
        """Queue the audit entry of one step (written once records have ids)."""
        self.audits.append((moment, actor, action, from_status, to_status, reason, record))

    def move(self, moment, actor, action, allowed, to_status=None, reason=None, record=None):
        """Check the step is possible in the current status, change the status, audit it."""
        task = self.task
        if task.status not in allowed:
            raise ScenarioError(f"{task.code} {self.spec['scenario']}: {action} while {task.status}")
        from_status = task.status
        task.status = to_status or from_status
        self.audit(moment, actor, action, from_status, task.status, reason, record)

    def notify(self, moment, day, event):
        """Leave an inbox message about a recent step for the lead unit's head or the office."""
        if day < -NOTIFY_DAYS:
            return
        if event in LEAD_HEAD_EVENTS:
            messages = [(self.head, LEAD_HEAD_EVENTS[event])]
        else:
            messages = [(user, OFFICE_EVENTS[event]) for user in (self.people.supervisor, self.people.kaohe)]
        if event in CO_HEAD_EVENTS:  # co-units are told, never asked to accept
            messages += [(self.people.heads[unit.name], CO_HEAD_EVENTS[event]) for unit in self.task.co_units
                         if unit.name in self.people.heads]
        read_at = moment + timedelta(days=1) if day < -READ_AFTER_DAYS else None
        for user, title in messages:
            db.session.add(Notification(
                user_id=user.id, task_id=self.task.id, kind=event, link=f"/tasks/{self.task.id}",
                title=title.format(task=f"{self.code} {self.spec['title']}"), created_at=moment, read_at=read_at,
            ))

    def add(self, record):
        """Add a record of this task to the session."""
        record.task_id = self.task.id
        db.session.add(record)
        return record

    def _dispatched(self, moment, day, _detail):
        """下发: the office sends the draft to the lead unit."""
        self.task.dispatched_at = moment
        self.record_dispatch(moment, self.task.created_by, "dispatch", DISPATCH_NOTE)
        self.move(moment, self.task.created_by, "dispatched", ("draft",), "assigned", DISPATCH_NOTE)
        self.notify(moment, day, "dispatched")

    def _accepted(self, moment, day, _detail):
        """签收: the head accepts, names the owner, and the milestones are planned."""
        task = self.task
        task.owner = self.people.owner_in(self.lead.name)
        task.accepted_at = moment
        self.move(moment, self.head, "accepted", ("assigned",), "in_progress", f"责任人：{task.owner.display_name}")
        self.notify(moment, day, "accepted")
        planned_at = self.at(day, "milestone_planned")
        for title, (due, _done) in zip(MILESTONE_TITLES, self.scenario.get("milestones", ()), strict=False):
            milestone = self.add(Milestone(title=title, due_on=self.today + timedelta(days=due), created_at=planned_at))
            self.milestones.append(milestone)
            self.move(planned_at, self.head, "milestone_planned", ("in_progress",),
                      reason=f"{milestone.due_on.isoformat()} {title}", record=milestone)

    def _reported(self, moment, day, percent):
        """进展报送 by the owner for the lead unit."""
        task = self.task
        text = REWORK_TEXT if self.reworking else next(text for limit, text in REPORT_TEXTS if percent <= limit)
        report = self.add(ProgressReport(unit_id=self.lead.id, author_id=task.owner.id, body=text.format(pct=percent),
                                         percent_done=percent, created_at=moment))
        task.percent_done, task.last_reported_at = percent, moment
        if percent >= 95:  # the report that says the work is done shows it
            demo_files.store(task, task.owner, REPORT_PHOTO, demo_files.png(48, 32, (135, 190, 235), (90, 150, 80)),
                             moment, f"{self.code}/report/{day}", report=report)
        self.move(moment, task.owner, "reported", ("in_progress",), reason=f"{self.lead.name}：{percent}%",
                  record=report)

    def _co_reported(self, moment, day, _detail):
        """A co-unit reports its part (the task's percent stays the lead unit's)."""
        task, co_unit = self.task, self.task.co_units[0]
        author = self.people.owner_in(co_unit.name)
        report = self.add(ProgressReport(unit_id=co_unit.id, author_id=author.id, percent_done=task.percent_done,
                                         body=CO_REPORT_TEXT.format(unit=co_unit.name), created_at=moment))
        task.last_reported_at = moment
        self.move(moment, author, "reported", ("in_progress",), reason=f"{co_unit.name}：{task.percent_done}%",
                  record=report)

    def _milestone_done(self, moment, day, index):
        """The owner marks a milestone done."""
        milestone = self.milestones[index]
        milestone.done_at, milestone.done_by_id, milestone.done_note = moment, self.task.owner.id, MILESTONE_NOTE
        self.move(moment, self.task.owner, "milestone_done", ("in_progress",),
                  reason=f"{milestone.title}：{MILESTONE_NOTE}", record=milestone)

    def _extension_requested(self, moment, day, request):
        """The head asks for a later deadline."""
        self.requests[request] = self.add(ExtensionRequest(
            requested_by_id=self.head.id, current_deadline_on=self.task.deadline_on,
            requested_deadline_on=self.today + timedelta(days=request[1]), reason=EXTENSION_REASON,
            status="pending", created_at=moment))
        record = self.requests[request]
        change = f"{record.current_deadline_on.isoformat()} → {record.requested_deadline_on.isoformat()}"
        self.move(moment, self.head, "extension_requested", ("in_progress",), reason=f"{change}：{EXTENSION_REASON}",
                  record=record)
        self.notify(moment, day, "extension_requested")

    def _extension_decided(self, moment, day, request):
        """The office decides; an approval replaces the deadline."""
        record, outcome = self.requests[request], request[3]
        record.status, record.decided_by_id, record.decided_at = outcome, self.people.supervisor.id, moment
        record.decision_note = EXTENSION_NOTE
        granted = self.today + timedelta(days=request[4]) if len(request) > 4 else record.requested_deadline_on
        change = f"{self.task.deadline_on.isoformat()} → {granted.isoformat()}"
        if granted != record.requested_deadline_on:
            change += f"（申请至{record.requested_deadline_on.isoformat()}）"
        if outcome == "approved":
            record.approved_deadline_on = self.task.deadline_on = granted
        self.move(moment, self.people.supervisor, f"extension_{outcome}", ("in_progress",),
                  reason=f"{change}：{EXTENSION_NOTE}", record=record)
        self.notify(moment, day, f"extension_{outcome}")

    def _closeout_requested(self, moment, day, request):
        """The head asks for close-out (销号) with its evidence and, the last time, answers for what is still open."""
        task, scenario = self.task, self.scenario
        is_last = request == scenario["closeouts"][-1]
        choice = scenario.get("closeout_extension") if is_last else None
        record = self.requests[request] = self.add(CloseoutRequest(
            requested_by_id=self.head.id, summary=CLOSEOUT_SUMMARY, deadline_in_force_on=task.deadline_on,
            status="pending", created_at=moment, percent_done=task.percent_done,
            percent_reason=PERCENT_REASON if task.percent_done < 100 else None, extension_choice=choice))
        db.session.flush()
        lines = (f"{self.code} acceptance record", f"Requested {clock.to_local(moment).date().isoformat()}")
        demo_files.store(task, self.head, CLOSEOUT_FILES[0], demo_files.pdf(lines), moment,
                         f"{self.code}/closeout/{day}", closeout_request=record)
        demo_files.store(task, self.head, CLOSEOUT_FILES[1], demo_files.png(64, 40, (150, 200, 240), (70, 140, 70)),
                         moment, f"{self.code}/closeout/{day}", closeout_request=record)
        for index, reason in (scenario.get("closeout_milestones", {}) if is_last else {}).items():
            milestone = self.milestones[index]
            if reason is None:
                milestone.done_at, milestone.done_by_id, milestone.done_note = moment, self.head.id, \
                    CLOSEOUT_MILESTONE_NOTE
                self.move(moment, self.head, "milestone_done", ("in_progress",),
                          reason=f"{milestone.title}：{CLOSEOUT_MILESTONE_NOTE}", record=milestone)
            record.milestone_notes.append(CloseoutMilestoneNote(milestone=milestone, is_done=reason is None,
                                                                note=reason or CLOSEOUT_MILESTONE_NOTE))
        if choice == "withdraw":
            self._extension_withdrawn(moment, day)
        task.closeout_requested_at = moment
        self.move(moment, self.head, "closeout_requested", ("in_progress",), "pending_review", CLOSEOUT_SUMMARY,
                  record)
        self.notify(moment, day, "closeout_requested")

    def _extension_withdrawn(self, moment, day):
        """The head withdraws the extension request still waiting, as it asks for close-out."""
        pending = next(record for record in self.requests.values()
                       if isinstance(record, ExtensionRequest) and record.status == "pending")
        pending.status, pending.decided_by_id, pending.decided_at = "withdrawn", self.head.id, moment
        pending.decision_note = EXTENSION_WITHDRAWN
        self.move(moment, self.head, "extension_withdrawn", ("in_progress",),
                  reason=f"{pending.requested_deadline_on.isoformat()}：{EXTENSION_WITHDRAWN}", record=pending)
        self.notify(moment, day, "extension_withdrawn")

    def _closeout_decided(self, moment, day, request):
        """The office approves (closed) or rejects (back to work) the close-out."""
        task, record, outcome = self.task, self.requests[request], request[2]
        late = outcome == "approved" and clock.to_local(task.closeout_requested_at).date() > task.deadline_on
        note = DECISION_NOTES["approved_late" if late else outcome]
        record.status, record.decided_by_id, record.decided_at, record.decision_note = (
            outcome, self.people.supervisor.id, moment, note)
        if outcome == "approved":
            task.closed_at = moment
        else:
            task.closeout_requested_at = None  # the request is answered; the unit works on
            self.reworking = True
        self.move(moment, self.people.supervisor, f"closeout_{outcome}", ("pending_review",),
                  "closed" if outcome == "approved" else "in_progress", note, record)
        self.notify(moment, day, f"closeout_{outcome}")

    def _urged(self, moment, day, number):
        """催办 by the office."""
        message = URGE_TEXTS[min(number, len(URGE_TEXTS) - 1)]
        urge = self.add(Urge(unit_id=self.lead.id, urged_by_id=self.people.supervisor.id, message=message,
                             created_at=moment))
        self.move(moment, self.people.supervisor, "urged", ("assigned", "in_progress"), reason=message, record=urge)
        self.notify(moment, day, "urged")

    def _cancelled(self, moment, day, _detail):
        """撤销 by the office, with the spec's reason."""
        self.task.cancelled_at = moment
        self.move(moment, self.people.supervisor, "cancelled", ("draft", "assigned", "in_progress", "pending_review"),
                  "cancelled", self.spec["cancel_reason"])
        self.notify(moment, day, "cancelled")
