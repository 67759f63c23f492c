"""The home page's dashboards: figures equal to the bulletin's and to the task lists they link to, per role."""
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from tests.bulletin_helpers import NOW
from tests.conftest import DEMO_PASSWORD, make_task, make_unit, make_user
from tests.dashboard_helpers import statements
from tests.workflow_helpers import TODAY, user
from tracker import caching, clock
from tracker.extensions import db
from tracker.models import AssessmentPeriod, Bulletin, RectificationTask, Urge, User
from tracker.services.bulletins import figures
from tracker.services.bulletins.history import TaskAsOf, local_midnight
from tracker.services.dashboard import aggregates, overview
from tracker.services.tasks import lights, queries

COUNT_LINK = re.compile(r'<a [^>]*href="(/tasks/\?[^"]*)"[^>]*data-count="(\d+)"|'
                        r'<a [^>]*data-count="(\d+)"[^>]*href="(/tasks/\?[^"]*)"')


def login(client, username):
    """Log in through the form with the test password."""
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})


def count_links(html):
    """(query string, number shown) of every figure on the page that claims to count the list it links to."""
    found = []
    for match in COUNT_LINK.finditer(html):
        href, count = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        found.append((unescape(urlsplit(href).query), int(count)))
    return found


def list_count(user_id, query):
    """How many tasks the task list shows this user for a query string."""
    filters, ignored = queries.TaskFilters.from_args(MultiDict(parse_qsl(query)))
    assert ignored == [], query
    listed = queries.filtered_tasks(db.session.get(User, user_id), filters)
    return db.session.scalar(db.select(db.func.count()).select_from(listed.order_by(None).subquery()))


def test_every_counted_figure_lists_exactly_its_tasks(app, client, spread, flow):
    """Does each figure that links to the task list equal the number of tasks that list shows?"""
    login(client, "supervisor")
    for path in ("/", f"/?period={spread['period']}"):
        links = count_links(client.get(path).get_data(as_text=True))
        assert len(links) >= 12, path
        with app.app_context():
            for query, shown in links:
                assert list_count(flow["users"]["supervisor"], query) == shown, (path, query)


def test_the_figures_of_the_whole_county(app, spread, flow):
    """Are lights, statuses, rates and the overdue list counted as a supervisor would by hand?"""
    with app.app_context():
        dash = overview.office_dashboard(user(flow, "supervisor"))
    assert dash.lights == {"red": 3, "yellow": 1, "green": 2}  # draft counts: it has a light in the list too
    assert dash.statuses == {"draft": 1, "assigned": 1, "returned": 0, "in_progress": 3, "pending_review": 1,
                             "closed": 2, "cancelled": 1}
    totals = dash.totals
    assert (totals.tasks, totals.closed, totals.overdue, totals.on_time, totals.due, totals.urges) == (7, 2, 3, 1, 5, 1)
    assert round(totals.close_rate, 4) == round(2 / 7, 4) and totals.on_time_rate == 0.2
    assert [(row.title, row.days_late) for row in dash.overdue] == [
        ("防汛物资储备不足", 12), ("逾期后申请销号", 3), ("商务局任务", 1)]
    water = next(row for row in dash.units if row.unit_name == "县水利局")
    assert (water.tasks, water.overdue, water.urges, water.rank) == (6, 2, 1, 2)
    assert [leader.username for leader, _ in dash.leaders] == ["leader"]


def test_a_period_narrows_every_figure(app, client, spread, flow):
    """With ?period=, do the figures and the links cover only that assessment period's tasks?"""
    with app.app_context():
        period = db.session.get(AssessmentPeriod, spread["period"])
        dash = overview.office_dashboard(user(flow, "supervisor"), period)
    assert dash.totals.tasks == 3 and dash.lights["red"] == 1
    login(client, "supervisor")
    html = client.get(f"/?period={spread['period']}").get_data(as_text=True)
    assert all(f"period={spread['period']}" in query for query, _ in count_links(html))


