"""Bulletin lifecycle: draft, re-generate, issue (定稿) and freeze; numbering 第N期 per year; who is told; the CLI."""
import hashlib
import os
from datetime import datetime

import pytest

from tests.bulletin_helpers import MONTH, SHANGHAI, flat, requires_poppler
from tracker import clock
from tracker.extensions import db
from tracker.models import Bulletin, Notification, User
from tracker.services import ConflictError, DomainError, PermissionDenied
from tracker.services.bulletins import lifecycle

pytestmark = requires_poppler
REQUIREMENTS = "一是压实责任，主要负责人亲自督办。\n\n二是倒排工期，逾期任务12月底前全部完成。"


def user(name):
    """A user by user name."""
    return db.session.scalar(db.select(User).where(User.username == name))


def read(path):
    """A file's bytes."""
    with open(path, "rb") as handle:
        return handle.read()


def digest(path):
    """SHA-256 of a file."""
    return hashlib.sha256(read(path)).hexdigest()


def test_issue_freezes_the_file_and_nothing_regenerates_it(app, bulletin_county, runner):
    """Once issued, do re-generation by hand, by the month-end job and by the CLI all leave bytes and SHA-256 alone?"""
    with app.app_context():
        draft = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        draft_path = lifecycle.path_of(draft)
        issued = lifecycle.issue(user("supervisor"), draft)
        path, sha = lifecycle.path_of(issued), issued.sha256
        content = read(path)
        assert digest(path) == sha and issued.issued_by_id == bulletin_county["users"]["supervisor"]
        assert issued.issued_at is not None and not os.path.exists(draft_path)
        with pytest.raises(ConflictError):
            lifecycle.generate_draft(user("supervisor2"), MONTH, "改写的要求")
        assert lifecycle.generate_monthly_draft(MONTH).id == issued.id
        with pytest.raises(ConflictError):
            lifecycle.issue(user("supervisor2"), issued)
    result = runner.invoke(args=["bulletin", "monthly", "--month", MONTH])
    assert result.exit_code == 1 and "never generated again" in result.output
    with app.app_context():
        again = db.session.get(Bulletin, issued.id)
        assert (again.status, again.sha256, again.file_path, again.issue_no) == ("issued", sha, issued.file_path, 1)
        assert again.requirements_text == REQUIREMENTS
    assert read(path) == content
    assert os.stat(path).st_mode & 0o222 == 0  # written read-only


def test_the_issued_pdf_has_no_draft_mark_and_prints_the_requirements(app, bulletin_county):
    """Does the issued PDF drop the 草稿 mark, print the 下步要求 paragraphs and the issue date?"""
    with app.app_context():
        bulletin = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        assert "草稿" in flat(lifecycle.path_of(bulletin))
        with clock.frozen(datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)):
            issued = lifecycle.issue(user("supervisor"), bulletin)
        text = flat(lifecycle.path_of(issued))
    assert "草稿" not in text
    assert "一是压实责任，主要负责人亲自督办。二是倒排工期，逾期任务12月底前全部完成。" in text
    assert "2026年12月7日印发" in text


def test_issuing_needs_the_requirements_text(app, bulletin_county):
    """Is a draft without 下步要求 refused at issue, staying a draft?"""
    with app.app_context():
        bulletin = lifecycle.generate_draft(user("supervisor"), MONTH)
        with pytest.raises(DomainError):
            lifecycle.issue(user("supervisor"), bulletin)
        assert db.session.get(Bulletin, bulletin.id).status == "draft"


def test_numbers_are_taken_at_issue_per_year(app, bulletin_county):
    """Does a draft print 第__期, and do issues of 2026-12, 2026-11, 2027-01 take 第1、2期 and 第1期 in that order?"""
    with app.app_context(), clock.frozen(datetime(2027, 2, 3, 9, tzinfo=SHANGHAI)):
        supervisor = user("supervisor")
        drafts = [lifecycle.generate_draft(supervisor, month, REQUIREMENTS)
                  for month in ("2026-12", "2026-11", "2027-01")]
        assert [draft.issue_no for draft in drafts] == [None, None, None]
        assert "第__期" in flat(lifecycle.path_of(drafts[1]))
        assert lifecycle.generate_draft(supervisor, "2026-11").id == drafts[1].id  # one draft a month
        numbers = [(b.month, b.year, b.issue_no) for b in (lifecycle.issue(supervisor, draft) for draft in drafts)]
        assert numbers == [("2026-12", 2026, 1), ("2026-11", 2026, 2), ("2027-01", 2027, 1)]
        assert "第2期" in flat(lifecycle.path_of(lifecycle.get_by_month("2026-11")))
        assert len(os.listdir(lifecycle.bulletin_dir())) == 6  # each issue: its PDF and its .docx, drafts gone


