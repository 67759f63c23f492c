"""Creating and editing draft tasks; reusable by the spreadsheet import that comes later."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from ... import clock, permissions
from ...extensions import db
from ...models import AssessmentPeriod, Indicator, IndicatorResult, RectificationTask, Unit, User
from ...models.task import LEVELS, OPEN_STATUSES, SOURCES
from ...models.user import LEADER
from .. import DomainError, PermissionDenied, audit
from ..transaction import optional_text, required_text, saving
from . import milestone_plans
from .workflow import authorize, claim_form_token, conflict_message

CODE_PREFIX = "ZG"
CODE_ATTEMPTS = 5


@dataclass
class TaskDraft:
    """What a supervisor (or an import row) says about a task before it is dispatched."""

    title: str
    lead_unit_id: int
    deadline_on: date
    problem: str | None = None
    measures: str | None = None
    source: str = "manual"
    source_detail: str | None = None
    co_unit_ids: list = field(default_factory=list)
    responsible_leader_id: int | None = None
    supervision_level: str = "normal"
    period_id: int | None = None
    indicator_result_id: int | None = None
    milestones: list = field(default_factory=list)  # (due_on, title): the office's 时间节点, made with the task
    duplicate_reason: str | None = None  # why a second open task for the same indicator and lead unit
    follow_up_of_id: int | None = None  # the closed task this one follows up (回头看)


class DuplicateTask(DomainError):
    """The indicator already has an open task led by the same unit; `existing` lists them."""

    def __init__(self, indicator_name, existing):
        """Name the existing tasks and what to do."""
        codes = "、".join(task.code or str(task.id) for task in existing)
        super().__init__(_("%(name)s already has an open task led by the same unit (%(codes)s). Revise that task "
                           "(or link this period's result to it from the indicator board), or give the reason "
                           "for a second task.", name=indicator_name, codes=codes))
        self.existing = existing


def open_duplicates(indicator_result_id, lead_unit_id, exclude_task_id=None):
    """The open tasks (any period) of the result's indicator led by this unit: what a new task would duplicate."""
    origin = db.select(IndicatorResult.indicator_id).where(IndicatorResult.id == indicator_result_id) \
        .scalar_subquery()
    query = (db.select(RectificationTask)
             .join(IndicatorResult, RectificationTask.indicator_result_id == IndicatorResult.id)
             .where(IndicatorResult.indicator_id == origin, RectificationTask.lead_unit_id == lead_unit_id,
                    RectificationTask.status.in_(OPEN_STATUSES))
             .order_by(RectificationTask.id))
    if exclude_task_id is not None:
        query = query.where(RectificationTask.id != exclude_task_id)
    return db.session.scalars(query).all()


def check_duplicate(draft, exclude_task_id=None):
    """The draft's duplicate reason (None when no other open task competes); DuplicateTask without one."""
    if not draft.indicator_result_id:
        return None
    existing = open_duplicates(draft.indicator_result_id, draft.lead_unit_id, exclude_task_id)
    if not existing:
        return None
    reason = optional_text(draft.duplicate_reason, _("Reason for a second task"), 1000)
    if reason is None:
        result = db.session.get(IndicatorResult, draft.indicator_result_id)
        raise DuplicateTask(result.indicator.name if result else "", existing)
    return reason


def next_code(year):
    """The next free task code of the year: ZG2026-0001, ZG2026-0002, ..."""
    prefix = f"{CODE_PREFIX}{year}-"
    # Longest first, then highest: ZG2026-10000 sorts after ZG2026-9999.
    last = db.session.scalar(
        db.select(RectificationTask.code).where(RectificationTask.code.like(prefix + "%"))
        .order_by(func.length(RectificationTask.code).desc(), RectificationTask.code.desc()).limit(1)
    )
    number = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{number:04d}"


