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

A strength (优势指标) is a rank in the top 3 that no rule makes weak. The progress
and score-rate rules make an indicator weak only when it lost points and ranks
outside the top 3 (otherwise their finding is a note, 关注); with so few peers that
a rank is both top 3 and bottom K, the rank rules decide (``rank_conflict``).
一票否决 indicators are weak when the ceiling is breached or at risk (``veto_at_risk``:
actual beyond the pro-rata ceiling), whatever their weight and rank.
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
from ...models import AssessmentPeriod, Indicator, IndicatorMark, IndicatorResult

STRENGTH_TOP = 3
# Reason codes in the order they are listed, with their short labels.
REASONS = {
    "last_place": _l("Last place"),
    "bottom_k": _l("Bottom ranks"),
    "behind_progress": _l("Behind time-elapsed progress"),
    "low_score_rate": _l("Low score rate"),
    "veto_at_risk": _l("Veto indicator at risk"),
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
    findings: tuple = ()  # progress / score-rate findings shown as a note (关注), not as weak
    rank_conflict: bool = False  # top 3 and bottom K at once (few peers): the rank rules decided
    annual_target: bool = True  # the sheet's 目标值 is the year's (cumulative amounts scaled by 序时进度)
    hand_mark: str | None = None  # the office's mark for this period: "weak" / "not_weak" / None
    hand_mark_reason: str | None = None

    @property
    def rule_weak(self):
        """Whether the rules alone make it weak (the hand mark aside)."""
        return bool(self.reasons)

    @property
    def note(self):
        """The board's note beside the badges: 关注 findings, a rank conflict, the hand mark's reason; or None."""
        parts = []
        if self.findings:
            parts.append(_("Watch: %(findings)s", findings="；".join(self.finding_details)))
        if self.rank_conflict:
            parts.append(_("Both in the top %(top)d and the bottom %(k)d with %(peers)d peers: the rank rules decide",
                           top=STRENGTH_TOP, k=self.bottom_k or 1, peers=self.result.peer_count or 0))
        if self.hand_mark:
            label = _("Marked weak by the office") if self.hand_mark == "weak" else \
                _("Marked not weak by the office")
            parts.append(_("%(mark)s: %(reason)s", mark=label, reason=self.hand_mark_reason))
        return "；".join(parts) or None

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

    @property
    def finding_details(self):
        """What the progress and score-rate rules found on an indicator they do not make weak (关注)."""
        return tuple(_reason_detail(self, code) for code in self.findings)


def evaluate_period(period, as_of=None):
    """Every result of the period judged by its rules, most points lost first.

    `as_of`: a UTC moment; the hand marks in force then (a bulletin rebuilt for a past month), else now.
    """
    indicator = selectinload(IndicatorResult.indicator)
    results = db.session.scalars(
        db.select(IndicatorResult).where(IndicatorResult.period_id == period.id)
        # The board and the bulletin name each indicator's units: loaded here, not one query per row.
        .options(indicator.selectinload(Indicator.lead_unit), indicator.selectinload(Indicator.co_units))
    ).all()
    previous = previous_ranks(period)
    marks = hand_marks([result.id for result in results], as_of)
    assessments = [assess(result, period, previous.get(result.indicator_id), marks.get(result.id))
                   for result in results]
    assessments.sort(key=_order)
    return assessments


def weak_assessments(period, as_of=None):
    """Only the weak results of the period, most points lost first."""
    return [item for item in evaluate_period(period, as_of) if item.is_weak]


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


def hand_marks(result_ids, as_of=None):
    """result id → the office's mark in force (the latest IndicatorMark, made before `as_of` when given).

    Marks that were cleared are left out.
    """
    if not result_ids:
        return {}
    latest = {}
    query = db.select(IndicatorMark).where(IndicatorMark.result_id.in_(result_ids))
    if as_of is not None:
        query = query.where(IndicatorMark.created_at < as_of)
    for mark in db.session.scalars(query.order_by(IndicatorMark.created_at, IndicatorMark.id)):
        latest[mark.result_id] = mark
    return {result_id: mark for result_id, mark in latest.items() if mark.mark != "cleared"}


def assess(result, period, previous_rank=None, mark=None):
    """Judge one result by the period's rules (no database access beyond its indicator).

    Rank rules (bottom K, last place) make an indicator weak. The progress and score-rate rules
    make it weak only when it lost points (score below the weight; a bonus above it is no loss;
    an unknown score counts as a loss) and ranks outside the top 3; otherwise what they found
    is a note beside it (关注), in `findings`. 一票否决 indicators are judged by their own rule:
    weak when the ceiling is breached or at risk, whatever their weight and rank. The office's
    hand mark for the period (`mark`, an IndicatorMark) decides over the rules; the rule reasons
    stay listed beside it.
    """
    indicator = result.indicator
    annual = period.target_is_annual
    rank = result.rank
    in_top = rank is not None and rank <= STRENGTH_TOP
    if indicator.is_veto:
        reasons = ["veto_at_risk"] if is_behind_progress(result, indicator, annual) else []
        findings = []
    else:
        reasons = [code for code, applies in (
            ("last_place", period.rule_last_place and _is_last(result)),
            ("bottom_k", _in_bottom(result, period.rule_bottom_k)),
        ) if applies]
        found = [code for code, applies in (
            ("behind_progress", period.rule_behind_progress and is_behind_progress(result, indicator, annual)),
            ("low_score_rate", _below_rate(result, indicator, period.rule_score_rate_below)),
        ) if applies]
        if lost_points(result, indicator) and not in_top:
            reasons, findings = reasons + found, []
        else:
            findings = found
    is_weak = mark.mark == "weak" if mark is not None else bool(reasons)
    return IndicatorAssessment(
        result=result, indicator=indicator, is_weak=is_weak, reasons=tuple(reasons),
        is_strength=in_top and not is_weak,
        points_lost=result.points_lost if result.points_lost is not None else 0.0,
        previous_rank=previous_rank,
        rank_change=previous_rank - rank if previous_rank is not None and rank is not None else None,
        score_rate=score_rate(result, indicator), completion=completion(result),
        bottom_k=period.rule_bottom_k, rate_threshold=period.rule_score_rate_below,
        findings=tuple(findings), rank_conflict=in_top and bool(reasons), annual_target=annual,
        hand_mark=mark.mark if mark is not None else None, hand_mark_reason=mark.reason if mark is not None else None,
    )


def lost_points(result, indicator):
    """失分: the score is below the weight (a bonus above it is no loss); an unknown score counts as lost."""
    return result.score is None or result.score < indicator.weight - EPSILON


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


@dataclass(frozen=True)
class Comparison:
    """What the progress rule compared: the actual value against the target, scaled or not by 序时进度."""

    actual: float
    target: float
    progress: float | None  # the 序时进度 the target was scaled by; None when compared directly
    lower_is_better: bool
    cumulative: bool

    @property
    def bound(self):
        """The value the actual is held to: target × progress, or the target itself."""
        return self.target * self.progress if self.progress is not None else self.target

    @property
    def is_behind(self):
        """Beyond the bound on the wrong side (above a ceiling, below a floor)."""
        if self.lower_is_better:
            return self.actual > self.bound + EPSILON
        return self.actual < self.bound - EPSILON


def compare(result, indicator, annual_target=True):
    """The progress rule's comparison for one result, or None when it cannot be judged.

    Cumulative amounts are held to target × 序时进度 when the sheet's target is the year's
    (``annual_target``, the default), to the target itself when it is the period's. Rates are
    always compared with the target directly.
    """
    target, actual = result.target_value, result.actual_value
    if target is None or actual is None:
        return None
    progress = None
    if indicator.kind == "cumulative" and annual_target:
        if result.expected_progress is None:
            return None
        progress = result.expected_progress
    return Comparison(actual=actual, target=target, progress=progress, lower_is_better=indicator.direction == "lower",
                      cumulative=indicator.kind == "cumulative")


def is_behind_progress(result, indicator, annual_target=True):
    """未赶上序时进度 / 未达目标, by the indicator's kind and direction (see the module docstring)."""
    comparison = compare(result, indicator, annual_target)
    return comparison is not None and comparison.is_behind


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
    return comparison_text(compare(result, indicator, item.annual_target), veto=code == "veto_at_risk")


def comparison_text(comparison, veto=False):
    """The comparison the progress rule made, as the board shows it, with the kind it used.

    e.g. "完成值5.8 < 目标值7.9 × 序时进度50%（累计值，越高越好）".
    """
    sign = ">" if comparison.lower_is_better else "<"
    target_word = _("ceiling") if veto and comparison.lower_is_better else _("target")
    if comparison.progress is not None:
        text = _("Actual %(actual)s %(sign)s %(word)s %(target)s × time-elapsed progress %(progress)s",
                 actual=_number(comparison.actual), sign=sign, word=target_word,
                 target=_number(comparison.target), progress=_percent(comparison.progress))
    else:
        text = _("Actual %(actual)s %(sign)s %(word)s %(target)s", actual=_number(comparison.actual), sign=sign,
                 word=target_word, target=_number(comparison.target))
    return _("%(comparison)s (%(kind)s)", comparison=text, kind=kind_label(comparison))


def kind_label(comparison):
    """Which of the four kinds the comparison used: rate / cumulative, higher / lower is better."""
    if comparison.cumulative:
        return _("cumulative, lower is better") if comparison.lower_is_better else _("cumulative, higher is better")
    return _("rate, lower is better") if comparison.lower_is_better else _("rate, higher is better")
