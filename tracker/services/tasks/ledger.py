"""整改台账: the task list as the office hands it upward, as an .xlsx workbook and as a printable page.

Both take the task list's filters and order (queries.filtered_tasks, limited
by permissions.visible_tasks_clause), so the ledger holds the tasks the list
shows and a unit user's ledger only their unit's, except drafts and cancelled
tasks, which an office does not file: they are in only when the status filter
(or the "to dispatch" view) asks for them. Each row carries what the office
files as its 台账: the problem and measures, the indicator, the units and
people, the deadlines, milestones, urges, extensions, the last report and the
close-out statement with its review opinion. Rows are loaded in a
fixed number of statements however many there are. Text cells that a
spreadsheet would read as a formula (= + - @, tab, carriage return first) are
written as text with Excel's quote prefix, never as formulas.
"""
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from ... import clock, permissions
from ...extensions import db
from ...models import (
    AssessmentPeriod,
    Indicator,
    IndicatorResult,
    RectificationTask,
    Unit,
    User,
    task_co_units,
)
from ...models.task import LEVELS, SOURCES, STATUSES
from .. import DomainError
from . import action_views, ledger_records, lights, queries

T = RectificationTask
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_CHARS = 300  # the last report in a ledger cell; the whole text is on the task page
# Rows of one export: about 10 s of a web worker (measured at 10,000 rows: 5 s). A province's every task
# in one sheet helps nobody; the office narrows the filters instead.
EXPORT_MAX_ROWS = 20_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# (field, header, column width in characters); the order of the sheet and the printed page.
COLUMNS = (
    ("number", _l("No."), 6),
    ("code", _l("Code"), 13),
    ("title", _l("Task name"), 30),
    ("source", _l("Source"), 16),
    ("indicator", _l("Indicator"), 18),
    ("period", _l("Period"), 16),
    ("problem", _l("Problem found"), 36),
    ("measures", _l("Rectification measures"), 36),
    ("lead_unit", _l("Lead unit"), 18),
    ("co_units", _l("Co-organizing units"), 22),
    ("leader", _l("Responsible leader"), 11),
    ("owner", _l("Owner"), 10),
    ("level", _l("Supervision level"), 9),
    ("dispatched_on", _l("Dispatched on"), 12),
    ("deadline_on", _l("Deadline"), 12),
    ("original_deadline_on", _l("Original deadline"), 12),
    ("status", _l("Status"), 12),
    ("light", _l("Light"), 7),
    ("days_late", _l("Days late"), 8),
    ("percent_done", _l("Percent done"), 8),
    ("milestones", _l("Milestones done"), 9),
    ("next_milestone_on", _l("Next milestone due"), 12),
    ("urges", _l("Times urged"), 8),
    ("last_urge_on", _l("Last urged on"), 12),
    ("extensions", _l("Extension requests"), 9),
    ("extension_decision", _l("Last extension"), 20),
    ("last_report_on", _l("Last report on"), 12),
    ("last_report", _l("Last progress report"), 44),
    ("closeout_statement", _l("Close-out statement"), 40),
    ("review_opinion", _l("Review opinion"), 30),
    ("closed_on", _l("Closed out on"), 12),
)
# The printed page (A4 landscape) stacks these columns into the cells of PRINT_COLUMNS: every field, readable.
PRINT_GROUPS = (
    ("task", _l("Task"), ("code", "title", "source", "indicator", "period")),
    ("work", _l("Problem and measures"), ("problem", "measures")),
    ("units", _l("Units and people"), ("lead_unit", "co_units", "leader", "owner")),
    ("deadline", _l("Deadline"), ("deadline_on", "original_deadline_on")),
    ("state", _l("Status"), ("status", "light", "days_late", "percent_done")),
    ("records", _l("Milestones, urges, extensions"), ("milestones", "next_milestone_on", "urges", "last_urge_on",
                                                       "extensions", "extension_decision")),
    ("report", _l("Last progress report"), ("last_report_on", "last_report")),
    ("closeout", _l("Close-out"), ("closeout_statement", "review_opinion", "closed_on")),
)
LABELS = {name: label for name, label, _width in COLUMNS}
WRAPPED = {"title", "co_units", "last_report", "lead_unit", "period", "source", "indicator", "problem", "measures",
           "extension_decision", "closeout_statement", "review_opinion"}
