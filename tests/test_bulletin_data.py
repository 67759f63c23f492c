"""The bulletin's figures, as of the month's cut-off, against a county counted by hand (tests/bulletin_helpers.py)."""
from datetime import date

import pytest

from tests.bulletin_helpers import MONTH, NOW, TITLES, UNITS
from tracker import clock
from tracker.services import DomainError
from tracker.services.bulletins import figures


def test_totals_are_the_hand_counted_ones(app, bulletin_county):
    """Does November's 总体情况 count 9 tasks, 2 closed, 4 overdue, 3 urges, as counted by hand?"""
    with app.app_context():
        data = figures.gather(MONTH)
    t = data.totals
    assert (t.tasks, t.closed, t.to_accept, t.pending_review, t.in_progress) == (9, 2, 1, 1, 5)
    assert (t.overdue, t.on_time, t.due, t.urges) == (4, 1, 7, 3)
    assert round(t.close_rate, 4) == round(2 / 9, 4)
    assert round(t.on_time_rate, 4) == round(1 / 7, 4)
    assert data.window.as_of == date(2026, 11, 30)


def test_a_task_closed_after_the_cutoff_counts_as_open_and_overdue(app, bulletin_county):
    """Is A3, closed on 3 December, open and 15 days late in November's bulletin made in December?"""
    with app.app_context():
        data = figures.gather(MONTH)
    late = {row.title: row.days_late for row in data.overdue}
    assert late[TITLES["A3"]] == 15
    assert TITLES["B1"] not in {row.title for row in data.overdue}  # created in December


def test_the_deadline_in_force_at_the_cutoff_decides_overdue(app, bulletin_county):
    """Is B2 overdue by its old deadline (extended only on 1 December), and B3 not (extended on 3 November)?"""
    with app.app_context():
        data = figures.gather(MONTH)
    rows = {row.title: row for row in data.overdue}
    assert rows[TITLES["B2"]].deadline_on == date(2026, 11, 25) and rows[TITLES["B2"]].days_late == 5
    assert TITLES["B3"] not in rows
    assert TITLES["C1"] not in rows  # close-out asked before the deadline, still under review


def test_overdue_list_is_most_late_first_with_owner_or_none(app, bulletin_county):
    """Are the overdue tasks named most days late first, with no owner for a task never accepted?"""
    with app.app_context():
        data = figures.gather(MONTH)
    assert [(row.title, row.days_late) for row in data.overdue] == [
        (TITLES["A1"], 20), (TITLES["A3"], 15), (TITLES["B2"], 5), (TITLES["C2"], 2)]
    assert [row.owner_name for row in data.overdue] == ["张三", "张三", "李四", None]


def test_ranking_per_lead_unit(app, bulletin_county):
    """Is each unit's line right, and are units ranked by overdue, then on-time rate, then close-out rate?"""
    with app.app_context():
        data = figures.gather(MONTH)
    lines = [(row.rank, row.unit_name, row.tasks, row.closed, row.overdue, row.on_time, row.due, row.urges)
             for row in data.units]
    assert lines == [
        (1, UNITS["D"], 1, 0, 0, 0, 0, 0),
        (2, UNITS["C"], 3, 1, 1, 0, 3, 1),
        (3, UNITS["B"], 2, 0, 1, 0, 1, 0),
        (4, UNITS["A"], 3, 1, 2, 1, 3, 2),
    ]
    assert data.units[0].on_time_rate is None  # nothing due yet: printed as —
    assert [row.unit_name for row in data.explain_units] == [UNITS["C"], UNITS["B"], UNITS["A"]]


def test_only_the_bottom_units_are_asked_to_explain(app, bulletin_county):
    """With BULLETIN_EXPLAIN_UNITS=2, are only the last two units with overdue tasks asked for 情况说明?"""
    app.config["BULLETIN_EXPLAIN_UNITS"] = 2
    with app.app_context():
        data = figures.gather(MONTH)
    assert [row.unit_name for row in data.explain_units] == [UNITS["B"], UNITS["A"]]


def test_change_against_last_month(app, bulletin_county):
    """Is October's end (9 tasks, none closed, none overdue) the base of the change?"""
    with app.app_context():
        data = figures.gather(MONTH)
    p = data.previous
    assert (p.tasks, p.closed, p.overdue) == (9, 0, 0)
    assert (data.change.tasks, data.change.closed, data.change.overdue) == (0, 2, 4)
    assert data.change.close_rate_points == 22.2


def test_the_month_under_way_is_counted_up_to_now(app, bulletin_county):
    """Does December's bulletin, on 5 December, see A3 closed and B1 new, judging overdue on the 5th?"""
    with app.app_context():
        data = figures.gather("2026-12")
    assert data.window.as_of == date(2026, 12, 5)
    assert data.totals.tasks == 10 and data.totals.closed == 3
    assert TITLES["A3"] not in {row.title for row in data.overdue}


def test_a_month_without_tasks_is_a_valid_empty_bulletin(app, bulletin_county):
    """Does a month before any task give zero figures, no ranking and nothing overdue?"""
    with app.app_context():
        data = figures.gather("2026-03")
    assert data.is_empty and data.units == [] and data.overdue == []
    assert data.totals.close_rate is None


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-11", "2026/11", "", "November", "1999-12", "2026-11-01"])
def test_malformed_month_is_refused(app, month):
    """Is a month that is not YYYY-MM (or before 2000) refused with a DomainError?"""
    with app.app_context(), clock.frozen(NOW), pytest.raises(DomainError):
        figures.parse_month(month)


def test_future_month_is_refused_and_the_current_one_allowed(app):
    """Is January 2027 refused on 5 December 2026, while December 2026 and a date are accepted?"""
    with app.app_context(), clock.frozen(NOW):
        with pytest.raises(DomainError):
            figures.parse_month("2027-01")
        assert figures.parse_month("2026-12") == date(2026, 12, 1)
        assert figures.parse_month(date(2026, 11, 17)) == date(2026, 11, 1)
