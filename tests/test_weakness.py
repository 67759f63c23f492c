"""Does each weak-indicator rule flag what the supervisor configured, and say why?"""
from datetime import date

import pytest
from flask_babel import force_locale

from tests.indicator_helpers import make_period, make_result
from tracker.extensions import db
from tracker.services.indicators import weakness


def judge(result):
    """The assessment of one result by its period's rules."""
    return weakness.assess(result, result.period)


# --- rank rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rank, k, weak", [(10, 3, True), (9, 3, False), (12, 3, True), (8, 5, True),
                                           (7, 5, False), (12, 0, False)])
def test_bottom_k(ctx, rank, k, weak):
    """Is a rank among the last K of 12 weak, one place better not, and K=0 the rule switched off?"""
    period = make_period(rule_bottom_k=k, rule_last_place=False)
    item = judge(make_result(period, "规上工业增加值增速", rank=rank))
    assert ("bottom_k" in item.reasons) is weak
    assert item.is_weak is weak


def test_bottom_k_counts_from_the_number_of_peers(ctx):
    """With 8 peers, is rank 6 in the bottom 3 (and rank 6 of 12 not)?"""
    period = make_period()
    assert "bottom_k" in judge(make_result(period, "甲", rank=6, peers=8)).reasons
    assert "bottom_k" not in judge(make_result(period, "乙", rank=6, peers=12)).reasons


@pytest.mark.parametrize("enabled", [True, False])
def test_last_place(ctx, enabled):
    """Is 倒数第一 flagged only when the rule is on?"""
    period = make_period(rule_last_place=enabled, rule_bottom_k=0)
    item = judge(make_result(period, "民间投资增速", rank=12, peers=12))
    assert ("last_place" in item.reasons) is enabled
    assert "last_place" not in judge(make_result(period, "服务业", rank=11, peers=12)).reasons


# --- behind time-elapsed progress -----------------------------------------------------------------

@pytest.mark.parametrize("actual, behind", [(60.0, True), (68.5, False), (80.0, False)])
def test_cumulative_higher_is_better_against_time_elapsed_progress(ctx, actual, behind):
    """Is 招商引资 137亿 target at 50% time behind below 68.5 and on track from 68.5 up?"""
    period = make_period(rule_bottom_k=0)
    item = judge(make_result(period, "招商引资到位资金", kind="cumulative", target=137, actual=actual, progress=0.5))
    assert ("behind_progress" in item.reasons) is behind


@pytest.mark.parametrize("actual, behind", [(17.0, True), (16.0, False), (10.0, False)])
def test_cumulative_lower_is_better_uses_the_ceiling_share(ctx, actual, behind):
    """Are 17 accidents at half time against a ceiling of 32 behind (more than 16), and 16 not?"""
    period = make_period(rule_bottom_k=0)
    item = judge(make_result(period, "安全生产", kind="cumulative", direction="lower", target=32, actual=actual,
                             progress=0.5))
    assert ("behind_progress" in item.reasons) is behind


def test_cumulative_without_time_elapsed_progress_is_not_judged(ctx):
    """Is a cumulative result with no 序时进度 left alone rather than guessed?"""
    period = make_period(rule_bottom_k=0)
    item = judge(make_result(period, "招商引资到位资金", kind="cumulative", target=137, actual=1))
    assert item.reasons == ()


@pytest.mark.parametrize("direction, actual, behind", [
    ("higher", 7.3, True), ("higher", 11.0, False), ("higher", 12.0, False),
    ("lower", 5.2, True), ("lower", 5.0, False), ("lower", 4.0, False),
])
def test_rates_are_compared_with_their_target(ctx, direction, actual, behind):
    """Is a rate compared with the target itself (not the time share), in the indicator's direction?"""
    period = make_period(rule_bottom_k=0)
    target = 11.0 if direction == "higher" else 5.0
    item = judge(make_result(period, "增速", kind="rate", direction=direction, target=target, actual=actual,
                             progress=0.5))
    assert ("behind_progress" in item.reasons) is behind