@pytest.mark.parametrize("query", ["period=abc", "period=99999", "light=purple&period=", "period=1.5"])
def test_invalid_filters_in_the_url_are_ignored_with_a_message(client, spread, query):
    """Does a malformed or unknown filter give the whole dashboard and a message, never an error?"""
    login(client, "supervisor")
    client.post("/lang/en")
    response = client.get("/?" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "were not understood and were ignored" in html
    assert 'id="unit-ranking"' in html


def test_dashboard_figures_are_the_bulletins_own(app, bulletin_county):
    """For the month under way, are the dashboard's unit ranking and rates exactly the bulletin's?"""
    with app.app_context():
        # The bulletin counts this year's tasks and this month's urges; leave the county with only those.
        db.session.execute(db.delete(RectificationTask).where(RectificationTask.code.like("ZG2025-%")))
        db.session.execute(db.delete(Urge).where(Urge.created_at < local_midnight(date(2026, 12, 1))))
        db.session.commit()
        bulletin = figures.gather("2026-12")
        dash = overview.office_dashboard(db.session.scalar(db.select(User).filter_by(username="supervisor")))
    fields = ("unit_name", "rank", "tasks", "closed", "to_accept", "in_progress", "pending_review", "overdue",
              "on_time", "due", "urges")
    # The same ranking, the worst first: the dashboard reads from the bottom of the bulletin's table up.
    assert [tuple(getattr(row, f) for f in fields) for row in dash.units] == \
        [tuple(getattr(row, f) for f in fields) for row in reversed(bulletin.units)]
    assert dash.units[0].overdue == max(row.overdue for row in bulletin.units) > dash.units[-1].overdue
    assert not any(row.needs_explanation for row in dash.units)  # no bulletin issued yet: nobody is marked
    assert (dash.totals.close_rate, dash.totals.on_time_rate) == (bulletin.totals.close_rate,
                                                                  bulletin.totals.on_time_rate)
    assert [(r.title, r.days_late) for r in dash.overdue] == [(r.title, r.days_late) for r in bulletin.overdue]
    assert [row.assessment.indicator.name for row in dash.weak] == [row.name for row in bulletin.weak.rows]


def test_sql_rules_agree_with_the_python_ones(app, bulletin_county):
    """Do the on-time and due conditions in SQL pick the tasks lights.is_on_time and TaskAsOf.is_due pick?"""
    today = NOW.date()
    with app.app_context():
        tasks = db.session.scalars(db.select(RectificationTask)).all()
        on_time = set(db.session.scalars(db.select(RectificationTask.id).where(lights.on_time_clause())))
        due = set(db.session.scalars(db.select(RectificationTask.id).where(aggregates.due_clause(today))))
        assert on_time == {t.id for t in tasks if lights.is_on_time(t)} != set()
        as_of = {t.id: TaskAsOf(t, t.status, t.deadline_on, today, False, 0, False) for t in tasks}
        assert due == {t.id for t in tasks if as_of[t.id].is_due} != set()


def _grow(flow, copies):
    """Add `copies` more units, each with a leader, a head and tasks in several states, reports and urges."""
    now = clock.now()
    for n in range(copies):
        unit = make_unit(f"测试单位{n}")
        leader = make_user(f"leader{n}", "leader", title=f"分管副县长{n}")
        for status, days in (("in_progress", -5), ("closed", -20), ("assigned", 30), ("pending_review", 2)):
            task = make_task(f"任务{n}-{status}", unit, status=status, deadline_on=TODAY + timedelta(days=days),
                             responsible_leader_id=leader.id, dispatched_at=now, created_at=now,
                             closeout_requested_at=now if status in ("closed", "pending_review") else None)
            db.session.add(Urge(task_id=task.id, unit_id=unit.id, urged_by_id=flow["users"]["supervisor"],
                                message="催办", created_at=now))
    db.session.commit()


@pytest.mark.parametrize("username", ["supervisor", "waterhead"])
def test_statement_count_does_not_grow_with_the_data(app, client, spread, flow, username):
    """Does the dashboard run as many SQL statements for 10 units and 50 tasks as for 2 units and 9 tasks?"""
    app.extensions["figure_cache"] = caching.FigureCache(0)  # count the work of a view after a change (test_caching)
    login(client, username)
    client.get("/")
    with statements(app) as few:
        assert client.get("/").status_code == 200
    with app.app_context():
        _grow(flow, 10)
    with statements(app) as many:
        assert client.get("/").status_code == 200
    assert len(many) == len(few), "\n".join(many)


def test_unit_head_sees_their_unit_and_what_waits_for_them(app, client, spread, flow):
    """Does the water bureau's head see its tasks by light and the task to accept, and nothing of 县商务局?"""
    with app.app_context():
        dash = overview.unit_dashboard(user(flow, "lead_head"))
    assert dash.lights == {"red": 2, "yellow": 1, "green": 1}
    assert "draft" not in dash.statuses and dash.statuses["in_progress"] == 2
    assert "刚交办" in {task.title for task in dash.actions}
    assert dash.figures.unit_name == "县水利局" and dash.figures.tasks == 6
    login(client, "waterhead")
    html = client.get("/").get_data(as_text=True)
    assert "商务局任务" not in html and "防汛物资储备不足" in html
    assert 'id="unit-ranking"' not in html  # no county-wide ranking for a unit


def test_a_leader_sees_only_their_portfolio(app, client, spread, flow):
    """Does a county leader (not principal) see only the tasks they oversee, and no by-leader breakdown?"""
    with app.app_context():
        dash = overview.office_dashboard(user(flow, "leader"))
        principal = overview.office_dashboard(user(flow, "principal"))
    assert dash.lights["red"] == 2 and dash.leaders == []
    assert principal.lights["red"] == 3 and principal.leaders != []
    login(client, "leader")
    html = client.get("/").get_data(as_text=True)
    assert "商务局任务" not in html and 'id="leaders"' not in html


def test_a_county_without_tasks_shows_an_empty_dashboard(client, flow):
    """Does the dashboard open (rates shown as —) before any task exists?"""
    login(client, "supervisor")
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="kpi-close-rate"' in response.get_data(as_text=True)
    assert 'data-count="0"' in response.get_data(as_text=True)


def test_the_unit_chart_draws_the_lowest_units_when_there_are_many(app, client, spread, monkeypatch):
    """With more units than a chart holds, does it draw those with the lowest close-out rate and say so?"""
    monkeypatch.setattr(overview, "CHART_ROWS", 1)
    login(client, "supervisor")
    client.post("/lang/en")
    html = client.get("/").get_data(as_text=True)
    chart = html.split('id="unit-chart"')[1].split("</svg>")[0]
    assert "县商务局" in chart and "县水利局" not in chart  # 0% closed against 33%
    assert "The 1 unit with the lowest close-out rate, of 2" in html


def test_the_ranking_marks_the_units_the_last_issued_bulletin_asked_to_explain(app, client, spread, flow):
    """Are the units marked those the last issued bulletin named for a 情况说明, not today's bottom ones?"""
    water, other = flow["units"]["water"], flow["units"]["other"]
    with app.app_context():
        assert not any(row.needs_explanation for row in overview.office_dashboard(user(flow, "supervisor")).units)
        db.session.add_all([
            Bulletin(month="2026-10", year=2026, issue_no=1, status="issued", explain_unit_ids=f"{water},{other}"),
            Bulletin(month="2026-11", year=2026, issue_no=2, status="issued", explain_unit_ids=str(other)),
            Bulletin(month="2026-12", year=2026, issue_no=3, status="draft", explain_unit_ids=str(water)),
        ])
        db.session.commit()
        office = overview.office_dashboard(user(flow, "supervisor"))
        leader = overview.office_dashboard(user(flow, "leader"))
    assert [row.unit_name for row in office.units if row.needs_explanation] == ["县商务局"]
    assert [row.unit_name for row in leader.units if row.needs_explanation] in ([], ["县商务局"])
    login(client, "supervisor")
    page = client.get("/").get_data(as_text=True)
    assert "第2期" in page and page.count("需作情况说明") == 1