DATES = {"dispatched_on", "deadline_on", "original_deadline_on", "next_milestone_on", "last_urge_on", "last_report_on",
         "closed_on"}
# Statuses a ledger leaves out unless the status filter asks for them: not (yet, or any more) a unit's work.
LEFT_OUT = ("draft", "cancelled")
LIGHT_FILLS = {"red": "F4CCCC", "yellow": "FFF2CC", "green": "D9EAD3"}
BRAND_RED = "A61B1B"


@dataclass(frozen=True)
class LedgerRow:
    """One task as the ledger prints it."""

    number: int
    task_id: int
    code: str
    title: str
    source: str
    indicator: str
    period: str
    problem: str
    measures: str
    lead_unit: str
    co_units: str
    leader: str
    owner: str
    level: str
    dispatched_on: date | None
    deadline_on: date
    original_deadline_on: date | None
    status: str
    status_code: str
    light: str
    light_code: str | None
    days_late: int | None
    percent_done: int
    milestones: str  # done/total, "" without milestones
    next_milestone_on: date | None
    urges: int
    last_urge_on: date | None
    extensions: int
    extension_decision: str
    last_report_on: date | None
    last_report: str
    closeout_statement: str
    review_opinion: str
    closed_on: date | None

    def printed(self, names):
        """(field, label, value) of the fields among `names` that have a value, for a stacked printed cell."""
        return [(name, LABELS[name], getattr(self, name)) for name in names
                if getattr(self, name) not in (None, "") and (getattr(self, name) != 0 or name == "percent_done")]


@dataclass
class Ledger:
    """The rows of a ledger and what it was made from."""

    rows: list
    total: int  # tasks matching the filters (more than len(rows) when the print view was cut)
    criteria: list  # (label, value) of each filter in force
    ignored: list = field(default_factory=list)  # names of filters that did not parse
    generated_at: datetime | None = None
    generated_by: str = ""

    @property
    def is_cut(self):
        """True when fewer rows are shown than match."""
        return self.total > len(self.rows)


def build(user, filters, ignored=(), limit=None, max_rows=None, today=None):
    """The ledger of the tasks `user` sees under `filters`, in the list's order.

    `limit`: only the first so many rows (the print view says it was cut); `max_rows`: refuse
    with a DomainError when more tasks match (the export, which must hold every row).
    """
    today = today or clock.today()
    query = queries.filtered_tasks(user, filters, today)
    leaves_out = filters.status not in LEFT_OUT and filters.mine != "to_dispatch"
    if leaves_out:
        query = query.where(T.status.not_in(LEFT_OUT))
    total = None
    if max_rows is not None:
        total = _count(query)
        if total > max_rows:
            raise DomainError(_("%(total)d tasks match; a ledger export holds at most %(max)d. Narrow the filters "
                                "(one lead unit, one period or one status) and export again.",
                                total=total, max=max_rows))
    limited = query.limit(limit) if limit else query
    tasks = db.session.scalars(limited.options(
        joinedload(T.lead_unit), joinedload(T.owner), joinedload(T.responsible_leader), joinedload(T.period),
        joinedload(T.indicator_result).joinedload(IndicatorResult.indicator),
    )).all()
    if total is None:
        total = _count(query) if limit and len(tasks) == limit else len(tasks)
    # The ids again as a subquery, so the per-task lookups below take one statement each, however many tasks.
    id_query = limited.with_only_columns(T.id) if limit else query.with_only_columns(T.id).order_by(None)
    ids = db.select(id_query.subquery().c.id)
    rows = _rows(tasks, ids, today)
    criteria = describe(user, filters)
    if leaves_out:
        criteria.append((_("Left out"), _("Drafts and cancelled tasks (choose that status to include them)")))
    return Ledger(rows=rows, total=total, criteria=criteria, ignored=list(ignored),
                  generated_at=clock.now(), generated_by=user.display_name)


def _count(query):
    """How many tasks a task query matches."""
    return db.session.scalar(db.select(func.count()).select_from(query.order_by(None).subquery()))


