"""All models, importable from one place (Alembic autogenerate needs them loaded)."""
from .activity import AuditEntry, Notification
from .bulletin import Bulletin
from .indicator import AssessmentPeriod, Indicator, IndicatorMark, IndicatorResult, indicator_co_units
from .jobs import DataVersion, JobRequest, JobRun, OutboxMessage, SchedulerBeat
from .notice import DocumentCounter, SupervisionNotice
from .settings import OfficeSetting
from .task import (
    Attachment,
    CloseoutRequest,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    RectificationTask,
    TaskResultLink,
    Urge,
    task_co_units,
)
from .unit import Unit
from .user import LoginThrottle, SignIn, User

__all__ = [
    "AssessmentPeriod", "Attachment", "AuditEntry", "Bulletin", "CloseoutRequest", "DataVersion", "DocumentCounter",
    "ExtensionRequest", "Indicator", "IndicatorResult", "JobRequest", "JobRun", "LoginThrottle",
    "IndicatorMark", "Milestone", "Notification", "OfficeSetting", "OutboxMessage", "ProgressReport",
    "RectificationTask",
    "SchedulerBeat", "SignIn", "SupervisionNotice", "TaskResultLink",
    "Unit", "Urge", "User", "indicator_co_units", "task_co_units",
]
