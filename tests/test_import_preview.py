"""Does the import preview list every value it will write, warn of overlapping periods, and take a 前三季度 sheet?"""
import io
import re
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import DEMO_PASSWORD
from tests.indicator_helpers import (
    GOOD,
    HEADER,
    PREVIEW_LABELS,
    counts,
    data_file,
    make_period,
    sample_bytes,
    xlsx_bytes,
)
from tracker.extensions import db
from tracker.models import AssessmentPeriod, AuditEntry, Indicator, IndicatorResult, User
from tracker.services.indicators import periods, results_import

NINE_MONTHS = "assessment-2026Q1-3.xlsx"


def nine_months():
    """The 前三季度 sheet made by tests/data/make_assessment_2026q1_3.py."""
    return data_file(NINE_MONTHS)


def office():
    """The supervisor of the results_county fixture."""
    return db.session.scalar(db.select(User).where(User.username == "supervisor"))


def cells(row):
    """A planned row's values by key: (text, value it replaces, written)."""
    return {cell.key: (cell.text, cell.before, cell.is_written) for cell in row.cells}


def planned(plan, name):
    """The planned row of an indicator."""
    return next(row for row in plan.rows if row.parsed.name == name)


@pytest.fixture
def half_year(app, results_county):
    """The half-year sample imported into 2026年上半年考核; its period id."""
    with app.app_context():
        period = make_period()
        results_import.apply_import(office(), period, sample_bytes(), "assessment-2026H1.xlsx")
        return period.id


def test_preview_lists_every_value_a_new_result_writes(app, half_year):
    """Does each row of the 前三季度 sheet show 得分, 分值, 排名, 参评数, 目标值, 完成值, 序时进度, units, leader?"""
    with app.app_context():
        period = periods.period_for_import("2026年前三季度考核")
        plan = results_import.plan_import(period, nine_months(), NINE_MONTHS)
        assert plan.ok and plan.count("result", "create") == 36
        assert cells(planned(plan, "地区生产总值增速")) == {
            "score": ("8", None, True), "weight": ("8", None, True), "rank": ("1", None, True),
            "peer_count": ("12", None, True), "target_value": ("7.2%", None, True),
            "actual_value": ("6.9%", None, True), "expected_progress": ("75%", None, True),
            "lead_unit": ("县发展和改革局", None, True), "co_units": ("县统计局", None, True),
            "leader_title": ("县长", None, True)}
        assert cells(planned(plan, "招商引资到位资金"))["actual_value"] == ("118.5亿元", None, True)
        assert cells(planned(plan, "固定资产投资增速"))["co_units"][0] == "县统计局、县住房和城乡建设局"


def test_preview_shows_what_a_reimport_replaces(app, half_year):
    """Does re-importing a period with new figures show each changed value beside the one it replaces?"""
    with app.app_context():
        period = db.session.get(AssessmentPeriod, half_year)
        changed = GOOD[:4] + [2.5, 9] + GOOD[6:9] + [9.9, "60%"] + GOOD[11:13] + ["县长"] + GOOD[14:]
        plan = results_import.plan_import(period, xlsx_bytes([changed]), "again.xlsx")
        values = cells(planned(plan, "民间投资增速"))
        assert values["score"] == ("2.5", "1.71", True) and values["rank"] == ("9", "12", True)
        assert values["actual_value"] == ("9.9%", "9.3%", True)
        assert values["expected_progress"] == ("60%", "50%", True)
        assert values["leader_title"] == ("县长", "常务副县长", True)
        assert values["peer_count"] == ("12", None, True)  # unchanged: nothing to compare
        # The same file again replaces nothing, co-units listed in another order than the database keeps them included.
        again = results_import.plan_import(period, sample_bytes(), "again.xlsx")
        assert [(row.parsed.name, cell.key) for row in again.rows for cell in row.cells if cell.before] == []


def test_preview_page_lists_the_values(app, client, half_year):
    """Does the preview page print the values (in Chinese labels) before anything is written?"""
    client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    with app.app_context():
        period_id = periods.create_period(office(), "2026年前三季度考核").id
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(nine_months()), filename=NINE_MONTHS),
                                       "target_basis": "year"})
    response = client.post(f"/indicators/periods/{period_id}/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for label in PREVIEW_LABELS:
        assert f">{label}</th>" in page, label
    row = re.search(r'<tr data-result-action="create" data-indicator="全面深化改革">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-cell="score">4.6<', row) and re.search(r'data-cell="weight">4<', row)
    assert "前三季度 · 2026-01-01 – 2026-09-30" in page and ">全年目标</strong>" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)
                                 .where(IndicatorResult.period_id == period_id)) == 0


