"""Does the results import check everything first, write all or nothing, and update a re-imported period?"""
import io

import openpyxl
import pytest
from flask_babel import force_locale

from tests.conftest import make_unit, make_user
from tests.indicator_helpers import (
    GOOD,
    HEADER,
    OTHER,
    counts,
    csv_bytes,
    data_file,
    load_demo_units,
    make_period,
    sample_bytes,
    sample_on_disk,
    xlsx_bytes,
)
from tracker.extensions import db
from tracker.models import AssessmentPeriod, AuditEntry, Indicator, IndicatorResult, Unit, User
from tracker.services import PermissionDenied
from tracker.services.documents.sheets import ParseError
from tracker.services.indicators import results_import, weakness


def row(base=GOOD, **changes):
    """A sheet row: `base` with cells replaced by header name."""
    values = list(base)
    for name, value in changes.items():
        values[HEADER.index(name)] = value
    return values


@pytest.fixture
def units(ctx):
    """The demo county's units and a supervisor."""
    units = load_demo_units()
    make_user("supervisor", "supervisor")
    db.session.commit()
    return units


def supervisor():
    """The supervisor the fixture made."""
    return db.session.scalar(db.select(User).where(User.username == "supervisor"))


def import_sample(period=None, data=None, filename="assessment-2026H1.xlsx", **kwargs):
    """Import a sheet (the sample by default) into a period (the half-year by default)."""
    period = period or make_period()
    return results_import.apply_import(supervisor(), period, data or sample_bytes(), filename, **kwargs)


# --- the office's sample ---------------------------------------------------------------------------

def test_sample_imports_as_is_with_the_right_weak_reasons(units):
    """Does the real sample import whole, and are its weak indicators flagged for the right reasons?"""
    plan = import_sample()
    assert plan.count("result", "create") == 36 and plan.count("indicator", "create") == 36
    period = db.session.scalar(db.select(AssessmentPeriod))
    items = {i.indicator.name: i for i in weakness.evaluate_period(period)}
    assert len(items) == 36
    assert items["民间投资增速"].reasons == ("last_place", "bottom_k", "behind_progress")
    assert items["企业上市培育"].reasons == ("bottom_k",)  # 206 家 of 200: ahead of progress, but 11th of 12
    assert items["安全生产"].indicator.direction == "lower"  # inferred: the sheet has no 方向 column
    assert items["安全生产"].reasons == ("veto_at_risk",)  # 一票否决: 37.7 起 > 32 × 50%, judged by its own rule
    assert items["招商引资到位资金"].indicator.kind == "cumulative" and not items["招商引资到位资金"].is_weak
    assert items["地区生产总值增速"].is_strength and not items["地区生产总值增速"].is_weak
    assert items["森林覆盖率"].is_strength and items["森林覆盖率"].findings == ("behind_progress",)
    first = weakness.evaluate_period(period)[0]
    assert (first.indicator.name, first.points_lost) == ("规上工业增加值增速", 3.12)
    indicator = items["污染防治攻坚战"].indicator
    assert indicator.lead_unit.name == "县生态环境局" and indicator.is_veto
    assert {u.name for u in indicator.co_units} == {"县住房和城乡建设局", "县农业农村局", "县水利局"}
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "results_imported"))
    assert entry.object_id == period.id and entry.actor.username == "supervisor"


def test_only_the_office_imports(units):
    """Is a unit head refused?"""
    head = make_user("head", "unit_head", units["县水利局"])
    with pytest.raises(PermissionDenied):
        results_import.apply_import(head, make_period(), sample_bytes(), "a.xlsx")


# --- validation before anything is written ---------------------------------------------------------

def test_one_bad_row_means_nothing_is_written(units):
    """With one unknown lead unit among good rows, is every table left as it was?"""
    period = make_period()
    db.session.commit()
    before = counts()
    data = xlsx_bytes([GOOD, row(OTHER, 牵头单位="县发改委")])
    with pytest.raises(results_import.ImportRejected) as caught:
        results_import.apply_import(supervisor(), period, data, "results.xlsx")
    errors = caught.value.plan.errors
    assert [(e.row, e.column, e.code) for e in errors] == [(5, "牵头单位", "unknown_unit")]
    db.session.rollback()
    assert counts() == before


def test_every_kind_of_row_error_is_reported_with_row_and_column(units):
    """Are unknown units, rank above peers, score above weight, a missing cell and a duplicate all listed?"""
    units["县统计局"].is_active = False
    db.session.commit()
    data = xlsx_bytes([
        row(GOOD, 配合单位="县投资促进局、县大数据局"),
        row(OTHER, 全市排名="第13名"),
        row(OTHER, 指标名称="规上工业增加值增速", 得分=7),
        row(OTHER, 指标名称="外贸进出口总额增速", 分值=None),
        row(OTHER, 指标名称="农业增加值增速", 牵头单位="县统计局"),
        GOOD,
    ])
    with force_locale("en"):
        plan = results_import.plan_import(make_period(), data, "results.xlsx")
    found = {(e.row, e.column, e.code) for e in plan.errors}
    assert found == {
        (4, "配合单位", "unknown_unit"), (5, "全市排名", "rank_above_peers"), (6, "得分", "score_above_weight"),
        # The score is checked against the indicator's bonus cap after parsing, so the row's units are checked too.
        (6, "配合单位", "inactive_unit"),
        (7, "分值", "required"), (8, "牵头单位", "inactive_unit"), (9, "指标名称", "duplicate_name"),
    }
    unknown = next(e for e in plan.errors if e.code == "unknown_unit")
    assert unknown.message == "No unit is named “县大数据局”."
    assert not plan.ok and not plan.only_unknown_units


