"""Does each main page run the same number of SQL statements however much data it shows (no N+1)?

The county of tests/query_count_helpers.py is built at k = 1 (5 tasks, one of
everything, 20 rows a page) and at k = 12 (60 tasks, twelve of everything, 50
rows a page); every page is requested by each viewer that may open it, and the
statements are counted with SQLAlchemy's before_cursor_execute event
(benchmarks/sqlcount.py). The counts must be equal, and under a stated bound.
"""
import pytest

from benchmarks.sqlcount import counting
from tests.conftest import DEMO_PASSWORD, empty_tables
from tests.query_count_helpers import NOON, build_county
from tracker import clock, create_app
from tracker.extensions import db

SMALL, LARGE = 1, 12
# The most statements a page may run, whatever the data (today's counts plus a little room).
BOUNDS = {"dashboard": 24, "task list": 16, "task detail": 16, "indicator board": 14, "inbox": 6}
PAGES = {
    "supervisor": {"dashboard": "/", "task list": "/tasks/", "task list, red": "/tasks/?light=red",
                   "task list, lead unit": "/tasks/?lead_unit={lead_unit}", "task list, search": "/tasks/?q=整改",
                   "task list, newest first": "/tasks/?sort=-created", "task detail": "/tasks/{task}",
                   "indicator board": "/indicators/periods/{period}", "inbox": "/inbox/"},
    "leader": {"dashboard": "/", "task list": "/tasks/", "task detail": "/tasks/{task}",
               "indicator board": "/indicators/periods/{period}"},
    "unit_head": {"dashboard": "/", "task list": "/tasks/", "task list, needs my action": "/tasks/?mine=all",
                  "task list, yellow": "/tasks/?light=yellow", "task detail": "/tasks/{task}", "inbox": "/inbox/"},
}
CASES = [(role, page) for role, pages in PAGES.items() for page in pages]


def measure(app, k, per_page):
    """Build the county at size k, then count each page's statements (second request, after a warm-up)."""
    app.config["TASKS_PER_PAGE"] = per_page
    with app.app_context():
        empty_tables()
        ids = build_county(k)
    found = {}
    with clock.frozen(NOON):
        for role, pages in PAGES.items():
            client = app.test_client()
            assert client.post("/auth/login", data={"username": ids["viewers"][role],
                                                    "password": DEMO_PASSWORD}).status_code == 302
            for page, path in pages.items():
                url = path.format(**ids)
                client.get(url)
                with app.app_context(), counting(db.engine) as counter:
                    response = client.get(url)
                found[(role, page)] = (response.status_code, counter.count, counter.statements,
                                       response.get_data(as_text=True))
    with app.app_context():
        empty_tables()
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def counts(migrated, tmp_path_factory):
    """Statement counts of every page at k = 1 (20 a page) and k = 12 (50 a page), on the test database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated, "UPLOAD_DIR": str(tmp_path_factory.mktemp("up"))})
    small = measure(app, SMALL, 20)
    large = measure(app, LARGE, 50)
    with app.app_context():
        db.engine.dispose()
    return small, large


@pytest.mark.parametrize(("role", "page"), CASES, ids=[f"{role}: {page}" for role, page in CASES])
def test_statements_do_not_grow_with_the_data(counts, role, page):
    """Does the page run as many statements for 60 tasks, 12 of everything and 50 a page as for 5 tasks?"""
    small, large = counts
    (status_small, n_small, *_), (status_large, n_large, statements, _) = small[(role, page)], large[(role, page)]
    assert status_small == status_large == 200
    bound = BOUNDS[next(kind for kind in BOUNDS if page.startswith(kind))]
    assert n_small == n_large, f"{n_small} statements with k={SMALL}, {n_large} with k={LARGE}:\n" + \
        "\n".join(statement[:160] for statement in statements)
    assert n_large <= bound, f"{n_large} statements, more than {bound}"


def test_the_large_county_shows_the_rows_it_counts(counts):
    """Do the pages counted really show the data: 5 then 50 tasks listed, 1 then 12 of each record on the task?"""
    small, large = counts
    rows = [pages[("supervisor", "task list")][3].count('class="task-title"') for pages in (small, large)]
    assert rows == [5, 50]
    steps = [pages[("supervisor", "task detail")][3].count('data-action="urged"') for pages in (small, large)]
    assert steps == [SMALL, LARGE]
