"""Assessment periods, indicators and their results."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .types import UTCDateTime, utcnow

# Period kinds, shortest first. The cumulative ones (一季度, 上半年, 前三季度, 年度) all start on 1 January;
# "quarter" is a single quarter (二季度, 三季度, 四季度) and "second_half" the half-year from 1 July.
PERIOD_KINDS = {
    "month": _l("Monthly"),
    "first_quarter": _l("First quarter"),
    "quarter": _l("Single quarter"),
    "half_year": _l("First half-year"),
    "second_half": _l("Second half-year"),
    "three_quarters": _l("First three quarters"),
    "year": _l("Year"),
}
# Whether the sheet's 目标值 is the target of the whole year or of the period alone.
TARGET_BASES = {
    "year": _l("The year's target"),
    "period": _l("This period's target"),
}
DIRECTIONS = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
INDICATOR_KINDS = {
    "cumulative": _l("Cumulative amount (vs. time-elapsed progress)"),
    "rate": _l("Rate (vs. target)"),
}

indicator_co_units = db.Table(
    "indicator_co_units",
    db.Column("indicator_id", db.Integer, db.ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
    db.Column("unit_id", db.Integer, db.ForeignKey("units.id"), primary_key=True),
)


class AssessmentPeriod(db.Model):
    """One ranking round, e.g. 2026年上半年考核, with its weak-indicator rules."""

    __tablename__ = "assessment_periods"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False, unique=True)
    kind = db.Column(db.String(20), nullable=False, default="half_year")
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    # Weak-indicator rules (configurable per period by the supervisor).
    rule_bottom_k = db.Column(db.Integer, nullable=False, default=3)
    rule_last_place = db.Column(db.Boolean, nullable=False, default=True)
    rule_behind_progress = db.Column(db.Boolean, nullable=False, default=True)
    rule_score_rate_below = db.Column(db.Float)  # e.g. 0.6; None disables the rule
    default_deadline_days = db.Column(db.Integer, nullable=False, default=90)
    target_basis = db.Column(db.String(10), nullable=False, default="year", server_default="year")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    results = db.relationship("IndicatorResult", back_populates="period", cascade="all, delete-orphan")

    @property
    def kind_label(self):
        """Human label of the period kind."""
        return PERIOD_KINDS.get(self.kind, self.kind)

    @property
    def target_is_annual(self):
        """True when the sheet's 目标值 is the year's target (a cumulative amount is then held to target × 序时进度)."""
        return self.target_basis != "period"

    @property
    def target_basis_label(self):
        """Human label of the target basis."""
        return TARGET_BASES.get(self.target_basis, self.target_basis)

    @property
    def rule_labels(self):
        """The weak-indicator rules switched on for this period, in words ("in the bottom 3", "last place" …)."""
        rules = []
        if self.rule_bottom_k:
            rules.append(_("in the bottom %(k)d", k=self.rule_bottom_k))
        if self.rule_last_place:
            rules.append(_("last place"))
        if self.rule_behind_progress:
            rules.append(_("behind time-elapsed progress or target"))
        if self.rule_score_rate_below:
            rate = int(self.rule_score_rate_below * 100 + 0.5)  # half up
            rules.append(_("score rate below %(rate)s%%", rate=rate))
        return rules

    def __repr__(self):
        return f"<AssessmentPeriod {self.name}>"


class Indicator(db.Model):
    """An assessment indicator and who answers for it by default."""

    __tablename__ = "indicators"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    category = db.Column(db.String(50), nullable=False)
    weight = db.Column(db.Float, nullable=False)  # 分值
    measure_unit = db.Column(db.String(20))  # 计量单位
    direction = db.Column(db.String(10), nullable=False, default="higher")
    kind = db.Column(db.String(20), nullable=False, default="rate")
    is_veto = db.Column(db.Boolean, nullable=False, default=False)  # 一票否决
    bonus_cap = db.Column(db.Float)  # 加分上限
    formula = db.Column(db.Text)  # 计算公式
    data_source_unit_id = db.Column(db.Integer, db.ForeignKey("units.id"))
    lead_unit_id = db.Column(db.Integer, db.ForeignKey("units.id"), index=True)
    leader_title = db.Column(db.String(64))  # 分管县领导, as the sheet names them
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    lead_unit = db.relationship("Unit", foreign_keys=[lead_unit_id])
    co_units = db.relationship("Unit", secondary=indicator_co_units, order_by="Unit.id")
    results = db.relationship("IndicatorResult", back_populates="indicator")

    def __repr__(self):
        return f"<Indicator {self.name}>"


class IndicatorResult(db.Model):
    """One indicator in one period: score, rank among peers, target and actual."""

    __tablename__ = "indicator_results"
    __table_args__ = (db.UniqueConstraint("period_id", "indicator_id"),)

    id = db.Column(db.Integer, primary_key=True)
    period_id = db.Column(db.Integer, db.ForeignKey("assessment_periods.id"), nullable=False, index=True)
    indicator_id = db.Column(db.Integer, db.ForeignKey("indicators.id"), nullable=False, index=True)
    score = db.Column(db.Float)  # 得分
    rank = db.Column(db.Integer)  # 全市排第N名
    peer_count = db.Column(db.Integer)  # 参评单位数
    target_value = db.Column(db.Float)  # 目标值
    actual_value = db.Column(db.Float)  # 完成值
    expected_progress = db.Column(db.Float)  # 序时进度, as a fraction (0.5 = 50%)
    note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    period = db.relationship("AssessmentPeriod", back_populates="results")
    indicator = db.relationship("Indicator", back_populates="results")

    @property
    def points_lost(self):
        """失分: weight minus score, what the weak indicator costs."""
        if self.score is None:
            return None
        return round(self.indicator.weight - self.score, 4)

    def __repr__(self):
        return f"<IndicatorResult {self.indicator_id}@{self.period_id} rank {self.rank}>"


HAND_MARKS = {"weak": _l("Weak"), "not_weak": _l("Not weak"), "cleared": _l("Mark cleared")}


class IndicatorMark(db.Model):
    """The office's hand mark on one result (weak or not weak for that period), with its reason.

    Marks are never rewritten: a new mark (or "cleared") is a new row, and the latest row is in force.
    """

    __tablename__ = "indicator_marks"

    id = db.Column(db.Integer, primary_key=True)
    result_id = db.Column(db.Integer, db.ForeignKey("indicator_results.id"), nullable=False, index=True)
    mark = db.Column(db.String(10), nullable=False)  # weak / not_weak / cleared
    reason = db.Column(db.Text, nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    result = db.relationship("IndicatorResult")
    created_by = db.relationship("User")

    @property
    def label(self):
        """The mark in words."""
        return HAND_MARKS.get(self.mark, self.mark)
