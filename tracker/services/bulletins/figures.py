"""The figures of a monthly bulletin (月度通报), as of the month's cut-off: plain data, no markup.

Which tasks count: every task dispatched by the cut-off and not cancelled by
then, leaving out tasks already closed or cancelled before 1 January of the
bulletin's year (the bulletins of a year, numbered 第1期…, report that year's
work; a task carried over from last year still open on 1 January counts).

- 总体情况: tasks, closed, to accept, in progress, pending review, overdue,
  close-out rate = closed ÷ tasks, and the same figures at the end of the month
  before (same scope), for the change against last month;
- 单位排名: the same per lead unit, plus 按期完成率 = tasks closed on time ÷
  tasks due (closed, or past their deadline in force) and the urges (催办) of
  the month; ranked by overdue tasks (fewest first), then on-time rate, then
  close-out rate. The last BULLETIN_EXPLAIN_UNITS ranks among units with
  overdue tasks are asked for a 情况说明;
- 逾期任务点名: every task overdue at the cut-off, most days late first.
"""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Urge
from ...models.task import TO_ACCEPT_STATUSES
from .. import DomainError, office_settings
from .history import History, local_midnight, short_title
from .weak_section import weak_section

MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class MonthWindow:
    """The month a bulletin reports: its days, and the cut-off its figures are taken at."""

    first_day: date
    last_day: date
    as_of: date  # the day overdue is judged on: the month's last day, or today while the month runs
    start: object  # UTC moment the month began (local midnight)
    cutoff: object  # UTC moment the figures are taken at: the month's end, or now while it runs
    year_start: object  # UTC moment the bulletin's year began

    @property
    def key(self):
        """The month as YYYY-MM."""
        return f"{self.first_day.year:04d}-{self.first_day.month:02d}"


def parse_month(value):
    """The first day of a month given as "YYYY-MM" or a date; DomainError when malformed or not begun yet."""
    if isinstance(value, date):
        first = date(value.year, value.month, 1)
    else:
        match = MONTH_PATTERN.match(str(value or ""))
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < FIRST_YEAR:
            raise DomainError(_("“%(value)s” is not a month. Write it as YYYY-MM, e.g. 2026-11.",
                                value=str(value or "")[:20]))
        first = date(int(match.group(1)), int(match.group(2)), 1)
    if first > clock.today().replace(day=1):
        raise DomainError(_("%(month)s has not begun yet: a bulletin reports a month that has started.",
                            month=f"{first.year:04d}-{first.month:02d}"))
    return first


def month_window(value):
    """The window of a month given as "YYYY-MM" or a date (validated by parse_month)."""
    first = parse_month(value)
    following = (first + timedelta(days=32)).replace(day=1)
    end = local_midnight(following)
    return MonthWindow(
        first_day=first, last_day=following - timedelta(days=1), as_of=min(following - timedelta(days=1),
                                                                            clock.today()),
        start=local_midnight(first), cutoff=min(end, clock.now()), year_start=local_midnight(date(first.year, 1, 1)),
    )


@dataclass
class Figures:
    """Counts over a set of tasks at a cut-off."""

    tasks: int = 0
    closed: int = 0
    to_accept: int = 0
    in_progress: int = 0
    pending_review: int = 0
    overdue: int = 0
    on_time: int = 0
    due: int = 0
    urges: int = 0

    def add(self, item):
        """Count one TaskAsOf."""
        self.tasks += 1
        if item.status == "closed":
            self.closed += 1
        elif item.status in TO_ACCEPT_STATUSES:
            self.to_accept += 1
        elif item.status == "pending_review":
            self.pending_review += 1
        else:
            self.in_progress += 1
        self.overdue += item.is_overdue
        self.on_time += item.is_on_time
        self.due += item.is_due

    @property
    def close_rate(self):
        """销号率: closed ÷ tasks (None without tasks)."""
        return self.closed / self.tasks if self.tasks else None

    @property
    def on_time_rate(self):
        """按期完成率: closed on time ÷ due (None when nothing is due yet)."""
        return self.on_time / self.due if self.due else None


@dataclass
class UnitRow(Figures):
    """One lead unit's line in the ranking."""

    unit_id: int = None
    unit_name: str = ""
    rank: int = 0
    needs_explanation: bool = False

    def sort_key(self):
        """Fewest overdue first, then best on-time rate (nothing due counts as full), then close-out rate."""
        on_time = self.on_time_rate if self.on_time_rate is not None else 1.0
        return (self.overdue, -round(on_time, 9), -round(self.close_rate or 0.0, 9))