def test_second_period_sheet_imports_cleanly(app, half_year):
    """Does the 前三季度 sheet import whole after the half-year: 36 results, its bonus and veto rows as written?"""
    with app.app_context():
        period = periods.period_for_import("2026年前三季度考核")
        plan = results_import.plan_import(period, nine_months(), NINE_MONTHS)
        assert plan.errors == [] and plan.warnings == [
            "没有职务为“县纪委书记”的在岗县领导；由相关指标生成的任务暂无责任领导。"]
        assert [row.parsed.name for row in plan.rows if row.indicator_action == "update"] == ["全面深化改革"]
        assert plan.count("indicator", "create") == 0
        results_import.apply_plan(office(), plan)
        period = db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年前三季度考核"))
        assert (period.kind, period.ends_on, period.target_basis) == ("three_quarters", date(2026, 9, 30), "year")
        results = {result.indicator.name: result for result in period.results}
        assert len(results) == 36
        reform = results["全面深化改革"]
        assert (reform.score, reform.indicator.weight, reform.indicator.bonus_cap) == (4.6, 4, 1)
        safety = results["安全生产"]
        assert safety.indicator.is_veto and safety.indicator.direction == "lower"
        assert (safety.rank, safety.actual_value, safety.target_value * safety.expected_progress) == (3, 39, 24)
        gdp = results["地区生产总值增速"]
        assert (gdp.score, gdp.rank, gdp.actual_value < gdp.target_value) == (8, 1, True)
        half = {result.indicator.name: result.rank for result in db.session.get(AssessmentPeriod, half_year).results}
        assert (half["民间投资增速"], results["民间投资增速"].rank, results["民间投资增速"].score) == (12, 1, 4)
        assert (half["服务业增加值增速"], results["服务业增加值增速"].rank) == (12, 11)


def test_a_score_above_the_weight_needs_a_bonus_cap(app, results_county):
    """Is a score above the weight refused unless the row's bonus cap allows it?"""
    header = HEADER + ["加分上限"]
    with app.app_context():
        plan = results_import.plan_import(make_period(), xlsx_bytes([GOOD[:4] + [4.5] + GOOD[5:] + [0.4]],
                                                                    header=header), "r.xlsx")
        assert [error.message for error in plan.errors] == ["得分4.5超过分值4与加分上限0.4之和。"]
        plan = results_import.plan_import(make_period("2026年一季度", date(2026, 1, 1), date(2026, 3, 31)),
                                          xlsx_bytes([GOOD[:4] + [4.4] + GOOD[5:] + [0.4]], header=header), "r.xlsx")
        assert plan.ok
        # A sheet without the column: the indicator's own cap, as the office set it, decides.
        plain = xlsx_bytes([GOOD[:4] + [4.4] + GOOD[5:]])
        period = make_period("2026年第二季度", date(2026, 4, 1), date(2026, 6, 30))
        assert [error.code for error in results_import.plan_import(period, plain, "r.xlsx").errors] == [
            "score_above_weight"]
        results_import.apply_import(office(), period, xlsx_bytes([GOOD]), "r.xlsx")
        db.session.scalar(db.select(Indicator).where(Indicator.name == "民间投资增速")).bonus_cap = 0.5
        assert results_import.plan_import(period, plain, "r.xlsx").ok


# --- periods that overlap --------------------------------------------------------------------------

