"""Section 4 of the bulletin, 弱项指标整改进展: each weak indicator, its rank then and now, its tasks.

The assessment period reported is the latest one whose results had been
imported by the bulletin's cut-off; which indicators are weak, and their
previous rank, come from services/indicators/weakness.py (the same rules the indicator
board uses, the office's hand marks as they stood at the cut-off). The tasks
are those answering the indicator (services/indicators/continuity.py): the
ones made for this period's result, and open ones carried from an earlier
period, marked with the period they came from, as they stood at the cut-off.
回头看 lists the tasks closed by the cut-off for an earlier period: those whose
indicator is weak again (整改成效未显现) and those whose indicator is no longer
weak and ranks better than when the task was made (成效明显).
"""
from dataclasses import dataclass, field
from datetime import date

from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult
from ...models.task import OPEN_STATUSES, STATUSES
from .history import short_title


@dataclass(frozen=True)
class WeakTaskRow:
    """One rectification task of a weak indicator, at the cut-off."""

    code: str
    title: str
    unit_name: str
    status: str  # assigned / in_progress / pending_review / closed
    deadline_on: date
    is_overdue: bool
    days_late: int
    origin_period_name: str | None = None  # the earlier period it was made for, when carried


@dataclass(frozen=True)
class RecheckRow:
    """A task closed for an earlier period, as 回头看 judges it against the period reported."""

    code: str
    title: str
    unit_name: str
    indicator_name: str
    origin_period_name: str
    mark: str  # no_effect / effective


@dataclass(frozen=True)
class WeakIndicatorRow:
    """One weak indicator: where it ranked, what it costs, and its tasks."""

    name: str
    category: str
    rank: int | None
    peer_count: int | None
    previous_rank: int | None
    rank_change: int | None  # previous − now: positive is better
    points_lost: float
    reasons: tuple  # weakness reason codes (last_place, bottom_k, behind_progress, low_score_rate)
    bottom_k: int | None
    tasks: list = field(default_factory=list)
    hand_mark: str | None = None  # "weak" when the office marked it so (the rules alone did not)
    hand_mark_reason: str | None = None

    @property
    def closed_tasks(self):
        """How many of its tasks are closed out."""
        return sum(1 for task in self.tasks if task.status == "closed")


@dataclass(frozen=True)
class WeakSection:
    """The period reported and its weak indicators, most points lost first."""

    period_name: str
    period_ends_on: date
    rows: list
    not_weak_marks: list = field(default_factory=list)  # (indicator name, reason) marked not weak by the office
    rechecks: list = field(default_factory=list)  # RecheckRow, no visible effect first

    @property
    def no_effect(self):
        """回头看: closed tasks whose indicator is weak again."""
        return [row for row in self.rechecks if row.mark == "no_effect"]

    @property
    def effective(self):
        """回头看: closed tasks whose indicator is no longer weak and ranks better."""
        return [row for row in self.rechecks if row.mark == "effective"]


def reported_period(window):
    """The latest assessment period with results imported before the cut-off, or None."""
    imported = db.select(IndicatorResult.id).where(
        IndicatorResult.period_id == AssessmentPeriod.id, IndicatorResult.created_at < window.cutoff)
    return db.session.scalar(
        db.select(AssessmentPeriod).where(imported.exists(), AssessmentPeriod.ends_on <= window.last_day)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1))


def weak_section(window, snapshots):
    """Section 4 for the bulletin's window; `snapshots` maps task id -> TaskAsOf of the counted tasks."""
    from ..indicators import continuity, weakness

    period = reported_period(window)
    if period is None:
        return None
    assessments = weakness.evaluate_period(period, as_of=window.cutoff)
    answering = continuity.answering_tasks(period, statuses=tuple(STATUSES))
    rows, rechecks = [], []
    for item in assessments:
        tasks = []
        for task in answering.get(item.indicator.id, []):
            then = snapshots.get(task.id)
            if then is None or task.origin_ends_on > period.ends_on:
                continue  # not there yet at the cut-off, or made for a later period
            if task.carried and then.status == "closed":
                mark = continuity.mark_against(item, task.origin_rank)
                if mark:
                    rechecks.append(RecheckRow(code=task.code or "", title=short_title(task.title),
                                               unit_name=then.unit.name,
                                               indicator_name=item.indicator.name,
                                               origin_period_name=task.origin_period_name, mark=mark))
                continue
            if task.carried and then.status not in OPEN_STATUSES:
                continue
            tasks.append(WeakTaskRow(
                code=task.code or "", title=short_title(task.title), unit_name=then.unit.name,
                status=then.status, deadline_on=then.deadline_on, is_overdue=then.is_overdue,
                days_late=then.days_late, origin_period_name=task.origin_period_name if task.carried else None))
        if item.is_weak:
            rows.append(WeakIndicatorRow(
                name=item.indicator.name, category=item.indicator.category, rank=item.result.rank,
                peer_count=item.result.peer_count, previous_rank=item.previous_rank, rank_change=item.rank_change,
                points_lost=item.points_lost, reasons=tuple(item.reasons), bottom_k=item.bottom_k,
                tasks=sorted(tasks, key=lambda row: (row.deadline_on, row.code)),
                hand_mark=item.hand_mark, hand_mark_reason=item.hand_mark_reason))
    not_weak = [(item.indicator.name, item.hand_mark_reason) for item in assessments if item.hand_mark == "not_weak"]
    rechecks.sort(key=lambda row: (row.mark != "no_effect", row.code))
    return WeakSection(period_name=period.name, period_ends_on=period.ends_on, rows=rows,
                       not_weak_marks=not_weak, rechecks=rechecks)