def _active_unit(unit_id, label):
    """The active unit with this id, or DomainError."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or not unit.is_active:
        raise DomainError(_("Choose an active unit as %(field)s.", field=label))
    return unit


def clean(draft, task_id=None, past_deadline_allowed=False):
    """Validated column values and co-units for a draft; DomainError on the first problem.

    `task_id`: the task being edited (its own open task is no duplicate of itself).
    `past_deadline_allowed`: a correction that keeps an overdue task's deadline as it is.
    """
    lead = _active_unit(draft.lead_unit_id, _("lead unit"))
    co_units = [_active_unit(unit_id, _("co-organizing unit")) for unit_id in dict.fromkeys(draft.co_unit_ids or [])]
    if any(unit.id == lead.id for unit in co_units):
        raise DomainError(_("The lead unit cannot also be a co-organizing unit."))
    leader = None
    if draft.responsible_leader_id:
        leader = db.session.get(User, draft.responsible_leader_id)
        if leader is None or leader.role != LEADER or not leader.is_active:
            raise DomainError(_("The responsible leader must be an active county leader."))
    if draft.source not in SOURCES:
        raise DomainError(_("Unknown source %(value)s.", value=draft.source))
    if draft.supervision_level not in LEVELS:
        raise DomainError(_("Unknown supervision level %(value)s.", value=draft.supervision_level))
    if draft.deadline_on is None:
        raise DomainError(_("Choose the deadline."))
    if draft.deadline_on < clock.today() and not past_deadline_allowed:
        raise DomainError(_("The deadline %(date)s is in the past.", date=draft.deadline_on.isoformat()))
    values = {
        "title": required_text(draft.title, _("Title"), RectificationTask.__table__.c.title.type.length),
        "problem": optional_text(draft.problem, _("Problem"), 20000),
        "measures": optional_text(draft.measures, _("Measures"), 20000),
        "source": draft.source,
        "source_detail": optional_text(draft.source_detail, _("Source detail"),
                                       RectificationTask.__table__.c.source_detail.type.length),
        "lead_unit_id": lead.id,
        "responsible_leader_id": leader.id if leader else None,
        "deadline_on": draft.deadline_on,
        "supervision_level": draft.supervision_level,
        "period_id": draft.period_id,
        "indicator_result_id": draft.indicator_result_id,
        "duplicate_reason": check_duplicate(draft, task_id),
        "follow_up_of_id": draft.follow_up_of_id,
    }
    return values, co_units


def create_draft(actor, draft, form_token=None):
    """Create a task as a draft with the next code of the year; a supervisor dispatches it later.

    `form_token`: the form's one-time token (DuplicateSubmission when it was used: the form was
    sent twice and saved once); None for callers without a form (imports, the CLI).
    """
    if not permissions.can_create_tasks(actor):
        raise PermissionDenied(_("Only the supervision office may create tasks."))
    values, co_units = clean(draft)
    for attempt in range(CODE_ATTEMPTS):
        try:
            with saving(conflict=conflict_message):
                if form_token is not None:
                    claim_form_token(actor, form_token)
                task = RectificationTask(code=next_code(clock.today().year), status="draft",
                                         original_deadline_on=values["deadline_on"], created_by_id=actor.id,
                                         created_at=clock.now(), **values)
                task.co_units = co_units
                db.session.add(task)
                db.session.flush()
                audit.record(actor, task, "created", None, "draft",
                             _("Second open task for the indicator: %(reason)s", reason=task.duplicate_reason)
                             if task.duplicate_reason else None)
                milestone_plans.plan_with_task(actor, task, draft.milestones or ())
            return task
        except IntegrityError:
            # Another supervisor took the same code at the same moment: take the next one.
            if attempt == CODE_ATTEMPTS - 1:
                raise DomainError(_("Could not give the task a code; please try again.")) from None


def update_draft(actor, task, draft, version=None):
    """Change a draft's details; the audit entry lists what changed."""
    with saving(conflict=conflict_message):
        authorize(actor, "edit", task, version)
        values, co_units = clean(draft, task.id)
        changes = [name for name, value in values.items() if getattr(task, name) != value]
        if [u.id for u in task.co_units] != [u.id for u in co_units]:
            changes.append("co_units")
        if not changes:
            return task
        for name, value in values.items():
            setattr(task, name, value)
        task.co_units = co_units
        # A draft has not been received by anyone: its deadline so far is still the original one.
        task.original_deadline_on = values["deadline_on"]
        task.updated_at = clock.now()
        flag_modified(task, "updated_at")  # a change of co-units alone must still move the version
        db.session.flush()
        audit.record(actor, task, "edited", "draft", "draft", ", ".join(changes))
    return task


def draft_from_task(task):
    """A TaskDraft holding the task's current values (to fill the edit form)."""
    return TaskDraft(
        title=task.title, lead_unit_id=task.lead_unit_id, deadline_on=task.deadline_on, problem=task.problem,
        measures=task.measures, source=task.source, source_detail=task.source_detail,
        co_unit_ids=[u.id for u in task.co_units], responsible_leader_id=task.responsible_leader_id,
        supervision_level=task.supervision_level, period_id=task.period_id,
        indicator_result_id=task.indicator_result_id, duplicate_reason=task.duplicate_reason,
        follow_up_of_id=task.follow_up_of_id,
    )


def indicator_choices(keep_result_id=None):
    """(result id, "indicator（period）") of the latest assessed period's results, for a task made by hand.

    `keep_result_id`: a result the edited task already answers, kept in the list when older.
    """
    latest = db.session.scalar(
        db.select(AssessmentPeriod.id).where(db.select(IndicatorResult.id)
                                             .where(IndicatorResult.period_id == AssessmentPeriod.id).exists())
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1))
    rows = db.session.execute(
        db.select(IndicatorResult.id, Indicator.name, AssessmentPeriod.name)
        .join(Indicator, IndicatorResult.indicator_id == Indicator.id)
        .join(AssessmentPeriod, IndicatorResult.period_id == AssessmentPeriod.id)
        .where(db.or_(IndicatorResult.period_id == latest, IndicatorResult.id == keep_result_id))
        .order_by(Indicator.name)).all()
    return [(result_id, f"{name}（{period}）") for result_id, name, period in rows]


def result_period_id(result_id):
    """The period of an indicator result (None without one)."""
    return db.session.scalar(db.select(IndicatorResult.period_id).where(IndicatorResult.id == result_id)) \
        if result_id else None


def form_choices():
    """Units and leaders offered by the task form."""
    units = db.session.scalars(db.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.kind, Unit.id)).all()
    leaders = db.session.scalars(
        db.select(User).where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)
    ).all()
    return units, leaders