def test_unknown_units_are_created_only_when_asked(units):
    """Are unknown units an error by default, and created (a 镇 as a town) when the user chooses so?"""
    data = xlsx_bytes([row(GOOD, 牵头单位="县数据资源局", 配合单位="县投资促进局、新安镇")])
    period = make_period()
    plan = results_import.plan_import(period, data, "r.xlsx")
    assert plan.only_unknown_units and plan.unknown_units == ["县数据资源局", "新安镇"]
    results_import.apply_import(supervisor(), period, data, "r.xlsx", create_units=True)
    new_units = db.session.scalars(db.select(Unit).where(Unit.name.in_(["县数据资源局", "新安镇"])))
    created = {u.name: u.kind for u in new_units}
    assert created == {"县数据资源局": "department", "新安镇": "town"}
    indicator = db.session.scalar(db.select(Indicator))
    assert indicator.lead_unit.name == "县数据资源局"
    assert {u.name for u in indicator.co_units} == {"县投资促进局", "新安镇"}


def test_lead_unit_repeated_as_co_unit_is_dropped_with_a_warning(units):
    """When the lead unit is also listed as co-unit, does it stay lead only, with a warning?"""
    with force_locale("en"):
        plan = import_sample(data=xlsx_bytes([row(GOOD, 配合单位="县发展和改革局、县投资促进局")]))
    assert any(w.startswith("Row 4: the lead unit is also listed") for w in plan.warnings)
    assert [u.name for u in db.session.scalar(db.select(Indicator)).co_units] == ["县投资促进局"]


# --- re-import -------------------------------------------------------------------------------------

def test_reimporting_the_same_period_updates_in_place(units):
    """Does a second import of the period update its results (no duplicate), and report what changed?"""
    period = make_period()
    import_sample(period)
    changed = xlsx_bytes([row(GOOD, 得分=2.5, 全市排名=9), OTHER])
    with force_locale("en"):
        plan = results_import.plan_import(period, changed, "again.xlsx")
    assert (plan.count("result", "update"), plan.count("result", "unchanged")) == (1, 1)
    assert plan.rows[0].result_changes == ["Score", "Rank"]
    results_import.apply_plan(supervisor(), plan)
    assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)) == 36
    private = db.session.scalar(db.select(IndicatorResult).join(Indicator).where(Indicator.name == "民间投资增速"))
    assert (private.score, private.rank) == (2.5, 9)
    assert len(plan.missing_from_file) == 34  # the rest of the period stays as it was


def test_an_earlier_period_does_not_change_indicator_settings(units):
    """Importing an older period's sheet: are its results written but the indicators' weight and units kept?"""
    from datetime import date

    import_sample(make_period())
    old = make_period("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
    plan = import_sample(old, data=xlsx_bytes([row(GOOD, 分值=5, 牵头单位="县财政局", 得分=4)]))
    assert not plan.updates_indicators
    indicator = db.session.scalar(db.select(Indicator).where(Indicator.name == "民间投资增速"))
    assert indicator.weight == 4 and indicator.lead_unit.name == "县发展和改革局"
    assert db.session.scalar(db.select(IndicatorResult.score).where(IndicatorResult.period_id == old.id)) == 4


def test_direction_and_kind_columns_override_the_guess_and_are_kept_when_absent(units):
    """Does a 指标方向/指标类型 column set them, and a later sheet without those columns keep them?"""
    header = HEADER + ["指标方向", "指标类型"]
    period = make_period()
    import_sample(period, data=xlsx_bytes([GOOD + ["逆向", "累计"]], header=header))
    indicator = db.session.scalar(db.select(Indicator))
    assert (indicator.direction, indicator.kind) == ("lower", "cumulative")
    import_sample(period, data=xlsx_bytes([GOOD]))
    db.session.refresh(indicator)
    assert (indicator.direction, indicator.kind) == ("lower", "cumulative")


def test_veto_flag_is_kept_when_the_sheet_has_no_veto_column(units):
    """Does a sheet without 一票否决 leave an indicator's veto flag alone rather than clear it?"""
    period = make_period()
    import_sample(period)
    header = [h for h in HEADER if h != "一票否决"]
    safety = ["25", "社会民生", "安全生产", 3, 1.44, 11, 12, "起", 32, 37.7, "50%", "县应急管理局",
              "县公安局、县住房和城乡建设局", "常务副县长", "较大以上事故为0得满分"]
    import_sample(period, data=xlsx_bytes([safety], header=header))
    assert db.session.scalar(db.select(Indicator.is_veto).where(Indicator.name == "安全生产")) is True


# --- files -----------------------------------------------------------------------------------------

def test_gbk_csv_as_excel_saves_it(units):
    """Does a CSV saved from Excel in GBK, with a title line and full-width cells, import?"""
    plan = import_sample(data=data_file("results_gbk.csv"), filename="results_gbk.csv")
    assert plan.count("result", "create") == 3
    private = db.session.scalar(db.select(IndicatorResult).join(Indicator).where(Indicator.name == "民间投资增速"))
    assert (private.rank, private.expected_progress, private.score) == (12, 0.5, 1.71)


@pytest.mark.parametrize("name, data, code", [
    ("junk.xlsx", b"this is not a workbook at all", "not_xlsx"),
    ("results.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old_xls"),
    ("big.xlsx", b"x" * (20 * 1024 * 1024), "too_large"),
    ("empty.csv", b"\r\n\r\n", "empty_sheet"),
    ("noheader.csv", "甲,乙,丙\r\n1,2,3\r\n".encode("gbk"), "no_header"),
])
def test_bad_files_are_refused_whole(units, name, data, code):
    """Is each unreadable file refused with a code (and message) before anything is written?"""
    period = make_period()
    db.session.commit()
    before = counts()
    with pytest.raises(ParseError) as caught:
        results_import.apply_import(supervisor(), period, data, name)
    assert caught.value.code == code and str(caught.value)
    assert counts() == before


def test_formulas_without_values_are_refused(units):
    """Is a sheet whose scores are formulas Excel never calculated refused?"""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row(GOOD, 得分="=B9*2"))
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ParseError) as caught:
        results_import.plan_import(make_period(), out.getvalue(), "f.xlsx")
    assert caught.value.code == "formulas"


