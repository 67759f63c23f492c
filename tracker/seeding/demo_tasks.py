"""The demo's rectification tasks: each spec of demo_data/tasks.json played through a scenario.

A scenario is a timeline in days relative to today: created, dispatched,
accepted, progress reports (day, percent), milestones (due, done), extension
and close-out requests with their decisions, urges, cancellation. Playing it
writes what the workflow would have written: the status and its timestamps,
the records, one audit entry per step, and inbox messages for recent steps.
"""
from datetime import UTC, datetime, time, timedelta

from .. import clock
from ..extensions import db
from ..models import (
    AuditEntry,
    CloseoutRequest,
    ExtensionRequest,
    Milestone,
    Notification,
    ProgressReport,
    RectificationTask,
    Urge,
)

# Days relative to today. milestones: (due, done or None); reports: (day, percent done);
# extensions: (asked, new deadline, decided or None, outcome); closeouts: (asked, decided or None, outcome).
SCENARIOS = {
    "draft": {"created": -2, "deadline": 60},
    "assigned_new": {"created": -6, "dispatched": -3, "deadline": 57},
    "assigned_stale": {"created": -23, "dispatched": -20, "deadline": 40},
    "on_track": {"created": -50, "dispatched": -49, "accepted": -47, "deadline": 45,
                 "milestones": [(-30, -31), (15, None), (40, None)], "reports": [(-40, 20), (-25, 45), (-6, 60)]},
    "due_soon": {"created": -80, "dispatched": -79, "accepted": -77, "deadline": 4,
                 "milestones": [(-50, -51), (3, None)], "reports": [(-60, 30), (-30, 60), (-4, 85)]},
    "overdue": {"created": -90, "dispatched": -89, "accepted": -86, "deadline": -9,
                "milestones": [(-60, -61), (-20, -22), (-9, None)], "reports": [(-70, 20), (-45, 40), (-10, 55)],
                "urges": [-5, -2]},
    "overdue_long": {"created": -120, "dispatched": -118, "accepted": -110, "deadline": -30,
                     "milestones": [(-80, -81), (-50, None), (-30, None)],
                     "reports": [(-95, 15), (-60, 30), (-40, 35)], "urges": [-25, -15, -3]},
    "milestone_late": {"created": -60, "dispatched": -59, "accepted": -57, "deadline": 50,
                       "milestones": [(-35, -36), (-6, None), (30, None)], "reports": [(-45, 25), (-8, 40)]},
    "silent": {"created": -70, "dispatched": -69, "accepted": -66, "deadline": 35,
               "milestones": [(-40, -41), (20, None)], "reports": [(-50, 20), (-19, 35)]},
    "extended": {"created": -100, "dispatched": -99, "accepted": -96, "deadline": -8,
                 "milestones": [(-60, -61), (-25, -26)], "reports": [(-80, 20), (-50, 45), (-20, 55), (-3, 70)],
                 "extensions": [(-14, 25, -11, "approved")]},
    "extension_pending": {"created": -75, "dispatched": -74, "accepted": -72, "deadline": 6,
                          "milestones": [(-30, -31), (5, None)], "reports": [(-50, 30), (-5, 65)],
                          "extensions": [(-2, 36, None, "pending")]},
    "reopened": {"created": -85, "dispatched": -84, "accepted": -81, "deadline": 20,
                 "milestones": [(-50, -51), (-25, -26)], "reports": [(-60, 40), (-24, 95), (-7, 98)],
                 "closeouts": [(-20, -17, "rejected")]},
    "review": {"created": -80, "dispatched": -79, "accepted": -77, "deadline": 10,
               "milestones": [(-50, -51), (-10, -11)], "reports": [(-55, 40), (-30, 80), (-4, 100)],
               "closeouts": [(-3, None, "pending")]},
    "review_late": {"created": -95, "dispatched": -94, "accepted": -90, "deadline": -6,
                    "milestones": [(-60, -61), (-6, -5)], "reports": [(-60, 40), (-20, 80), (-3, 100)],
                    "urges": [-4], "closeouts": [(-2, None, "pending")]},
    "closed_on_time": {"created": -150, "dispatched": -149, "accepted": -146, "deadline": -45,
                       "milestones": [(-100, -101), (-70, -72)], "reports": [(-120, 30), (-90, 70), (-62, 100)],
                       "closeouts": [(-60, -55, "approved")]},
    "closed_late": {"created": -160, "dispatched": -158, "accepted": -152, "deadline": -50,
                    "milestones": [(-110, -111), (-60, -61)],
                    "reports": [(-130, 20), (-100, 50), (-58, 100), (-38, 100)], "urges": [-45],
                    "closeouts": [(-55, -52, "rejected"), (-36, -33, "approved")]},
    "closed_extended": {"created": -140, "dispatched": -139, "accepted": -137, "deadline": -70,
                        "milestones": [(-100, -101), (-75, -76)], "reports": [(-130, 25), (-100, 60), (-45, 100)],
                        "extensions": [(-78, -40, -75, "approved")], "closeouts": [(-42, -39, "approved")]},
    "cancelled": {"created": -40, "dispatched": -39, "deadline": 50, "cancelled": -30},
    "cancelled_active": {"created": -70, "dispatched": -69, "accepted": -67, "deadline": 40,
                         "milestones": [(-40, -41), (20, None)], "reports": [(-50, 20)], "cancelled": -20},
}
# Local time of each kind of step, so one day's steps come in a believable order.
HOURS = {
    "created": time(9), "urged": time(9, 30), "extension_requested": time(10), "closeout_requested": time(10),
    "dispatched": time(10, 30), "milestone_done": time(11), "accepted": time(15), "milestone_planned": time(15, 20),
    "cancelled": time(15, 30),
    "reported": time(16), "extension_decided": time(16, 30), "closeout_decided": time(16, 30),
    "co_reported": time(17),
}
NOTIFY_DAYS = 30  # older steps left no message in the demo inboxes
READ_AFTER_DAYS = 7  # messages older than this have been read

