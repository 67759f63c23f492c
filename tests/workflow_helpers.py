"""Shared set-up for the workflow tests: a county with every kind of actor, tasks in any status, files."""
import io
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import FileStorage

from tests.conftest import make_task, make_unit, make_user
from tracker import clock
from tracker.extensions import db
from tracker.models import (
    Attachment,
    AuditEntry,
    CloseoutRequest,
    DeadlineAdjustment,
    ExtensionRequest,
    Milestone,
    Notification,
    ProgressReport,
    RectificationTask,
    TaskDispatch,
    TaskReturn,
    Urge,
    User,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The working day every workflow test runs on unless it says otherwise.
TODAY = date(2026, 6, 1)
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=SHANGHAI)
DEADLINE = date(2026, 9, 30)

# Actor key -> (username, role, unit key)
ACTORS = {
    "supervisor": ("supervisor", "supervisor", None),
    "supervisor2": ("supervisor2", "supervisor", None),
    "leader": ("leader", "leader", None),
    "principal": ("principal", "leader", None),
    "admin": ("admin", "admin", None),
    "lead_head": ("waterhead", "unit_head", "water"),
    "lead_staff": ("waterstaff", "unit_staff", "water"),
    "co_head": ("townhead", "unit_head", "town"),
    "co_staff": ("townstaff", "unit_staff", "town"),
    "other_head": ("otherhead", "unit_head", "other"),
}

# A 整改成效 statement long enough for a close-out request (closeouts.MIN_STATEMENT).
STATEMENT = "管网改造全部完成，经第三方检测水质达标，群众回访满意率98%。"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def zip_bytes(member="word/document.xml"):
    """A small real zip archive (docx and xlsx files are zips too)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<xml/>")
    return buffer.getvalue()


def upload(name, data):
    """A file as the service receives it from a form."""
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.fixture
def workflow_today():
    """Freeze the clock at noon Shanghai on TODAY for the whole test."""
    with clock.frozen(NOON):
        yield NOON


@pytest.fixture
def flow(app, workflow_today):
    """Units 县水利局 (lead), 城关镇 (co-unit), 县商务局 (uninvolved) and an actor of every kind; ids only."""
    with app.app_context():
        units = {"water": make_unit("县水利局"), "town": make_unit("城关镇", "town"), "other": make_unit("县商务局")}
        users = {}
        for key, (username, role, unit_key) in ACTORS.items():
            extra = {"is_principal": True, "title": "县长"} if key == "principal" else {}
            if key == "leader":
                extra = {"title": "分管水利副县长"}
            users[key] = make_user(username, role, units[unit_key] if unit_key else None, **extra)
        db.session.commit()
        return {"units": {k: u.id for k, u in units.items()}, "users": {k: u.id for k, u in users.items()}}


def user(flow, key):
    """The User for an actor key."""
    return db.session.get(User, flow["users"][key])


def new_task(flow, status="in_progress", deadline_on=DEADLINE, level="listed", **fields):
    """A task led by 县水利局 with 城关镇 co-organizing, brought to `status` as the workflow would have."""
    from tracker.models import Unit

    water = db.session.get(Unit, flow["units"]["water"])
    town = db.session.get(Unit, flow["units"]["town"])
    now = clock.now()
    if status != "draft":
        fields.setdefault("dispatched_at", now)
    if status in ("in_progress", "pending_review", "closed"):
        fields.setdefault("accepted_at", now)
        fields.setdefault("owner_id", flow["users"]["lead_staff"])
    task = make_task(fields.pop("title", "农村安全饮水巩固提升"), water, status=status, deadline_on=deadline_on,
                     co_units=[town], supervision_level=level, responsible_leader_id=flow["users"]["leader"],
                     code=fields.pop("code", None), created_at=now, created_by_id=flow["users"]["supervisor"],
                     **fields)
    if status == "pending_review":
        task.closeout_requested_at = now
        db.session.add(CloseoutRequest(task=task, requested_by_id=flow["users"]["lead_head"], summary="已完成",
                                       deadline_in_force_on=deadline_on, status="pending", created_at=now))
    db.session.commit()
    return task


def closeout_input(files=None, statement=STATEMENT, **fields):
    """A close-out request as a unit would fill it in: the statement, 100 %, one evidence file of its own."""
    from tracker.services.tasks import closeouts

    files = [upload("验收报告.pdf", PDF)] if files is None else files
    return closeouts.CloseoutInput(statement=statement, files=files, **fields)


def add_pending_extension(flow, task, requested=date(2026, 12, 31)):
    """Give the task a pending extension request."""
    db.session.add(ExtensionRequest(task=task, requested_by_id=flow["users"]["lead_head"],
                                    current_deadline_on=task.deadline_on, requested_deadline_on=requested,
                                    reason="汛期施工受阻", status="pending", created_at=clock.now()))
    db.session.commit()


def add_evidence(flow, task):
    """Give the task one report with a file row (no file on disk), so close-out has evidence."""
    report = ProgressReport(task_id=task.id, unit_id=flow["units"]["water"], author_id=flow["users"]["lead_staff"],
                            body="已完成管网改造", percent_done=100, created_at=clock.now())
    db.session.add(report)
    db.session.flush()
    db.session.add(Attachment(task_id=task.id, report_id=report.id, uploaded_by_id=report.author_id,
                              original_name="验收报告.pdf", stored_name="0" * 32, size_bytes=10, sha256="0" * 64))
    db.session.commit()


COUNTED = (AuditEntry, Notification, ProgressReport, Milestone, Urge, ExtensionRequest, CloseoutRequest, Attachment,
           TaskDispatch, TaskReturn, DeadlineAdjustment)


def snapshot(task_id):
    """Everything an action could change, to prove a refused one changed nothing."""
    db.session.expire_all()
    task = db.session.get(RectificationTask, task_id)
    counts = {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model)) for model in COUNTED}
    requests = sorted((type(r).__name__, r.id, r.status) for r in task.extension_requests + task.closeout_requests)
    return (task.status, task.version, task.deadline_on, task.owner_id, task.percent_done, task.lead_unit_id,
            [u.id for u in task.co_units], task.title, [(m.title, m.due_on) for m in task.milestones], counts, requests)


def audit_actions(task_id):
    """The task's audit actions, oldest first."""
    return list(db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.task_id == task_id).order_by(AuditEntry.id)))


def inbox_of(flow, key):
    """Kinds of the messages in one actor's inbox, oldest first."""
    return list(db.session.scalars(
        db.select(Notification.kind).where(Notification.user_id == flow["users"][key]).order_by(Notification.id)))