# --- the CLI ---------------------------------------------------------------------------------------

def test_cli_imports_into_a_new_period_named_like_the_sheet(app, runner, tmp_path):
    """Does `flask import-results FILE --period NAME` create the period from its name and import the file?"""
    path = sample_on_disk(app, tmp_path)
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年上半年考核"])
    assert result.exit_code == 0, result.output
    assert "Imported 36 rows" in result.output
    with app.app_context():
        period = db.session.scalar(db.select(AssessmentPeriod))
        assert (period.name, period.kind, str(period.starts_on), str(period.ends_on)) == (
            "2026年上半年考核", "half_year", "2026-01-01", "2026-06-30")
        assert len(period.results) == 36


def test_cli_bad_file_exits_non_zero_with_row_errors_and_writes_nothing(app, runner, tmp_path):
    """Does a file with bad rows give a non-zero exit, each error with row and column, and no new period?"""
    with app.app_context():
        load_demo_units()
        db.session.commit()
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([row(GOOD, 全市排名="第13名"), row(OTHER, 牵头单位="县发改委")], encoding="gbk"))
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年上半年考核"])
    assert result.exit_code != 0
    assert "row 2, 全市排名" in result.output and "[rank_above_peers]" in result.output
    assert "row 3, 牵头单位" in result.output and "[unknown_unit]" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AssessmentPeriod)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Indicator)) == 0


def test_cli_unreadable_file_and_dry_run(app, runner, tmp_path):
    """Is a junk file refused with its message, and does --dry-run write nothing?"""
    with app.app_context():
        load_demo_units()
        make_period()
        db.session.commit()
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK not really")
    result = runner.invoke(args=["import-results", str(junk), "--period", "2026年上半年考核"])
    assert result.exit_code != 0 and "Excel" in result.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(sample_bytes())
    result = runner.invoke(args=["import-results", str(good), "--period", "2026年上半年考核", "--dry-run"])
    assert result.exit_code == 0 and "Would import 36 rows" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorResult)) == 0


def test_cli_needs_dates_for_a_name_without_them(app, runner, tmp_path):
    """For a period name with no dates in it, is the user told to give them?"""
    with app.app_context():
        make_unit("县发展和改革局")
        db.session.commit()
    path = tmp_path / "r.xlsx"
    path.write_bytes(sample_bytes())
    result = runner.invoke(args=["import-results", str(path), "--period", "专项考核"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AssessmentPeriod)) == 0


def test_a_staged_upload_expires_and_is_bound_to_its_period(units):
    """Is a staged file refused after two hours, and for another period than the one it was uploaded for?"""
    from datetime import date, timedelta

    from tracker import clock
    from tracker.services import DomainError

    period = make_period()
    other = make_period("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
    db.session.commit()
    token = results_import.stage_upload(supervisor(), period, "a.xlsx", sample_bytes())
    assert len(results_import.preview_upload(supervisor(), period, token).rows) == 36
    with pytest.raises(DomainError):
        results_import.preview_upload(supervisor(), other, token)
    with clock.frozen(clock.now() + timedelta(hours=2, minutes=1)), pytest.raises(DomainError):
        results_import.preview_upload(supervisor(), period, token)
    with pytest.raises(DomainError):  # expired files are removed when found
        results_import.preview_upload(supervisor(), period, token)