MILESTONE_TITLES = ("制定整改方案，明确责任分工和时间节点", "完成阶段性整改任务并报送进展",
                    "全面完成整改，提交销号材料")
DISPATCH_NOTE = "请于3个工作日内签收，并按要求制定整改方案、明确时间节点。"
REPORT_TEXTS = (
    (25, "已召开专题会议研究部署，制定整改工作方案，明确分管领导、责任股室和完成时限。"),
    (50, "整改工作有序推进，已完成现场摸排和问题清单梳理，正在组织实施，累计完成约{pct}%。"),
    (80, "主体工作推进过半，单位每周调度一次，累计完成约{pct}%，剩余任务已倒排工期。"),
    (99, "整改已基本完成，正在开展自查验收和佐证材料整理。"),
    (100, "整改任务已全部完成，经单位自查验收合格，相关佐证材料已整理上传。"),
)
REWORK_TEXT = "已按销号审核意见补充整改前后对比照片和群众回访记录，正在完善佐证材料。"
CO_REPORT_TEXT = "{unit}按照职责分工配合推进，已提供相关数据资料并参加联合现场检查。"
MILESTONE_NOTE = "已按节点完成，相关材料已报送。"
CLOSEOUT_SUMMARY = "已按整改方案完成全部整改措施，经自查验收合格，佐证材料已上传，申请销号。"
DECISION_NOTES = {
    "approved": "经审核，整改措施落实到位，佐证材料齐全，同意销号。",
    "approved_late": "整改已完成，同意销号；该任务超期完成，纳入月度通报。",
    "rejected": "佐证材料不完整，缺少整改前后对比照片和群众回访记录，请补充后重新申请。",
}
EXTENSION_REASON = "受施工条件和项目审批进度影响，原定时限内无法完成全部整改，申请延期。"
EXTENSION_NOTE = "同意延期，请按新的时间节点倒排工期，确保按期完成。"
URGE_TEXTS = (
    "该任务已超过整改时限，请于3个工作日内报送整改进展及情况说明。",
    "再次催办：请单位主要负责人亲自调度，加快整改进度。",
    "第三次催办：该任务严重滞后，已报分管县领导，将在月度通报中点名。",
)
# Inbox messages of the demo: who gets one for which step, and its title.
LEAD_HEAD_EVENTS = {
    "dispatched": "新任务待签收：{task}", "urged": "催办：{task}", "closeout_approved": "销号申请已通过：{task}",
    "closeout_rejected": "销号申请被退回：{task}", "extension_approved": "延期申请已批准：{task}",
    "cancelled": "任务已撤销：{task}",
}
CO_HEAD_EVENTS = {"dispatched": "配合任务已下发：{task}"}
OFFICE_EVENTS = {
    "accepted": "任务已签收：{task}", "closeout_requested": "销号申请待审核：{task}",
    "extension_requested": "延期申请待审核：{task}",
}
AUDIT_OBJECT_TYPES = {
    ProgressReport: "progress_report", Milestone: "milestone", Urge: "urge",
    ExtensionRequest: "extension_request", CloseoutRequest: "closeout_request",
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
        "extensions": [(day(asked), day(until), day(decided), outcome)
                       for asked, until, decided, outcome in scenario.get("extensions", ())],
        "closeouts": [(day(asked), day(decided), outcome) for asked, decided, outcome in scenario.get("closeouts", ())],
        "urges": [day(when) for when in scenario.get("urges", ())],
    }


class _Player:
    """Plays one task's scenario, adding the rows each step would have added."""

    def __init__(self, spec, scenario, code, units, people, period, results, today):
        """Get ready to play `scenario` for `spec`, numbered `code`."""
        self.spec, self.scenario, self.code, self.units, self.people, self.today = (
            spec, scenario, code, units, people, today)
        self.period = period
        self.result = results[spec["indicator"]] if spec["source"] == "indicator" else None
        self.lead = units[spec["lead"]]
        self.head = people.heads[spec["lead"]]
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
        return steps

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
        change = f"{self.task.deadline_on.isoformat()} → {record.requested_deadline_on.isoformat()}"
        if outcome == "approved":
            self.task.deadline_on = record.requested_deadline_on
        self.move(moment, self.people.supervisor, f"extension_{outcome}", ("in_progress",),
                  reason=f"{change}：{EXTENSION_NOTE}", record=record)
        self.notify(moment, day, f"extension_{outcome}")

    def _closeout_requested(self, moment, day, request):
        """The head asks for close-out (销号)."""
        self.requests[request] = self.add(CloseoutRequest(
            requested_by_id=self.head.id, summary=CLOSEOUT_SUMMARY, deadline_in_force_on=self.task.deadline_on,
            status="pending", created_at=moment))
        self.task.closeout_requested_at = moment
        self.move(moment, self.head, "closeout_requested", ("in_progress",), "pending_review", CLOSEOUT_SUMMARY,
                  self.requests[request])
        self.notify(moment, day, "closeout_requested")

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
