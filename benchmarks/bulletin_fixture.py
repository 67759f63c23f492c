"""A synthetic county (or city) for the bulletin benchmark: units, tasks in every state, their history.

`build(units=33, tasks=300, overdue=60)` fills an empty database with tasks
whose recorded history (audit entries, close-out and extension requests, urges)
looks like the workflow's, so the bulletin's cut-off reconstruction does its
real work. Seeded, so every run builds the same data.
"""
import json
import os
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    AuditEntry,
    CloseoutRequest,
    ExtensionRequest,
    Indicator,
    IndicatorResult,
    RectificationTask,
    Unit,
    Urge,
    User,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"
MONTH_END = date(2026, 11, 30)
DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tracker", "seeding", "demo_data")
TOWN_WORDS = ["城关", "河口", "青石", "桃源", "白马", "龙泉", "双溪", "高桥", "石门", "柳林", "新安", "东岭",
              "南山", "西坝", "北岗", "金鸡", "长乐", "永和", "安平", "凤凰"]
DEPT_WORDS = ["发展改革", "财政", "教育", "公安", "民政", "司法", "人社", "自然资源", "生态环境", "住建",
              "交通运输", "水利", "农业农村", "商务", "文旅", "卫健", "应急", "市场监管", "统计", "医保", "林业",
              "城管", "信访", "审计", "税务", "供销", "退役军人", "乡村振兴", "数据", "政务服务"]


def _moment(day, hour=10):
    """A UTC timestamp at `hour` o'clock local time on `day`."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def unit_names(count):
    """`count` distinct unit names: the demo county's, then generated departments and towns."""
    with open(os.path.join(DEMO, "units.csv"), encoding="utf-8") as handle:
        names = [line.split(",")[0] for line in handle.read().splitlines()[1:] if line.strip()]
    index = 0
    while len(names) < count:
        word = DEPT_WORDS[index % len(DEPT_WORDS)] if index % 2 else TOWN_WORDS[index % len(TOWN_WORDS)]
        suffix = "局" if index % 2 else "镇"
        names.append(f"{word}{suffix}第{index // 2 + 1}片区")
        index += 1
    return names[:count]


def task_titles():
    """Realistic titles from the demo's task list."""
    with open(os.path.join(DEMO, "tasks.json"), encoding="utf-8") as handle:
        return [item["title"] for item in json.load(handle)]


def _audit(task, moment, action, from_status, to_status):
    """One audit entry as the workflow writes it."""
    return AuditEntry(task_id=task.id, object_type="task", object_id=task.id, action=action,
                      from_status=from_status, to_status=to_status, created_at=moment)


def _weak_period(units, rng):
    """A half-year period with 36 indicator results, about a third of them in the bottom ranks."""
    period = AssessmentPeriod(name="2026年上半年考核", kind="half_year", starts_on=date(2026, 1, 1),
                              ends_on=date(2026, 6, 30), created_at=_moment(date(2026, 7, 10)))
    previous = AssessmentPeriod(name="2025年下半年考核", kind="second_half", starts_on=date(2025, 7, 1),
                                ends_on=date(2025, 12, 31), created_at=_moment(date(2026, 1, 10)))
    db.session.add_all([period, previous])
    db.session.flush()
    results = []
    for number in range(36):
        indicator = Indicator(name=f"考核指标{number + 1:02d}", category="经济发展", weight=rng.choice([2, 3, 4, 5]),
                              lead_unit_id=units[number % len(units)].id)
        db.session.add(indicator)
        db.session.flush()
        rank = rng.randint(1, 12)
        result = IndicatorResult(period_id=period.id, indicator_id=indicator.id, rank=rank, peer_count=12,
                                 score=indicator.weight * (1 - rank / 24), created_at=_moment(date(2026, 7, 10)))
        db.session.add_all([result, IndicatorResult(
            period_id=previous.id, indicator_id=indicator.id, rank=rng.randint(1, 12), peer_count=12,
            score=indicator.weight * 0.7, created_at=_moment(date(2026, 1, 10)))])
        results.append(result)
    db.session.flush()
    return [result for result in results if result.rank >= 10]


