"""Period routes: the list of periods, a new period, its weak-indicator rules, and its indicator board."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.routes import safe_next
from ..extensions import db
from ..models import AssessmentPeriod, Indicator, IndicatorResult
from ..permissions import can_manage_assessments, can_view_assessments, permission_required
from ..services import DomainError
from ..services.indicators import board as indicator_board
from ..services.indicators import marks as hand_marks
from ..services.indicators import periods as assessment_periods
from ..services.indicators import weakness
from . import bp
from .forms import IndicatorForm, MarkForm, PeriodForm, RulesForm


def load_period(period_id):
    """The period with this id, else 404 (every role allowed on these pages may see every period)."""
    period = db.session.get(AssessmentPeriod, period_id)
    if period is None:
        abort(404)
    return period


@bp.route("/")
@permission_required(can_view_assessments)
def periods():
    """The periods, latest first; the office also gets the form for a new one."""
    return render_template("indicators/periods.html", periods=assessment_periods.list_periods(), form=PeriodForm())


@bp.route("/periods/new", methods=["POST"])
@permission_required(can_manage_assessments)
def create_period():
    """Create a period from the form on the period list, then go to its import page."""
    form = PeriodForm()
    error = None
    if form.validate_on_submit():
        try:
            period = assessment_periods.create_period(
                current_user, form.name.data, form.kind.data or None, form.starts_on.data, form.ends_on.data,
                assessment_periods.PeriodRules(target_basis=form.target_basis.data))
        except DomainError as exc:
            error = str(exc)
        else:
            flash(_("Period %(name)s created. Import its results now.", name=period.name), "success")
            return redirect(url_for("indicators.import_results", period_id=period.id))
    return render_template("indicators/periods.html", periods=assessment_periods.list_periods(), form=form,
                           error=error), 400


@bp.route("/periods/<int:period_id>/rules", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def rules(period_id):
    """The period's weak-indicator rules, default task deadline and target basis (kept when a form omits it)."""
    period = load_period(period_id)
    current = assessment_periods.rules_of(period)
    form = RulesForm(data=None if request.method == "POST" else {
        "bottom_k": current.bottom_k, "last_place": current.last_place, "behind_progress": current.behind_progress,
        "score_rate_below": round(current.score_rate_below * 100) if current.score_rate_below else None,
        "default_deadline_days": current.default_deadline_days}, target_basis=current.target_basis)
    error = None
    if form.validate_on_submit():
        try:
            assessment_periods.update_rules(current_user, period, rules_from(form))
        except DomainError as exc:
            error = str(exc)
        else:
            flash(_("The rules were saved; the board below applies them."), "success")
            return redirect(url_for("indicators.board", period_id=period.id))
    status = 400 if form.is_submitted() else 200
    return render_template("indicators/rules.html", period=period, form=form, error=error), status


def rules_from(form):
    """The PeriodRules the rules form describes."""
    rate = form.score_rate_below.data
    return assessment_periods.PeriodRules(
        bottom_k=form.bottom_k.data or 0, last_place=form.last_place.data,
        behind_progress=form.behind_progress.data, score_rate_below=rate / 100 if rate else None,
        default_deadline_days=form.default_deadline_days.data, target_basis=form.target_basis.data)


@bp.route("/periods/<int:period_id>")
@permission_required(can_view_assessments)
def board(period_id):
    """The indicator board: most points lost first, rank change, weak reasons, units, leader, open tasks."""
    period = load_period(period_id)
    board = indicator_board.board(current_user, period, request.args.get("show", "all"))
    return render_template("indicators/board.html", board=board, period=period, shows=indicator_board.SHOW)


@bp.route("/periods/<int:period_id>/results/<int:result_id>/mark", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def mark(period_id, result_id):
    """Mark one indicator weak or not weak for the period by hand, with a reason; its marks so far."""
    period = load_period(period_id)
    result = db.session.get(IndicatorResult, result_id)
    if result is None or result.period_id != period.id:
        abort(404)
    form = MarkForm()
    error = None
    if form.validate_on_submit():
        try:
            hand_marks.set_mark(current_user, result, form.mark.data, form.reason.data)
        except DomainError as exc:
            error = str(exc)
        else:
            flash(_("The mark on %(name)s was saved; the board, the dashboard and the bulletin follow it.",
                    name=result.indicator.name), "success")
            return redirect(url_for("indicators.board", period_id=period.id))
    assessment = next(item for item in weakness.evaluate_period(period) if item.result.id == result.id)
    status = 400 if form.is_submitted() else 200
    return render_template("indicators/mark.html", period=period, result=result, item=assessment, form=form,
                           marks=hand_marks.history(result), error=error), status


@bp.route("/indicator/<int:indicator_id>", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def edit_indicator(indicator_id):
    """Correct what the rules need to know about an indicator: direction, kind, veto, bonus cap, formula."""
    indicator = db.session.get(Indicator, indicator_id) or abort(404)
    form = IndicatorForm(obj=None if request.method == "POST" else indicator)
    back = safe_next(request.args.get("next")) or url_for("indicators.periods")
    error = None
    if form.validate_on_submit():
        try:
            assessment_periods.update_indicator(current_user, indicator, assessment_periods.IndicatorSettings(
                direction=form.direction.data, kind=form.kind.data, is_veto=form.is_veto.data,
                bonus_cap=float(form.bonus_cap.data) if form.bonus_cap.data is not None else None,
                formula=form.formula.data))
        except DomainError as exc:
            error = str(exc)
        else:
            flash(_("The indicator %(name)s was saved.", name=indicator.name), "success")
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template("indicators/indicator.html", indicator=indicator, form=form, error=error,
                           back=back), status
