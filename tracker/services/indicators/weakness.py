"""Which indicators of a period are weak (弱项指标), which are strengths, and why.

The rules are the period's own (AssessmentPeriod.rule_*), set by the supervisor:

- ``bottom_k`` — the rank is among the last K of the peers (rank > peer_count − K);
  K = ``rule_bottom_k`` (default 3, 后三名); 0 or None switches the rule off.
- ``last_place`` — the rank equals the number of peers (倒数第一), when
  ``rule_last_place`` is on.
- ``behind_progress`` — when ``rule_behind_progress`` is on and the result has
  both a target and an actual value:

  * cumulative amounts (kind ``cumulative``, e.g. 招商引资到位资金 in 亿元) are
    measured against the time-elapsed progress p (序时进度, a fraction):
    higher-is-better is behind when ``actual < target × p`` (completion ratio
    actual/target below p); lower-is-better (事故起数, 信访批次: the target is a
    ceiling for the whole period) is behind when ``actual > target × p`` — the
    pace so far would overrun the ceiling by the end. A result without a
    time-elapsed progress is not judged by this rule (nothing to compare with).
  * rates (kind ``rate``: 增速, 占比, 达标率, 得分) are compared with the target
    directly: higher-is-better is behind when ``actual < target``,
    lower-is-better when ``actual > target``.
- ``low_score_rate`` — score / weight below ``rule_score_rate_below`` (e.g.
  0.6), when that threshold is set.

A strength (优势指标) is a rank in the top 3, whatever the other rules say; a
top-3 indicator that is behind progress is therefore both, and shows both.
Points lost (失分) is weight − score. The previous rank is the same indicator's
rank in the period that ended last before this one (by ``ends_on``);
``rank_change`` = previous rank − rank, so a positive change is an improvement.

This module is a fixed interface: the monthly bulletin and the dashboard call
``evaluate_period`` and ``weak_assessments``; keep their signatures stable.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import AssessmentPeriod, Indicator, IndicatorResult

STRENGTH_TOP = 3
# Reason codes in the order they are listed, with their short labels.
REASONS = {
    "last_place": _l("Last place"),
    "bottom_k": _l("Bottom ranks"),
    "behind_progress": _l("Behind time-elapsed progress"),
    "low_score_rate": _l("Low score rate"),
}
EPSILON = 1e-9  # float noise must not flip a rule on a value exactly at its threshold


@dataclass(frozen=True)
class IndicatorAssessment:
    """One result of a period judged by the period's rules."""

    result: IndicatorResult
    indicator: Indicator
    is_weak: bool
    reasons: tuple
    is_strength: bool
    points_lost: float
    previous_rank: int | None
    rank_change: int | None
    score_rate: float | None = None  # score / weight
    completion: float | None = None  # actual / target, when both are known and target is not 0
    bottom_k: int | None = None  # the K in force when judged, for the label
    rate_threshold: float | None = None  # the score-rate threshold in force when judged

    @property
    def reason_labels(self):
        """The reasons as short translated labels (后三名, 未达序时进度, …)."""
        labels = []
        for code in self.reasons:
            if code == "bottom_k":
                labels.append(_("Bottom %(k)d", k=self.bottom_k))
            else:
                labels.append(str(REASONS[code]))
        return tuple(labels)

    @property
    def reason_details(self):
        """Each reason with the figures behind it, for the board's "why" column."""
        return tuple(_reason_detail(self, code) for code in self.reasons)


def evaluate_period(period):
    """Every result of the period judged by its rules, most points lost first."""
    indicator = selectinload(IndicatorResult.indicator)
    results = db.session.scalars(
        db.select(IndicatorResult).where(IndicatorResult.period_id == period.id)
        # The board and the bulletin name each indicator's units: loaded here, not one query per row.
        .options(indicator.selectinload(Indicator.lead_unit), indicator.selectinload(Indicator.co_units))
    ).all()
    previous = previous_ranks(period)
    assessments = [assess(result, period, previous.get(result.indicator_id)) for result in results]
    assessments.sort(key=_order)
    return assessments


def weak_assessments(period):
    """Only the weak results of the period, most points lost first."""
    return [item for item in evaluate_period(period) if item.is_weak]


def previous_period(period):
    """The period that ended last before this one, or None."""
    return db.session.scalar(
        db.select(AssessmentPeriod).where(AssessmentPeriod.ends_on < period.ends_on, AssessmentPeriod.id != period.id)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1)
    )