def test_regenerating_a_draft_keeps_or_replaces_the_requirements(app, bulletin_county):
    """Does the month-end job keep the supervisor's text, and a supervisor's new text replace it?"""
    with app.app_context():
        bulletin = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        assert lifecycle.generate_monthly_draft(MONTH).requirements_text == REQUIREMENTS
        assert lifecycle.generate_draft(user("supervisor"), MONTH, "").requirements_text is None
        assert lifecycle.get_by_month(MONTH).id == bulletin.id


def test_only_the_office_generates_and_issues(app, bulletin_county):
    """Are a leader and a unit head refused, with no bulletin made?"""
    with app.app_context():
        for name in ("leader", "headA"):
            with pytest.raises(PermissionDenied):
                lifecycle.generate_draft(user(name), MONTH)
        assert db.session.scalar(db.select(db.func.count()).select_from(Bulletin)) == 0


def test_malformed_and_future_months_are_refused(app, bulletin_county, runner):
    """Are "2026-13" and next year refused by the service and by `flask bulletin monthly`, making nothing?"""
    with app.app_context():
        for month in ("2026-13", "2027-06"):
            with pytest.raises(DomainError):
                lifecycle.generate_draft(user("supervisor"), month)
    result = runner.invoke(args=["bulletin", "monthly", "--month", "2027-06"])
    assert result.exit_code == 1 and "2027-06" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Bulletin)) == 0


def test_month_end_job_tells_every_supervisor_and_issue_tells_leaders(app, bulletin_county):
    """Does the scheduler's draft reach every active supervisor's inbox, and the issue the leaders too?"""
    with app.app_context():
        bulletin = lifecycle.generate_monthly_draft(MONTH, actor=None)
        ready = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "bulletin_ready"))
        users = bulletin_county["users"]
        assert sorted(ready) == sorted([users["supervisor"], users["supervisor2"]])
        bulletin.requirements_text = REQUIREMENTS
        db.session.commit()
        lifecycle.issue(user("supervisor"), bulletin)
        told = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "bulletin_issued"))
        assert sorted(told) == sorted([bulletin_county["users"]["supervisor2"], bulletin_county["users"]["leader"]])


def test_cli_writes_the_draft_and_prints_its_path(app, bulletin_county, runner, bulletin_dir):
    """Does `flask bulletin monthly --month 2026-11` write the draft and print the path of its PDF?"""
    result = runner.invoke(args=["bulletin", "monthly", "--month", MONTH])
    assert result.exit_code == 0, result.output
    path = result.output.strip()
    assert os.path.dirname(path) == str(bulletin_dir) and read(path)[:5] == b"%PDF-"


def test_cli_defaults_to_the_month_just_ended(app, bulletin_county):
    """On 5 December, does a hand run mean November; on 31 December, December?"""
    with app.app_context():
        assert lifecycle.default_month() == "2026-11"
        with clock.frozen(datetime(2026, 12, 31, 17, tzinfo=SHANGHAI)):
            assert lifecycle.default_month() == "2026-12"


def test_an_altered_issued_file_is_not_served(app, bulletin_county):
    """If the stored PDF of an issued bulletin no longer matches its checksum, is it refused?"""
    with app.app_context():
        bulletin = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        issued = lifecycle.issue(user("supervisor"), bulletin)
        path = lifecycle.path_of(issued)
        assert lifecycle.file_for(user("leader"), issued)[0] == path
        os.chmod(path, 0o644)
        with open(path, "ab") as handle:
            handle.write(b"%tampered")
        with pytest.raises(DomainError):
            lifecycle.file_for(user("leader"), issued)
