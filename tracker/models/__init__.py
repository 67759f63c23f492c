"""All models, importable from one place (Alembic autogenerate needs them loaded)."""
from .activity import AuditEntry, Notification
from .bulletin import Bulletin
from .correction import DeadlineAdjustment, TaskDispatch, TaskReturn
from .indicator import AssessmentPeriod, Indicator, IndicatorMark, IndicatorResult, indicator_co_units
from .jobs import DataVersion, JobRequest, JobRun, OutboxMessage, SchedulerBeat
from .notice import DocumentCounter, SupervisionNotice
from .settings import OfficeSetting
from .task import (
    Attachment,
    CloseoutMilestoneNote,
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

# One name a line: branches that add models then merge without conflicts.
__all__ = [
    "AssessmentPeriod",
    "Attachment",
    "AuditEntry",
    "Bulletin",
    "CloseoutMilestoneNote",
    "CloseoutRequest",
    "DataVersion",
    "DeadlineAdjustment",
    "DocumentCounter",
    "ExtensionRequest",
    "Indicator",
    "IndicatorMark",
    "IndicatorResult",
    "JobRequest",
    "JobRun",
    "LoginThrottle",
    "Milestone",
    "Notification",
    "OfficeSetting",
    "OutboxMessage",
    "ProgressReport",
    "RectificationTask",
    "SchedulerBeat",
    "SignIn",
    "SupervisionNotice",
    "TaskDispatch",
    "TaskResultLink",
    "TaskReturn",
    "Unit",
    "Urge",
    "User",
    "indicator_co_units",
    "task_co_units",
]
