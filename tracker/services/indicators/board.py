"""The indicator board of a period: every result judged, with its units, leader and open tasks."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import permissions
from ...extensions import db
from ...models import User
from ...models.task import OPEN_STATUSES
from ...models.user import LEADER
from .. import PermissionDenied
from . import continuity, weakness

SHOW = {"all": _l("All indicators"), "weak": _l("Weak indicators"), "strength": _l("Strengths")}


@dataclass
class BoardRow:
    """One indicator on the board."""

    assessment: weakness.IndicatorAssessment
    leader: User | None
    open_tasks: list  # continuity.AnsweringTask: the indicator's open tasks (any period) the viewer may see
    has_open_task: bool  # whether this result has its own or a linked open task, seen or not
    hidden_open_count: int = 0  # open tasks of the indicator the viewer may not open
    rechecks: list = field(default_factory=list)  # (closed task of an earlier period, 回头看 mark)

    @property
    def can_generate(self):
        """True when a task may be generated from this row (a carried task is offered for linking there)."""
        return self.assessment.is_weak and not self.has_open_task

    @property
    def open_count(self):
        """Open tasks answering the indicator in this period, carried ones included."""
        return len(self.open_tasks) + self.hidden_open_count

    @property
    def recheck(self):
        """The indicator's 回头看 mark for this period: "no_effect", "effective" or None."""
        return continuity.indicator_recheck(self.rechecks)

    @property
    def recheck_label(self):
        """The mark in words, or None."""
        return str(continuity.RECHECKS[self.recheck]) if self.recheck else None


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
    return _build(period, user, show)


def records(period):
    """The board of the period as plain records (`flask indicators board --format json`), as the office sees it."""
    rows = []
    for row in _build(period, None, "all").rows:
        item, result = row.assessment, row.assessment.result
        rows.append({
            "indicator": item.indicator.name, "category": item.indicator.category, "rank": result.rank,
            "peers": result.peer_count, "score": result.score, "weight": item.indicator.weight,
            "points_lost": item.points_lost, "weak": item.is_weak, "reasons": list(item.reasons),
            "findings": list(item.findings), "hand_mark": item.hand_mark, "hand_mark_reason": item.hand_mark_reason,
            "note": item.note, "strength": item.is_strength,
            "open_tasks": [task.code for task in row.open_tasks],
            "carried_tasks": [task.code for task in row.open_tasks if task.carried],
            "recheck": row.recheck,
        })
    return rows


def _build(period, user, show):
    """The board for `user` (None: the office's full view, for the CLI)."""
    show = show if show in SHOW else "all"
    assessments = weakness.evaluate_period(period)
    # One statement for the open tasks and the closed ones 回头看 judges.
    answering = continuity.answering_tasks(period, user, statuses=OPEN_STATUSES + ("closed",))
    rechecks = continuity.board_rechecks(period, assessments, answering)
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
        tasks = [task for task in answering.get(item.indicator.id, []) if task.status != "closed"]
        result.rows.append(BoardRow(
            assessment=item, leader=leaders.get(item.indicator.leader_title),
            open_tasks=[task for task in tasks if task.visible],
            hidden_open_count=sum(1 for task in tasks if not task.visible),
            has_open_task=any(not task.carried or task.linked for task in tasks),
            rechecks=rechecks.get(item.indicator.id, []),
        ))
    result.points_lost = round(result.points_lost, 2)
    return result


def _leaders_by_title():
    """title → the active county leader holding it (the first by id when several do)."""
    leaders = {}
    for user in db.session.scalars(
            db.select(User).where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)):
        if user.title:
            leaders.setdefault(user.title, user)
    return leaders
