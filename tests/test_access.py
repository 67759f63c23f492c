"""Who may open what: every role against every page, and unit isolation."""
import pytest

from tracker.extensions import db
from tracker.models import RectificationTask, User
from tracker.services.tasks import queries

ROLES = ["admin", "supervisor", "leader", "principal", "unithead", "unitstaff", "otherhead"]

# page -> {username: expected status}; a missing user means 200.
MATRIX = {
    "/": {},
    "/tasks/": {},
    "/auth/password": {},
    "/tasks/{own}": {"otherhead": 403},
    "/tasks/{foreign}": {"leader": 403, "unithead": 403, "unitstaff": 403},
    "/tasks/{shared}": {"leader": 403},
    "/tasks/{draft}": {"leader": 403, "unithead": 403, "unitstaff": 403, "otherhead": 403},
    "/admin/units": {u: 403 for u in ROLES if u != "admin"},
    "/admin/users": {u: 403 for u in ROLES if u != "admin"},
    "/admin/jobs": {u: 403 for u in ROLES if u not in ("admin", "supervisor")},
    "/admin/settings": {u: 403 for u in ROLES if u not in ("admin", "supervisor")},
    "/admin/jobs/outbox": {u: 403 for u in ROLES if u not in ("admin", "supervisor")},
    # Issue 15: the unit's own edit page (name and group robot), the task list's new filters (逾期未签收, the
    # tasks closed on time the dashboard's cards link to), the form with the unit picker, the ledger.
    "/admin/units/{unit_water}/edit": {u: 403 for u in ROLES if u != "admin"},
    "/tasks/?late_accept=1": {},
    "/tasks/?on_time=1": {},
    "/tasks/new": {u: 403 for u in ROLES if u != "supervisor"},
    "/tasks/export.xlsx": {},
    "/tasks/print": {},
}
# The actions added with the jobs requests and the sign-in delays: POST page -> {username: expected status};
# a missing user is allowed (redirected back, 302).
ACTIONS = {
    "/admin/users/{supervisor_id}/sign-in-delay": {u: 403 for u in ROLES if u != "admin"},
    "/admin/jobs/outbox/run": {u: 403 for u in ROLES if u not in ("admin", "supervisor")},
    # Issue 15: the unit's edit page saves its name there and its group robot beside it (an empty name: 400).
    "/admin/units/{unit_water}/edit": {"admin": 400, **{u: 403 for u in ROLES if u != "admin"}},
    "/admin/units/{unit_water}/webhook": {u: 403 for u in ROLES if u != "admin"},
}
CASES = [(page, user, rules.get(user, 200)) for page, rules in MATRIX.items() for user in ROLES]
ACTION_CASES = [(page, user, rules.get(user, 302)) for page, rules in ACTIONS.items() for user in ROLES]


def ids(world):
    """The names a page's path may use: task keys, and unit_<key> for units."""
    return {**world["tasks"], **{f"unit_{key}": unit_id for key, unit_id in world["units"].items()}}


@pytest.mark.parametrize("page, username, expected", CASES)
def test_role_page_matrix(client, auth, world, page, username, expected):
    """Does each role get exactly the pages it may open?"""
    auth.login(username)
    response = client.get(page.format(**ids(world)))
    assert response.status_code == expected


@pytest.mark.parametrize("page, username, expected", ACTION_CASES)
def test_role_action_matrix(client, auth, world, page, username, expected):
    """Does each role get exactly the new actions it may take (clearing a sign-in delay, run now)?"""
    auth.login(username)
    response = client.post(page.format(supervisor_id=world["users"]["supervisor"], **ids(world)))
    assert response.status_code == expected


# The close-out pages and the evidence views (issue 15): page -> {username: expected status}; missing means 200.
# {review} is a task of 县水利局 under close-out review with an extension kept waiting; {pdf} and {docx} are
# files of it (a PDF opens inline, a .docx downloads), {foreign_pdf} a file of 县商务局's task.
CLOSEOUT_MATRIX = {
    "/tasks/{review}/closeout/review": {u: 403 for u in ROLES if u != "supervisor"},
    "/tasks/{review}/extension/review": {u: 403 for u in ROLES if u != "supervisor"},
    "/tasks/{own}/closeout": {u: 403 for u in ROLES if u != "unithead"},
    "/tasks/files/{pdf}/view": {"otherhead": 403},
    "/tasks/files/{docx}/view": {"otherhead": 403},
    "/tasks/files/{pdf}": {"otherhead": 403},
    "/tasks/files/{foreign_pdf}/view": {"leader": 403, "unithead": 403, "unitstaff": 403},
}
CLOSEOUT_CASES = [(page, user, rules.get(user, 200)) for page, rules in CLOSEOUT_MATRIX.items() for user in ROLES]


