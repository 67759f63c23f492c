"""Files and rows agree whatever happens at the commit: a lost answer, a double click, a full disk."""
import os
import shutil
import subprocess
import threading
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale

from tests.bulletin_helpers import MONTH
from tests.delivery_helpers import CommitDroppingProxy
from tests.workflow_helpers import PDF, new_task, upload, user
from tracker import create_app
from tracker.extensions import db
from tracker.models import Attachment, Bulletin, ProgressReport, User
from tracker.services import ConflictError, DomainError
from tracker.services.bulletins import lifecycle, render
from tracker.services.documents.files import DiskFull
from tracker.services.tasks import attachments, progress
from tracker.services.transaction import OutcomeUnknown

REQUIREMENTS = "一、各牵头单位要对照逾期任务逐项销号。"
postgres_only = pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                                   reason="needs TEST_DATABASE_URL pointing at PostgreSQL (a proxy in front of it)")


@pytest.fixture
def through_proxy(app, migrated):
    """An app on the same database through a proxy that can lose a COMMIT's answer: (app, proxy)."""
    target = urlsplit(migrated)
    proxy = CommitDroppingProxy(target.hostname or "127.0.0.1", target.port or 5432)
    faulty = create_app({"SQLALCHEMY_DATABASE_URI": proxy.url(migrated), "UPLOAD_DIR": app.config["UPLOAD_DIR"],
                         "BULLETIN_DIR": app.config.get("BULLETIN_DIR", "")})
    yield faulty, proxy
    with faulty.app_context():
        db.session.remove()
        db.engine.dispose()
    proxy.stop()


def supervisor_named(name="supervisor"):
    """A user by name, in the current session."""
    return db.session.scalar(db.select(User).where(User.username == name))


@postgres_only
def test_a_lost_commit_answer_on_a_report_keeps_its_evidence_file(app, flow, through_proxy):
    """When a report with a file is saved but its COMMIT's answer is lost, is the file still there to download?"""
    faulty, proxy = through_proxy
    with faulty.app_context():
        task = new_task(flow)
        db.session.commit()
        task_id = task.id
        proxy.arm(b"INSERT INTO progress_reports")
        with pytest.raises(OutcomeUnknown):
            progress.report_progress(user(flow, "lead_head"), task, "管网改造完成，附验收报告", 60,
                                     files=[upload("验收报告.pdf", PDF)])
        assert proxy.dropped == 1
    with app.app_context():  # a new connection, past the proxy: the report was saved
        report = db.session.scalar(db.select(ProgressReport).where(ProgressReport.task_id == task_id))
        [attachment] = db.session.scalars(db.select(Attachment).where(Attachment.report_id == report.id)).all()
        _row, path = attachments.get_for_download(user(flow, "supervisor"), attachment.id)
        assert path is not None
        with open(path, "rb") as handle:
            assert handle.read() == PDF


@postgres_only
def test_a_lost_commit_answer_on_issuing_keeps_the_issued_pdf(app, bulletin_county, through_proxy):
    """When 定稿 is saved but its COMMIT's answer is lost, does the issued bulletin still have its PDF, unchanged?"""
    faulty, proxy = through_proxy
    faulty.config["BULLETIN_DIR"] = app.config["BULLETIN_DIR"]
    with faulty.app_context():
        draft = lifecycle.generate_draft(supervisor_named(), MONTH, REQUIREMENTS)
        proxy.arm(b"UPDATE bulletins")
        with pytest.raises(OutcomeUnknown):
            lifecycle.issue(supervisor_named(), draft)
        assert proxy.dropped == 1
    with app.app_context():
        bulletin = db.session.scalar(db.select(Bulletin).where(Bulletin.month == MONTH))
        assert bulletin.status == "issued"
        path, _name = lifecycle.file_for(supervisor_named(), bulletin)  # checks the SHA-256 too
        assert lifecycle.sha256_of(path) == bulletin.sha256
        assert not os.access(path, os.W_OK) or os.geteuid() == 0


