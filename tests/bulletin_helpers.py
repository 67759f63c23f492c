"""A small county whose November 2026 bulletin has figures known by hand, and PDF read-back helpers.

The clock stands at 5 December 2026, so November is a finished month whose
tasks have moved on since its cut-off (one was closed on 3 December, one
extended on 1 December, one created on 2 December): the bulletin must report
them as they were on 30 November.

Expected for November (see test_bulletin_data.py for the counting):
  counted 9 tasks, 2 closed (1 on time), 1 to accept, 1 pending review, 5 in progress,
  4 overdue (A1 20 days, A3 15, B2 5, C2 2), 7 due, 3 urges in November.
"""
import shutil
import subprocess
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_task, make_unit, make_user
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    AssessmentPeriod,
    AuditEntry,
    CloseoutRequest,
    ExtensionRequest,
    Indicator,
    IndicatorResult,
    Urge,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, tzinfo=SHANGHAI)
MONTH = "2026-11"
UNITS = {"A": "县水利局", "B": "县商务局", "C": "城关镇", "D": "县交通运输局"}
TITLES = {
    "A1": "农村安全饮水巩固提升", "A2": "小型水库除险加固", "A3": "灌区渠系修复工程",
    "B1": "外贸企业培育（十二月新增）", "B2": "农贸市场监管整改", "B3": "实际利用外资项目招引",
    "C1": "老旧小区雨污分流改造", "C2": "城区停车秩序整治", "C3": "垃圾中转站扩容",
    "D1": "国省道危桥改造（已撤销）", "D2": "农村公路养护草稿", "D3": "客运站改造提升",
    "A4": "去年已销号的渡口整治",
}