@pytest.fixture
def review_world(app, world):
    """The world's ids plus a task under close-out review (with its files) and a file on a foreign task."""
    from datetime import date

    from tests.workflow_helpers import PDF, upload, zip_bytes
    from tracker.models import Unit
    from tracker.services.tasks import closeouts, progress, reviews

    with app.app_context():
        water, head = db.session.get(Unit, world["units"]["water"]), db.session.get(User, world["users"]["unithead"])
        task = RectificationTask(title="销号审核中的任务", lead_unit=water, status="in_progress",
                                 deadline_on=date(2027, 6, 30), original_deadline_on=date(2027, 6, 30),
                                 responsible_leader_id=world["users"]["leader"])
        db.session.add(task)
        db.session.commit()
        reviews.request_extension(head, task, date(2027, 9, 30), "汛期无法施工", task.version)
        request_ = closeouts.request_closeout(head, task, closeouts.CloseoutInput(
            statement="管网改造全部完成，经第三方检测水质达标，群众满意。", extension_choice="wait",
            files=[upload("验收报告.pdf", PDF), upload("验收表.docx", zip_bytes())]), task.version)
        pdf, docx = (file.id for file in request_.attachments)
        foreign = db.session.get(RectificationTask, world["tasks"]["foreign"])
        other = db.session.get(User, world["users"]["otherhead"])
        report = progress.report_progress(other, foreign, "外贸进展", 30, [upload("外贸.pdf", PDF)], "tok")
        ids = {"review": task.id, "pdf": pdf, "docx": docx, "foreign_pdf": report.attachments[0].id}
    return {**world["tasks"], **ids}


@pytest.mark.parametrize("page, username, expected", CLOSEOUT_CASES)
def test_closeout_pages_and_evidence_views(client, auth, review_world, page, username, expected):
    """Does each role get exactly the close-out pages and the evidence views it may open?"""
    auth.login(username)
    with client.get(page.format(**review_world)) as response:  # a file's response holds it open until closed
        assert response.status_code == expected


@pytest.mark.parametrize("page", list(MATRIX))
def test_anonymous_is_sent_to_login(client, world, page):
    """Is a visitor who has not logged in sent to the login page for every page?"""
    response = client.get(page.format(**ids(world)))
    assert response.status_code == 302
    assert "/auth/login" in response.location


def test_missing_task_is_404(client, auth, world):
    """Does a task id that does not exist give 404, not a crash?"""
    auth.login("supervisor")
    assert client.get("/tasks/999999").status_code == 404


VISIBLE = {
    "admin": {"own", "shared", "foreign", "draft", "town"},
    "supervisor": {"own", "shared", "foreign", "draft", "town"},
    "principal": {"own", "shared", "foreign", "draft", "town"},
    "leader": {"own"},
    "unithead": {"own", "shared"},
    "unitstaff": {"own", "shared"},
    "otherhead": {"shared", "foreign"},
    "townstaff": {"town"},
}


@pytest.mark.parametrize("username", list(VISIBLE))
def test_list_shows_only_visible_tasks(app, world, username):
    """Does the list query return exactly the tasks the user may see (lead or co-unit, no drafts)?"""
    with app.app_context():
        user = db.session.get(User, world["users"][username])
        tasks = db.session.scalars(queries.visible_tasks(user)).all()
        names = {key for key, task_id in world["tasks"].items() if task_id in {t.id for t in tasks}}
    assert names == VISIBLE[username]


def test_search_does_not_leak_other_units_tasks(client, auth, world):
    """Does searching for another unit's task title find nothing for a unit user?"""
    auth.login("unithead")
    page = client.get("/tasks/?q=外贸").get_data(as_text=True)
    assert "外贸进出口攻坚" not in page
    auth.logout()
    auth.login("supervisor")
    assert "外贸进出口攻坚" in client.get("/tasks/?q=外贸").get_data(as_text=True)


def test_list_page_of_unit_user_names_only_their_tasks(client, auth, world):
    """Does the rendered list for a unit head show its own and co-unit tasks but nothing else?"""
    auth.login("unithead")
    page = client.get("/tasks/").get_data(as_text=True)
    assert "农村安全饮水整改" in page
    assert "河道清淤配合任务" in page
    assert "外贸进出口攻坚" not in page
    assert "水利草稿任务" not in page
    assert "城关镇污水管网" not in page


