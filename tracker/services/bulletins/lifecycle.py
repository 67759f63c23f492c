"""Monthly bulletins (月度通报): generate a draft, re-generate it, issue (定稿) it, list and open them.

A bulletin is generated as a draft (by the month-end job, the CLI or a
supervisor), numbered 第N期 in its year at its first generation, and may be
re-generated with the supervisor's 下步要求 as often as needed; it keeps its
number. Issuing renders it one last time without the draft mark and freezes
it: the stored file, its SHA-256, who issued it and when. An issued bulletin is
never re-generated, re-numbered or rewritten; its file is written once,
read-only, under a name of its own.

Files live under BULLETIN_DIR (never under static/) and are served only
through the permission-checked view.
"""
import hashlib
import os
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ... import clock, permissions
from ...extensions import db
from ...models import Bulletin, Notification, User
from ...models.user import LEADER, SUPERVISOR
from .. import ConflictError, DomainError, PermissionDenied, audit, office_settings
from ..documents import files
from ..messaging.notifications import TITLE_LENGTH
from ..transaction import saving
from . import figures, render

MAX_REQUIREMENTS = 5000
READY_TITLE = _l("The draft bulletin of %(month)s (No. %(number)d) is ready for review")
ISSUED_TITLE = _l("Bulletin No. %(number)d of %(year)d (%(month)s) has been issued")


def bulletin_dir():
    """The directory of bulletin PDFs (created when missing)."""
    path = os.path.abspath(current_app.config["BULLETIN_DIR"])
    os.makedirs(path, exist_ok=True)
    return path


def path_of(bulletin):
    """The absolute path of the bulletin's file, or None when it has none (or a name pointing outside)."""
    if not bulletin.file_path:
        return None
    root = bulletin_dir()
    path = os.path.abspath(os.path.join(root, bulletin.file_path))
    return path if os.path.dirname(path) == root else None


def default_month():
    """The month a hand-run generation means: this month on its last day, else the month before."""
    today = clock.today()
    if (today + timedelta(days=1)).month != today.month:
        return today.strftime("%Y-%m")
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _require_manager(actor):
    """Only the supervision office (or the system itself, actor None) generates and issues."""
    if actor is not None and not permissions.can_manage_bulletins(actor):
        raise PermissionDenied(_("Only the supervision office may generate or issue bulletins."))


def _clean_requirements(text):
    """The 下步要求 text, trimmed; DomainError when too long."""
    text = (text or "").strip()
    if len(text) > MAX_REQUIREMENTS:
        raise DomainError(_("The next-step requirements have %(length)d characters; at most %(max)d are allowed.",
                            length=len(text), max=MAX_REQUIREMENTS))
    return text or None


def get_by_month(month):
    """The bulletin of a "YYYY-MM" month, or None."""
    return db.session.scalar(db.select(Bulletin).where(Bulletin.month == month))


def _create(window, actor):
    """A new draft row numbered next in its year; on a concurrent first generation, the row the other made."""
    year = window.first_day.year
    number = (db.session.scalar(db.select(db.func.max(Bulletin.issue_no)).where(Bulletin.year == year)) or 0) + 1
    bulletin = Bulletin(month=window.key, year=year, issue_no=number, status="draft", created_at=clock.now(),
                        generated_by_id=actor.id if actor else None)
    db.session.add(bulletin)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        bulletin = get_by_month(window.key)
        if bulletin is None:
            raise ConflictError(_("Another bulletin took the same number at the same moment. Try again.")) from None
        return bulletin, False
    return bulletin, True


def _write(name, content):
    """(final path, pending path): the content written beside its place under the bulletin directory."""
    final = os.path.join(bulletin_dir(), name)
    return final, files.write_pending(final, content)


def generate_monthly_draft(month, actor=None):
    """The month-end job's and the CLI's entry: (re-)generate the draft of `month`; an issued one is returned as is."""
    window = figures.month_window(month)
    existing = get_by_month(window.key)
    if existing is not None and existing.status == "issued":
        return existing
    return generate_draft(actor, window.key)