def test_behind_progress_rule_switched_off(ctx):
    """With the rule off, is a rate far below target not weak?"""
    period = make_period(rule_bottom_k=0, rule_behind_progress=False)
    assert judge(make_result(period, "增速", target=11, actual=2)).reasons == ()


# --- score rate -----------------------------------------------------------------------------------

@pytest.mark.parametrize("threshold, score, low", [(0.6, 2.3, True), (0.6, 2.4, False), (None, 0.1, False)])
def test_score_rate_below_threshold(ctx, threshold, score, low):
    """Is score ÷ weight under the threshold weak (2.3 of 4 = 57.5% < 60%), exactly 60% not, and no threshold off?"""
    period = make_period(rule_bottom_k=0, rule_score_rate_below=threshold)
    item = judge(make_result(period, "党风廉政建设", weight=4, score=score))
    assert ("low_score_rate" in item.reasons) is low


# --- strengths, order, previous period ------------------------------------------------------------

def test_full_score_first_place_is_not_weak_only_noted(ctx):
    """Is a 4/4 第1名 indicator below its target a strength with a note (关注), not a weak one?"""
    period = make_period()
    assert judge(make_result(period, "甲", rank=3)).is_strength
    assert not judge(make_result(period, "乙", rank=4)).is_strength
    top = judge(make_result(period, "森林覆盖率", weight=4, score=4, rank=1, target=9.4, actual=8.2))
    assert top.is_strength and not top.is_weak and top.reasons == ()
    assert top.findings == ("behind_progress",)


def test_progress_rule_needs_lost_points_outside_the_top_three(ctx):
    """Behind target with points lost at rank 5: weak; full score at rank 5: only a note; a bonus is no loss."""
    period = make_period(rule_bottom_k=0)
    lost = judge(make_result(period, "甲", weight=4, score=3, rank=5, target=10, actual=8))
    assert lost.is_weak and lost.reasons == ("behind_progress",)
    full = judge(make_result(period, "乙", weight=4, score=4, rank=5, target=10, actual=8))
    assert not full.is_weak and full.findings == ("behind_progress",)
    bonus = judge(make_result(period, "丙", weight=4, score=4.5, rank=6, target=10, actual=8))
    assert not bonus.is_weak and bonus.findings == ("behind_progress",)
    top = judge(make_result(period, "丁", weight=4, score=2, rank=3, target=10, actual=8))
    assert not top.is_weak and top.is_strength


def test_rank_rules_decide_with_few_peers(ctx):
    """With 4 peers, rank 2 is both top 3 and bottom 3: weak by the rank rule, and the board says so."""
    period = make_period()
    item = judge(make_result(period, "甲", rank=2, peers=4))
    assert item.is_weak and item.reasons == ("bottom_k",) and item.rank_conflict and not item.is_strength


def test_veto_indicator_at_risk_is_weak_at_any_rank(ctx):
    """A 一票否决 ceiling used beyond its pro-rata share is weak at rank 1 with full marks; within it, not."""
    period = make_period()
    risky = judge(make_result(period, "安全生产事故", weight=2, score=2, rank=1, kind="cumulative",
                              direction="lower", target=10, actual=6, progress=0.5, is_veto=True))
    assert risky.is_weak and risky.reasons == ("veto_at_risk",)
    safe = judge(make_result(period, "信访", weight=2, score=0, rank=12, kind="cumulative",
                             direction="lower", target=10, actual=4, progress=0.5, is_veto=True))
    assert not safe.is_weak


def test_evaluate_period_sorts_by_points_lost_and_weak_assessments_filters(ctx):
    """Is the board order most points lost first, and does weak_assessments keep only the weak ones?"""
    period = make_period()
    make_result(period, "小失分", weight=2, score=1.9, rank=11)
    make_result(period, "大失分", weight=8, score=4.0, rank=5)
    make_result(period, "中失分", weight=4, score=2.5, rank=12)
    db.session.commit()
    items = weakness.evaluate_period(period)
    assert [(i.indicator.name, i.points_lost) for i in items] == [("大失分", 4.0), ("中失分", 1.5), ("小失分", 0.1)]
    assert [i.indicator.name for i in weakness.weak_assessments(period)] == ["中失分", "小失分"]


