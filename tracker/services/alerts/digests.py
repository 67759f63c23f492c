"""What the weekly alert (每周预警) says, and to whom: digests built from the traffic lights.

One digest per unit with red or yellow tasks (as lead unit and as co-unit), or
with tasks it leads and has not accepted within ACCEPT_DUE_DAYS (逾期未签收, a
section of its own), for its heads and staff and its group robot; one county-wide summary for the
supervision office; one digest of 挂牌 tasks per responsible leader. Anyone
with nothing to report gets nothing. The lights are those of services/tasks/lights.py:
the SQL rule selects the tasks and the Python rule gives their details, the
same pair the task list uses.

A digest lists at most ALERT_MAX_ROWS tasks, the worst first, and counts the
rest: at province scale the county summary alone had 9,324 red tasks (a 5 MB
mail nobody reads and mail servers refuse); the task list shows them all.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, true
from sqlalchemy.orm import defer, selectinload

from ...extensions import db
from ...models import RectificationTask, Unit
from .. import office_settings
from ..documents.links import absolute_url, url_adapter
from ..messaging import notifications
from ..tasks import acceptance, lights

T = RectificationTask
LIGHT_ORDER = {"red": 0, "yellow": 1}


@dataclass
class AlertRow:
    """One red or yellow task as a digest lists it."""

    task: RectificationTask
    state: lights.TaskState
    url: str

    @property
    def light(self):
        """red or yellow."""
        return self.state.light

    def sort_key(self):
        """Red first, the latest first; then yellow, the nearest deadline first."""
        return (LIGHT_ORDER[self.light], -self.state.days_late, self.task.deadline_on, self.task.id)


@dataclass
class LateRow:
    """One task its lead unit has not accepted within ACCEPT_DUE_DAYS (逾期未签收), as a digest lists it."""

    task: RectificationTask
    dispatched_at: object  # when it last entered 待签收
    days: int  # calendar days since then
    url: str

    def sort_key(self):
        """Ahead of every light row (a robot message drops them last); the longest waiting first."""
        return (-1, -self.days, self.task.id)


@dataclass
class Digest:
    """One alert: its readers (users and perhaps a group robot) and the rows it lists."""

    kind: str  # unit / summary / leader
    name: str  # the unit's name, the leader's name, or "" for the county summary
    recipients: list
    lead_rows: list = field(default_factory=list)  # listed rows: unit: tasks it leads; leader, summary: all
    co_rows: list = field(default_factory=list)  # listed rows: unit: tasks it co-organizes
    unit: Unit | None = None
    unit_counts: list = field(default_factory=list)  # summary: (unit name, red, yellow) per lead unit
    list_args: dict = field(default_factory=dict)  # filters of the task list that shows this reader's rows
    left_out: dict = field(default_factory=dict)  # light -> rows beyond the cap, not listed
    late_rows: list = field(default_factory=list)  # listed LateRows: unit: tasks it leads; summary: all
    late_total: int = 0  # 逾期未签收 tasks the digest reports, listed or not

    @property
    def rows(self):
        """Every listed row, lead before co."""
        return self.lead_rows + self.co_rows

    @property
    def more(self):
        """How many rows the digest would list but leaves out (beyond ALERT_MAX_ROWS)."""
        return sum(self.left_out.values())

    def _count(self, light):
        """Tasks of one light the digest reports, listed or left out (the summary counts beyond its rows)."""
        if self.kind == "summary":
            column = 1 if light == "red" else 2
            return sum(counts[column] for counts in self.unit_counts)
        return sum(1 for row in self.rows if row.light == light) + self.left_out.get(light, 0)

    @property
    def red(self):
        """How many red tasks the digest reports."""
        return self._count("red")

    @property
    def yellow(self):
        """How many yellow tasks the digest reports."""
        return self._count("yellow")

    def light_url(self, light):
        """The task list of this reader's tasks of one light, as a full address."""
        return absolute_url("tasks.index", **{**self.list_args, "light": light})

    @property
    def list_path(self):
        """The filtered task list, as a path on the site (for in-app links)."""
        return site_path("tasks.index", **self.list_args)

    @property
    def list_url(self):
        """The filtered task list, as a full address (for mail and robots)."""
        return absolute_url("tasks.index", **self.list_args)

    @property
    def webhook(self):
        """The unit's group robot as (kind, url), or None."""
        unit = self.unit
        if self.kind == "unit" and unit is not None and unit.is_active and unit.webhook_url and unit.webhook_kind:
            return unit.webhook_kind, unit.webhook_url
        return None


def site_path(endpoint, **values):
    """The path of a page on the site, for in-app links."""
    return url_adapter().build(endpoint, values)


def flagged_tasks(today):
    """Every dispatched task whose light today is red or yellow, with units and people loaded."""
    query = (
        db.select(T)
        .where(T.status != "draft", or_(lights.light_clause("red", today), lights.light_clause("yellow", today)))
        .options(selectinload(T.lead_unit), selectinload(T.co_units), selectinload(T.responsible_leader),
                 defer(T.problem), defer(T.measures))  # long texts no digest prints (tens of thousands of rows)
        .order_by(T.id)
    )
    return db.session.scalars(query).all()


def flagged_rows(today):
    """The red and yellow tasks as rows, with their state by the Python rule."""
    tasks = flagged_tasks(today)
    states = lights.states_for(tasks, today)
    adapter = url_adapter()
    return [AlertRow(task, states[task.id], adapter.build("tasks.detail", {"task_id": task.id}, force_external=True))
            for task in tasks if states[task.id].light in LIGHT_ORDER]


def _sorted(rows):
    """Rows in reading order."""
    return sorted(rows, key=AlertRow.sort_key)