def generate_draft(actor, month, requirements_text=None):
    """Generate or re-generate the draft of `month`; requirements_text None keeps the stored 下步要求."""
    _require_manager(actor)
    window = figures.month_window(month)
    text = _clean_requirements(requirements_text) if requirements_text is not None else None
    bulletin = get_by_month(window.key)
    if bulletin is not None and bulletin.status == "issued":
        raise ConflictError(_("The bulletin of %(month)s (No. %(number)d) has been issued; an issued bulletin is "
                              "never generated again.", month=window.key, number=bulletin.issue_no))
    created, pending = bulletin is None, None
    with saving(cleanup=lambda: files.discard(pending), after_commit=lambda: files.place(pending, new_path)):
        if created:
            bulletin, created = _create(window, actor)
        if requirements_text is not None:
            bulletin.requirements_text = text
        content = render.render_pdf(figures.gather(window.key), bulletin, True, clock.today())
        old_path = path_of(bulletin)
        name = f"{window.key}-draft-{clock.now():%Y%m%d%H%M%S}-{secrets.token_hex(4)}.pdf"
        new_path, pending = _write(name, content)
        changed = db.session.execute(
            db.update(Bulletin).where(Bulletin.id == bulletin.id, Bulletin.status == "draft").values(
                file_path=name, requirements_text=bulletin.requirements_text, generated_at=clock.now(),
                generated_by_id=actor.id if actor else None)).rowcount
        if not changed:
            raise ConflictError(_("The bulletin of %(month)s was issued meanwhile; it was not generated again.",
                                  month=window.key))
        audit.record_change(actor, "bulletin", bulletin, "generated", to_status="draft")
        if created or actor is None:
            # The month-end run tells the office even when someone made a draft by hand earlier in the month.
            _notify(_supervisors(exclude=actor), "bulletin_ready", READY_TITLE, bulletin)
    db.session.refresh(bulletin)
    if old_path != new_path:
        files.discard(old_path)
    return bulletin


def issue(actor, bulletin):
    """定稿: render the bulletin one last time without the draft mark, store it read-only with its SHA-256."""
    _require_manager(actor)
    if actor is None:
        raise PermissionDenied(_("Only the supervision office may generate or issue bulletins."))
    if bulletin.status == "issued":
        raise ConflictError(_("This bulletin has already been issued."))
    if not (bulletin.requirements_text or "").strip():
        raise DomainError(_("Write the next-step requirements (下步要求) and generate the draft again before "
                            "issuing."))
    data = figures.gather(bulletin.month)
    content = render.render_pdf(data, bulletin, False, clock.today())
    digest = hashlib.sha256(content).hexdigest()
    name = f"{bulletin.year}-{bulletin.issue_no:03d}-{bulletin.month}-issued-{digest[:16]}.pdf"
    draft_path, (issued_path, pending) = path_of(bulletin), _write(name, content)
    with saving(cleanup=lambda: files.discard(pending),
                after_commit=lambda: files.place(pending, issued_path, read_only=True)):
        changed = db.session.execute(
            db.update(Bulletin).where(Bulletin.id == bulletin.id, Bulletin.status == "draft").values(
                status="issued", file_path=name, sha256=digest, issued_at=clock.now(), issued_by_id=actor.id,
                explain_unit_ids=",".join(str(row.unit_id) for row in data.explain_units),
            )).rowcount
        if not changed:
            raise ConflictError(_("This bulletin has already been issued."))
        audit.record_change(actor, "bulletin", bulletin, "issued", from_status="draft", to_status="issued")
        readers = {user.id: user for user in _supervisors(exclude=actor) + _leaders()}
        _notify(list(readers.values()), "bulletin_issued", ISSUED_TITLE, bulletin)
    db.session.refresh(bulletin)
    files.discard(draft_path)
    return bulletin