def test_rank_change_against_the_period_that_ended_before(ctx):
    """Is the previous rank taken from the period that ended last before this one, whatever the creation order?"""
    current = make_period("2026年上半年考核", date(2026, 1, 1), date(2026, 6, 30))
    older = make_period("2025年上半年考核", date(2025, 1, 1), date(2025, 6, 30))
    previous = make_period("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
    later = make_period("2026年下半年考核", date(2026, 7, 1), date(2026, 12, 31))
    make_result(older, "民间投资增速", rank=1)
    make_result(previous, "民间投资增速", rank=9)
    make_result(later, "民间投资增速", rank=2)
    make_result(previous, "服务业增加值增速", rank=12)
    make_result(current, "民间投资增速", rank=12)
    make_result(current, "服务业增加值增速", rank=8)
    make_result(current, "新指标", rank=5)
    db.session.commit()
    items = {i.indicator.name: i for i in weakness.evaluate_period(current)}
    assert (items["民间投资增速"].previous_rank, items["民间投资增速"].rank_change) == (9, -3)
    assert (items["服务业增加值增速"].previous_rank, items["服务业增加值增速"].rank_change) == (12, 4)
    assert (items["新指标"].previous_rank, items["新指标"].rank_change) == (None, None)
    assert weakness.evaluate_period(older)[0].previous_rank is None


def test_reasons_say_why_in_words(ctx):
    """Does a last-place result carry every reason, each with its label and figures?"""
    period = make_period(rule_score_rate_below=0.6)
    item = judge(make_result(period, "民间投资增速", weight=4, score=1.71, rank=12, target=10.4, actual=9.3,
                             progress=0.5))
    assert item.reasons == ("last_place", "bottom_k", "behind_progress", "low_score_rate")
    with force_locale("en"):
        assert item.reason_labels == ("Last place", "Bottom 3", "Behind time-elapsed progress", "Low score rate")
        assert item.reason_details[1] == "Rank 12 of 12, in the bottom 3"
        assert item.reason_details[2] == "Actual 9.3 < target 10.4 (rate, higher is better)"
        assert item.reason_details[3] == "Score rate 42.8%, below 60%"


def test_cumulative_reason_shows_completion_against_progress(ctx):
    """Does a cumulative reason show the comparison it made, target × 序时进度, and the kind it used?"""
    period = make_period(rule_bottom_k=0)
    item = judge(make_result(period, "招商引资到位资金", kind="cumulative", target=7.9, actual=3.8, progress=0.5,
                             rank=8))
    assert item.reasons == ("behind_progress",)
    with force_locale("zh_CN"):
        assert item.reason_details == ("完成值3.8 < 目标值7.9 × 序时进度50%（累计值，越高越好）",)
    with force_locale("en"):
        assert item.reason_details == (
            "Actual 3.8 < target 7.9 × time-elapsed progress 50% (cumulative, higher is better)",)


def test_a_period_target_is_compared_without_time_elapsed_progress(ctx):
    """When the sheet's 目标值 is the period's own, a cumulative amount is held to it, not to target × 序时进度."""
    yearly = make_period(rule_bottom_k=0)
    own = make_period("2026年前三季度考核", date(2026, 1, 1), date(2026, 9, 30), rule_bottom_k=0,
                      target_basis="period")
    kwargs = dict(kind="cumulative", target=100, actual=80, progress=0.75, rank=8)
    assert judge(make_result(yearly, "招商引资到位资金", **kwargs)).reasons == ()  # 80 ≥ 100 × 75%
    item = judge(make_result(own, "招商引资到位资金", **kwargs))
    assert item.reasons == ("behind_progress",)  # 80 < 100
    with force_locale("zh_CN"):
        assert item.reason_details == ("完成值80 < 目标值100（累计值，越高越好）",)
