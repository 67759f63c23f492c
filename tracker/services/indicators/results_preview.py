"""What the results-import preview shows beside the plan: every value a row writes, and periods that overlap.

`row_cells` lists the values one planned row will write (得分, 分值, 排名,
参评数, 目标值, 完成值, 序时进度, 牵头/配合单位, 分管领导) as text, each with the
value it replaces, so the office sees the numbers before anything is written.
`overlap_warnings` names the other periods of the same kind whose dates
overlap the period's, and any period that covers exactly its dates: a warning,
never a refusal (a re-issued sheet may belong to either). results_plan calls
both; nothing here writes.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...models import AssessmentPeriod
from ...models.indicator import PERIOD_KINDS
from ..documents.cells import fmt_number, name_key

# The values the preview lists for every row, in the sheet's usual order: (key, label, whose value).
PREVIEW_CELLS = (
    ("score", _l("Score"), "result"), ("weight", _l("Weight"), "indicator"), ("rank", _l("Rank"), "result"),
    ("peer_count", _l("Peers"), "result"), ("target_value", _l("Target"), "result"),
    ("actual_value", _l("Actual"), "result"), ("expected_progress", _l("Time-elapsed progress"), "result"),
    ("lead_unit", _l("Lead unit"), "indicator"), ("co_units", _l("Co-organizing units"), "indicator"),
    ("leader_title", _l("Responsible leader"), "indicator"),
)

TEXT_CELLS = ("lead_unit", "co_units", "leader_title")


@dataclass(frozen=True)
class PreviewCell:
    """One value a row will write, as the preview shows it, with the value it replaces."""

    key: str
    label: str
    text: str  # "—" when the sheet leaves it empty
    before: str | None = None  # the value it replaces, when it changes one
    is_written: bool = True  # False: an indicator setting kept because a later period exists

    @property
    def is_number(self):
        """True for the figures (right-aligned), False for unit and leader names."""
        return self.key not in TEXT_CELLS


def row_cells(planned, updates_indicators, indicator_fields):
    """Every value the row writes, as text, each with the value it replaces when it changes one."""
    row, indicator, result = planned.parsed, planned.indicator, planned.result
    new = {"score": row.score, "weight": row.weight, "rank": row.rank, "peer_count": row.peer_count,
           "target_value": row.target_value, "actual_value": row.actual_value,
           "expected_progress": row.expected_progress, "lead_unit": planned.lead_unit_name,
           "co_units": planned.co_unit_names, "leader_title": row.leader_title}
    old = {}
    if result is not None:
        old.update({name: getattr(result, name) for name in planned.result_values})
    if indicator is not None:
        old.update({"weight": indicator.weight, "leader_title": indicator.leader_title,
                    "lead_unit": indicator.lead_unit.name if indicator.lead_unit else None,
                    "co_units": [unit.name for unit in indicator.co_units]})
    cells = []
    for key, label, owner in PREVIEW_CELLS:
        text = _text(key, new[key], row.measure_unit)
        before = _text(key, old[key], row.measure_unit) if key in old and _differs(key, new[key], old[key]) else None
        if owner == "result":
            written = key in planned.result_values
        else:  # lead and co-units are always in the sheet; a column it lacks is not written
            written = (indicator is None or updates_indicators) and (
                key not in indicator_fields or key in planned.values)
        cells.append(PreviewCell(key=key, label=str(label), text=text, before=before, is_written=written))
    return cells


def _differs(key, new, old):
    """True when the row changes the value: unit names compared as the plan compares them, co-units as a set."""
    if key == "co_units":
        return {name_key(name) for name in new} != {name_key(name) for name in old}
    if key == "lead_unit":
        return name_key(new) != name_key(old)
    return new != old


def _text(key, value, measure_unit):
    """A value as the preview prints it: numbers short, 序时进度 in per cent, target and actual with their unit."""
    if isinstance(value, list):
        value = "、".join(value)
    if value is None or value == "":
        return "—"
    if key == "expected_progress":
        return f"{fmt_number(round(value * 100, 4))}%"
    if key in ("target_value", "actual_value") and measure_unit:
        return f"{fmt_number(value)}{measure_unit}"
    return fmt_number(value) if isinstance(value, (int, float)) else str(value)


def overlapping_periods(period):
    """Other periods of the same kind whose dates overlap the period's, and any with exactly its dates."""
    query = db.select(AssessmentPeriod).where(AssessmentPeriod.starts_on <= period.ends_on,
                                              AssessmentPeriod.ends_on >= period.starts_on)
    if period.id:
        query = query.where(AssessmentPeriod.id != period.id)
    others = db.session.scalars(query.order_by(AssessmentPeriod.starts_on, AssessmentPeriod.id))
    return [other for other in others if other.kind == period.kind or _same_dates(other, period)]


def _same_dates(one, other):
    """True when both periods cover exactly the same days."""
    return (one.starts_on, one.ends_on) == (other.starts_on, other.ends_on)


def overlap_warnings(period):
    """(periods, one warning each) for the periods that overlap this one; the message names the other period."""
    others = overlapping_periods(period)
    warnings = []
    for other in others:
        dates = f"{other.starts_on.isoformat()} – {other.ends_on.isoformat()}"
        if _same_dates(other, period):
            warnings.append(_("The period %(other)s (%(kind)s, %(dates)s) covers exactly the same dates as "
                              "%(period)s: check that this sheet belongs here and that the two are not the same "
                              "period twice.", other=other.name, kind=PERIOD_KINDS.get(other.kind, other.kind),
                              dates=dates, period=period.name))
        else:
            warnings.append(_("The period %(other)s (%(kind)s, %(dates)s) is of the same type and overlaps "
                              "%(period)s: check that this sheet belongs here.", other=other.name,
                              kind=PERIOD_KINDS.get(other.kind, other.kind), dates=dates, period=period.name))
    return others, warnings