def test_issuing_twice_at_once_issues_once_and_tells_the_second(app, bulletin_county, monkeypatch):
    """When 定稿 is clicked twice and both requests render at once, is one issued and the other told so, not a 500?"""
    with app.app_context():
        draft_id = lifecycle.generate_draft(supervisor_named(), MONTH, REQUIREMENTS).id
    barrier = threading.Barrier(2, timeout=60)
    real_render = render.render_pdf

    def rendered_together(*args, **kwargs):
        """Both requests have their PDF before either writes it."""
        content = real_render(*args, **kwargs)
        barrier.wait()
        return content

    monkeypatch.setattr(render, "render_pdf", rendered_together)
    outcomes = []

    def click():
        """One 定稿 request."""
        with app.app_context(), force_locale("en"):
            try:
                lifecycle.issue(supervisor_named(), db.session.get(Bulletin, draft_id))
                outcomes.append("issued")
            except ConflictError as error:
                outcomes.append(str(error))
            except Exception as error:  # a 500 for the user
                outcomes.append(f"crashed: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["This bulletin has already been issued.", "issued"], outcomes
    names = sorted(os.listdir(app.config["BULLETIN_DIR"]))
    # the issue's PDF and .docx once: no second copy, no draft, nothing pending
    assert len(names) == 2 and {name.rsplit(".", 1)[1] for name in names} == {"pdf", "docx"}, names
    assert names[0].rsplit(".", 1)[0] == names[1].rsplit(".", 1)[0] and "-issued-" in names[0], names


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs mounted for this test (needs root; skipped otherwise): its path."""
    path = tmp_path / "small-disk"
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path, leave_bytes):
    """Fill the disk at `path` up to `leave_bytes` free; the filler's path."""
    filler = path / "filler.bin"
    free = shutil.disk_usage(path).free
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - leave_bytes))
    return filler


def test_a_full_disk_gives_a_message_leaves_no_file_and_issuing_works_once_space_is_back(app, bulletin_county,
                                                                                         small_disk):
    """On a full disk, does generating a bulletin say the disk is full and leave nothing that blocks it later?"""
    app.config["BULLETIN_DIR"] = str(small_disk / "bulletins")
    filler = fill(small_disk, 8 * 1024)
    with app.app_context(), force_locale("en"):
        with pytest.raises(DiskFull) as refused:
            lifecycle.generate_draft(supervisor_named(), MONTH, REQUIREMENTS)
        assert "disk is full" in str(refused.value)
        assert os.listdir(small_disk / "bulletins") == []
        assert db.session.scalar(db.select(db.func.count()).select_from(Bulletin)) == 0
        filler.unlink()  # space is back
        draft = lifecycle.generate_draft(supervisor_named(), MONTH, REQUIREMENTS)
        issued = lifecycle.issue(supervisor_named(), draft)
        assert issued.status == "issued" and lifecycle.file_for(supervisor_named(), issued)


def test_a_full_disk_refuses_an_evidence_file_and_keeps_nothing(app, flow, small_disk):
    """On a full disk, is a report with a file refused with a clear message, leaving neither row nor file?"""
    app.config["UPLOAD_DIR"] = str(small_disk / "uploads")
    with app.app_context(), force_locale("en"):
        task = new_task(flow)
        db.session.commit()
        fill(small_disk, 16 * 1024)
        big = PDF + b"0" * (256 * 1024)
        with pytest.raises(DomainError) as refused:
            progress.report_progress(user(flow, "lead_head"), task, "附件较大", 30, files=[upload("大文件.pdf", big)])
        assert "disk is full" in str(refused.value)
        assert db.session.scalar(db.select(db.func.count()).select_from(ProgressReport)) == 0
        leftovers = [name for _dir, _dirs, names in os.walk(small_disk / "uploads") for name in names]
        assert leftovers == []


def test_files_check_places_what_a_lost_answer_left_waiting(app, flow, runner):
    """Does `flask files check --fix` move a committed report's waiting file into place and report it?"""
    with app.app_context():
        task = new_task(flow)
        db.session.commit()
        report = progress.report_progress(user(flow, "lead_head"), task, "附验收报告", 40,
                                          files=[upload("验收报告.pdf", PDF)])
        stored = report.attachments[0].stored_name
        final = attachments.path_for(stored)
        os.replace(final, attachments.temp_path_for(stored))  # as a lost COMMIT answer leaves it
    result = runner.invoke(args=["files", "check"])
    assert "evidence to place: 1" in result.output and stored in result.output
    result = runner.invoke(args=["files", "check", "--fix"])
    assert result.exit_code == 0 and "evidence placed: 1" in result.output
    with app.app_context():
        assert os.path.isfile(attachments.path_for(stored))
