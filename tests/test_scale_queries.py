"""Do the faster query shapes (issue: scale) give exactly what the plain ones gave?

Each fast form is compared with the straightforward SQL it replaced, on
`flask seed-scale` data (varied statuses, lights, co-units, views): the
default order read status by status, the "needs my action" counts in one
statement, the unit users' visibility as a union of ids, and the search's LIKE
for words without letter case.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import case, func, or_, select

from tracker import clock, permissions
from tracker.extensions import db
from tracker.models import RectificationTask, User, task_co_units
from tracker.models.task import FINISHED_STATUSES
from tracker.services.tasks import action_views, queries

T = RectificationTask
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FILTERS = [{}, {"light": "red"}, {"light": "yellow"}, {"status": "closed"}, {"mine": "all"}, {"overdue": "1"},
           {"lead_unit": "3"}, {"q": "整改"}, {"mine": "to_report"}, {"light": "green", "status": "draft"},
           {"light": "green"}]


@pytest.fixture
def seeded(app, runner):
    """A small province: 12 units, 200 tasks, 600 reports; the clock frozen on the seeding day."""
    with clock.frozen(NOON):
        assert runner.invoke(args=["seed-scale", "--units", "12", "--tasks", "200", "--reports", "600"]).exit_code == 0
        with app.app_context():
            yield


def users():
    """One user of each kind that sees a different set of tasks."""
    names = ("supervisor1", "leader1", "unit003head", "unit005staff1")
    return db.session.scalars(db.select(User).where(User.username.in_(names)).order_by(User.id)).all()


def plain_order(user, filters):
    """Ids in the default order as one ORDER BY CASE …, the shape the list had before."""
    finished_last = case((T.status.in_(FINISHED_STATUSES), 1), else_=0)
    query = queries.filtered_tasks(user, filters, ordered=False).order_by(finished_last, T.deadline_on, T.id)
    return [task.id for task in db.session.scalars(query)]


def test_the_default_order_is_the_same_on_every_page(seeded):
    """Does reading status by status give the same tasks in the same order, page after page, as one big sort?"""
    for args in FILTERS:
        for user in users():
            filters, _ignored = queries.TaskFilters.from_args(args)
            expected = plain_order(user, filters)
            pages, page = [], 1
            while True:
                found = queries.task_page(user, filters, page, 15)
                pages += [task.id for task in found.items]
                if not found.has_next:
                    break
                page += 1
            assert pages == expected, (user.username, args)
            assert found.total == len(expected)


def test_the_needs_my_action_counts_match_one_count_per_view(seeded):
    """Does the one-statement count of each view, and of any view, equal counting each view on its own?"""
    today = clock.today()
    for user in users():
        views = action_views.mine_views(user)
        expected = {}
        for view in [*views, "all"] if views else []:
            expected[view] = db.session.scalar(select(func.count()).select_from(T).where(
                permissions.visible_tasks_clause(user), action_views.mine_clause(user, view, today)))
        assert action_views.mine_counts(user, today) == expected, user.username
        assert not views or expected["all"] > 0


def test_unit_visibility_is_the_lead_or_co_unit_rule(seeded):
    """Does the union-of-ids visibility give each unit user exactly the tasks its unit leads or co-organizes?"""
    for user in users():
        if not user.is_unit_user:
            continue
        co_units = select(task_co_units.c.task_id).where(task_co_units.c.unit_id == user.unit_id)
        plain = set(db.session.scalars(select(T.id).where(
            T.status != "draft", or_(T.lead_unit_id == user.unit_id, T.id.in_(co_units)))))
        fast = set(db.session.scalars(select(T.id).where(permissions.visible_tasks_clause(user))))
        assert fast == plain and plain


def test_search_folds_case_only_where_the_words_have_case(seeded):
    """Do a Chinese word, a lower-case task code and a literal % each find exactly the tasks holding them?"""
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor1"))
    code = db.session.scalar(select(T.code).order_by(T.id.desc()).limit(1))
    every = db.session.scalars(select(T)).all()
    for text in ("整改", "污水", code.lower(), "100%"):
        filters, _ignored = queries.TaskFilters.from_args({"q": text})
        found = {task.id for task in db.session.scalars(queries.filtered_tasks(supervisor, filters))}
        expected = {task.id for task in every
                    if any(text.lower() in (field or "").lower()
                           for field in (task.title, task.code, task.problem, task.measures))}
        assert found == expected, text
        if text == code.lower():
            assert len(found) == 1  # the upper-case code, found by its lower-case spelling
