"""What importing a results sheet into a period would do: the plan, made before anything is written.

`plan_import` parses the file (results_parser) and compares it with the
database: which indicators and results would be created or updated, which
units the sheet names that do not exist, every problem with its row and
column, every value each row writes (results_preview.row_cells), and the
warnings that do not stop it (a later period exists, an indicator of the
period is missing from the file, a leader title nobody has, another period
overlaps this one). results_import writes a plan; nothing here writes.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import AssessmentPeriod, Indicator, Unit, User
from ...models.indicator import TARGET_BASES
from ...models.user import LEADER
from .. import DomainError
from ..documents.cells import name_key
from .results_parser import DEFAULT_MAX_BYTES, RowError, parse_results, score_error
from .results_preview import overlap_warnings, row_cells

# Indicators where less is better when the sheet has no 指标方向 column (DESIGN: 事故起数, 信访批次).
LOWER_IS_BETTER_WORDS = ("事故", "信访", "安全生产", "非访", "发案", "投诉", "死亡", "火灾", "违法")
LOWER_IS_BETTER_UNITS = ("起", "批次")
# Rates are compared with their target; anything else counted in 亿元, 人, 家… is a cumulative amount.
RATE_UNITS = ("%", "‰", "分", "个百分点", "百分点")
RATE_NAME_ENDINGS = ("率", "增速", "增幅", "比重", "占比", "比例", "指数")
AMOUNT_WORDS = ("总额", "资金", "人数", "数量", "产值", "投资额", "个数", "家数")

# Indicator attributes a sheet may carry, with the labels the preview lists changes by.
INDICATOR_FIELDS = {
    "category": _l("Category"), "weight": _l("Weight"), "measure_unit": _l("Unit of measure"),
    "direction": _l("Direction"), "kind": _l("Kind"), "is_veto": _l("Veto"), "bonus_cap": _l("Bonus cap"),
    "formula": _l("Formula"), "leader_title": _l("Responsible leader"),
}
RESULT_FIELDS = {
    "score": _l("Score"), "rank": _l("Rank"), "peer_count": _l("Peers"), "target_value": _l("Target"),
    "actual_value": _l("Actual"), "expected_progress": _l("Time-elapsed progress"),
}
@dataclass
class PlannedRow:
    """What importing one sheet row will do to its indicator and its result."""

    parsed: object  # results_parser.ParsedRow
    values: dict  # indicator attributes to write
    result_values: dict  # result fields to write
    indicator: Indicator | None = None  # the existing indicator, if any
    result: object = None  # the existing IndicatorResult of this period, if any
    indicator_changes: list = field(default_factory=list)  # labels of changed attributes
    result_changes: list = field(default_factory=list)
    lead_unit_name: str = ""
    co_unit_names: list = field(default_factory=list)
    cells: list = field(default_factory=list)  # results_preview.PreviewCell, one per value written

    @property
    def indicator_action(self):
        """create / update / unchanged."""
        return "create" if self.indicator is None else ("update" if self.indicator_changes else "unchanged")

    @property
    def result_action(self):
        """create / update / unchanged."""
        return "create" if self.result is None else ("update" if self.result_changes else "unchanged")


@dataclass
class ImportPlan:
    """Everything an import would do, and everything that stops it."""

    period: AssessmentPeriod
    filename: str
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # RowError
    warnings: list = field(default_factory=list)  # str
    unknown_units: list = field(default_factory=list)  # names the sheet uses that no unit has
    create_units: bool = False
    missing_from_file: list = field(default_factory=list)  # indicator names of the period the file lacks
    updates_indicators: bool = True  # False for an earlier period: indicator settings stay as they are
    sheet_name: str | None = None
    header_row: int | None = None
    target_basis: str = "year"  # what the period's target basis will be once imported
    overlapping: list = field(default_factory=list)  # other periods the overlap warnings name

    @property
    def ok(self):
        """True when the plan can be applied."""
        return not self.errors

    @property
    def only_unknown_units(self):
        """True when the only errors are unknown units, which the user may choose to create."""
        return bool(self.errors) and all(error.code == "unknown_unit" for error in self.errors)

    @property
    def target_basis_label(self):
        """The target basis the import sets, in words."""
        return TARGET_BASES[self.target_basis]

    @property
    def changes_target_basis(self):
        """True when the import changes the target basis of a period that already exists."""
        return self.period.id is not None and self.period.target_basis != self.target_basis

    def count(self, what, action):
        """How many rows will `action` (create/update/unchanged) their `what` (indicator/result)."""
        return sum(1 for row in self.rows if getattr(row, what + "_action") == action)


def infer_direction(name, measure_unit):
    """higher / lower for a sheet that does not say: accident and petition counts are lower-is-better."""
    if any(word in name for word in LOWER_IS_BETTER_WORDS) or (measure_unit or "") in LOWER_IS_BETTER_UNITS:
        return "lower"
    return "higher"


def infer_kind(name, measure_unit):
    """rate / cumulative for a sheet that does not say, from the unit of measure (else the name)."""
    if measure_unit:
        return "rate" if measure_unit in RATE_UNITS else "cumulative"
    if any(word in name for word in AMOUNT_WORDS) and not name.endswith(RATE_NAME_ENDINGS):
        return "cumulative"
    return "rate"  # the safer reading: compared with the target, not with a share of it


def plan_import(period, data, filename, create_units=False, max_bytes=DEFAULT_MAX_BYTES, target_basis=None):
    """Parse the file and compare it with the database; ParseError when the file cannot be read at all."""
    parsed = parse_results(data, filename, max_bytes=max_bytes)
    return plan_rows(period, parsed, filename, create_units, target_basis)


def plan_rows(period, parsed, filename, create_units=False, target_basis=None):
    """The ImportPlan for parsed sheet rows (a results_parser.ParseResult) in this period."""
    target_basis = target_basis or period.target_basis or "year"
    if target_basis not in TARGET_BASES:
        raise DomainError(_("Say whether the sheet's target is the year's or the period's."))
    plan = ImportPlan(period=period, filename=filename, errors=list(parsed.errors), create_units=create_units,
                      sheet_name=parsed.sheet_name, header_row=parsed.header_row,
                      updates_indicators=_is_latest(period), target_basis=target_basis)
    units = {name_key(unit.name): unit for unit in db.session.scalars(db.select(Unit))}
    indicators = {name_key(item.name): item for item in db.session.scalars(
        db.select(Indicator).options(selectinload(Indicator.co_units), selectinload(Indicator.lead_unit)))}
    results = {result.indicator_id: result for result in period.results} if period.id else {}
    present = set(parsed.columns)
    unknown = {}
    for row in parsed.rows:
        planned = _plan_row(row, present, indicators, results, plan)
        if "bonus_cap" not in present:  # the sheet says no cap: the indicator's own, if it has one
            cap = planned.indicator.bonus_cap if planned.indicator is not None else None
            error = score_error(row.row_number, parsed.columns["score"], row.score, row.weight, cap)
            plan.errors += [error] if error else []
        for column, names in (("lead_unit_name", [row.lead_unit_name]), ("co_unit_names", planned.co_unit_names)):
            for unit_name in names:
                unit = units.get(name_key(unit_name))
                if unit is None:
                    unknown.setdefault(unit_name, []).append((row.row_number, parsed.columns[column]))
                elif not unit.is_active:
                    plan.errors.append(RowError(row.row_number, parsed.columns[column], _(
                        "Unit “%(name)s” is deactivated.", name=unit_name), "inactive_unit"))
        plan.rows.append(planned)
    plan.unknown_units = list(unknown)
    if not create_units:
        plan.errors += [RowError(row, column, _("No unit is named “%(name)s”.", name=unit_name), "unknown_unit")
                        for unit_name, places in unknown.items() for row, column in places]
    plan.errors.sort(key=lambda error: (error.row, error.column or ""))
    _add_warnings(plan, parsed, results)
    return plan


def _is_latest(period):
    """True when no other period ends after this one (only its sheet may change indicator settings)."""
    later = db.select(AssessmentPeriod.id).where(AssessmentPeriod.ends_on > period.ends_on)
    if period.id:
        later = later.where(AssessmentPeriod.id != period.id)
    return db.session.scalar(later.limit(1)) is None


def _plan_row(row, present, indicators, results, plan):
    """Compare one parsed row with the indicator and result it names."""
    indicator = indicators.get(name_key(row.name))
    co_names = [name for name in row.co_unit_names if name_key(name) != name_key(row.lead_unit_name)]
    if len(co_names) < len(row.co_unit_names):
        plan.warnings.append(_("Row %(row)d: the lead unit is also listed as a co-organizing unit; it stays the "
                               "lead unit only.", row=row.row_number))
    values = {name: getattr(row, name) for name in INDICATOR_FIELDS if name in present}
    if indicator is None:
        values.setdefault("direction", None)
        values.setdefault("kind", None)
        values["direction"] = values["direction"] or infer_direction(row.name, row.measure_unit)
        values["kind"] = values["kind"] or infer_kind(row.name, row.measure_unit)
    else:
        values = {name: value for name, value in values.items()
                  if not (name in ("direction", "kind") and value is None)}
    result_values = {name: getattr(row, name) for name in RESULT_FIELDS if name in present}
    planned = PlannedRow(parsed=row, values=values, result_values=result_values, indicator=indicator,
                         result=results.get(indicator.id) if indicator is not None else None,
                         lead_unit_name=row.lead_unit_name, co_unit_names=co_names)
    if indicator is not None and plan.updates_indicators:
        planned.indicator_changes = [str(INDICATOR_FIELDS[name]) for name, value in values.items()
                                     if getattr(indicator, name) != value]
        if name_key(indicator.lead_unit.name if indicator.lead_unit else "") != name_key(row.lead_unit_name):
            planned.indicator_changes.append(_("Lead unit"))
        # Co-units are compared as sets: the database keeps them by unit, not in the sheet's order.
        if {name_key(unit.name) for unit in indicator.co_units} != {name_key(name) for name in co_names}:
            planned.indicator_changes.append(_("Co-organizing units"))
    if planned.result is not None:
        planned.result_changes = [str(RESULT_FIELDS[name]) for name, value in result_values.items()
                                  if getattr(planned.result, name) != value]
    planned.cells = row_cells(planned, plan.updates_indicators, INDICATOR_FIELDS)
    return planned


def _add_warnings(plan, parsed, results):
    """Things the user should know that do not stop the import."""
    plan.overlapping, overlaps = overlap_warnings(plan.period)
    plan.warnings.extend(overlaps)
    if not plan.updates_indicators:
        plan.warnings.append(_("A later period exists: indicator settings (weight, units, leader…) are kept as "
                               "they are; only this period's results are written."))
    if plan.changes_target_basis:
        plan.warnings.append(_("The target basis of %(period)s changes from “%(old)s” to “%(new)s”.",
                               period=plan.period.name, old=plan.period.target_basis_label,
                               new=plan.target_basis_label))
    in_file = {name_key(row.name) for row in parsed.rows}
    plan.missing_from_file = sorted(result.indicator.name for result in results.values()
                                    if name_key(result.indicator.name) not in in_file)
    if plan.missing_from_file:
        plan.warnings.append(ngettext(
            "%(num)d indicator of this period is not in the file; its result stays as it was: %(names)s",
            "%(num)d indicators of this period are not in the file; their results stay as they were: %(names)s",
            len(plan.missing_from_file), names=_names(plan.missing_from_file)))
    titles = {row.parsed.leader_title for row in plan.rows if row.parsed.leader_title}
    known = set(db.session.scalars(db.select(User.title).where(
        User.role == LEADER, User.is_active.is_(True), User.title.in_(titles))))
    for title in sorted(titles - known):
        plan.warnings.append(_("No active county leader has the title “%(title)s”; tasks made from its indicators "
                               "get no responsible leader until one has.", title=title))


def _names(names, shown=10):
    """The first names joined the Chinese way, with … when there are more."""
    return "、".join(names[:shown]) + ("…" if len(names) > shown else "")
