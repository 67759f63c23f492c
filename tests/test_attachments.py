"""Evidence files: allowed types checked by name and content, size, names, storage, and who may download."""
import hashlib
import io
import os

import pytest

from tests.workflow_helpers import ACTORS, EXE, JPEG, OLE, PDF, PNG, new_task, snapshot, upload, user, zip_bytes
from tracker.extensions import db
from tracker.models import Attachment
from tracker.services import DomainError
from tracker.services.tasks import progress


def report_with(flow, task, *files):
    """The lead unit's staff reports with these files; returns the report."""
    return progress.report_progress(user(flow, "lead_staff"), task, "佐证材料", 50, list(files), None)


def stored_files(app):
    """Every file under the upload directory (relative paths)."""
    root = app.config["UPLOAD_DIR"]
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


@pytest.mark.parametrize("name, data, content_type", [
    ("验收报告.pdf", PDF, "application/pdf"),
    ("会议纪要.doc", OLE, "application/msword"),
    ("整改方案.docx", zip_bytes("word/document.xml"), "application/vnd.openxmlformats-officedocument"
                                                       ".wordprocessingml.document"),
    ("台账.xls", OLE, "application/vnd.ms-excel"),
    ("台账.XLSX", zip_bytes("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("现场照片.jpg", JPEG, "image/jpeg"),
    ("现场照片.jpeg", JPEG, "image/jpeg"),
    ("截图.png", PNG, "image/png"),
    ("全部材料.zip", zip_bytes(), "application/zip"),
])
def test_allowed_types_are_stored_under_generated_names(app, flow, name, data, content_type):
    """Is each allowed type accepted, stored outside static/ under a generated name, with its size and SHA-256?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        report = report_with(flow, task, upload(name, data))
        attachment = report.attachments[0]
        assert (attachment.original_name, attachment.content_type, attachment.size_bytes) == (
            name, content_type, len(data))
        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
        assert stored_files(app) == [os.path.join(attachment.stored_name[:2], attachment.stored_name)]
        assert name not in attachment.stored_name and len(attachment.stored_name) == 32
        with open(os.path.join(app.config["UPLOAD_DIR"], stored_files(app)[0]), "rb") as stored:
            assert stored.read() == data


@pytest.mark.parametrize("name, data, words", [
    ("setup.exe", EXE, ["setup.exe", "pdf"]),
    ("page.html", b"<html><script>alert(1)</script>", ["page.html"]),
    ("drawing.svg", b"<svg/>", ["drawing.svg"]),
    ("README", PDF, ["README"]),
    ("setup.pdf", EXE, ["setup.pdf"]),          # a renamed program
    ("photo.png", JPEG, ["photo.png"]),          # a real image under the wrong name
    ("report.docx", PDF, ["report.docx"]),
    ("empty.pdf", b"", ["empty.pdf"]),
    ("../../x", PDF, ["x"]),                     # nothing left of the name but a path
    ("..", PDF, []),
])
def test_forbidden_files_are_refused_and_nothing_is_kept(app, flow, name, data, words):
    """Is each forbidden type, disguised file, empty file or path-only name refused with a message, no row, no file?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        before = snapshot(task.id)
        with pytest.raises(DomainError) as refused:
            report_with(flow, task, upload("好的.pdf", PDF), upload(name, data))
        for word in words:
            assert word in str(refused.value)
        assert snapshot(task.id) == before
        assert stored_files(app) == []


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\报告.pdf", "报告.pdf"),
    ("C:\\Users\\张三\\Desktop\\整改报告.pdf", "整改报告.pdf"),
    ("/abs/path/a.pdf", "a.pdf"),
    ("bad\x00name\n.pdf", "badname.pdf"),
])
def test_path_parts_are_dropped_from_names(app, flow, name, shown):
    """Does a name with directory parts keep only its last part, and the file still land inside the upload directory?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        attachment = report_with(flow, task, upload(name, PDF)).attachments[0]
        assert attachment.original_name == shown
        assert len(stored_files(app)) == 1 and ".." not in stored_files(app)[0]


def test_size_limit_per_file(app, flow):
    """Is a file of exactly MAX_UPLOAD_MB accepted and one byte more refused, naming the limit?"""
    app.config["MAX_UPLOAD_MB"] = 1
    limit = 1024 * 1024
    with app.app_context():
        task = new_task(flow, "in_progress")
        report_with(flow, task, upload("ok.pdf", PDF + b"0" * (limit - len(PDF))))
        with pytest.raises(DomainError) as refused:
            report_with(flow, task, upload("big.pdf", PDF + b"0" * (limit + 1 - len(PDF))))
        assert "big.pdf" in str(refused.value) and "1 MB" in str(refused.value)
        assert len(stored_files(app)) == 1


def test_number_of_files_is_limited(app, flow):
    """Is a form with more files than MAX_UPLOAD_FILES refused?"""
    app.config["MAX_UPLOAD_FILES"] = 2
    with app.app_context():
        task = new_task(flow, "in_progress")
        with pytest.raises(DomainError):
            report_with(flow, task, *[upload(f"{n}.pdf", PDF) for n in range(3)])
        assert stored_files(app) == []


def test_allowed_types_are_configurable(app, flow):
    """With ALLOWED_UPLOAD_EXTENSIONS narrowed to pdf, is a real PNG refused?"""
    app.config["ALLOWED_UPLOAD_EXTENSIONS"] = ["pdf"]
    with app.app_context():
        task = new_task(flow, "in_progress")
        with pytest.raises(DomainError):
            report_with(flow, task, upload("a.png", PNG))


def test_upload_directory_is_not_under_static(app):
    """Is the default upload directory outside static/, so files are never served without a check?"""
    from config import Config

    static = os.path.realpath(app.static_folder)
    assert not os.path.realpath(Config.UPLOAD_DIR).startswith(static + os.sep)


@pytest.fixture
def evidence(app, flow):
    """A report with one PDF on the shared task (led by 县水利局, 城关镇 co-organizing); its attachment id."""
    with app.app_context():
        task = new_task(flow, "in_progress")
        return report_with(flow, task, upload("验收报告.pdf", PDF)).attachments[0].id


DOWNLOADERS = {
    "supervisor": 200, "principal": 200, "leader": 200, "admin": 200,
    "lead_head": 200, "lead_staff": 200, "co_head": 200, "co_staff": 200, "other_head": 403,
}


@pytest.mark.parametrize("key, status", DOWNLOADERS.items())
def test_download_is_checked_against_can_view(app, client, auth, flow, evidence, key, status):
    """Can exactly those who may see the task download its evidence, as an attachment with its own name?"""
    auth.login(ACTORS[key][0])
    with client.get(f"/tasks/files/{evidence}") as response:
        assert response.status_code == status
        if status == 200:
            assert response.data == PDF
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert "filename*=UTF-8''%E9%AA%8C" in response.headers["Content-Disposition"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_download_needs_login_and_an_existing_file(app, client, auth, flow, evidence):
    """Is an anonymous visitor sent to log in, and a missing id or a file gone from disk a 404?"""
    with client.get(f"/tasks/files/{evidence}") as response:
        assert response.status_code == 302 and "/auth/login" in response.location
    auth.login("supervisor")
    assert client.get("/tasks/files/999999").status_code == 404
    with app.app_context():
        stored = db.session.get(Attachment, evidence).stored_name
    os.remove(os.path.join(app.config["UPLOAD_DIR"], stored[:2], stored))
    assert client.get(f"/tasks/files/{evidence}").status_code == 404


def test_forbidden_file_through_the_form_is_a_clear_400(app, client, auth, flow):
    """Does posting a renamed .exe with a report give the form back with the message, saving nothing?"""
    with app.app_context():
        task = new_task(flow, "in_progress")
        task_id, before = task.id, snapshot(task.id)
    auth.login(ACTORS["lead_staff"][0])
    client.post("/lang/en")
    response = client.post(f"/tasks/{task_id}/report", content_type="multipart/form-data", data={
        "form_token": "tok", "body": "进展", "percent_done": "10", "files": [(io.BytesIO(EXE), "报告.pdf")]})
    assert response.status_code == 400
    assert "not really a .pdf file" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot(task_id) == before
    assert stored_files(app) == []


def test_request_over_the_total_limit_gets_the_413_page(app, client, auth, flow):
    """Is a request larger than MAX_CONTENT_LENGTH answered with the "file too large" page, saving nothing?"""
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    with app.app_context():
        task_id = new_task(flow, "in_progress").id
    auth.login(ACTORS["lead_staff"][0])
    response = client.post(f"/tasks/{task_id}/report", content_type="multipart/form-data", data={
        "form_token": "tok", "body": "进展", "percent_done": "10",
        "files": [(io.BytesIO(PDF + b"0" * 20_000), "big.pdf")]})
    assert response.status_code == 413
    assert stored_files(app) == []
