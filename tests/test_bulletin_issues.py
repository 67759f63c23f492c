"""Issuing a bulletin: running months, numbers at issue, frozen figures, 作废 and 更正, and the bad inputs."""
import os
from datetime import datetime

import pytest

from tests.bulletin_helpers import MONTH, SHANGHAI, flat, requires_poppler
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, Bulletin, Notification, RectificationTask, User
from tracker.services import ConflictError, DomainError
from tracker.services.bulletins import figures, frozen, lifecycle, voiding

pytestmark = requires_poppler
REQUIREMENTS = "一是压实责任。\n二是倒排工期。"


def user(name):
    """A user by user name."""
    return db.session.scalar(db.select(User).where(User.username == name))


def issued_november():
    """November's draft with 下步要求, issued by the supervisor."""
    return lifecycle.issue(user("supervisor"), lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS))


def test_a_running_month_has_a_dated_draft_and_is_issued_only_once_it_ended(app, bulletin_county):
    """On 5 December, is December's draft 截至12月5日 and its issue refused; on 1 January, issued as of 31 December?"""
    with app.app_context():
        draft = lifecycle.generate_draft(user("supervisor"), "2026-12", REQUIREMENTS)
        text = flat(lifecycle.path_of(draft))
        assert "截至12月5日" in text and "第__期" in text and "截至2026年12月5日" in text
        with pytest.raises(DomainError, match="尚未结束"):
            lifecycle.issue(user("supervisor"), draft)
        assert db.session.get(Bulletin, draft.id).status == "draft" and draft.issue_no is None
        assert lifecycle.generate_draft(user("supervisor"), "2026-12").id == draft.id  # regenerated, not a second
        with clock.frozen(datetime(2027, 1, 1, 9, tzinfo=SHANGHAI)):
            issued = lifecycle.issue(user("supervisor"), draft)
        assert issued.issue_no == 1 and issued.as_of.isoformat() == "2026-12-31"
        text = flat(lifecycle.path_of(issued))
        assert "截至2026年12月31日" in text and "截至12月" not in text.split("现将")[0]


def test_the_figures_are_frozen_with_the_issue(app, bulletin_county):
    """After the issue, does a task closed later leave the frozen figures (and the .docx re-made from them) alone?"""
    with app.app_context():
        issued = issued_november()
        at_issue = figures.gather(MONTH)
        assert frozen.loads(issued.figures_json) == at_issue  # read back into the same classes, equal
        task = db.session.get(RectificationTask, bulletin_county["tasks"]["A1"])
        task.title = "改过的标题"
        db.session.commit()
        again = lifecycle.figures_of(db.session.get(Bulletin, issued.id))
        assert again == at_issue and "改过的标题" not in str(again)
        assert figures.gather(MONTH) != at_issue  # the live figures did change


def test_void_refuses_drafts_missing_reasons_and_second_voids(app, bulletin_county):
    """Are voiding a draft, voiding without a reason and voiding twice refused with a message?"""
    with app.app_context():
        draft = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        with pytest.raises(DomainError, match="草稿无需作废"):
            voiding.void(user("supervisor"), draft, "错了")
        issued = lifecycle.issue(user("supervisor"), draft)
        with pytest.raises(DomainError, match="请填写作废理由"):
            voiding.void(user("supervisor"), issued, "   ")
        assert db.session.get(Bulletin, issued.id).status == "issued"
        voiding.void(user("supervisor"), issued, "排名数据有误")
        with pytest.raises(ConflictError, match="已作废"):
            voiding.void(user("supervisor"), issued, "再次作废")