def test_same_dates_and_same_kind_overlaps_are_warnings_not_refusals(app, half_year):
    """Does a sheet for a period covering another's dates, or overlapping one of its kind, warn and still import?"""
    with app.app_context():
        other = periods.create_period(office(), "2026年1-9月考核")
        period = periods.period_for_import("2026年前三季度考核")
        plan = results_import.plan_import(period, nine_months(), NINE_MONTHS)
        assert plan.ok and plan.overlapping == [other]
        assert ("周期“2026年1-9月考核”（前三季度，2026-01-01 – 2026-09-30）与“2026年前三季度考核”的起止日期完全相同"
                in plan.warnings[0])
        results_import.apply_plan(office(), plan)
        assert len(periods.find_period("2026年前三季度考核").results) == 36
        revised = periods.create_period(office(), "2026年上半年考核（修订）", "half_year", date(2026, 2, 1),
                                        date(2026, 7, 31))
        plan = results_import.plan_import(revised, sample_bytes(), "r.xlsx")
        assert plan.ok and [item.name for item in plan.overlapping] == ["2026年上半年考核"]
        assert ("周期“2026年上半年考核”（上半年（半年考核），2026-01-01 – 2026-06-30）与“2026年上半年考核（修订）”"
                "类型相同、时间重叠") in plan.warnings[0]


def test_periods_of_other_kinds_that_overlap_do_not_warn(app, half_year):
    """Is the 前三季度 after the 上半年 (both from 1 January, different kinds) imported without an overlap warning?"""
    with app.app_context():
        plan = results_import.plan_import(periods.period_for_import("2026年前三季度考核"), nine_months(), NINE_MONTHS)
        assert plan.overlapping == []


def test_target_basis_changes_only_with_the_import(app, half_year):
    """Does an import that changes the target basis warn in its preview, and change it only when it is written?"""
    with app.app_context():
        period = db.session.get(AssessmentPeriod, half_year)
        token = results_import.stage_upload(office(), period, "a.xlsx", sample_bytes(), "period")
        plan = results_import.preview_upload(office(), period, token)
        assert "2026年上半年考核的目标值口径由“全年目标”改为“本期目标”。" in plan.warnings
        assert db.session.get(AssessmentPeriod, half_year).target_basis == "year"
        bad = results_import.stage_upload(office(), period, "b.xlsx", xlsx_bytes([GOOD[:5] + ["第13名"] + GOOD[6:]]),
                                          "period")
        before = counts()
        with pytest.raises(results_import.ImportRejected):
            results_import.confirm_upload(office(), period, bad)
        db.session.rollback()
        assert counts() == before and db.session.get(AssessmentPeriod, half_year).target_basis == "year"
        results_import.confirm_upload(office(), period, token)
        assert db.session.get(AssessmentPeriod, half_year).target_basis == "period"
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "rules_changed"))
        assert entry.reason == "target_basis=period"


def test_cli_refused_sheet_for_a_new_period_saves_nothing(app, runner, half_year, tmp_path):
    """Does a 前三季度 sheet with a bad row, imported from the CLI, leave no period and no result behind?"""
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes([GOOD[:4] + [9] + GOOD[5:]]))
    with app.app_context():
        before = counts()
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年前三季度考核"])
    assert result.exit_code != 0 and "[score_above_weight]" in result.output
    with app.app_context():
        assert counts() == before
        assert db.session.scalar(db.select(Indicator.bonus_cap).where(Indicator.name == "全面深化改革")) is None


def test_an_earlier_period_shows_indicator_settings_as_kept(app, half_year):
    """For a period before the latest, are weight, units and leader shown as kept, the results as written?"""
    with app.app_context():
        earlier = make_period("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
        changed = GOOD[:3] + [5] + GOOD[4:13] + ["县长"] + GOOD[14:]
        values = cells(planned(results_import.plan_import(earlier, xlsx_bytes([changed]), "old.xlsx"), "民间投资增速"))
        assert values["weight"] == ("5", "4", False) and values["leader_title"] == ("县长", "常务副县长", False)
        assert values["score"] == ("1.71", None, True) and values["lead_unit"][2] is False


def test_cli_warns_of_a_period_with_the_same_dates_and_imports(app, runner, half_year, tmp_path):
    """Does the CLI print the overlap warning, naming the other period, and still import?"""
    path = tmp_path / NINE_MONTHS
    path.write_bytes(nine_months())
    assert runner.invoke(args=["import-results", str(path), "--period", "2026年前三季度考核"]).exit_code == 0
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年1-9月"])
    assert result.exit_code == 0, result.output
    assert ("warning: 周期“2026年前三季度考核”（前三季度，2026-01-01 – 2026-09-30）与“2026年1-9月”的起止日期完全相同"
            in result.output)
    assert "Imported 36 rows into 2026年1-9月" in result.output
