"""From weak indicators to rectification tasks: prefilled drafts, then create and dispatch them in bulk.

`propose` turns the weak results a supervisor selected into TaskDrafts filled
from the result (title, problem, units, leader, default deadline, source);
`create_tasks` creates the edited drafts through tasks/drafts.create_draft and
dispatches each through workflow.dispatch, all in one transaction: one bad
draft and nothing is created. An indicator result that already has an open
task gets no second one, checked again inside that transaction.
"""
import re
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from ... import clock, permissions
from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult, RectificationTask, TaskResultLink, User
from ...models.task import OPEN_STATUSES
from ...models.user import LEADER
from .. import DomainError, PermissionDenied, transaction
from ..tasks import drafts, milestone_plans, workflow
from . import continuity, weakness


@dataclass
class Proposal:
    """A draft task proposed for one weak indicator result, or why none is proposed."""

    assessment: weakness.IndicatorAssessment
    draft: drafts.TaskDraft | None
    leader: User | None = None
    existing: list | None = None  # open tasks the result already has: no duplicate is proposed
    carried: list | None = None  # open tasks of the indicator with the same lead unit (earlier periods): link?

    @property
    def result(self):
        """The indicator result the task comes from."""
        return self.assessment.result


class BatchRejected(DomainError):
    """Some drafts of a batch were refused; nothing was created. `errors` maps row index → message."""

    def __init__(self, errors):
        """Keep the errors of each draft."""
        super().__init__(ngettext("Nothing was created: %(num)d draft has a problem.",
                                  "Nothing was created: %(num)d drafts have problems.", len(errors)))
        self.errors = errors


def require_office(actor):
    """Only the supervision office makes tasks from indicators."""
    if not permissions.can_manage_assessments(actor):
        raise PermissionDenied(_("Only the supervision office may create tasks."))


def leader_for(indicator):
    """The active county leader whose title is the indicator's leader title, or None."""
    if not indicator.leader_title:
        return None
    return db.session.scalar(
        db.select(User).where(User.role == LEADER, User.is_active.is_(True), User.title == indicator.leader_title)
        .order_by(User.id).limit(1))


def open_tasks_by_result(period, clause=None):
    """result id → open tasks made from it or linked to it (in this period), optionally filtered by a clause."""
    T, R, L = RectificationTask, IndicatorResult, TaskResultLink
    own = db.select(T.id, R.id.label("result_id")).join(R, T.indicator_result_id == R.id) \
        .where(R.period_id == period.id, T.status.in_(OPEN_STATUSES))
    linked = db.select(T.id, L.result_id).join(L, L.task_id == T.id).join(R, L.result_id == R.id) \
        .where(R.period_id == period.id, T.status.in_(OPEN_STATUSES))
    if clause is not None:
        own, linked = own.where(clause), linked.where(clause)
    pairs = db.session.execute(own.union(linked)).all()
    tasks = {task.id: task for task in db.session.scalars(
        db.select(T).where(T.id.in_({task_id for task_id, _result in pairs})))} if pairs else {}
    found = {}
    for task_id, result_id in sorted(pairs):
        found.setdefault(result_id, []).append(tasks[task_id])
    return found


def propose(actor, period, result_ids):
    """Drafts for the selected weak results of the period, in board order; results with open tasks get none."""
    require_office(actor)
    wanted = {int(result_id) for result_id in result_ids}
    existing = open_tasks_by_result(period)
    proposals = []
    for item in weakness.evaluate_period(period):
        if item.result.id not in wanted or not item.is_weak:
            continue
        if item.result.id in existing:
            proposals.append(Proposal(item, None, existing=existing[item.result.id]))
            continue
        leader = leader_for(item.indicator)
        draft = draft_for(period, item, leader)
        carried = drafts.open_duplicates(item.result.id, draft.lead_unit_id) if draft.lead_unit_id else []
        proposals.append(Proposal(item, draft, leader=leader, carried=carried))
    return proposals


def draft_for(period, item, leader):
    """The prefilled draft for one weak result."""
    result, indicator = item.result, item.indicator
    return drafts.TaskDraft(
        title=_("Rectify the weak indicator %(name)s", name=indicator.name),
        problem=problem_text(period, item), source="indicator", source_detail=source_detail(period, item),
        lead_unit_id=indicator.lead_unit_id, co_unit_ids=[unit.id for unit in indicator.co_units],
        responsible_leader_id=leader.id if leader else None,
        deadline_on=clock.today() + timedelta(days=period.default_deadline_days),
        period_id=period.id, indicator_result_id=result.id,
        supervision_level="key" if "last_place" in item.reasons or indicator.is_veto else "normal",
    )


def _fmt(number):
    """A number as short text (8 not 8.0)."""
    return "-" if number is None else f"{number:g}"


