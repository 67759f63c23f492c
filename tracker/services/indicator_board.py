"""The indicator board of a period: every result judged, with its units, leader and open tasks."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..extensions import db
from ..models import User
from . import PermissionDenied, indicator_tasks, weakness

SHOW = {"all": _l("All indicators"), "weak": _l("Weak indicators"), "strength": _l("Strengths")}


@dataclass
class BoardRow:
    """One indicator on the board."""

    assessment: weakness.IndicatorAssessment
    leader: User | None
    open_tasks: list  # the open tasks made from this result that the viewer may see
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
    visible = indicator_tasks.open_tasks_by_result(period, permissions.visible_tasks_clause(user))
    every = indicator_tasks.open_tasks_by_result(period)
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


def _leaders_by_title():
    """title → the active county leader holding it (the first by id when several do)."""
    leaders = {}
    for user in db.session.scalars(
            db.select(User).where(User.role == "leader", User.is_active.is_(True)).order_by(User.id)):
        if user.title:
            leaders.setdefault(user.title, user)
    return leaders