@dataclass(frozen=True)
class OverdueRow:
    """One task named in 逾期任务点名."""

    task_id: int
    code: str
    title: str
    unit_name: str
    owner_name: str | None  # None while the unit has not accepted the task (no owner yet)
    deadline_on: date
    days_late: int


@dataclass(frozen=True)
class Change:
    """This month against the month before: differences in tasks, closed, overdue, and close-out rate points."""

    tasks: int
    closed: int
    overdue: int
    close_rate_points: float | None  # percentage points; None when either month has no tasks


@dataclass
class BulletinData:
    """Everything a bulletin prints, computed."""

    window: MonthWindow
    totals: Figures
    previous: Figures
    change: Change
    units: list = field(default_factory=list)
    explain_units: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    weak: object = None  # weak_section.WeakSection, or None when no assessment results exist yet

    @property
    def is_empty(self):
        """No task counted this month."""
        return self.totals.tasks == 0


def _urge_counts(task_ids, start, cutoff):
    """unit id -> urges made in [start, cutoff) on the counted tasks."""
    counts = {}
    rows = db.session.execute(
        db.select(Urge.task_id, Urge.unit_id).where(Urge.created_at >= start, Urge.created_at < cutoff))
    for task_id, unit_id in rows:
        if task_id in task_ids:
            counts[unit_id] = counts.get(unit_id, 0) + 1
    return counts


def _totals(items, urges):
    """Figures over a list of TaskAsOf, with the month's urges."""
    figures = Figures()
    for item in items:
        figures.add(item)
    figures.urges = sum(urges.values())
    return figures


def rank_units(items, urges, explain_count):
    """The ranking rows per lead unit, ranked; the bottom ones with overdue tasks flagged for 情况说明."""
    rows = {}
    for item in items:
        unit = item.unit
        row = rows.setdefault(unit.id, UnitRow(unit_id=unit.id, unit_name=unit.name))
        row.add(item)
    for unit_id, count in urges.items():
        if unit_id in rows:
            rows[unit_id].urges = count
    return rank_rows(rows.values(), explain_count)


def rank_rows(rows, explain_count):
    """UnitRows (however counted: here from snapshots, on the dashboard from SQL) ranked and flagged."""
    ranked = sorted(rows, key=lambda row: (row.sort_key(), row.unit_name))
    for index, row in enumerate(ranked):
        same_as_before = index and row.sort_key() == ranked[index - 1].sort_key()
        row.rank = ranked[index - 1].rank if same_as_before else index + 1
    lagging = [row for row in ranked if row.overdue]
    if explain_count > 0 and lagging:
        threshold = lagging[-min(explain_count, len(lagging))].rank
        for row in lagging:
            row.needs_explanation = row.rank >= threshold
    return ranked


def overdue_rows(items):
    """The overdue tasks, most days late first."""
    rows = []
    for item in items:
        if not item.is_overdue:
            continue
        task = item.task
        owner = task.owner.display_name if task.owner is not None and item.status not in TO_ACCEPT_STATUSES else None
        rows.append(OverdueRow(task_id=task.id, code=task.code or "", title=short_title(task.title),
                               unit_name=item.unit.name, owner_name=owner, deadline_on=item.deadline_on,
                               days_late=item.days_late))
    rows.sort(key=lambda row: (-row.days_late, row.unit_name, row.code, row.task_id))
    return rows


def _change(now, before):
    """The month-on-month change."""
    points = None
    if now.close_rate is not None and before.close_rate is not None:
        points = round((now.close_rate - before.close_rate) * 100, 1)
    return Change(tasks=now.tasks - before.tasks, closed=now.closed - before.closed,
                  overdue=now.overdue - before.overdue, close_rate_points=points)


def gather(month):
    """All the figures of the bulletin of `month` ("YYYY-MM" or a date), as of its cut-off."""
    window = month_window(month)
    history = History(window.cutoff, window.year_start)
    items = history.snapshots(window.cutoff, window.as_of)
    previous_items = history.snapshots(window.start, window.first_day - timedelta(days=1))
    counted = {item.task.id for item in items}
    urges = _urge_counts(counted, window.start, window.cutoff)
    previous_start = local_midnight((window.first_day - timedelta(days=1)).replace(day=1))
    previous_urges = _urge_counts({item.task.id for item in previous_items}, previous_start, window.start)
    totals, previous = _totals(items, urges), _totals(previous_items, previous_urges)
    units = rank_units(items, urges, office_settings.value("BULLETIN_EXPLAIN_UNITS"))
    return BulletinData(
        window=window, totals=totals, previous=previous, change=_change(totals, previous), units=units,
        explain_units=[row for row in units if row.needs_explanation], overdue=overdue_rows(items),
        weak=weak_section(window, {item.task.id: item for item in items}),
    )
