"""Do period names give their kind and dates, and is the target basis (the year's or the period's) kept per period?"""
import re
from datetime import date

import pytest

from tests.conftest import DEMO_PASSWORD, make_user
from tests.indicator_helpers import make_period, sample_on_disk
from tracker.extensions import db
from tracker.models import AssessmentPeriod, AuditEntry, User
from tracker.services import DomainError
from tracker.services.indicators import periods


@pytest.mark.parametrize("name, kind, starts_on, ends_on", [
    ("2026年半年考核", "half_year", date(2026, 1, 1), date(2026, 6, 30)),
    ("2026年上半年", "half_year", date(2026, 1, 1), date(2026, 6, 30)),
    ("2026年上半年目标责任考核", "half_year", date(2026, 1, 1), date(2026, 6, 30)),
    ("2025年下半年考核", "second_half", date(2025, 7, 1), date(2025, 12, 31)),
    ("2026年前三季度考核", "three_quarters", date(2026, 1, 1), date(2026, 9, 30)),
    ("2026年1-9月", "three_quarters", date(2026, 1, 1), date(2026, 9, 30)),
    ("2026年一季度", "first_quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026年第一季度考核", "first_quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026年二季度", "quarter", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026年第三季度", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026年第4季度", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026年10月", "month", date(2026, 10, 1), date(2026, 10, 31)),
    ("2028年2月", "month", date(2028, 2, 1), date(2028, 2, 29)),
    ("2026年度", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026年度目标责任考核", "year", date(2026, 1, 1), date(2026, 12, 31)),
    (" 2026 年 前三季度 ", "three_quarters", date(2026, 1, 1), date(2026, 9, 30)),
])
def test_names_give_their_kind_and_dates(ctx, name, kind, starts_on, ends_on):
    """Does each way an office names a period give its kind and its first and last day?"""
    assert periods.infer_dates(name) == (kind, starts_on, ends_on)


@pytest.mark.parametrize("name", ["专项考核", "2026年专项督查", "2026年1-5月", "第三季度"])
def test_names_without_dates(ctx, name):
    """Is a name that does not say its dates (or says a span no kind has) read as nothing?"""
    assert periods.infer_dates(name) is None


@pytest.mark.parametrize("starts_on, ends_on, kind", [
    (date(2026, 1, 1), date(2026, 9, 30), "three_quarters"),
    (date(2026, 1, 1), date(2026, 3, 31), "first_quarter"),
    (date(2026, 4, 1), date(2026, 6, 30), "quarter"),
    (date(2026, 7, 1), date(2026, 12, 31), "second_half"),
    (date(2026, 5, 1), date(2026, 5, 31), "month"),
    (date(2026, 2, 1), date(2026, 4, 30), None),
    (date(2026, 1, 15), date(2026, 6, 30), None),
])
def test_dates_give_a_kind(ctx, starts_on, ends_on, kind):
    """Do the dates alone give the kind when the user does not choose one?"""
    assert periods.kind_for_dates(starts_on, ends_on) == kind


def office():
    """A supervisor."""
    return db.session.scalar(db.select(User).where(User.username == "supervisor")) or make_user(
        "supervisor", "supervisor")


def test_create_period_from_the_name_alone(ctx):
    """Does a period named 2026年前三季度考核 get its kind and dates without the user typing them?"""
    period = periods.create_period(office(), "2026年前三季度考核")
    assert (period.kind, period.starts_on, period.ends_on, period.target_basis) == (
        "three_quarters", date(2026, 1, 1), date(2026, 9, 30), "year")
    assert period.target_is_annual
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "period_created"))
    assert "three_quarters 2026-01-01–2026-09-30 target_basis=year" in entry.reason


def test_a_name_without_dates_asks_for_them_and_saves_nothing(ctx):
    """Is a period whose name gives no dates refused with a message that asks for them?"""
    with pytest.raises(DomainError) as caught:
        periods.create_period(office(), "专项考核")
    assert str(caught.value) == "无法从名称“专项考核”读出起止日期，请填写第一天和最后一天。"
    with pytest.raises(DomainError) as caught:
        periods.create_period(office(), "专项考核", starts_on=date(2026, 2, 1), ends_on=date(2026, 4, 30))
    assert "请选择周期类型" in str(caught.value)
    period = periods.create_period(office(), "专项考核", "quarter", date(2026, 2, 1), date(2026, 4, 30))
    assert (period.kind, period.starts_on) == ("quarter", date(2026, 2, 1))
    assert db.session.scalar(db.select(db.func.count()).select_from(AssessmentPeriod)) == 1