def _rows(tasks, ids, today):
    """LedgerRows of the tasks; co-units and each kind of record in one statement each."""
    co_units, records = {}, {}
    if tasks:
        for task_id, name in db.session.execute(
                db.select(task_co_units.c.task_id, Unit.name).join(Unit, Unit.id == task_co_units.c.unit_id)
                .where(task_co_units.c.task_id.in_(ids)).order_by(task_co_units.c.task_id, Unit.id)):
            co_units.setdefault(task_id, []).append(name)
        records = ledger_records.gather(ids, today)
    rows = []
    for number, task in enumerate(tasks, start=1):
        found = records.get(task.id) or ledger_records.TaskRecords()
        state = lights.task_state(task, today, found.has_late_milestone)
        result = task.indicator_result
        source = str(task.source_label) + (f"：{task.source_detail}" if task.source_detail else "")
        rows.append(LedgerRow(
            number=number, task_id=task.id, code=task.code or "", title=task.title, source=source,
            indicator=result.indicator.name if result is not None else "",
            period=task.period.name if task.period else "", problem=task.problem or "", measures=task.measures or "",
            lead_unit=task.lead_unit.name, co_units="、".join(co_units.get(task.id, ())),
            leader=task.responsible_leader.display_name if task.responsible_leader else "",
            owner=task.owner.display_name if task.owner else "", level=str(task.level_label),
            dispatched_on=_local_day(task.dispatched_at), deadline_on=task.deadline_on,
            original_deadline_on=task.original_deadline_on if task.original_deadline_on != task.deadline_on else None,
            status=str(task.status_label), status_code=task.status, light=str(state.light_label),
            light_code=state.light, days_late=state.days_late or None, percent_done=task.percent_done,
            milestones=f"{found.milestones_done}/{found.milestones_total}" if found.milestones_total else "",
            next_milestone_on=found.next_milestone_on, urges=found.urges, last_urge_on=_local_day(found.last_urge_at),
            extensions=found.extensions, extension_decision=found.extension_decision,
            last_report_on=_local_day(found.report_at), last_report=_shorten(found.report_body),
            closeout_statement=found.closeout_statement, review_opinion=found.review_opinion,
            closed_on=_local_day(task.closed_at),
        ))
    return rows


def _local_day(moment):
    """The local date of a UTC timestamp, or None."""
    return clock.to_local(moment).date() if moment is not None else None


def _shorten(text):
    """A report cut to REPORT_CHARS characters, whitespace runs kept as single spaces."""
    text = " ".join((text or "").split())
    return text if len(text) <= REPORT_CHARS else text[:REPORT_CHARS - 1] + "…"


def describe(user, filters):
    """(label, value) for each filter in force, names looked up, in the words of the list's form.

    A person is named only when `user` may see them named (permissions.can_name_leader); any
    other id stays a number.
    """
    views = {"all": _("Needs my action"), **action_views.UNIT_VIEWS, **action_views.OFFICE_VIEWS}
    lookups = (
        ("lead_unit_id", _("Lead unit"), Unit, "name"),
        ("co_unit_id", _("Co-organizing unit"), Unit, "name"),
        ("leader_id", _("Responsible leader"), User, "display_name"),
        ("period_id", _("Period"), AssessmentPeriod, "name"),
        ("indicator_id", _("Indicator"), Indicator, "name"),
    )
    found = []
    if filters.q:
        found.append((_("Search"), filters.q))
    for name, label, labels in (("status", _("Status"), STATUSES), ("light", _("Light"), lights.LIGHTS),
                                ("source", _("Source"), SOURCES), ("level", _("Supervision level"), LEVELS),
                                ("mine", _("Needs my action"), views)):
        value = getattr(filters, name)
        if value:
            found.append((label, str(labels.get(value, value))))
    for name, label, model, attribute in lookups:
        value = getattr(filters, name)
        if value:
            obj = db.session.get(model, value)
            if model is User and not permissions.can_name_leader(user, obj):
                obj = None
            found.append((label, getattr(obj, attribute) if obj is not None else f"#{value}"))
    for flag, label in (("overdue", _("Overdue only")), ("late_accept", _("Not accepted in time")),
                        ("on_time", _("Closed on time"))):
        if getattr(filters, flag):
            found.append((label, _("Yes")))
    if filters.due_within is not None:
        found.append((_("Due within (days)"), str(filters.due_within)))
    return found