def last_issued_explanations():
    """(the last issued bulletin, ids of the units it asked for a 情况说明); (None, empty) before any is issued."""
    bulletin = db.session.scalar(
        db.select(Bulletin).where(Bulletin.status == "issued").order_by(Bulletin.month.desc()).limit(1))
    if bulletin is None:
        return None, frozenset()
    if bulletin.explain_unit_ids is None:  # issued before the ids were kept with it: gathered again
        return bulletin, frozenset(row.unit_id for row in figures.gather(bulletin.month).explain_units)
    return bulletin, frozenset(int(part) for part in bulletin.explain_unit_ids.split(",") if part)


def _supervisors(exclude=None):
    """Active supervisors, without the acting one."""
    users = db.session.scalars(
        db.select(User).where(User.role == SUPERVISOR, User.is_active.is_(True)).order_by(User.id)).all()
    return [user for user in users if exclude is None or user.id != exclude.id]


def _leaders():
    """Active county leaders."""
    return db.session.scalars(
        db.select(User).where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)).all()


def _notify(users, kind, title, bulletin):
    """One inbox message per user, in the user's language."""
    for user in users:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            text = str(title) % {"month": bulletin.month, "number": bulletin.issue_no, "year": bulletin.year}
        db.session.add(Notification(user_id=user.id, kind=kind, title=text[:TITLE_LENGTH],
                                    link=f"/bulletins/{bulletin.id}", created_at=clock.now()))


def list_for(user):
    """Every bulletin the user may see, newest month first."""
    if not permissions.can_view_bulletins(user):
        raise PermissionDenied()
    return db.session.scalars(
        db.select(Bulletin).where(permissions.bulletins_clause(user)).order_by(Bulletin.month.desc())).all()


def get_for(user, bulletin_id):
    """The bulletin if the user may see it; None when missing, PermissionDenied when hidden."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        return None
    if not permissions.can_view_bulletin(user, bulletin):
        raise PermissionDenied()
    return bulletin


def file_for(user, bulletin):
    """(path, download name) of the bulletin's PDF; DomainError when the file is gone or an issued one was altered."""
    if not permissions.can_view_bulletin(user, bulletin):
        raise PermissionDenied()
    path = path_of(bulletin)
    # A commit whose answer was lost leaves the file pending beside its place: the row exists, so it belongs there.
    if path is None or not files.recover(path, read_only=bulletin.status == "issued"):
        raise DomainError(_("The PDF of this bulletin is missing from the server. Generate the draft again, "
                            "or restore the file of an issued bulletin from the backup."))
    if bulletin.status == "issued" and sha256_of(path) != bulletin.sha256:
        raise DomainError(_("The stored PDF of this issued bulletin no longer matches its SHA-256 checksum; "
                            "it is not served. Restore it from the backup."))
    return path, download_name(bulletin)


def sha256_of(path):
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_name(bulletin):
    """The file name offered on download: 督查通报2026年第11期（2026-11）.pdf, with 草稿 for a draft."""
    masthead = office_settings.value("BULLETIN_MASTHEAD")
    draft = "" if bulletin.status == "issued" else "（草稿）"
    return f"{masthead}{bulletin.year}年第{bulletin.issue_no}期（{bulletin.month}）{draft}.pdf"


def reconcile(fix=False, now=None):
    """Compare bulletin files with their rows: (placed, missing, removed) — see attachments.reconcile."""
    placed, missing = [], []
    rows = db.session.scalars(db.select(Bulletin).where(Bulletin.file_path.is_not(None))).all()
    for bulletin in rows:
        path = path_of(bulletin)
        if path is None or os.path.isfile(path):
            continue
        if files.pending_for(path):
            placed.append(bulletin.file_path)
            if fix:
                files.recover(path, read_only=bulletin.status == "issued")
        else:
            missing.append(bulletin.file_path)
    removed = files.orphans(bulletin_dir(), {bulletin.file_path for bulletin in rows}, now)
    if fix:
        for path in removed:
            files.discard(path)
    return placed, missing, [os.path.basename(path) for path in removed]