def test_home_counts_only_visible_tasks(app, world):
    """Do the home-page counts leave out tasks the user may not see?"""
    with app.app_context():
        user = db.session.get(User, world["users"]["townstaff"])
        counts = queries.status_counts(user)
    assert sum(counts.values()) == 1


def test_invalid_filters_are_ignored_with_a_message(client, auth, world):
    """Do nonsense filter values give the list with a warning instead of an error?"""
    auth.login("supervisor")
    response = client.get("/tasks/?status=bogus&lead_unit=abc&sort=hack&page=-3")
    assert response.status_code == 200
    assert "农村安全饮水整改" in response.get_data(as_text=True)
    assert "status" in response.get_data(as_text=True)


def test_pagination_splits_long_lists(app, client, auth, world):
    """Are 45 tasks shown 20 per page with links to the next page?"""
    from tests.conftest import make_task
    from tracker.models import Unit

    with app.app_context():
        unit = db.session.get(Unit, world["units"]["other"])
        for i in range(40):
            make_task(f"批量任务{i:02d}", unit)
        db.session.commit()
        total = db.session.scalar(db.select(db.func.count()).select_from(RectificationTask))
    auth.login("supervisor")
    first = client.get("/tasks/").get_data(as_text=True)
    third = client.get("/tasks/?page=3").get_data(as_text=True)
    assert total == 45
    assert first.count('href="/tasks/') >= 20
    assert "page=2" in first
    assert third.count("批量任务") + third.count("任务") >= 5


@pytest.fixture
def correction_world(world, app):
    """The world plus a task to accept, a returned one, a milestone, and one moved from 县水利局 to 县商务局."""
    from datetime import UTC, date, datetime

    from tests.conftest import make_task
    from tracker.models import Milestone, TaskDispatch, TaskReturn, Unit

    with app.app_context():
        water, other = (db.session.get(Unit, world["units"][key]) for key in ("water", "other"))
        head = world["users"]["unithead"]
        june1, june2 = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)
        to_accept = make_task("新交办的水利任务", water, status="assigned", dispatched_at=june1)
        returned = make_task("退回的水利任务", water, status="returned", dispatched_at=june1)
        db.session.add(TaskReturn(task_id=returned.id, unit_id=water.id, requested_by_id=head, reason="非本单位职责"))
        moved = make_task("改由商务局牵头的任务", other, dispatched_at=june1)
        db.session.add_all([TaskDispatch(task_id=moved.id, unit_id=water.id, dispatched_at=june1),
                            TaskDispatch(task_id=moved.id, unit_id=other.id, dispatched_at=june2, kind="correction")])
        milestone = Milestone(task_id=world["tasks"]["own"], title="完成方案", due_on=date(2026, 12, 1))
        db.session.add(milestone)
        db.session.commit()
        return {**world["tasks"], "to_accept": to_accept.id, "returned": returned.id, "moved": moved.id,
                "milestone": milestone.id}


OFFICE_ONLY = {u: 403 for u in ROLES if u != "supervisor"}
# The pages of corrections and returns: page -> {username: expected status}; a missing user means 200.
CORRECTION_PAGES = {
    "/tasks/{own}/correct": OFFICE_ONLY,
    "/tasks/{own}/milestones/add": OFFICE_ONLY,
    "/tasks/{own}/milestones/{milestone}/change": OFFICE_ONLY,
    "/tasks/{returned}/return/answer": OFFICE_ONLY,
    "/tasks/{to_accept}/return": {u: 403 for u in ROLES if u != "unithead"},
    "/tasks/returns": {u: 403 for u in ROLES if u not in ("admin", "supervisor")},
    # The unit the task was taken from reads its own reports there (the former-unit page).
    "/tasks/{moved}": {"leader": 403},
}
# Their POSTs, sent empty: refused roles get 403, allowed ones the form back (400), nothing saved.
CORRECTION_ACTIONS = {page: {u: rules.get(u, 400) for u in ROLES} for page, rules in CORRECTION_PAGES.items()
                      if page not in ("/tasks/returns", "/tasks/{moved}")}


@pytest.mark.parametrize("page, username, expected",
                         [(page, user, rules.get(user, 200)) for page, rules in CORRECTION_PAGES.items()
                          for user in ROLES])