def build(units=33, tasks=300, overdue=60, seed=20261130):
    """Fill the (empty, migrated) database; returns a summary dict of what was made."""
    rng = random.Random(seed)
    supervisor = User(username="bench-supervisor", display_name="督查室", role="supervisor", password_hash="x")
    db.session.add(supervisor)
    unit_rows = [Unit(name=name, kind="town" if name.endswith(("镇", "乡")) else "department")
                 for name in unit_names(units)]
    db.session.add_all(unit_rows)
    db.session.flush()
    owners = {}
    for number, unit in enumerate(unit_rows):
        owner = User(username=f"owner{number}", display_name=f"责任人{number:03d}", role="unit_head", unit_id=unit.id,
                     password_hash="x")
        db.session.add(owner)
        owners[unit.id] = owner
    db.session.flush()
    weak_results = _weak_period(unit_rows, rng)
    titles = task_titles()
    plan = (["overdue"] * overdue + ["closed"] * (tasks * 3 // 10) + ["review"] * (tasks // 10)
            + ["assigned"] * (tasks // 15))
    plan += ["on_track"] * (tasks - len(plan))
    rng.shuffle(plan)
    made = {"overdue": 0}
    for number, kind in enumerate(plan):
        unit = unit_rows[min(int(rng.paretovariate(1.2)) - 1, units - 1) if number % 3 else number % units]
        made["overdue"] += _task(number, kind, unit, owners[unit.id], supervisor, titles, rng, weak_results)
    db.session.commit()
    return {"units": units, "tasks": tasks, "overdue": made["overdue"]}


def _task(number, kind, unit, owner, supervisor, titles, rng, weak_results):
    """One task played through its scenario; returns 1 when it is overdue at the month's end."""
    created = MONTH_END - timedelta(days=rng.randint(40, 200))
    if kind == "overdue":
        deadline = MONTH_END - timedelta(days=rng.randint(1, 60))
    elif kind == "closed":
        deadline = MONTH_END - timedelta(days=rng.randint(-30, 60))
    else:
        deadline = MONTH_END + timedelta(days=rng.randint(1, 90))
    deadline = max(deadline, created + timedelta(days=10))
    result = rng.choice(weak_results) if weak_results and number % 7 == 0 else None
    task = RectificationTask(
        code=f"ZG2026-{number + 1:04d}", title=f"{titles[number % len(titles)]}（第{number // len(titles) + 1}批）",
        lead_unit_id=unit.id, owner_id=owner.id, deadline_on=deadline, original_deadline_on=deadline,
        status={"closed": "closed", "review": "pending_review", "assigned": "assigned"}.get(kind, "in_progress"),
        source="indicator" if result else "manual", indicator_result_id=result.id if result else None,
        created_at=_moment(created), created_by_id=supervisor.id, dispatched_at=_moment(created + timedelta(days=1)),
    )
    db.session.add(task)
    db.session.flush()
    entries = [_audit(task, _moment(created), "created", None, "draft"),
               _audit(task, _moment(created + timedelta(days=1)), "dispatched", "draft", "assigned")]
    if kind != "assigned":
        task.accepted_at = _moment(created + timedelta(days=3))
        entries.append(_audit(task, task.accepted_at, "accepted", "assigned", "in_progress"))
    if kind in ("closed", "review"):
        asked = min(deadline + timedelta(days=rng.choice([-5, -2, 3])), MONTH_END - timedelta(days=2))
        asked = max(asked, created + timedelta(days=5))
        request_ = CloseoutRequest(task_id=task.id, requested_by_id=owner.id, summary="已完成整改",
                                   deadline_in_force_on=deadline, created_at=_moment(asked),
                                   status="approved" if kind == "closed" else "pending")
        task.closeout_requested_at = _moment(asked)
        entries.append(_audit(task, _moment(asked), "closeout_requested", "in_progress", "pending_review"))
        if kind == "closed":
            request_.decided_at = task.closed_at = _moment(asked + timedelta(days=1), 16)
            request_.decided_by_id = supervisor.id
            entries.append(_audit(task, task.closed_at, "closeout_approved", "pending_review", "closed"))
        db.session.add(request_)
    if kind == "on_track" and number % 5 == 0:
        db.session.add(ExtensionRequest(task_id=task.id, requested_by_id=owner.id, current_deadline_on=deadline,
                                        requested_deadline_on=deadline, reason="施工受阻", status="approved",
                                        decided_at=_moment(created + timedelta(days=20)), decided_by_id=supervisor.id,
                                        created_at=_moment(created + timedelta(days=18))))
    if kind == "overdue":
        for day in sorted(rng.sample(range(1, 29), 2)):
            db.session.add(Urge(task_id=task.id, unit_id=unit.id, urged_by_id=supervisor.id, message="请加快推进",
                                created_at=_moment(date(2026, 11, day))))
    db.session.add_all(entries)
    return 1 if kind == "overdue" else 0
