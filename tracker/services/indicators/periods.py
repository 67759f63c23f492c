"""Assessment periods (考核周期): create them, list them, and set their weak-indicator rules and target basis.

A period's kind and dates may be read from its name as offices write it
(2026年半年考核, 2026年前三季度考核, 2026年一季度, 2026年第三季度, 2026年10月,
2026年度; `infer_dates`), its kind from its dates (`kind_for_dates`); a name
that says neither needs its first and last day.
"""
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult
from ...models.indicator import DIRECTIONS, INDICATOR_KINDS, PERIOD_KINDS, TARGET_BASES
from .. import DomainError, audit
from ..transaction import required_text, saving
from .results_import import describe, require_office

NAME_LENGTH = AssessmentPeriod.__table__.c.name.type.length
MAX_BOTTOM_K = 50
MAX_DEADLINE_DAYS = 730
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
# Periods counted from 1 January, by the month they end in.
CUMULATIVE_ENDS = {3: "first_quarter", 6: "half_year", 9: "three_quarters", 12: "year"}


@dataclass
class PeriodRules:
    """The weak-indicator rules and the default task deadline of a period, as a supervisor sets them."""

    bottom_k: int | None = 3
    last_place: bool = True
    behind_progress: bool = True
    score_rate_below: float | None = None  # a fraction, 0.6 = 60%
    default_deadline_days: int = 90
    target_basis: str = "year"  # the sheet's 目标值 is the year's target ("year") or the period's ("period")


def list_periods():
    """Every period, latest first, with how many results each holds: [(period, result count)]."""
    counts = (db.select(IndicatorResult.period_id, func.count().label("n"))
              .group_by(IndicatorResult.period_id).subquery())
    rows = db.session.execute(
        db.select(AssessmentPeriod, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.period_id == AssessmentPeriod.id)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc())
    ).all()
    return [(period, count) for period, count in rows]


def find_period(name):
    """The period with this name (surrounding spaces ignored), or None."""
    return db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == (name or "").strip()))


def create_period(actor, name, kind=None, starts_on=None, ends_on=None, rules=None):
    """Create a period with a unique name; kind and dates not given are read from the name, rules default."""
    require_office(actor)
    name = required_text(name, _("Name"), NAME_LENGTH)
    kind, starts_on, ends_on = period_fields(name, kind, starts_on, ends_on)
    period = new_period(name, kind, starts_on, ends_on, rules)
    try:
        with saving():
            db.session.add(period)
            db.session.flush()
            audit.record_change(actor, "assessment_period", period, "period_created", reason=describe(period))
    except IntegrityError:
        raise DomainError(_("A period named %(name)s already exists.", name=period.name)) from None
    return period


def new_period(name, kind, starts_on, ends_on, rules=None):
    """A checked period not yet saved (the results import saves it with its results)."""
    name = required_text(name, _("Name"), NAME_LENGTH)
    if kind not in PERIOD_KINDS:
        raise DomainError(_("Unknown period type %(value)s.", value=kind))
    if starts_on is None or ends_on is None:
        raise DomainError(_("Give the first and the last day of the period."))
    if ends_on < starts_on:
        raise DomainError(_("The period ends before it starts."))
    if find_period(name) is not None:
        raise DomainError(_("A period named %(name)s already exists.", name=name))
    period = AssessmentPeriod(name=name, kind=kind, starts_on=starts_on, ends_on=ends_on)
    _set_rules(period, rules or PeriodRules())
    return period


def rules_of(period):
    """The period's current rules as a PeriodRules (to fill the form)."""
    return PeriodRules(bottom_k=period.rule_bottom_k, last_place=period.rule_last_place,
                       behind_progress=period.rule_behind_progress, score_rate_below=period.rule_score_rate_below,
                       default_deadline_days=period.default_deadline_days, target_basis=period.target_basis)


def update_rules(actor, period, rules):
    """Change a period's weak-indicator rules; the audit entry lists the new values."""
    require_office(actor)
    with saving():
        before = rules_of(period)
        _set_rules(period, rules)
        after = rules_of(period)
        if after != before:
            audit.record_change(actor, "assessment_period", period, "rules_changed", reason=_describe(after))
    return period


def _set_rules(period, rules):
    """Check and copy the rules onto the period; DomainError on a value out of range."""
    bottom_k = rules.bottom_k or 0
    if not 0 <= bottom_k <= MAX_BOTTOM_K:
        raise DomainError(_("The number of bottom ranks must be between 0 and %(max)d.", max=MAX_BOTTOM_K))
    rate = rules.score_rate_below
    if rate is not None and not 0 < rate <= 1:
        raise DomainError(_("The score-rate threshold must be above 0%% and at most 100%%."))
    days = rules.default_deadline_days
    if days is None or not 1 <= days <= MAX_DEADLINE_DAYS:
        raise DomainError(_("The default deadline must be between 1 and %(max)d days.", max=MAX_DEADLINE_DAYS))
    if rules.target_basis not in TARGET_BASES:
        raise DomainError(_("Say whether the sheet's target is the year's or the period's."))
    period.target_basis = rules.target_basis
    period.rule_bottom_k = bottom_k
    period.rule_last_place = bool(rules.last_place)
    period.rule_behind_progress = bool(rules.behind_progress)
    period.rule_score_rate_below = rate
    period.default_deadline_days = days