def at(day, hour=10):
    """A UTC moment at `hour` o'clock Shanghai time on `day`."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _audit(task, day, action, from_status, to_status, hour=10):
    """An audit entry of one status change, as the workflow writes it."""
    db.session.add(AuditEntry(task_id=task.id, object_type="task", object_id=task.id, action=action,
                              from_status=from_status, to_status=to_status, created_at=at(day, hour)))


def play(key, unit, owner, deadline, created, *, accepted=None, closeout=None, closed=None, cancelled=None,
         status="in_progress", extension=None, code_prefix="ZG2026"):
    """A task with the history the workflow would have written; returns it."""
    number = list(TITLES).index(key) + 1
    task = make_task(TITLES[key], unit, status=status, deadline_on=deadline, code=f"{code_prefix}-{number:04d}",
                     created_at=at(created, 9), original_deadline_on=deadline)
    _audit(task, created, "created", None, "draft", 9)
    if status == "draft":
        return task
    task.dispatched_at = at(created)
    _audit(task, created, "dispatched", "draft", "assigned")
    current = "assigned"
    if accepted:
        task.accepted_at, task.owner_id = at(accepted), owner.id
        _audit(task, accepted, "accepted", "assigned", "in_progress")
        current = "in_progress"
    if extension:
        asked, new_deadline, decided = extension
        db.session.add(ExtensionRequest(task_id=task.id, requested_by_id=owner.id, current_deadline_on=deadline,
                                        requested_deadline_on=new_deadline, reason="受天气影响", status="approved",
                                        decided_at=at(decided), created_at=at(asked)))
        _audit(task, decided, "extension_approved", current, current)
        task.deadline_on = new_deadline
    if closeout:
        request_ = CloseoutRequest(task_id=task.id, requested_by_id=owner.id, summary="已完成",
                                   deadline_in_force_on=task.deadline_on, status="pending", created_at=at(closeout))
        db.session.add(request_)
        task.closeout_requested_at = at(closeout)
        _audit(task, closeout, "closeout_requested", current, "pending_review")
        current = "pending_review"
        if closed:
            request_.status, request_.decided_at = "approved", at(closed, 16)
            task.closed_at = at(closed, 16)
            _audit(task, closed, "closeout_approved", "pending_review", "closed", 16)
    if cancelled:
        task.cancelled_at = at(cancelled)
        _audit(task, cancelled, "cancelled", current, "cancelled")
    return task


def build_county():
    """The known county; returns a dict of ids (units, users, tasks by key, the weak indicator result)."""
    units = {key: make_unit(name, "town" if name.endswith("镇") else "department") for key, name in UNITS.items()}
    supervisor = make_user("supervisor", "supervisor", display_name="督查员")
    supervisor2 = make_user("supervisor2", "supervisor", display_name="督查员二")
    leader = make_user("leader", "leader", display_name="王县长", title="常务副县长")
    owners = {key: make_user(f"head{key}", "unit_head", units[key], display_name=name)
              for key, name in zip("ABCD", ("张三", "李四", "王五", "赵六"), strict=True)}
    a, b, c, d = (units[k] for k in "ABCD")
    oa, ob, oc, od = (owners[k] for k in "ABCD")
    tasks = {
        "A1": play("A1", a, oa, date(2026, 11, 10), date(2026, 10, 1), accepted=date(2026, 10, 2)),
        "A2": play("A2", a, oa, date(2026, 11, 20), date(2026, 10, 1), accepted=date(2026, 10, 2),
                   closeout=date(2026, 11, 5), closed=date(2026, 11, 6), status="closed"),
        # Closed on 3 December: still open (and overdue) on 30 November.
        "A3": play("A3", a, oa, date(2026, 11, 15), date(2026, 10, 1), accepted=date(2026, 10, 3),
                   closeout=date(2026, 12, 2), closed=date(2026, 12, 3), status="closed"),
        # Created on 2 December: not in November's bulletin at all.
        "B1": play("B1", b, ob, date(2027, 3, 31), date(2026, 12, 2), accepted=date(2026, 12, 3)),
        # Extended on 1 December: on 30 November its deadline was still 25 November.
        "B2": play("B2", b, ob, date(2026, 11, 25), date(2026, 10, 1), accepted=date(2026, 10, 2),
                   extension=(date(2026, 11, 28), date(2026, 12, 31), date(2026, 12, 1))),
        # Extended on 3 November to 20 December: not overdue.
        "B3": play("B3", b, ob, date(2026, 11, 5), date(2026, 10, 1), accepted=date(2026, 10, 2),
                   extension=(date(2026, 11, 1), date(2026, 12, 20), date(2026, 11, 3))),
        # Asked for close-out on time, still under review: not overdue.
        "C1": play("C1", c, oc, date(2026, 11, 20), date(2026, 10, 1), accepted=date(2026, 10, 2),
                   closeout=date(2026, 11, 18), status="pending_review"),
        # Never accepted: no owner yet, overdue.
        "C2": play("C2", c, oc, date(2026, 11, 28), date(2026, 10, 1), status="assigned"),
        # Closed late in November.
        "C3": play("C3", c, oc, date(2026, 10, 31), date(2026, 9, 1), accepted=date(2026, 9, 2),
                   closeout=date(2026, 11, 8), closed=date(2026, 11, 9), status="closed"),
        "D1": play("D1", d, od, date(2026, 11, 30), date(2026, 10, 1), accepted=date(2026, 10, 2),
                   cancelled=date(2026, 11, 15), status="cancelled"),
        "D2": play("D2", d, od, date(2027, 1, 31), date(2026, 11, 20), status="draft"),
        "D3": play("D3", d, od, date(2026, 12, 31), date(2026, 11, 2), accepted=date(2026, 11, 3)),
        # Closed in 2025: not part of 2026's bulletins.
        "A4": play("A4", a, oa, date(2025, 12, 20), date(2025, 10, 1), accepted=date(2025, 10, 2),
                   closeout=date(2025, 12, 10), closed=date(2025, 12, 11), status="closed", code_prefix="ZG2025"),
    }
    for key, day in (("A1", date(2026, 11, 12)), ("A1", date(2026, 11, 26)), ("C2", date(2026, 11, 29)),
                     ("A1", date(2026, 10, 20)), ("A3", date(2026, 12, 1))):
        db.session.add(Urge(task_id=tasks[key].id, unit_id=tasks[key].lead_unit_id, urged_by_id=supervisor.id,
                            message="请加快进度", created_at=at(day)))
    weak_result = _weak_indicator(tasks["A1"])
    db.session.commit()
    return {
        "units": {key: unit.id for key, unit in units.items()},
        "users": {"supervisor": supervisor.id, "supervisor2": supervisor2.id, "leader": leader.id,
                  **{f"head{key}": owner.id for key, owner in owners.items()}},
        "tasks": {key: task.id for key, task in tasks.items()},
        "weak_result": weak_result.id,
    }


def _weak_indicator(task):
    """Two periods of one indicator: 9th of 12 before, last (12th) now, with `task` rectifying it."""
    indicator = Indicator(name="农村自来水普及率", category="社会民生", weight=3.0)
    strong = Indicator(name="地区生产总值增速", category="经济发展", weight=5.0)
    before = AssessmentPeriod(name="2025年下半年考核", starts_on=date(2025, 7, 1), ends_on=date(2025, 12, 31),
                              created_at=at(date(2026, 1, 15)))
    now = AssessmentPeriod(name="2026年上半年考核", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30),
                           created_at=at(date(2026, 7, 15)))
    db.session.add_all([indicator, strong, before, now])
    db.session.flush()
    db.session.add_all([
        IndicatorResult(period_id=before.id, indicator_id=indicator.id, rank=9, peer_count=12, score=2.0,
                        created_at=at(date(2026, 1, 15))),
        IndicatorResult(period_id=now.id, indicator_id=strong.id, rank=2, peer_count=12, score=4.8,
                        created_at=at(date(2026, 7, 15))),
    ])
    result = IndicatorResult(period_id=now.id, indicator_id=indicator.id, rank=12, peer_count=12, score=1.2,
                             created_at=at(date(2026, 7, 15)))
    db.session.add(result)
    db.session.flush()
    task.indicator_result_id = result.id
    return result


@pytest.fixture
def bulletin_dir(app, tmp_path):
    """A bulletin directory of this test's own."""
    path = tmp_path / "bulletins"
    app.config["BULLETIN_DIR"] = str(path)
    return path


@pytest.fixture
def bulletin_county(app, bulletin_dir):
    """The known county, with the clock at 5 December 2026; ids only."""
    with clock.frozen(NOW):
        with app.app_context():
            ids = build_county()
        yield ids


def pdf_text(path, first=None, last=None, layout=True):
    """The PDF's text as poppler's pdftotext reads it (optionally some pages only)."""
    command = ["pdftotext"] + (["-layout"] if layout else [])
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    return subprocess.run(command + [str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path):
    """The page count pdfinfo reports."""
    output = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in output.splitlines() if line.startswith("Pages:")))


def pdf_fonts(path):
    """pdffonts' rows as (name, type, embedded) tuples."""
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in output.splitlines()[2:]:
        parts = line.split()
        # name, type (may be two words), encoding, emb, sub, uni, object, id
        rows.append((parts[0], " ".join(parts[1:-6]), parts[-5]))
    return rows


def squeeze(text):
    """Text without any whitespace: pdftotext breaks table cells and lines anywhere."""
    return "".join(text.split())


def flat(path, first=None, last=None):
    """The PDF's text in reading order (each table cell whole, a row's cells in order), whitespace removed."""
    return squeeze(pdf_text(path, first, last, layout=False))


requires_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
