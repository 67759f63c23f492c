"""Section 4 of the bulletin, 弱项指标整改进展: each weak indicator, its rank then and now, its tasks.

The assessment period reported is the latest one whose results had been
imported by the bulletin's cut-off; which indicators are weak, and their
previous rank, come from services/indicators/weakness.py (the same rules the indicator
board uses). The tasks are the indicator result's rectification tasks, as
they stood at the cut-off.
"""
from dataclasses import dataclass, field
from datetime import date

from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult, RectificationTask
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


def reported_period(window):
    """The latest assessment period with results imported before the cut-off, or None."""
    imported = db.select(IndicatorResult.id).where(
        IndicatorResult.period_id == AssessmentPeriod.id, IndicatorResult.created_at < window.cutoff)
    return db.session.scalar(
        db.select(AssessmentPeriod).where(imported.exists(), AssessmentPeriod.ends_on <= window.last_day)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1))


def weak_section(window, snapshots):
    """Section 4 for the bulletin's window; `snapshots` maps task id -> TaskAsOf of the counted tasks."""
    from ..indicators import weakness

    period = reported_period(window)
    if period is None:
        return None
    assessments = weakness.weak_assessments(period)
    result_ids = [item.result.id for item in assessments]
    tasks_by_result = {}
    if result_ids:
        tasks = db.session.scalars(
            db.select(RectificationTask).where(RectificationTask.indicator_result_id.in_(result_ids))
            .order_by(RectificationTask.deadline_on, RectificationTask.id))
        for task in tasks:
            item = snapshots.get(task.id)
            if item is not None:
                tasks_by_result.setdefault(task.indicator_result_id, []).append(WeakTaskRow(
                    code=task.code or "", title=short_title(task.title), unit_name=item.unit.name,
                    status=item.status, deadline_on=item.deadline_on, is_overdue=item.is_overdue,
                    days_late=item.days_late))
    rows = [WeakIndicatorRow(
        name=item.indicator.name, category=item.indicator.category, rank=item.result.rank,
        peer_count=item.result.peer_count, previous_rank=item.previous_rank, rank_change=item.rank_change,
        points_lost=item.points_lost, reasons=tuple(item.reasons), bottom_k=item.bottom_k,
        tasks=tasks_by_result.get(item.result.id, []),
    ) for item in assessments]
    return WeakSection(period_name=period.name, period_ends_on=period.ends_on, rows=rows)