def source_detail(period, item):
    """Where the task comes from: period, indicator, rank and points lost (one line)."""
    result = item.result
    return _("%(period)s: %(name)s ranked %(rank)s of %(peers)s, %(lost)s points lost",
             period=period.name, name=item.indicator.name, rank=_fmt(result.rank), peers=_fmt(result.peer_count),
             lost=f"{item.points_lost:.2f}")[:300]


def problem_text(period, item):
    """The problem, written from the result: score, rank, target and actual, and why it is weak."""
    result, indicator = item.result, item.indicator
    unit = indicator.measure_unit or ""
    text = _("In %(period)s, %(name)s scored %(score)s of %(weight)s points (%(lost)s lost), ranking "
             "%(rank)s of %(peers)s.", period=period.name, name=indicator.name, score=_fmt(result.score),
             weight=_fmt(indicator.weight), lost=f"{item.points_lost:.2f}", rank=_fmt(result.rank),
             peers=_fmt(result.peer_count))
    if result.target_value is not None and result.actual_value is not None:
        text += " " + _("Actual %(actual)s against a target of %(target)s.",
                        actual=_fmt(result.actual_value) + unit, target=_fmt(result.target_value) + unit)
    why = list(item.reason_details)
    if item.hand_mark == "weak":
        why.append(_("marked weak by the office: %(reason)s", reason=item.hand_mark_reason))
    text += " " + _("Weak because: %(reasons)s.", reasons="; ".join(why))
    # Sentences are joined with a space, which Chinese does not put after its full stop.
    return re.sub(r"(?<=[。；]) ", "", text.replace("; ", "；") if "。" in text else text)


@dataclass
class DraftInput:
    """One edited draft from the generate form: which result it is for, and the draft as edited."""

    result_id: int
    draft: drafts.TaskDraft
    milestone_text: str | None = None  # the office's 时间节点, one "date title" a line
    link_task_id: int | None = None  # link the result to this open task instead of creating one


def create_tasks(actor, period, inputs, dispatch=True):
    """Create the drafts (and dispatch them) in one transaction; BatchRejected lists every bad draft."""
    require_office(actor)
    if not inputs:
        raise DomainError(_("Select at least one draft."))
    errors, created, linked = {}, [], []
    try:
        with transaction.one_transaction(conflict=workflow.conflict_message):
            # Serialises concurrent batches of the same period on PostgreSQL (a no-op on SQLite,
            # which allows one writer at a time anyway), so the duplicate check below holds.
            db.session.execute(db.select(AssessmentPeriod.id).where(AssessmentPeriod.id == period.id)
                               .with_for_update())
            existing = open_tasks_by_result(period)
            seen = set()
            for index, item in enumerate(inputs):
                message = _check_input(period, item, existing, seen)
                if message is None and item.link_task_id:
                    message = _link_one(actor, item, linked)
                elif message is None:
                    message = _create_one(actor, item, dispatch, created)
                if message is not None:
                    errors[index] = message
            if errors:
                raise BatchRejected(errors)
    except (IntegrityError, PendingRollbackError):
        raise DomainError(_("Someone else created tasks at the same moment; please try again.")) from None
    return Outcome(created=created, linked=linked)


@dataclass
class Outcome:
    """What a batch did: tasks created, and existing tasks linked to this period's results."""

    created: list
    linked: list


def _link_one(actor, item, linked):
    """Link the result to the chosen open task; the DomainError's message, or None when it went through."""
    task = db.session.get(RectificationTask, item.link_task_id)
    try:
        continuity.link(actor, task, db.session.get(IndicatorResult, item.result_id))
    except DomainError as error:
        return str(error)
    linked.append(task)
    return None


def _check_input(period, item, existing, seen):
    """Why this draft may not be created (None when it may)."""
    result = db.session.get(IndicatorResult, item.result_id)
    if result is None or result.period_id != period.id:
        return _("This indicator result is not part of %(period)s.", period=period.name)
    if item.result_id in existing or item.result_id in seen:
        codes = ", ".join(task.code or str(task.id) for task in existing.get(item.result_id, []))
        return _("%(name)s already has an open task in this period (%(codes)s).",
                 name=result.indicator.name, codes=codes or _("in this batch"))
    seen.add(item.result_id)
    return None


def _create_one(actor, item, dispatch, created):
    """Create (and dispatch) one draft; the DomainError's message, or None when it went through."""
    draft = item.draft
    draft.source, draft.period_id, draft.indicator_result_id = "indicator", item_period_id(item), item.result_id
    try:
        draft.milestones = milestone_plans.parse_plan(item.milestone_text)
        task = drafts.create_draft(actor, draft)
        if dispatch:
            workflow.dispatch(actor, task)
    except DomainError as error:
        return str(error)
    created.append(task)
    return None


def item_period_id(item):
    """The period of the result the draft is for."""
    return db.session.get(IndicatorResult, item.result_id).period_id