def test_void_keeps_the_file_tells_the_leaders_and_the_correction_takes_the_next_number(app, bulletin_county):
    """Does 作废 keep the file and checksum, tell the leader, and the 更正 take 第2期 naming 第1期?"""
    with app.app_context():
        issued = issued_november()
        path, sha = lifecycle.path_of(issued), issued.sha256
        with pytest.raises(ConflictError, match="请先作废"):
            lifecycle.generate_draft(user("supervisor"), MONTH)  # no 更正 without a void
        voided = voiding.void(user("supervisor"), issued, "排名数据有误")
        assert (voided.status, voided.void_reason) == ("voided", "排名数据有误")
        assert voided.voided_by.username == "supervisor" and voided.voided_at is not None
        assert lifecycle.sha256_of(path) == sha and lifecycle.file_for(user("leader"), voided)[0] == path
        told = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "bulletin_voided"))
        assert bulletin_county["users"]["leader"] in list(told)
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "voided"))
        assert entry.reason == "排名数据有误" and entry.object_id == voided.id
        correction = lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS)
        assert correction.replaces_id == voided.id and correction.id != voided.id
        assert "替代2026年第1期" in flat(lifecycle.path_of(correction))
        corrected = lifecycle.issue(user("supervisor"), correction)
        assert corrected.issue_no == 2 and "第2期（更正）" in flat(lifecycle.path_of(corrected))
        with pytest.raises(ConflictError, match="已由第2期更正"):
            voiding.void(user("supervisor"), voided, "再次作废")
        assert lifecycle.get_by_month(MONTH).id == corrected.id
        assert os.path.exists(path)


def test_a_leader_cannot_void(app, bulletin_county):
    """Is a leader refused, the bulletin staying issued?"""
    from tracker.services import PermissionDenied

    with app.app_context():
        issued = issued_november()
        with pytest.raises(PermissionDenied):
            voiding.void(user("leader"), issued, "不同意")
        assert db.session.get(Bulletin, issued.id).status == "issued"


def test_pages_show_the_void_with_who_when_and_why(app, client, bulletin_county):
    """After 作废 through the form, do the list and the detail page show 作废, who, and the reason, to a leader too?"""
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        bulletin_id = issued_november().id
    client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    empty = client.post(f"/bulletins/{bulletin_id}/void", data={"reason": ""}, follow_redirects=True)
    assert "请填写作废理由" in empty.text and 'id="void-form"' in empty.text
    done = client.post(f"/bulletins/{bulletin_id}/void", data={"reason": "排名<b>数据</b>有误"}, follow_redirects=True)
    assert "通报已作废" in done.text and "排名&lt;b&gt;数据&lt;/b&gt;有误" in done.text
    client.get("/auth/logout")
    client.post("/auth/login", data={"username": "leader", "password": DEMO_PASSWORD})
    listing = client.get("/bulletins/").text
    assert "已作废" in listing and "排名&lt;b&gt;数据&lt;/b&gt;有误" in listing
    assert 'id="void-form"' not in client.get(f"/bulletins/{bulletin_id}").text


def test_freeze_figures_rebuilds_the_figures_of_an_earlier_issue(app, bulletin_county, runner):
    """Does `flask bulletin freeze-figures` freeze an issue that has none, and leave frozen ones alone?"""
    with app.app_context():
        issued = issued_november()
        issued_id, expected = issued.id, issued.figures_json
        issued.figures_json = None  # as a bulletin issued before the figures were kept
        db.session.commit()
    result = runner.invoke(args=["bulletin", "freeze-figures"])
    assert result.exit_code == 0 and "2026-11 第1期" in result.output
    assert runner.invoke(args=["bulletin", "freeze-figures"]).output == ""
    with app.app_context():
        assert frozen.loads(db.session.get(Bulletin, issued_id).figures_json) == frozen.loads(expected)


def test_the_office_attaches_the_signed_final_pdf_once(app, client, bulletin_county):
    """Is a non-PDF refused, the signed PDF attached with its checksum and served, and a second one refused?"""
    import hashlib
    import io

    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        bulletin_id = issued_november().id
    client.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    url = f"/bulletins/{bulletin_id}/signed"

    def upload(content, name):
        return client.post(url, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data",
                           follow_redirects=True)

    assert "不是PDF" in upload(b"<html>not a pdf</html>", "final.pdf").text
    signed_pdf = b"%PDF-1.7\n% signed final\n%%EOF\n"
    done = upload(signed_pdf, "签发稿.pdf")
    assert "签发稿已上传" in done.text and 'id="signed-form"' not in done.text
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin.signed_sha256 == hashlib.sha256(signed_pdf).hexdigest() and bulletin.signed_by_id
        sha = bulletin.sha256
    assert "不再替换" in upload(b"%PDF-1.7 another", "again.pdf").text
    with client.get(f"/bulletins/{bulletin_id}/signed.pdf") as download:
        assert download.data == signed_pdf and download.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        assert db.session.get(Bulletin, bulletin_id).sha256 == sha  # the issue itself is untouched
