"""Shared set-up for the indicator tests: the office's sample sheet, the demo's units, sheets built to order."""
import csv
import io
import os
from datetime import date, datetime

import openpyxl
import pytest

from tests.conftest import make_user
from tracker import clock
from tracker.extensions import db
from tracker.models import AssessmentPeriod, AuditEntry, Indicator, IndicatorResult, RectificationTask, Unit, User
from tracker.seeding import demo
from tracker.services.indicators import periods, results_import

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "tracker", "seeding", "demo_data", "assessment-2026H1.xlsx")
DATA = os.path.join(os.path.dirname(__file__), "data")
# A working day after the half-year results came in; generated deadlines count from here.
TODAY = date(2026, 7, 20)
NOON = datetime(2026, 7, 20, 12, 0, tzinfo=clock.local_tz())

HEADER = ["序号", "指标类别", "指标名称", "分值", "得分", "全市排名", "参评县区数", "计量单位", "目标值",
          "完成值", "序时进度", "牵头单位", "配合单位", "分管县领导", "计算公式", "一票否决"]
GOOD = [5, "经济发展", "民间投资增速", 4, 1.71, 12, 12, "%", 10.4, 9.3, "50%", "县发展和改革局",
        "县投资促进局", "常务副县长", "按增速全市位次赋分", None]
OTHER = [6, "经济发展", "服务业增加值增速", 3, 1.28, 12, 12, "%", 8.6, 5.6, "50%", "县发展和改革局",
         "县统计局", "常务副县长", "按增速全市位次赋分", None]

# The column labels of the import preview, as the office reads them (Chinese UI).
PREVIEW_LABELS = ("得分", "分值", "排名", "参评单位数", "目标值", "完成值", "序时进度", "牵头单位", "配合单位",
                  "责任领导")


def sample_bytes():
    """The office's real half-year sheet, as uploaded."""
    with open(SAMPLE, "rb") as handle:
        return handle.read()


def data_file(name):
    """Bytes of a file in tests/data."""
    with open(os.path.join(DATA, name), "rb") as handle:
        return handle.read()


def xlsx_bytes(rows, header=HEADER, title="云溪县2026年上半年目标责任考核指标完成情况"):
    """An .xlsx laid out like the offices' sheets: a title, a note, the header, the rows, a closing note."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(["数据来源：市委目标责任考核办公室"])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    sheet.append([])
    sheet.append(["注：排名为全市12个县（市、区）中的位次。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8", title=None):
    """A CSV of an optional title line, the header and the rows in the given encoding."""
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow([title])
    writer.writerow(header)
    for values in rows:
        writer.writerow(["" if v is None else v for v in values])
    return out.getvalue().encode(encoding)


def load_demo_units():
    """The demo county's 33 units (every unit the sample sheet names)."""
    units = demo.load_units()
    db.session.flush()
    return units


def sample_on_disk(app, tmp_path, name="assessment-2026H1.xlsx"):
    """The demo's units saved, and the sample written to a file for the CLI; its path."""
    with app.app_context():
        load_demo_units()
        db.session.commit()
    path = tmp_path / name
    path.write_bytes(sample_bytes())
    return path


def add_leaders():
    """Active county leaders for the titles the sample names (one title, 县纪委书记, deliberately missing)."""
    titles = ["常务副县长", "县长", "县委书记", "分管工业副县长", "分管农业副县长", "分管社会事业副县长",
              "分管城建副县长", "县委副书记"]
    return {title: make_user(f"leader{i}", "leader", title=title, display_name=f"领导{i}")
            for i, title in enumerate(titles)}


def counts():
    """Rows of every table an import writes, to prove a refused import wrote nothing."""
    return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (AssessmentPeriod, Indicator, IndicatorResult, Unit, RectificationTask, AuditEntry)}


def make_period(name="2026年上半年考核", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30), kind=None, **rules):
    """A period of the kind its dates are (unless given), with the default rules unless given."""
    kind = kind or periods.kind_for_dates(starts_on, ends_on) or "half_year"
    period = AssessmentPeriod(name=name, kind=kind, starts_on=starts_on, ends_on=ends_on, **rules)
    db.session.add(period)
    db.session.flush()
    return period


def make_result(period, name, weight=4.0, score=3.0, rank=5, peers=12, kind="rate", direction="higher",
                target=None, actual=None, progress=None, lead_unit=None, **indicator_fields):
    """An indicator (created when new) and its result in the period."""
    indicator = db.session.scalar(db.select(Indicator).where(Indicator.name == name))
    if indicator is None:
        indicator = Indicator(name=name, category="经济发展", weight=weight, kind=kind, direction=direction,
                              lead_unit=lead_unit, **indicator_fields)
        db.session.add(indicator)
    result = IndicatorResult(period=period, indicator=indicator, score=score, rank=rank, peer_count=peers,
                             target_value=target, actual_value=actual, expected_progress=progress)
    db.session.add(result)
    db.session.flush()
    return result


@pytest.fixture
def results_today():
    """Freeze the clock at noon Shanghai on TODAY."""
    with clock.frozen(NOON):
        yield NOON


@pytest.fixture
def results_county(app, results_today):
    """The demo's units, county leaders, a supervisor, a unit head; ids only."""
    with app.app_context():
        units = load_demo_units()
        leaders = add_leaders()
        supervisor = make_user("supervisor", "supervisor")
        head = make_user("unithead", "unit_head", units["县水利局"])
        admin = make_user("admin", "admin")
        db.session.commit()
        return {
            "units": {name: unit.id for name, unit in units.items()},
            "leaders": {title: user.id for title, user in leaders.items()},
            "supervisor": supervisor.id, "unithead": head.id, "admin": admin.id,
        }


@pytest.fixture
def imported(app, results_county):
    """The sample imported into the half-year, and the half-year before with other ranks; period ids."""
    with app.app_context():
        office = db.session.get(User, results_county["supervisor"])
        previous = make_period("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
        results_import.apply_import(office, previous, xlsx_bytes([GOOD[:5] + [9] + GOOD[6:]]), "old.xlsx")
        current = make_period()
        results_import.apply_import(office, current, sample_bytes(), "assessment-2026H1.xlsx")
        return {"current": current.id, "previous": previous.id}
