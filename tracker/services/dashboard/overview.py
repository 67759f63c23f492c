"""The home page's dashboards: the office's and county leaders' overview, and a unit's own tasks.

The figures are the monthly bulletin's, taken live (aggregates.py):
the same unit ranking (bulletins/figures.rank_rows), the same close-out and on-time
rates, the same 逾期任务点名 rows, the same weak-indicator rules
(weakness.weak_assessments). Every figure is counted with the conditions the
task list filters by, so the page links each number to the list behind it; the
number of SQL statements does not grow with the number of tasks.
"""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ... import caching, clock, permissions
from ...extensions import db
from ...models import AssessmentPeriod, Unit
from ...models.user import LEADER
from ..bulletins import lifecycle
from ..bulletins.figures import Figures, rank_rows
from ..documents import charts
from ..indicators import continuity, weakness
from ..tasks import action_views, queries
from ..tasks.lights import states_for
from . import aggregates

OVERDUE_ROWS = 10  # the overdue list names the worst ones; its link lists them all
ACTION_ROWS = 10
CHART_ROWS = 40  # bars per chart; with more units the chart shows those lowest, the table all of them
# The page's own font stack (static/css/app.css): the charts' labels are Chinese.
WEB_FONTS = ('"Noto Sans CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", '
             '"PingFang SC", sans-serif')


@dataclass
class WeakRow:
    """One weak indicator of the period, with the progress of the tasks made from it."""

    assessment: weakness.IndicatorAssessment
    figures: Figures
    percent_done: float  # average over its counted tasks; 0 without tasks
    carried: int = 0  # of its tasks, those carried from an earlier period (counted in both periods)


@dataclass
class OfficeDashboard:
    """What the supervision office and county leaders see on the home page."""

    period: AssessmentPeriod | None  # the assessment period chosen, or None for every task
    periods: list
    statuses: dict  # status -> count
    lights: dict  # light -> count
    totals: Figures
    units: list  # bulletin UnitRows, ranked
    leaders: list  # (User, Figures) per 分管领导; empty unless the user sees every task
    overdue: list  # bulletin OverdueRows, most days late first
    weak_period: AssessmentPeriod | None
    weak: list = field(default_factory=list)  # WeakRows, most points lost first
    unit_chart: str = ""
    leader_chart: str = ""
    chart_units: int = 0  # units in the unit chart, fewer than len(units) when only the lowest are drawn
    as_of: date | None = None  # the day the lights and overdue days are judged on
    is_portfolio: bool = False  # a county leader's own portfolio, not the whole office's view
    late_accept: int = 0  # tasks in scope not accepted within ACCEPT_DUE_DAYS (逾期未签收)
    explained_in: str = ""  # the last issued bulletin, whose 情况说明 units the ranking marks; "" before any
    rechecks: list = field(default_factory=list)  # 回头看 (AnsweringTask, mark, indicator name) of the weak period

    @property
    def heading(self):
        """The page's title: a leader's portfolio, or the supervision dashboard."""
        return _("Overview of my portfolio") if self.is_portfolio else _("Supervision dashboard")

    @property
    def overdue_left_out(self):
        """True when there are more overdue tasks than the dashboard lists."""
        return self.lights.get("red", 0) > len(self.overdue)

    @property
    def scope_args(self):
        """The task-list arguments that narrow a list to this dashboard's scope."""
        return {"period": self.period.id} if self.period else {}


@dataclass
class UnitDashboard:
    """What a unit head or unit staff sees on the home page: their unit's tasks and what waits for them."""

    unit: Unit | None
    lights: dict
    statuses: dict
    views: dict
    view_counts: dict
    actions: list  # tasks waiting for this user, nearest deadline first
    states: dict  # task id -> TaskState of the tasks listed
    overdue: list  # bulletin OverdueRows of the unit's tasks
    figures: object = None  # the unit's own UnitRow (as lead unit), or None without counted tasks
    late_accept: int = 0  # tasks the unit leads, not accepted within ACCEPT_DUE_DAYS (逾期未签收)
    as_of: date | None = None

    @property
    def overdue_left_out(self):
        """True when there are more overdue tasks than the dashboard lists."""
        return self.lights.get("red", 0) > len(self.overdue)

    def is_co_organized(self, task):
        """True when the unit only co-organizes this task (another unit leads it)."""
        return task.lead_unit_id != (self.unit.id if self.unit else None)


def find_period(period_id):
    """The assessment period with this id, or None (also for None)."""
    return db.session.get(AssessmentPeriod, period_id) if period_id else None


def totals_of(rows):
    """Figures over the whole scope: the sum of the unit rows (each counted task has one lead unit)."""
    totals = Figures()
    for row in rows:
        for name in (*aggregates.FIGURE_FIELDS, "urges"):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    return totals


