"""The indicator board of a period: every result judged, with its units, leader and open tasks."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case

from ... import permissions
from ...extensions import db
from ...models import IndicatorResult, RectificationTask, User
from ...models.task import OPEN_STATUSES, STATUSES
from ...models.user import LEADER
from .. import PermissionDenied
from . import weakness

SHOW = {"all": _l("All indicators"), "weak": _l("Weak indicators"), "strength": _l("Strengths")}


@dataclass(frozen=True)
class OpenTask:
    """An open task made from a result, as the board names it: code and status, nothing else."""

    id: int
    code: str | None
    status_label: str


@dataclass
class BoardRow:
    """One indicator on the board."""

    assessment: weakness.IndicatorAssessment
    leader: User | None
    open_tasks: list  # OpenTask: the open tasks made from this result that the viewer may see
    has_open_task: bool  # whether any open task exists, seen or not (no second one is proposed)

    @property
    def can_generate(self):
        """True when a task may be generated from this row."""
        return self.assessment.is_weak and not self.has_open_task


@dataclass
class Board:
    """The board of one period for one viewer."""

    period: object
    previous_period: object
    rows: list = field(default_factory=list)
    weak_count: int = 0
    strength_count: int = 0
    total_count: int = 0
    points_lost: float = 0.0  # of the weak indicators
    show: str = "all"


def board(user, period, show="all"):
    """The period's board as `user` may see it; `show` is all / weak / strength."""
    if not permissions.can_view_assessments(user):
        raise PermissionDenied(_("Only the supervision office, county leaders and the administrator see indicators."))
    show = show if show in SHOW else "all"
    assessments = weakness.evaluate_period(period)
    visible, every = _open_tasks(user, period)
    leaders = _leaders_by_title()
    result = Board(period=period, previous_period=weakness.previous_period(period), show=show,
                   total_count=len(assessments))
    for item in assessments:
        result.weak_count += item.is_weak
        result.strength_count += item.is_strength
        if item.is_weak:
            result.points_lost += item.points_lost
        if (show == "weak" and not item.is_weak) or (show == "strength" and not item.is_strength):
            continue
        result.rows.append(BoardRow(
            assessment=item, leader=leaders.get(item.indicator.leader_title),
            open_tasks=visible.get(item.result.id, []), has_open_task=item.result.id in every,
        ))
    result.points_lost = round(result.points_lost, 2)
    return result


def _open_tasks(user, period):
    """(result id → the open tasks made from it that `user` may see, ids of the results with any open task).

    One statement of a few columns, with the visibility rule as a selected flag. The board lists a
    hundred open tasks at province scale: whole task rows (long texts, eight timestamps) loaded
    twice, once for what the user sees and once for what exists, took 4 ms of Python, as long as
    judging every indicator of the period; this takes 0.5 ms.
    """
    T = RectificationTask
    visible = case((permissions.visible_tasks_clause(user), True), else_=False)
    rows = db.session.execute(
        db.select(T.indicator_result_id, T.id, T.code, T.status, visible)
        .join(IndicatorResult, T.indicator_result_id == IndicatorResult.id)
        .where(IndicatorResult.period_id == period.id, T.status.in_(OPEN_STATUSES))
        .order_by(T.id))
    shown, every, labels = {}, set(), {}
    for result_id, task_id, code, status, is_visible in rows:
        every.add(result_id)
        if is_visible:
            if status not in labels:  # each status translated once, not once per task
                labels[status] = str(STATUSES.get(status, status))
            shown.setdefault(result_id, []).append(OpenTask(task_id, code, labels[status]))
    return shown, every


def _leaders_by_title():
    """title → the active county leader holding it (the first by id when several do)."""
    leaders = {}
    for user in db.session.scalars(
            db.select(User).where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)):
        if user.title:
            leaders.setdefault(user.title, user)
    return leaders