def file_name(ledger):
    """The download's name: 整改台账-20261130.xlsx."""
    return f"{_('Task ledger')}-{clock.to_local(ledger.generated_at):%Y%m%d}.xlsx"


def workbook_bytes(ledger):
    """The ledger as an .xlsx file: one row per task, a frozen header, and a sheet saying what it holds."""
    book = Workbook(write_only=True)
    _ledger_sheet(book, ledger)
    _about_sheet(book, ledger)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _named_styles(book):
    """Register the ledger's few cell styles on the workbook; returns field -> style name for the task rows.

    Named styles, assigned by name, cost one lookup per cell; setting font, fill and alignment
    objects cell by cell made a 10,000-row export spend most of its time hashing them.
    """
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    styles = [
        NamedStyle("ledger header", font=Font(bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor=BRAND_RED),
                   alignment=Alignment(horizontal="center", vertical="center", wrap_text=True), border=border),
        NamedStyle("ledger label", font=Font(bold=True), alignment=top),
        NamedStyle("ledger text", alignment=wrap, border=border),
        NamedStyle("ledger value", alignment=top, border=border),
        NamedStyle("ledger date", alignment=top, border=border, number_format="yyyy-mm-dd"),
        NamedStyle("ledger percent", alignment=top, border=border, number_format='0"%"'),
        *(NamedStyle(f"ledger {code}", alignment=top, border=border, fill=PatternFill("solid", fgColor=colour))
          for code, colour in LIGHT_FILLS.items()),
    ]
    for style in styles:
        book.add_named_style(style)
    return {name: "ledger text" if name in WRAPPED else "ledger date" if name in DATES
            else "ledger percent" if name == "percent_done" else "ledger value" for name, _label, _width in COLUMNS}


def _ledger_sheet(book, ledger):
    """The sheet of tasks: formatted header row, frozen; widths; dates as dates; A4 landscape when printed."""
    styles = _named_styles(book)
    sheet = book.create_sheet(_("Task ledger")[:31])
    sheet.freeze_panes = "A2"
    for index, (_name, _label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(ledger.rows) + 1}"
    sheet.row_dimensions[1].height = 30
    sheet.append([_styled(text_cell(sheet, str(label)), "ledger header") for _name, label, _width in COLUMNS])
    for row in ledger.rows:
        cells = []
        for name, _label, _width in COLUMNS:
            value = getattr(row, name)
            style = f"ledger {row.light_code}" if name == "light" and row.light_code else styles[name]
            cells.append(_styled(text_cell(sheet, value) if isinstance(value, str) else WriteOnlyCell(sheet, value),
                                 style))
        sheet.append(cells)


def _styled(cell, style):
    """The cell with a named style, its quote prefix (set by text_cell) kept."""
    quoted = cell.quotePrefix
    cell.style = style
    cell.quotePrefix = quoted
    return cell


def text_cell(sheet, value):
    """A text cell that no spreadsheet will run: characters XML forbids dropped, formula-like text quoted."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        cell.quotePrefix = True  # and Excel shows it as typed, even after the cell is edited
    return cell


def _about_sheet(book, ledger):
    """The second sheet: when, by whom, how many tasks, under which filters."""
    sheet = book.create_sheet(_("Filters")[:31])
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60
    lines = [
        (_("Exported at"), clock.to_local(ledger.generated_at).strftime("%Y-%m-%d %H:%M")),
        (_("Exported by"), ledger.generated_by),
        (_("Number of tasks"), str(ledger.total)),
        *ledger.criteria,
    ]
    if not ledger.criteria:
        lines.append((_("Filters"), _("None: every task you may see")))
    if ledger.ignored:
        lines.append((_("Ignored"), _("Some filters were not understood and were ignored: %(names)s",
                                      names=", ".join(ledger.ignored))))
    for label, value in lines:
        sheet.append([_styled(text_cell(sheet, str(label)), "ledger label"),
                      _styled(text_cell(sheet, str(value)), "ledger text")])