def _describe(rules):
    """The rules as one line for the audit trail."""
    rate = "-" if rules.score_rate_below is None else f"{rules.score_rate_below:.0%}"
    return (f"bottom_k={rules.bottom_k} last_place={rules.last_place} behind_progress={rules.behind_progress} "
            f"score_rate_below={rate} deadline_days={rules.default_deadline_days} target_basis={rules.target_basis}")


def infer_dates(name):
    """(kind, starts_on, ends_on) read from a name like 2026年半年考核, 2026年前三季度, 2026年10月; None if unclear."""
    text = re.sub(r"\s+", "", name or "")
    year_match = re.search(r"(20\d{2})年?", text)
    if not year_match:
        return None
    year, rest = int(year_match.group(1)), text[year_match.end():]
    # 前三季度 before the single quarters: "三季度" is inside it.
    if "前三季度" in rest:
        return "three_quarters", date(year, 1, 1), date(year, 9, 30)
    if "下半年" in rest:
        return "second_half", date(year, 7, 1), date(year, 12, 31)
    if "半年" in rest:  # 上半年, and 半年考核 as the offices write it
        return "half_year", date(year, 1, 1), date(year, 6, 30)
    quarter = re.search(r"第?([一二三四1-4])季度", rest)
    if quarter:
        q = CHINESE_DIGITS.get(quarter.group(1)) or int(quarter.group(1))
        ends_on = date(year, 3 * q, monthrange(year, 3 * q)[1])
        return ("first_quarter" if q == 1 else "quarter"), date(year, 3 * q - 2, 1), ends_on
    months = re.match(r"1[-—–~至到](\d{1,2})月", rest)  # 1-9月: from January on
    if months and 1 <= int(months.group(1)) <= 12:
        ends_on = date(year, int(months.group(1)), monthrange(year, int(months.group(1)))[1])
        kind = kind_for_dates(date(year, 1, 1), ends_on)
        return (kind, date(year, 1, 1), ends_on) if kind else None
    month = re.match(r"(\d{1,2})月", rest)
    if month and 1 <= int(month.group(1)) <= 12:
        m = int(month.group(1))
        return "month", date(year, m, 1), date(year, m, monthrange(year, m)[1])
    if rest.startswith(("度", "全年")) or rest in ("", "考核", "目标考核", "综合考核"):
        return "year", date(year, 1, 1), date(year, 12, 31)
    return None


def kind_for_dates(starts_on, ends_on):
    """The period kind whose dates these are (1 Jan – 30 Sep is three_quarters …), or None for other spans."""
    if starts_on.year != ends_on.year or ends_on.day != monthrange(ends_on.year, ends_on.month)[1] \
            or starts_on.day != 1:
        return None
    first, last = starts_on.month, ends_on.month
    if first == 1 and last in CUMULATIVE_ENDS:
        return CUMULATIVE_ENDS[last]
    if first == last:
        return "month"
    if (first, last) == (7, 12):
        return "second_half"
    if last == first + 2 and first % 3 == 1:
        return "quarter"
    return None


def period_fields(name, kind=None, starts_on=None, ends_on=None, missing_message=None):
    """(kind, starts_on, ends_on): what was given, the rest read from the name (dates) or the dates (kind)."""
    inferred = infer_dates(name)
    if inferred is None and (starts_on is None or ends_on is None):
        raise DomainError(missing_message or _(
            "The dates of %(name)s cannot be read from its name; give its first and last day.", name=name))
    starts_on = starts_on or inferred[1]
    ends_on = ends_on or inferred[2]
    if ends_on < starts_on:
        raise DomainError(_("The period ends before it starts."))
    if not kind and inferred is not None and (inferred[1], inferred[2]) == (starts_on, ends_on):
        kind = inferred[0]
    kind = kind or kind_for_dates(starts_on, ends_on)
    if not kind:
        raise DomainError(_("Choose the type of the period: its dates are not a month, a quarter, a half-year "
                            "or a span from January."))
    return kind, starts_on, ends_on


def period_for_import(name, kind=None, starts_on=None, ends_on=None, rules=None):
    """The named period, or a new unsaved one from the dates given or read from its name (the CLI's way)."""
    period = find_period(name)
    if period is not None:
        return period
    kind, starts_on, ends_on = period_fields(name, kind, starts_on, ends_on, missing_message=_(
        "There is no period named %(name)s, and its dates cannot be read from the name; "
        "give its first and last day.", name=name))
    return new_period(name, kind, starts_on, ends_on, rules)


@dataclass
class IndicatorSettings:
    """What the rules need to know about an indicator, as the office corrects it by hand."""

    direction: str = "higher"
    kind: str = "rate"
    is_veto: bool = False
    bonus_cap: float | None = None
    formula: str | None = None


def update_indicator(actor, indicator, settings):
    """Correct an indicator's direction, kind, veto flag, bonus cap and formula (a sheet may not say them)."""
    require_office(actor)
    if settings.direction not in DIRECTIONS or settings.kind not in INDICATOR_KINDS:
        raise DomainError(_("Choose the direction and the kind of the indicator."))
    if settings.bonus_cap is not None and settings.bonus_cap < 0:
        raise DomainError(_("The bonus cap cannot be negative."))
    formula = (settings.formula or "").strip() or None
    with saving():
        values = {"direction": settings.direction, "kind": settings.kind, "is_veto": bool(settings.is_veto),
                  "bonus_cap": settings.bonus_cap, "formula": formula}
        changed = [name for name, value in values.items() if getattr(indicator, name) != value]
        for name, value in values.items():
            setattr(indicator, name, value)
        if changed:
            audit.record_change(actor, "indicator", indicator, "indicator_edited", reason=", ".join(changed))
    return indicator
