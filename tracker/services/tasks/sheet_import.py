"""Importing tasks from other sources (察访核验反馈问题, 群众满意度调查问题, 督查发现…) from a spreadsheet.

The sheet is read like the results sheet (sheets.py: header found by its
names, columns in any order, GBK CSV, notes around the table). Every row is
checked before anything is written: units must exist and be active, the
leader must be an active county leader, the deadline a date not in the past.
Then all rows become drafts (and, if asked, are dispatched) in one
transaction, through the same drafts.create_draft and workflow.dispatch
the pages use; one bad row means nothing is created. A row whose task already
exists (same title, same lead unit, still open) is skipped, so importing the
same file twice does not duplicate it.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.orm import selectinload

from ... import clock, permissions
from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult, RectificationTask, Unit, User
from ...models.task import LEVELS, OPEN_STATUSES, SOURCES
from ...models.user import LEADER
from .. import DomainError, PermissionDenied, transaction
from ..documents import upload_staging
from ..documents.cells import CellError, clean_text, has_value, name_key, read_co_units, read_date, read_text
from ..documents.sheets import (
    DEFAULT_MAX_BYTES,
    ParseError,
    RowError,
    find_table,
    is_header_again,
    read_sheets,
    table_body,
)
from . import drafts, workflow

STAGED_KIND = "tasks"
MAX_TASK_ROWS = 2000
COLUMNS = {
    "title": ("任务名称", "问题", "整改任务", "任务", "问题名称", "反馈问题", "问题清单", "问题/任务名称"),
    "problem": ("问题描述", "存在问题", "具体问题", "问题表现", "问题详情"),
    "source": ("来源", "问题来源", "任务来源"),
    "source_detail": ("来源说明", "具体来源", "来源详情", "反馈批次"),
    "lead_unit_name": ("牵头单位", "责任单位", "承办单位"),
    "co_unit_names": ("配合单位", "协办单位"),
    "leader": ("责任领导", "分管县领导", "分管领导", "包联领导"),
    "deadline_on": ("完成时限", "整改时限", "完成时间", "截止时间", "截止日期"),
    "supervision_level": ("督办级别", "督办等级", "级别"),
    "measures": ("整改措施", "整改目标", "措施"),
    # A task for a weak indicator: its latest assessed result; a second open task for it needs a reason.
    "indicator_name": ("考核指标", "对应指标", "弱项指标"),
    "duplicate_reason": ("新建理由", "另立理由"),
}
REQUIRED = ("title", "lead_unit_name", "deadline_on")
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
SOURCE_WORDS = {
    "inspection": ("察访核验", "察访核验反馈", "察访核验反馈问题", "察访核验问题", "上级察访", "察访"),
    "survey": ("群众满意度调查", "群众满意度调查问题", "满意度调查", "群众满意度", "民调", "满意度测评"),
    "supervision": ("督查发现", "督查", "督查发现问题", "督查检查"),
    "manual": ("手动", "手工录入", "其他", "自行发现", "手动录入"),
}
LEVEL_WORDS = {"normal": ("一般", "普通", "一般督办"), "key": ("重点", "重点督办"), "listed": ("挂牌", "挂牌督办")}
IMPORTABLE_SOURCES = ("inspection", "survey", "supervision", "manual")


@dataclass
class TaskRow:
    """One sheet row checked and ready to become a draft."""

    row: int
    draft: drafts.TaskDraft
    lead_unit_name: str
    co_unit_names: list
    leader_name: str | None = None
    existing: RectificationTask | None = None  # an open task with the same title and lead unit: skipped


@dataclass
class TaskImportPlan:
    """The rows a task import would create, the rows it skips, and every problem."""

    filename: str
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    sheet_name: str | None = None
    header_row: int | None = None

    @property
    def ok(self):
        """True when the plan can be applied."""
        return not self.errors

    @property
    def new_rows(self):
        """The rows that will become tasks."""
        return [row for row in self.rows if row.existing is None]

    @property
    def skipped_rows(self):
        """The rows whose task already exists."""
        return [row for row in self.rows if row.existing is not None]


class TaskImportRejected(DomainError):
    """The file has errors; nothing was created. `plan` lists them."""

    def __init__(self, plan):
        """Keep the plan for the page that shows its errors."""
        super().__init__(ngettext("Nothing was imported: the file has %(num)d problem.",
                                  "Nothing was imported: the file has %(num)d problems.", len(plan.errors)))
        self.plan = plan


def _word(value, words, allowed):
    """The code whose words (or code, or label) match the cell; None when blank."""
    text = clean_text(value)
    if not text:
        return None
    for code, options in words.items():
        if text in options or text.lower() == code or text == str(allowed.get(code, "")):
            return code
    raise CellError(_("“%(value)s” is not understood; write one of %(options)s.", value=text,
                      options="、".join(options[0] for options in words.values())), "bad_word")


def read_source(value):
    """来源: 察访核验 → inspection, 群众满意度调查 → survey, 督查发现 → supervision, 其他 → manual."""
    return _word(value, SOURCE_WORDS, SOURCES)


def read_level(value):
    """督办级别: 一般 / 重点 / 挂牌."""
    return _word(value, LEVEL_WORDS, LEVELS)


READERS = {"co_unit_names": read_co_units, "deadline_on": read_date, "source": read_source,
           "supervision_level": read_level}


def plan_task_import(actor, data, filename, default_source="manual", max_bytes=DEFAULT_MAX_BYTES):
    """Parse and check a task sheet; ParseError when the file cannot be read at all."""
    if not permissions.can_create_tasks(actor):
        raise PermissionDenied(_("Only the supervision office may create tasks."))
    if default_source not in IMPORTABLE_SOURCES:
        raise DomainError(_("Unknown source %(value)s.", value=default_source))
    sheets = read_sheets(data, filename, max_bytes)
    sheet, header_index = find_table(sheets, ALIASES, "title", [COLUMNS[name][0] for name in REQUIRED])
    columns, body = table_body(sheet, header_index, ALIASES, COLUMNS, REQUIRED, MAX_TASK_ROWS)
    headers = {name: text for name, (_i, text) in columns.items()}
    plan = TaskImportPlan(filename=filename, sheet_name=sheet.name, header_row=header_index + 1)
    context = _Context()
    seen = {}
    for number, cells in body:
        values = dict(zip(columns, cells, strict=False))
        if not has_value(cells) or is_header_again(values["title"], ALIASES, "title"):
            continue
        row, errors = _check_row(number, values, headers, default_source, context, plan)
        key = (name_key(values.get("title")), name_key(values.get("lead_unit_name")))
        if key[0] and key in seen:
            errors.append(RowError(number, headers["title"], _(
                "The same task for the same lead unit already appears on row %(row)d.", row=seen[key]),
                "duplicate_task"))
        seen.setdefault(key, number)
        plan.errors.extend(errors)
        if not errors:
            plan.rows.append(row)
    if not plan.rows and not plan.errors:
        raise ParseError(_("The table under the header row has no data rows."), "no_rows")
    return plan


class _Context:
    """Units, leaders and open tasks, loaded once per import."""

    def __init__(self):
        """Load the lookups."""
        self.units = {name_key(unit.name): unit for unit in db.session.scalars(db.select(Unit))}
        leaders = db.session.scalars(db.select(User).where(User.role == LEADER, User.is_active.is_(True))).all()
        self.leaders = {}
        for leader in leaders:
            for key in _leader_keys(leader):
                self.leaders.setdefault(key, []).append(leader)
        # Indicator name → its result in the latest period that has one (periods ordered by end).
        self.indicator_results = {}
        for result in db.session.scalars(
                db.select(IndicatorResult).join(AssessmentPeriod, IndicatorResult.period_id == AssessmentPeriod.id)
                .options(selectinload(IndicatorResult.indicator))
                .order_by(AssessmentPeriod.ends_on, AssessmentPeriod.id)):
            self.indicator_results[name_key(result.indicator.name)] = result
        self.open_tasks = {
            (name_key(task.title), task.lead_unit_id): task for task in db.session.scalars(
                db.select(RectificationTask).where(RectificationTask.status.in_(OPEN_STATUSES)))
        }


def _leader_keys(leader):
    """The ways a sheet names a leader: name, title, or both in either order."""
    name, title = leader.display_name, leader.title or ""
    keys = {name, name + title, title + name, f"{name}({title})", f"{title}({name})"}
    if title:
        keys.add(title)
    return {name_key(key) for key in keys if key}


def _check_row(number, values, headers, default_source, context, plan):
    """Check one row; returns (TaskRow or None, list of RowError)."""
    errors, out = [], {}
    for name in COLUMNS:
        try:
            out[name] = READERS.get(name, read_text)(values.get(name))
        except CellError as bad:
            errors.append(RowError(number, headers[name], str(bad), bad.code))
            out[name] = None
            continue
        if name in REQUIRED and out[name] is None:
            errors.append(RowError(number, headers[name], _("A value is required."), "required"))
    source = out["source"] or default_source
    result = _indicator_result(number, headers.get("indicator_name"), out["indicator_name"], context, errors)
    if result is not None:
        source = "indicator"
    elif source not in IMPORTABLE_SOURCES:
        errors.append(RowError(number, headers.get("source"), _(
            "Tasks for weak indicators are made from the indicator board, not imported."), "bad_source"))
    lead = _unit(number, headers["lead_unit_name"], out["lead_unit_name"], context, errors)
    co_names = [name for name in out["co_unit_names"] or [] if name_key(name) != name_key(out["lead_unit_name"])]
    if len(co_names) < len(out["co_unit_names"] or []):
        plan.warnings.append(_("Row %(row)d: the lead unit is also listed as a co-organizing unit; it stays the "
                               "lead unit only.", row=number))
    co_units = [_unit(number, headers.get("co_unit_names"), name, context, errors) for name in co_names]
    leader = _leader(number, headers.get("leader"), out["leader"], context, errors)
    deadline = out["deadline_on"]
    if deadline is not None and deadline < clock.today():
        errors.append(RowError(number, headers["deadline_on"], _(
            "The deadline %(date)s is in the past.", date=deadline.isoformat()), "past_deadline"))
    for name, limit in (("title", 300), ("source_detail", 300)):
        if out[name] and len(out[name]) > limit:
            errors.append(RowError(number, headers[name], _(
                "%(length)d characters; at most %(max)d are allowed.", length=len(out[name]), max=limit),
                "too_long"))
    existing = context.open_tasks.get((name_key(out["title"]), lead.id)) if lead else None
    if result is not None and lead is not None and existing is None and not out["duplicate_reason"]:
        others = drafts.open_duplicates(result.id, lead.id)
        if others:
            errors.append(RowError(number, headers["indicator_name"], str(
                drafts.DuplicateTask(result.indicator.name, others)), "duplicate_indicator_task"))
    if errors:
        return None, errors
    draft = drafts.TaskDraft(
        title=out["title"], lead_unit_id=lead.id, deadline_on=deadline, problem=out["problem"],
        measures=out["measures"], source=source, source_detail=out["source_detail"],
        co_unit_ids=[unit.id for unit in co_units], responsible_leader_id=leader.id if leader else None,
        supervision_level=out["supervision_level"] or "normal",
        period_id=result.period_id if result else None, indicator_result_id=result.id if result else None,
        duplicate_reason=out["duplicate_reason"],
    )
    return TaskRow(row=number, draft=draft, lead_unit_name=lead.name, co_unit_names=[u.name for u in co_units],
                   leader_name=leader.display_name if leader else None,
                   existing=existing), []


def _indicator_result(number, column, name, context, errors):
    """The latest assessed result of the indicator the cell names, or None (with an error when unknown)."""
    if name is None:
        return None
    result = context.indicator_results.get(name_key(name))
    if result is None:
        errors.append(RowError(number, column, _(
            "No assessed indicator is named “%(name)s”; write it as the results sheet does.", name=name),
            "unknown_indicator"))
    return result


def _unit(number, column, name, context, errors):
    """The active unit of that name, or None with an error added."""
    if name is None:
        return None
    unit = context.units.get(name_key(name))
    if unit is None:
        errors.append(RowError(number, column, _("No unit is named “%(name)s”.", name=name), "unknown_unit"))
    elif not unit.is_active:
        errors.append(RowError(number, column, _("Unit “%(name)s” is deactivated.", name=name), "inactive_unit"))
        return None
    return unit


def _leader(number, column, text, context, errors):
    """The active county leader the cell names (by name, title or both), or None with an error added."""
    if text is None:
        return None
    found = context.leaders.get(name_key(text.replace("（", "(").replace("）", ")")), [])
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(RowError(number, column, _(
            "Several county leaders match “%(value)s”; write the name.", value=text), "ambiguous_leader"))
    else:
        errors.append(RowError(number, column, _(
            "No active county leader is named or titled “%(value)s”.", value=text), "unknown_leader"))
    return None


def apply_task_import(actor, data, filename, default_source="manual", dispatch=False):
    """Check the file again and create every new row as a draft (dispatched if asked), all or nothing."""
    plan = plan_task_import(actor, data, filename, default_source)
    if not plan.ok:
        raise TaskImportRejected(plan)
    created = []
    try:
        with transaction.one_transaction(conflict=workflow.conflict_message):
            for row in plan.new_rows:
                try:
                    task = drafts.create_draft(actor, row.draft)
                    if dispatch:
                        workflow.dispatch(actor, task)
                except DomainError as error:
                    raise DomainError(_("Row %(row)d: %(message)s", row=row.row, message=str(error))) from None
                created.append(task)
    except (IntegrityError, PendingRollbackError):
        raise DomainError(_("Someone else created tasks at the same moment; please try again.")) from None
    return plan, created


def stage_upload(actor, filename, data, default_source="manual"):
    """Check an uploaded task sheet can be read at all, then keep it for the preview; returns its token."""
    plan_task_import(actor, data, filename, default_source)
    return upload_staging.stage(actor, STAGED_KIND, filename, data, default_source=default_source)


def preview_upload(actor, token):
    """The plan of a staged task sheet, for the preview page (nothing is written)."""
    staged = upload_staging.load(actor, STAGED_KIND, token)
    return plan_task_import(actor, staged.data, staged.filename, staged.meta.get("default_source", "manual"))


def confirm_upload(actor, token, dispatch=False):
    """Create the tasks of a staged sheet after the user confirmed its preview; checked again first."""
    staged = upload_staging.load(actor, STAGED_KIND, token)
    result = apply_task_import(actor, staged.data, staged.filename, staged.meta.get("default_source", "manual"),
                               dispatch)
    upload_staging.discard(token)
    return result