def test_target_basis_is_checked_saved_and_audited(ctx):
    """Is the target basis saved on the period, changed on its rules, audited, and a wrong value refused?"""
    period = periods.create_period(office(), "2026年一季度", rules=periods.PeriodRules(target_basis="period"))
    assert (period.target_basis, period.target_is_annual, str(period.target_basis_label)) == (
        "period", False, "本期目标")
    rules = periods.rules_of(period)
    rules.target_basis = "year"
    periods.update_rules(office(), period, rules)
    assert period.target_is_annual
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "rules_changed"))
    assert "target_basis=year" in entry.reason
    rules.target_basis = "month"
    with pytest.raises(DomainError):
        periods.update_rules(office(), period, rules)
    db.session.rollback()
    assert db.session.get(AssessmentPeriod, period.id).target_basis == "year"


# --- the pages -------------------------------------------------------------------------------------

@pytest.fixture
def office_client(app, client):
    """The test client logged in as the supervision office (Chinese UI)."""
    with app.app_context():
        make_user("supervisor", "supervisor")
        db.session.commit()
    client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    return client


def test_new_period_form_reads_the_name_and_keeps_the_target_basis(app, office_client):
    """Does the form create 2026年半年考核 from its name, with the target basis chosen, and list it?"""
    response = office_client.post("/indicators/periods/new", data={
        "name": "2026年半年考核", "kind": "", "starts_on": "", "ends_on": "", "target_basis": "period"})
    assert response.status_code == 302
    with app.app_context():
        period = db.session.scalar(db.select(AssessmentPeriod))
        assert (period.kind, period.starts_on, period.ends_on, period.target_basis) == (
            "half_year", date(2026, 1, 1), date(2026, 6, 30), "period")
    page = office_client.get("/indicators/").get_data(as_text=True)
    assert "上半年（半年考核）" in page and 'data-target-basis="period">本期目标<' in page


def test_new_period_form_without_dates_asks_for_them(app, office_client):
    """Does a name without dates and no dates typed get the message asking for them, and no period?"""
    response = office_client.post("/indicators/periods/new", data={
        "name": "专项考核", "kind": "", "starts_on": "", "ends_on": "", "target_basis": "year"})
    assert response.status_code == 400
    assert "无法从名称“专项考核”读出起止日期，请填写第一天和最后一天。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AssessmentPeriod)) == 0


def test_rules_page_shows_and_saves_the_target_basis(app, office_client):
    """Does the rules page show the period's target basis and save a change to it?"""
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
    page = office_client.get(f"/indicators/periods/{period_id}/rules").get_data(as_text=True)
    assert re.search(r'<option selected value="year">全年目标</option>', page)
    response = office_client.post(f"/indicators/periods/{period_id}/rules", data={
        "bottom_k": "3", "last_place": "y", "behind_progress": "y", "default_deadline_days": "90",
        "target_basis": "period"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(AssessmentPeriod, period_id).target_basis == "period"


# --- the CLI ---------------------------------------------------------------------------------------

def test_cli_kinds_follow_and_target_basis_is_set(app, runner, tmp_path):
    """Does the CLI offer the new kinds, read 前三季度 from the name, and set the target basis?"""
    path = sample_on_disk(app, tmp_path)
    help_text = runner.invoke(args=["import-results", "--help"]).output
    for kind in ("month", "first_quarter", "quarter", "half_year", "second_half", "three_quarters", "year"):
        assert kind in help_text
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年前三季度考核",
                                 "--target-basis", "period"])
    assert result.exit_code == 0, result.output
    assert "three_quarters, 2026-01-01 – 2026-09-30, target basis period" in result.output
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年前三季度考核", "--target-basis",
                                 "year", "--dry-run"])
    assert result.exit_code == 0 and "目标值口径" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(AssessmentPeriod.target_basis)) == "period"  # a dry run writes nothing
    result = runner.invoke(args=["import-results", str(path), "--period", "2026年专项", "--kind", "half_year"])
    assert result.exit_code != 0 and "无法从名称判断起止日期；请填写开始和结束日期" in result.output
