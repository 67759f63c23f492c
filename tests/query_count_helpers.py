"""A county of adjustable size for counting SQL statements: everything in it comes `k` times.

`build_county(k)` makes 5·k tasks of one lead unit, each with k co-units, k
progress reports by k different people (one file each), k + 1 milestones (one
late, k done by k different people); one "featured" task that also has k urges, k extension
requests and k close-out requests, each by and decided by different people,
with audit entries pointing at them; k weak indicators (a result in each of
two periods) with tasks made from them; 5·k inbox messages per viewer. A page whose
statement count differs between k = 1 and k = 12 runs a query per row.
"""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import make_task, make_unit, make_user
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    Attachment,
    AuditEntry,
    CloseoutRequest,
    ExtensionRequest,
    Indicator,
    IndicatorResult,
    Milestone,
    Notification,
    ProgressReport,
    Urge,
    User,
)

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOON.date()


class People:
    """Fresh users on demand, each made once, so no page finds a record's person already loaded."""

    def __init__(self):
        """No one yet."""
        self.count = 0

    def make(self, role, unit=None):
        """A new user of `role` (who never logs in: no password hashing, there are a thousand of them)."""
        self.count += 1
        user = User(username=f"{role}{self.count}", display_name=f"人员{self.count}", role=role, unit=unit,
                    password_hash="!")
        db.session.add(user)  # flushed with the records that name them
        return user


def _audit(task, actor, action, moment, record=None, object_type="task"):
    """An audit entry pointing at the record it made (as the workflow writes them)."""
    db.session.add(AuditEntry(task_id=task.id, object_type=object_type, object_id=record.id if record else task.id,
                              actor_id=actor.id, action=action, from_status="in_progress", to_status="in_progress",
                              created_at=moment))


def _indicators(k, lead, units, leader_title, period_now, period_before):
    """k indicators, each with a lead unit and a co-unit, ranked last in both periods (weak)."""
    results = []
    for n in range(k):
        indicator = Indicator(name=f"指标{n}", category="经济发展", weight=4.0, lead_unit=units[n % len(units)],
                              leader_title=leader_title)
        indicator.co_units = [units[(n + 1) % len(units)], lead]
        db.session.add(indicator)
        for period in (period_before, period_now):
            result = IndicatorResult(period=period, indicator=indicator, score=1.0, rank=12, peer_count=12,
                                     target_value=10, actual_value=5)
            db.session.add(result)
            results.append(result)
    db.session.flush()
    return [result for result in results if result.period is period_now]


def _featured_records(k, task, people, head, moment):
    """k urges, extension requests (approved) and close-out requests (rejected) on one task."""
    made = []
    for _n in range(k):
        urger, asker, granter = people.make("supervisor"), people.make("unit_head", task.lead_unit), \
            people.make("supervisor")
        closer, refuser = people.make("unit_head", task.lead_unit), people.make("supervisor")
        urge = Urge(task_id=task.id, unit_id=task.lead_unit_id, urged_by=urger, message="请加快进度", created_at=moment)
        extension = ExtensionRequest(task_id=task.id, requested_by=asker,
                                     current_deadline_on=task.deadline_on - timedelta(days=10),
                                     requested_deadline_on=task.deadline_on, reason="汛期", status="approved",
                                     decided_by=granter, decided_at=moment, created_at=moment)
        closeout = CloseoutRequest(task_id=task.id, requested_by=closer, summary="已完成",
                                   deadline_in_force_on=task.deadline_on, status="rejected",
                                   decided_by=refuser, decided_at=moment, created_at=moment)
        db.session.add_all([urge, extension, closeout])
        made.append((urge, extension, closeout))
    db.session.flush()
    for urge, extension, closeout in made:
        db.session.add(Attachment(task_id=task.id, closeout_request_id=closeout.id, uploaded_by_id=head.id,
                                  original_name="材料.pdf", stored_name=f"c{closeout.id:031d}", size_bytes=10,
                                  sha256="0" * 64))
        _audit(task, urge.urged_by, "urged", moment, urge, "urge")
        _audit(task, extension.requested_by, "extension_requested", moment, extension, "extension_request")
        _audit(task, closeout.requested_by, "closeout_requested", moment, closeout, "closeout_request")


def _task_records(k, task, people, co_units, moment):
    """k reports by different people of the lead and co-units (a file each); k + 1 milestones: one late, k done."""
    for n in range(k + 1):
        doer = people.make("unit_staff", task.lead_unit) if n else None
        db.session.add(Milestone(task_id=task.id, title=f"节点{n}", due_on=TODAY - timedelta(days=5 - n),
                                 done_at=moment if doer else None, done_note="完成" if doer else None,
                                 done_by=doer))
    reports = []
    for n in range(k):
        unit = task.lead_unit if n % 2 == 0 else co_units[n % len(co_units)]
        report = ProgressReport(task_id=task.id, unit=unit, author=people.make("unit_staff", unit),
                                body=f"进展{n}", percent_done=10 * n, created_at=moment - timedelta(days=n))
        db.session.add(report)
        reports.append(report)
    db.session.flush()
    for report in reports:
        db.session.add(Attachment(task_id=task.id, report_id=report.id, uploaded_by_id=report.author_id,
                                  original_name="照片.jpg", stored_name=f"r{report.id:031d}", size_bytes=10,
                                  sha256="0" * 64))
        _audit(task, report.author, "reported", moment, report, "progress_report")


def build_county(k):
    """The county at size k; returns ids of the viewers, the featured task, the lead unit and the period."""
    people = People()
    with clock.frozen(NOON):
        moment = clock.now() - timedelta(days=1)
        lead = make_unit("县水利局")
        co_units = [make_unit(f"配合单位{n}") for n in range(max(2, k))]
        viewers = {"supervisor": make_user("viewer_supervisor", "supervisor"),
                   "leader": make_user("viewer_leader", "leader", title="分管水利副县长"),
                   "unit_head": make_user("viewer_head", "unit_head", lead)}
        period_before = AssessmentPeriod(name="2025年下半年考核", starts_on=date(2025, 7, 1),
                                         ends_on=date(2025, 12, 31))
        period_now = AssessmentPeriod(name="2026年上半年考核", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
        db.session.add_all([period_before, period_now])
        results = _indicators(k, lead, co_units, "分管水利副县长", period_now, period_before)
        tasks = []
        for n in range(5 * k):
            deadline = TODAY - timedelta(days=3) if n % 3 == 0 else TODAY + timedelta(days=30 + n)
            task = make_task(f"整改任务{n}", lead, deadline_on=deadline, co_units=co_units[:k],
                             code=f"ZG2026-{n:04d}", responsible_leader=viewers["leader"],
                             owner=people.make("unit_staff", lead), created_by=viewers["supervisor"],
                             dispatched_at=moment - timedelta(days=30), accepted_at=moment - timedelta(days=29),
                             created_at=moment - timedelta(days=31), last_reported_at=moment,
                             period_id=period_now.id, indicator_result_id=results[n % len(results)].id,
                             supervision_level="listed")
            _task_records(k, task, people, co_units, moment)
            tasks.append(task)
        _featured_records(k, tasks[0], people, viewers["unit_head"], moment)
        for viewer in viewers.values():
            for n in range(5 * k):
                db.session.add(Notification(user_id=viewer.id, task_id=tasks[n].id, kind="dispatched",
                                            title=f"新任务{n}", created_at=moment, read_at=None if n % 2 else moment))
        db.session.commit()
        return {"viewers": {role: user.username for role, user in viewers.items()}, "task": tasks[0].id,
                "lead_unit": lead.id, "period": period_now.id, "tasks": len(tasks)}