def office_dashboard(user, period=None, today=None):
    """The overview of the tasks `user` may see, of one assessment period or all of them."""
    today = today or clock.today()
    scope = aggregates.scope_clause(user, period.id if period else None)
    found = aggregates.scope_figures(scope, today)
    # The bulletin's ranking reversed, the worst first; marked: the units the last issued bulletin asked to explain.
    units = list(reversed(rank_rows(found.units, 0)))
    bulletin, explained = lifecycle.last_issued_explanations()
    for row in units:
        row.needs_explanation = row.unit_id in explained
    totals = totals_of(units)
    leaders = aggregates.leader_rows(scope, today) if permissions.sees_all_tasks(user) else []
    weak_period = period or aggregates.latest_assessed_period()
    dash = OfficeDashboard(
        period=period, periods=aggregates.periods(), statuses=found.statuses, lights=found.lights,
        totals=totals, units=units, leaders=leaders,
        overdue=aggregates.overdue_list(scope, today, OVERDUE_ROWS), weak_period=weak_period,
        weak=weak_rows(user, weak_period, today) if weak_period else [], as_of=today,
        is_portfolio=user.role == LEADER, late_accept=aggregates.late_accept_count(scope, today),
        explained_in=_("No. %(number)d of %(year)d (%(month)s)", number=bulletin.issue_no, year=bulletin.year,
                       month=bulletin.month) if bulletin else "",
    )
    dash.rechecks = recheck_rows(user, weak_period) if weak_period else []
    lowest = sorted(units, key=lambda row: (row.close_rate or 0, row.unit_name))[:CHART_ROWS]
    dash.chart_units = len(lowest)
    dash.unit_chart = rate_chart([(row.unit_name, row.close_rate) for row in lowest], totals.close_rate)
    dash.leader_chart = rate_chart([(leader.display_name, figures.close_rate) for leader, figures in leaders],
                                   totals.close_rate)
    return dash


def weak_rows(user, period, today):
    """The period's weak indicators, most points lost first, with their visible tasks' progress."""
    assessments = weakness.weak_assessments(period)
    scope = aggregates.scope_clause(user)
    progress = aggregates.weak_progress(scope, today, period, [item.indicator.id for item in assessments])
    rows = [WeakRow(item, *progress.get(item.indicator.id, (Figures(), 0.0, 0))) for item in assessments]
    if permissions.sees_all_tasks(user):
        return rows
    # A leader's portfolio: the weak indicators they oversee (by title, as the sheet names them) or have tasks of.
    return [row for row in rows
            if row.figures.tasks or (user.title and row.assessment.indicator.leader_title == user.title)]


def recheck_rows(user, period):
    """回头看 of the period: closed tasks of earlier periods the viewer may see, with their mark, no effect first."""
    assessments = weakness.evaluate_period(period)
    names = {item.indicator.id: item.indicator.name for item in assessments}
    answering = continuity.answering_tasks(period, user, statuses=("closed",))
    rows = [(task, mark, names[indicator_id])
            for indicator_id, marks in continuity.board_rechecks(period, assessments, answering).items()
            for task, mark in marks if mark and task.visible]
    return sorted(rows, key=lambda row: (row[1] != "no_effect", row[0].code or ""))


def rate_chart(items, average):
    """Close-out rates as the bulletin's bar chart (best first), in the page's fonts; "" without rows."""
    if not items:
        return ""
    ordered = sorted(items, key=lambda item: (-(item[1] or 0), item[0]))
    # Drawn narrow and scaled to the card by CSS: readable on a 390 px phone, large enough on a desktop.
    return charts.bar_chart_svg(ordered, font_family=WEB_FONTS, average=average, average_label=_("Average"),
                                width=420, row_height=22, font_size=12)


def unit_dashboard(user, today=None):
    """A unit user's home: the unit's tasks by light and status, what waits for them, what is overdue."""
    today = today or clock.today()
    actions = queries.task_page(user, queries.TaskFilters(mine="all"), 1, ACTION_ROWS).items \
        if action_views.mine_views(user) else []
    if today == clock.today():  # the same for every member of the unit until its tasks change
        unit = caching.cached("unit_dashboard", permissions.visibility_key(user), lambda: unit_figures(user, today))
    else:
        unit = unit_figures(user, today)
    return UnitDashboard(
        unit=user.unit, views=action_views.mine_views(user), view_counts=action_views.mine_counts(user, today),
        actions=actions, states=states_for(actions, today), as_of=today, **unit,
    )


def unit_figures(user, today):
    """The unit's lights, statuses, overdue list and own figures, as plain data."""
    scope = aggregates.scope_clause(user)
    found = aggregates.scope_figures(scope, today, hide_drafts=True)
    own = next((row for row in found.units if user.unit_id and row.unit_id == user.unit_id), None)
    return {"lights": found.lights, "statuses": found.statuses,
            "overdue": aggregates.overdue_list(scope, today, OVERDUE_ROWS), "figures": own,
            "late_accept": aggregates.late_accept_count(aggregates.lead_scope(scope, user.unit_id), today)}