def max_rows():
    """How many rows a digest lists at most (ALERT_MAX_ROWS); None when 0, which lists them all."""
    limit = office_settings.value("ALERT_MAX_ROWS")
    return limit if limit and limit > 0 else None


def capped(lead, co, limit):
    """The worst `limit` rows of two sections, each kept in reading order, and the rest counted by light.

    Returns (listed lead rows, listed co rows, {light: rows left out}). The worst across both
    sections, not lead first: a co-organized task 40 days late matters more than a lead one due next week.
    """
    lead, co = _sorted(lead), _sorted(co)
    if limit is None or len(lead) + len(co) <= limit:
        return lead, co, {}
    kept = {id(row) for row in _sorted(lead + co)[:limit]}
    left_out = Counter(row.light for row in lead + co if id(row) not in kept)
    return ([row for row in lead if id(row) in kept], [row for row in co if id(row) in kept],
            {light: left_out[light] for light in LIGHT_ORDER if left_out[light]})


def _list_args(rows, **extra):
    """Task-list filters showing the reader's red tasks, or yellow ones, or (with neither) those not accepted."""
    if not rows:
        return {"late_accept": 1, **extra}
    return {"light": "red" if any(row.light == "red" for row in rows) else "yellow", **extra}


def late_rows(today):
    """Every task not accepted within ACCEPT_DUE_DAYS of its dispatch, the longest waiting first."""
    adapter = url_adapter()
    found = acceptance.late_tasks(true(), today, (selectinload(T.lead_unit), defer(T.problem), defer(T.measures)))
    return [LateRow(task, moment, acceptance.days_waiting(moment, today),
                    adapter.build("tasks.detail", {"task_id": task.id}, force_external=True))
            for task, moment in found]


def _late_part(rows, limit):
    """(listed rows, total) of a digest's 逾期未签收 section: the first `limit`, and how many in all."""
    return (rows if limit is None else rows[:limit]), len(rows)


def unit_digests(rows, limit=None, late=()):
    """One digest per unit that leads or co-organizes a red or yellow task, or leads one not accepted in time."""
    lead, co, units, unaccepted = {}, {}, {}, {}
    for row in late:  # only the lead unit accepts: co-units are not told to
        unaccepted.setdefault(row.task.lead_unit_id, []).append(row)
        units[row.task.lead_unit_id] = row.task.lead_unit
    for row in rows:
        lead.setdefault(row.task.lead_unit_id, []).append(row)
        units[row.task.lead_unit_id] = row.task.lead_unit
        for unit in row.task.co_units:
            if unit.id != row.task.lead_unit_id:
                co.setdefault(unit.id, []).append(row)
                units[unit.id] = unit
    members = {}
    for user in notifications.unit_members(list(units)):  # one query for every unit, not one each
        members.setdefault(user.unit_id, []).append(user)
    digests = []
    for unit_id in sorted(units):
        unit = units[unit_id]
        unit_rows = lead.get(unit_id, []) + co.get(unit_id, [])
        lead_rows, co_rows, left_out = capped(lead.get(unit_id, []), co.get(unit_id, []), limit)
        listed_late, late_total = _late_part(unaccepted.get(unit_id, []), limit)
        digests.append(Digest(
            kind="unit", name=unit.name, recipients=members.get(unit_id, []), unit=unit,
            lead_rows=lead_rows, co_rows=co_rows, left_out=left_out, list_args=_list_args(unit_rows),
            late_rows=listed_late, late_total=late_total,
        ))
    return digests


def summary_digest(rows, limit=None, late=()):
    """The county-wide summary for the supervision office: counts by lead unit, the worst red tasks, and
    the tasks not accepted in time."""
    counts = {}
    for row in rows:
        name = row.task.lead_unit.name
        red, yellow = counts.get(name, (0, 0))
        counts[name] = (red + (row.light == "red"), yellow + (row.light == "yellow"))
    unit_counts = sorted(((name, red, yellow) for name, (red, yellow) in counts.items()),
                         key=lambda item: (-item[1], -item[2], item[0]))
    # Yellow tasks are only counted here: listed one by one they would bury the red ones.
    listed, _none, left_out = capped([row for row in rows if row.light == "red"], [], limit)
    listed_late, late_total = _late_part(list(late), limit)
    return Digest(kind="summary", name="", recipients=notifications.office_supervisors(), lead_rows=listed,
                  left_out=left_out, unit_counts=unit_counts, list_args=_list_args(rows),
                  late_rows=listed_late, late_total=late_total)


def leader_digests(rows, limit=None):
    """One digest of red and yellow 挂牌 tasks per responsible leader; `limit` rows each."""
    by_leader, leaders = {}, {}
    for row in rows:
        # The same rule as the 挂牌 task's event notifications: who is concerned is decided in one place.
        for leader in notifications.audience(row.task, "listed_leader"):
            by_leader.setdefault(leader.id, []).append(row)
            leaders[leader.id] = leader
    digests = []
    for leader_id in sorted(by_leader):
        listed, _none, left_out = capped(by_leader[leader_id], [], limit)
        # leader=: a principal leader's list shows every 挂牌 task; the digest is those he answers for.
        digests.append(Digest(kind="leader", name=leaders[leader_id].display_name, recipients=[leaders[leader_id]],
                              lead_rows=listed, left_out=left_out,
                              list_args=_list_args(by_leader[leader_id], level="listed", leader=leader_id)))
    return digests


def build_digests(today: date):
    """Every digest of the weekly alert for `today`; empty when no task is red or yellow."""
    rows, late = flagged_rows(today), late_rows(today)
    if not rows and not late:
        return []
    limit = max_rows()
    return unit_digests(rows, limit, late) + [summary_digest(rows, limit, late)] + leader_digests(rows, limit)