def test_correction_page_matrix(client, auth, correction_world, page, username, expected):
    """Does each role open exactly the correction, return and milestone pages it may?"""
    auth.login(username)
    assert client.get(page.format(**correction_world)).status_code == expected


@pytest.mark.parametrize("page, username, expected",
                         [(page, user, rules[user]) for page, rules in CORRECTION_ACTIONS.items() for user in ROLES])
def test_correction_action_matrix(client, auth, correction_world, page, username, expected):
    """Is each correction, return and milestone action refused (403) to the roles that may not take it?"""
    auth.login(username)
    assert client.post(page.format(**correction_world), data={"version": "1"}).status_code == expected


def test_a_moved_task_page_shows_the_former_unit_only_its_own_part(client, auth, correction_world):
    """Does the unit the task was taken from get the former-unit page, and the new lead unit the full one?"""
    auth.login("unithead")
    html = client.get("/tasks/{moved}".format(**correction_world)).get_data(as_text=True)
    assert 'id="former-unit"' in html and 'id="timeline"' not in html
    auth.logout()
    auth.login("otherhead")
    html = client.get("/tasks/{moved}".format(**correction_world)).get_data(as_text=True)
    assert 'id="timeline"' in html and 'id="former-unit"' not in html


@pytest.fixture
def recheck_world(world, app):
    """The world plus a closed task and an assessment period with one result (issue 14's pages)."""
    from datetime import date

    from tests.conftest import make_task
    from tracker.models import AssessmentPeriod, Indicator, IndicatorResult, Unit

    with app.app_context():
        water = db.session.get(Unit, world["units"]["water"])
        closed = make_task("已销号的水利任务", water, status="closed")
        period = AssessmentPeriod(name="2026年前三季度考核", kind="three_quarters", starts_on=date(2026, 1, 1),
                                  ends_on=date(2026, 9, 30))
        indicator = Indicator(name="农村安全饮水解困项目完成率", category="社会民生", weight=2)
        result = IndicatorResult(period=period, indicator=indicator, score=1, rank=12, peer_count=12)
        db.session.add_all([period, indicator, result])
        db.session.commit()
        return {"closed": closed.id, "period": period.id, "result": result.id}


# Issue 14: the hand mark of an indicator, reopening a closed task, a follow-up task (office only).
RECHECK_PAGES = {
    "/indicators/periods/{period}/results/{result}/mark": {u: 403 for u in ROLES if u != "supervisor"},
    "/tasks/{closed}/reopen": {u: 403 for u in ROLES if u != "supervisor"},
    "/tasks/{closed}/follow-up": {u: 403 for u in ROLES if u != "supervisor"},
}


@pytest.mark.parametrize("page, username, expected",
                         [(page, user, rules.get(user, 200)) for page, rules in RECHECK_PAGES.items()
                          for user in ROLES])
def test_recheck_page_matrix(client, auth, recheck_world, page, username, expected):
    """Does only the office open the hand-mark, reopen and follow-up pages?"""
    auth.login(username)
    assert client.get(page.format(**recheck_world)).status_code == expected


@pytest.mark.parametrize("page, username, expected",
                         [(page, user, rules.get(user, 302 if "follow-up" in page else 400))
                          for page, rules in RECHECK_PAGES.items() for user in ROLES])
def test_recheck_action_matrix(client, auth, recheck_world, page, username, expected):
    """Refused (403) to every role but the office; the office's empty mark or reopen is sent back (400), its
    follow-up made (302, to the new draft)."""
    auth.login(username)
    assert client.post(page.format(**recheck_world), data={"version": "1"}).status_code == expected


# The task's printed notices (issue 16): the office and the task's units, nobody else; a notice of another
# task under this task's address is not found. page -> {username: expected status}; missing means 200.
NOT_PRINTING = {"admin": 403, "leader": 403, "principal": 403}
NOTICE_MATRIX = {
    "/tasks/{own}/notice.pdf": {**NOT_PRINTING, "otherhead": 403},
    "/tasks/{own}/notice.docx": {**NOT_PRINTING, "otherhead": 403},
    "/tasks/{own}/notices/{own_urge}.pdf": {**NOT_PRINTING, "otherhead": 403},
    "/tasks/{own}/notices/{own_urge}.docx": {**NOT_PRINTING, "otherhead": 403},
    "/tasks/{shared}/notice.pdf": NOT_PRINTING,
    "/tasks/{own}/notices/{shared_notice}.pdf": {"admin": 404, "supervisor": 404, "leader": 404, "principal": 404,
                                                 "unithead": 404, "unitstaff": 404, "otherhead": 403},
}
NOTICE_CASES = [(page, user, rules.get(user, 200)) for page, rules in NOTICE_MATRIX.items() for user in ROLES]


