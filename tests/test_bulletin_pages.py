"""Bulletin pages: who sees the list and the PDFs, generate / preview / download / issue through the forms."""
import hashlib

import pytest

from tests.bulletin_helpers import MONTH, requires_poppler
from tests.conftest import DEMO_PASSWORD
from tracker.extensions import db
from tracker.models import Bulletin

pytestmark = requires_poppler


def login(client, username):
    """Log in through the form, in English."""
    client.post("/lang/en")
    client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})


def generate(client, month=MONTH, text="一是压实责任。"):
    """Post the generate form; returns the response (following the redirect)."""
    return client.post("/bulletins/generate", data={"month": month, "requirements": text}, follow_redirects=True)


@pytest.mark.parametrize("username, status", [("supervisor", 200), ("leader", 200), ("headA", 403)])
def test_the_list_is_for_the_office_and_leaders(client, bulletin_county, username, status):
    """Do the supervisor and a leader open the bulletin list, and a unit head get 403?"""
    login(client, username)
    response = client.get("/bulletins/")
    assert response.status_code == status
    if status == 200:
        assert ('id="generate-form"' in response.text) == (username == "supervisor")
        assert 'href="/bulletins/"' in response.text  # the navigation item


def test_supervisor_generates_previews_downloads_and_issues(app, client, bulletin_county):
    """Can the supervisor generate November's draft, open it inline, download it, and issue it after confirming?"""
    login(client, "supervisor")
    page = generate(client)
    assert page.status_code == 200 and "No. __ (numbered at issue)" in page.text and 'id="issue-form"' in page.text
    assert 'id="docx-link"' in page.text and "stays outside the tracker" in page.text
    with app.app_context():
        bulletin_id = db.session.scalar(db.select(Bulletin.id).where(Bulletin.month == MONTH))
    with client.get(f"/bulletins/{bulletin_id}/pdf") as inline:
        assert inline.mimetype == "application/pdf" and inline.headers["Content-Disposition"].startswith("inline")
        assert inline.data[:5] == b"%PDF-"
    with client.get(f"/bulletins/{bulletin_id}/pdf?download=1") as download:
        assert download.headers["Content-Disposition"].startswith("attachment")
    not_confirmed = client.post(f"/bulletins/{bulletin_id}/issue", data={}, follow_redirects=True)
    assert "Tick the box" in not_confirmed.text
    issued = client.post(f"/bulletins/{bulletin_id}/issue", data={"confirm": "y"}, follow_redirects=True)
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin.status == "issued"
    assert bulletin.sha256 in issued.text and 'id="issue-form"' not in issued.text
    assert "No. 1 of 2026" in issued.text and bulletin.docx_sha256 in issued.text and 'id="void-form"' in issued.text
    with client.get(f"/bulletins/{bulletin_id}/docx") as word:
        assert word.headers["Content-Disposition"].startswith("attachment") and word.data[:2] == b"PK"
        assert hashlib.sha256(word.data).hexdigest() == bulletin.docx_sha256


def test_a_bad_month_is_reported_on_the_page(client, bulletin_county):
    """Does a malformed month come back as a message on the list page, with nothing generated?"""
    login(client, "supervisor")
    page = generate(client, month="2026-13")
    assert "is not a month" in page.text and 'data-month="2026-13"' not in page.text


def test_a_leader_reads_issued_bulletins_only_and_changes_nothing(app, client, bulletin_county):
    """Is a leader refused a draft and the forms (403), while the issued PDF opens?"""
    login(client, "supervisor")
    generate(client)
    with app.app_context():
        bulletin_id = db.session.scalar(db.select(Bulletin.id).where(Bulletin.month == MONTH))
    client.post("/auth/logout")
    login(client, "leader")
    assert client.get(f"/bulletins/{bulletin_id}").status_code == 403
    assert client.get(f"/bulletins/{bulletin_id}/pdf").status_code == 403
    assert client.post(f"/bulletins/{bulletin_id}/issue", data={"confirm": "y"}).status_code == 403
    assert generate(client, month="2026-10").status_code == 403
    client.post("/auth/logout")
    login(client, "supervisor")
    client.post(f"/bulletins/{bulletin_id}/issue", data={"confirm": "y"})
    client.post("/auth/logout")
    login(client, "leader")
    with client.get(f"/bulletins/{bulletin_id}/pdf?download=1") as response:
        assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert f'data-month="{MONTH}"' in client.get("/bulletins/").text