def previous_ranks(period):
    """indicator id -> rank in the previous period (empty when there is none)."""
    before = previous_period(period)
    if before is None:
        return {}
    rows = db.session.execute(
        db.select(IndicatorResult.indicator_id, IndicatorResult.rank).where(IndicatorResult.period_id == before.id)
    ).all()
    return {indicator_id: rank for indicator_id, rank in rows if rank is not None}


def assess(result, period, previous_rank=None):
    """Judge one result by the period's rules (no database access beyond its indicator)."""
    indicator = result.indicator
    reasons = [code for code, applies in (
        ("last_place", period.rule_last_place and _is_last(result)),
        ("bottom_k", _in_bottom(result, period.rule_bottom_k)),
        ("behind_progress", period.rule_behind_progress and is_behind_progress(result, indicator)),
        ("low_score_rate", _below_rate(result, indicator, period.rule_score_rate_below)),
    ) if applies]
    rank = result.rank
    return IndicatorAssessment(
        result=result, indicator=indicator, is_weak=bool(reasons), reasons=tuple(reasons),
        is_strength=rank is not None and rank <= STRENGTH_TOP,
        points_lost=result.points_lost if result.points_lost is not None else 0.0,
        previous_rank=previous_rank,
        rank_change=previous_rank - rank if previous_rank is not None and rank is not None else None,
        score_rate=score_rate(result, indicator), completion=completion(result),
        bottom_k=period.rule_bottom_k, rate_threshold=period.rule_score_rate_below,
    )


def _order(item):
    """Sort key: most points lost, then worst rank, then name."""
    return (-item.points_lost, -(item.result.rank or 0), item.indicator.name)


def _is_last(result):
    """倒数第一: the rank equals the number of peers."""
    return result.rank is not None and result.peer_count is not None and result.rank >= result.peer_count


def _in_bottom(result, k):
    """后K名: the rank is among the last k of the peers (k 0 or None: rule off)."""
    if not k or result.rank is None or result.peer_count is None:
        return False
    return result.rank > result.peer_count - k


def score_rate(result, indicator):
    """得分率: score / weight, or None when either is unknown."""
    if result.score is None or not indicator.weight:
        return None
    return result.score / indicator.weight


def completion(result):
    """完成率: actual / target, or None when unknown or the target is 0."""
    if result.actual_value is None or not result.target_value:
        return None
    return result.actual_value / result.target_value


def _below_rate(result, indicator, threshold):
    """True when a threshold is set and the score rate is under it."""
    rate = score_rate(result, indicator)
    return threshold is not None and rate is not None and rate < threshold - EPSILON


def is_behind_progress(result, indicator):
    """未赶上序时进度 / 未达目标, by the indicator's kind and direction (see the module docstring)."""
    target, actual = result.target_value, result.actual_value
    if target is None or actual is None:
        return False
    if indicator.kind == "cumulative":
        if result.expected_progress is None:
            return False
        target = target * result.expected_progress
    if indicator.direction == "lower":
        return actual > target + EPSILON
    return actual < target - EPSILON


def _percent(value):
    """A fraction as a percentage text (0.685 → 68.5%)."""
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _number(value):
    """A number as short text (8 not 8.0)."""
    return f"{value:g}"


def _reason_detail(item, code):
    """One reason with its figures, translated."""
    result, indicator = item.result, item.indicator
    if code == "last_place":
        return _("Last of %(peers)d", peers=result.peer_count)
    if code == "bottom_k":
        return _("Rank %(rank)d of %(peers)d, in the bottom %(k)d",
                 rank=result.rank, peers=result.peer_count, k=item.bottom_k)
    if code == "low_score_rate":
        return _("Score rate %(rate)s, below %(threshold)s",
                 rate=_percent(item.score_rate), threshold=_percent(item.rate_threshold))
    actual, target = _number(result.actual_value), _number(result.target_value)
    if indicator.kind == "cumulative":
        expected = _percent(result.expected_progress)
        if indicator.direction == "lower":
            return _("%(actual)s already used of the ceiling %(target)s, more than the %(expected)s "
                     "time-elapsed share", actual=actual, target=target, expected=expected)
        done = _percent(item.completion) if item.completion is not None else actual
        return _("%(done)s of the target done, time-elapsed progress is %(expected)s", done=done, expected=expected)
    if indicator.direction == "lower":
        return _("Actual %(actual)s above the target %(target)s", actual=actual, target=target)
    return _("Actual %(actual)s below the target %(target)s", actual=actual, target=target)