@pytest.fixture
def notice_world(app, world):
    """The world with a 督办通知单 for the own and the shared task and a 催办通知单 on the own task."""
    from tracker.services.tasks import notices, workflow

    with app.app_context():
        supervisor = db.session.get(User, world["users"]["supervisor"])
        own = db.session.get(RectificationTask, world["tasks"]["own"])
        shared = db.session.get(RectificationTask, world["tasks"]["shared"])
        notices.issue_dispatch_notice(supervisor, own)
        shared_notice = notices.issue_dispatch_notice(supervisor, shared)
        db.session.commit()
        urge = workflow.urge(supervisor, own, "请加快进度")
        own_urge = notices.latest(own, "urge")
        assert own_urge.urge_id == urge.id
        return {**world["tasks"], "own_urge": own_urge.id, "shared_notice": shared_notice.id}


@pytest.mark.parametrize("page, username, expected", NOTICE_CASES)
def test_notice_matrix(client, auth, notice_world, page, username, expected):
    """May exactly the office and the task's units print its 督办/催办通知单?"""
    auth.login(username)
    assert client.get(page.format(**notice_world)).status_code == expected


# The bulletin pages and actions (issue 16): {draft} and {issued} are bulletins of 2026-11 and 2026-10, rows
# without files: downloads of the issue come back to the page (302), a draft's .docx is written when asked.
# Leaders read issued ones only; the office alone voids (an empty reason is answered on the page, 302).
BULLETIN_MATRIX = {
    "/bulletins/": {u: 403 for u in ("unithead", "unitstaff", "otherhead")},
    "/bulletins/{draft}": {u: 403 for u in ("leader", "principal", "unithead", "unitstaff", "otherhead")},
    "/bulletins/{issued}": {u: 403 for u in ("unithead", "unitstaff", "otherhead")},
    "/bulletins/{issued}/pdf": {**{u: 302 for u in ("admin", "supervisor", "leader", "principal")},
                                **{u: 403 for u in ("unithead", "unitstaff", "otherhead")}},
    "/bulletins/{issued}/docx": {**{u: 302 for u in ("admin", "supervisor", "leader", "principal")},
                                 **{u: 403 for u in ("unithead", "unitstaff", "otherhead")}},
    "/bulletins/{issued}/signed.pdf": {**{u: 302 for u in ("admin", "supervisor", "leader", "principal")},
                                       **{u: 403 for u in ("unithead", "unitstaff", "otherhead")}},
    "/bulletins/{draft}/docx": {u: 403 for u in ("leader", "principal", "unithead", "unitstaff", "otherhead")},
}
BULLETIN_ACTIONS = {
    "/bulletins/{issued}/void": {u: 403 for u in ROLES if u != "supervisor"},
    "/bulletins/{issued}/signed": {u: 403 for u in ROLES if u != "supervisor"},
    "/bulletins/{draft}/issue": {u: 403 for u in ROLES if u != "supervisor"},
}
BULLETIN_CASES = [(page, user, rules.get(user, 200), "GET") for page, rules in BULLETIN_MATRIX.items()
                  for user in ROLES] + [(page, user, rules.get(user, 302), "POST")
                                        for page, rules in BULLETIN_ACTIONS.items() for user in ROLES]


@pytest.fixture
def bulletin_world(app, world, bulletin_dir):
    """The world's ids plus a draft bulletin and an issued one (rows only)."""
    from tracker.models import Bulletin

    with app.app_context():
        draft = Bulletin(month="2026-11", year=2026, status="draft", requirements_text="要求")
        issued = Bulletin(month="2026-10", year=2026, issue_no=1, status="issued", file_path="absent.pdf",
                          docx_path="absent.docx", sha256="0" * 64, docx_sha256="0" * 64)
        db.session.add_all([draft, issued])
        db.session.commit()
        return {"draft": draft.id, "issued": issued.id}


@pytest.mark.parametrize("page, username, expected, method", BULLETIN_CASES)
def test_bulletin_matrix(client, auth, bulletin_world, page, username, expected, method):
    """Does each role open the bulletins, their files and their actions exactly as it may?"""
    auth.login(username)
    with client.open(page.format(**bulletin_world), method=method) as response:  # a file streams: closed after
        assert response.status_code == expected
