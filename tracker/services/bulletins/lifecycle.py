"""Monthly bulletins (月度通报): generate a draft, re-generate it, issue (定稿) it, list and open them.

A bulletin is generated as a draft (by the month-end job, the CLI or a
supervisor), also for a month still running (its figures then stand 截至 today),
and may be re-generated with the supervisor's 下步要求 as often as needed; a
draft prints 第__期. Issuing is possible once the month has ended: the figures
are gathered again as of its end and frozen with it (figures_json), the
bulletin takes the next 第N期 of its year, and its PDF and .docx are written
once, read-only, with their SHA-256. An issued bulletin is never re-generated,
re-numbered or rewritten; it may be voided (voiding.py), and the month's next
draft is then its 更正, which takes a new number when issued.

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
from ...models.bulletin import DRAFT, ISSUED, VOIDED
from ...models.user import LEADER, SUPERVISOR
from .. import ConflictError, DomainError, PermissionDenied, audit, office_settings
from ..documents import files
from ..messaging.notifications import TITLE_LENGTH
from ..transaction import saving
from . import figures, frozen, render, render_docx

MAX_REQUIREMENTS = 5000
READY_TITLE = _l("The draft bulletin of %(month)s is ready for review")
ISSUED_TITLE = _l("Bulletin No. %(number)d of %(year)d (%(month)s) has been issued")


def bulletin_dir():
    """The directory of bulletin PDFs (created when missing)."""
    path = os.path.abspath(current_app.config["BULLETIN_DIR"])
    os.makedirs(path, exist_ok=True)
    return path


def _stored(name):
    """The absolute path of a stored file name, or None when none (or a name pointing outside)."""
    if not name:
        return None
    root = bulletin_dir()
    path = os.path.abspath(os.path.join(root, name))
    return path if os.path.dirname(path) == root else None


def path_of(bulletin):
    """The absolute path of the bulletin's PDF, or None when it has none."""
    return _stored(bulletin.file_path)


def docx_path_of(bulletin):
    """The absolute path of the bulletin's .docx, or None when it has none."""
    return _stored(bulletin.docx_path)


def default_month():
    """The month a hand-run generation means: this month on its last day, else the month before."""
    today = clock.today()
    if (today + timedelta(days=1)).month != today.month:
        return today.strftime("%Y-%m")
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def require_office(actor):
    """Only the supervision office acts on bulletins (generate and issue also run as the system, actor None)."""
    _require_manager(actor)
    if actor is None:
        raise PermissionDenied(_("Only the supervision office may generate or issue bulletins."))


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


def draft_of(month):
    """The draft of a "YYYY-MM" month, or None."""
    return db.session.scalar(db.select(Bulletin).where(Bulletin.month == month, Bulletin.status == DRAFT))


def live_issue(month):
    """The issued (not voided) bulletin of a "YYYY-MM" month, or None."""
    return db.session.scalar(db.select(Bulletin).where(Bulletin.month == month, Bulletin.status == ISSUED))


def get_by_month(month):
    """The bulletin of a "YYYY-MM" month that is in force: its live issue, else its draft, else None."""
    return live_issue(month) or draft_of(month)


def voided_to_correct(month):
    """The month's latest voided issue, which its next issue corrects (更正); None when none was voided."""
    return db.session.scalar(db.select(Bulletin).where(Bulletin.month == month, Bulletin.status == VOIDED)
                             .order_by(Bulletin.voided_at.desc(), Bulletin.id.desc()).limit(1))


def _create(window, actor):
    """A new draft row (no number yet; a 更正 when the month's issue was voided); on a race, the other's draft."""
    replaced = voided_to_correct(window.key)
    # A 更正 starts from the text of the issue it corrects.
    bulletin = Bulletin(month=window.key, year=window.first_day.year, status=DRAFT, created_at=clock.now(),
                        generated_by_id=actor.id if actor else None, replaces_id=replaced.id if replaced else None,
                        requirements_text=replaced.requirements_text if replaced else None)
    db.session.add(bulletin)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        bulletin = draft_of(window.key)
        if bulletin is None:
            raise ConflictError(_("Another draft of the same month was made at the same moment. Try again.")) \
                from None
        return bulletin, False
    return bulletin, True


def figures_of(bulletin):
    """The figures a bulletin prints: frozen with an issue, gathered now for a draft."""
    if bulletin.figures_json:
        return frozen.loads(bulletin.figures_json)
    return figures.gather(bulletin.month)


def write_file(name, content):
    """(final path, pending path): the content written beside its place under the bulletin directory."""
    return _write(name, content)


def _write(name, content):
    """(final path, pending path): the content written beside its place under the bulletin directory."""
    final = os.path.join(bulletin_dir(), name)
    return final, files.write_pending(final, content)


def generate_monthly_draft(month, actor=None):
    """The month-end job's and the CLI's entry: (re-)generate the draft of `month`; an issued one is returned as is."""
    window = figures.month_window(month)
    existing = live_issue(window.key)
    if existing is not None:
        return existing
    return generate_draft(actor, window.key)


def _refuse_when_issued(month):
    """ConflictError when the month has a live issue: it is never generated again, only voided and corrected."""
    issued = live_issue(month)
    if issued is not None:
        raise ConflictError(_("The bulletin of %(month)s (No. %(number)d) has been issued; an issued bulletin is "
                              "never generated again. To correct it, void it first (作废), then generate its "
                              "correction (更正).", month=month, number=issued.issue_no))


def generate_draft(actor, month, requirements_text=None):
    """Generate or re-generate the draft of `month`; requirements_text None keeps the stored 下步要求."""
    _require_manager(actor)
    window = figures.month_window(month)
    text = _clean_requirements(requirements_text) if requirements_text is not None else None
    _refuse_when_issued(window.key)
    bulletin = draft_of(window.key)
    created, pending = bulletin is None, None
    with saving(cleanup=lambda: files.discard(pending), after_commit=lambda: files.place(pending, new_path)):
        if created:
            bulletin, created = _create(window, actor)
        if requirements_text is not None:
            bulletin.requirements_text = text
        bulletin.as_of = window.as_of
        content = render.render_pdf(figures.gather(window.key), bulletin, True, clock.today())
        old_path, old_docx = path_of(bulletin), docx_path_of(bulletin)
        name = f"{window.key}-draft-{clock.now():%Y%m%d%H%M%S}-{secrets.token_hex(4)}.pdf"
        new_path, pending = _write(name, content)
        changed = db.session.execute(
            db.update(Bulletin).where(Bulletin.id == bulletin.id, Bulletin.status == DRAFT).values(
                file_path=name, docx_path=None, requirements_text=bulletin.requirements_text, as_of=window.as_of,
                generated_at=clock.now(), generated_by_id=actor.id if actor else None)).rowcount
        if not changed:
            raise ConflictError(_("The bulletin of %(month)s was issued meanwhile; it was not generated again.",
                                  month=window.key))
        audit.record_change(actor, "bulletin", bulletin, "generated", to_status=DRAFT)
        if created or actor is None:
            # The month-end run tells the office even when someone made a draft by hand earlier in the month.
            notify(supervisors(exclude=actor), "bulletin_ready", READY_TITLE, bulletin)
    db.session.refresh(bulletin)
    if old_path != new_path:
        files.discard(old_path)
    files.discard(old_docx)  # the draft's .docx is written again from the new figures when asked for
    return bulletin


def write_draft_docx(bulletin):
    """The draft's .docx, written from today's figures beside its PDF; its absolute path."""
    if not bulletin.is_draft:
        raise ConflictError(_("This bulletin has been issued; its .docx was stored when it was issued."))
    content = render_docx.render_docx(figures.gather(bulletin.month), bulletin, True, clock.today())
    name = f"{bulletin.month}-draft-{clock.now():%Y%m%d%H%M%S}-{secrets.token_hex(4)}.docx"
    old_docx, (path, pending) = docx_path_of(bulletin), _write(name, content)
    with saving(cleanup=lambda: files.discard(pending), after_commit=lambda: files.place(pending, path)):
        changed = db.session.execute(db.update(Bulletin).where(
            Bulletin.id == bulletin.id, Bulletin.status == DRAFT).values(docx_path=name)).rowcount
        if not changed:
            raise ConflictError(_("This bulletin has been issued; its .docx was stored when it was issued."))
    db.session.refresh(bulletin)
    files.discard(old_docx)
    return path


def _check_issuable(actor, bulletin):
    """Refuse what may not be issued: someone not of the office, an issued or voided one, a running month."""
    require_office(actor)
    if not bulletin.is_draft:
        raise ConflictError(_("This bulletin has already been issued."))
    window = figures.month_window(bulletin.month)
    if clock.today() <= window.last_day:
        raise DomainError(_("%(month)s has not ended yet: its bulletin is issued on or after %(day)s, with the "
                            "figures as of the end of the month. The draft may be generated again meanwhile.",
                            month=bulletin.month, day=render.cn_date(window.last_day + timedelta(days=1))))
    if not (bulletin.requirements_text or "").strip():
        raise DomainError(_("Write the next-step requirements (下步要求) and generate the draft again before "
                            "issuing."))
    _refuse_when_issued(bulletin.month)
    return window


def _next_number(year):
    """The next 第N期 of the year: numbers of voided issues stay taken, so none is ever reused."""
    return (db.session.scalar(db.select(db.func.max(Bulletin.issue_no)).where(Bulletin.year == year)) or 0) + 1


def issue(actor, bulletin):
    """定稿: gather the ended month's figures again, freeze them, number the issue, store its PDF and .docx."""
    window = _check_issuable(actor, bulletin)
    data = figures.gather(window.key)
    number = _next_number(bulletin.year)
    bulletin.issue_no, bulletin.as_of = number, window.as_of  # printed; written to the row below
    content = render.render_pdf(data, bulletin, False, clock.today())
    word = render_docx.render_docx(data, bulletin, False, clock.today())
    digest, word_digest = hashlib.sha256(content).hexdigest(), hashlib.sha256(word).hexdigest()
    stem = f"{bulletin.year}-{number:03d}-{bulletin.month}-issued-{digest[:16]}"
    draft_paths = (path_of(bulletin), docx_path_of(bulletin))
    (issued_path, pending), (word_path, word_pending) = _write(stem + ".pdf", content), _write(stem + ".docx", word)

    def placed():
        files.place(pending, issued_path, read_only=True)
        files.place(word_pending, word_path, read_only=True)

    with saving(cleanup=lambda: (files.discard(pending), files.discard(word_pending)), after_commit=placed):
        try:
            changed = db.session.execute(
                db.update(Bulletin).where(Bulletin.id == bulletin.id, Bulletin.status == DRAFT).values(
                    status=ISSUED, issue_no=number, as_of=window.as_of, file_path=stem + ".pdf", sha256=digest,
                    docx_path=stem + ".docx", docx_sha256=word_digest, figures_json=frozen.dumps(data),
                    issued_at=clock.now(), issued_by_id=actor.id,
                    explain_unit_ids=",".join(str(row.unit_id) for row in data.explain_units),
                )).rowcount
        except IntegrityError:
            raise ConflictError(_("Another bulletin of this year or month was issued at the same moment; nothing "
                                  "was issued. Reload the page and try again.")) from None
        if not changed:
            raise ConflictError(_("This bulletin has already been issued."))
        audit.record_change(actor, "bulletin", bulletin, "issued", from_status=DRAFT, to_status=ISSUED)
        readers = {user.id: user for user in supervisors(exclude=actor) + leaders()}
        notify(list(readers.values()), "bulletin_issued", ISSUED_TITLE, bulletin)
    db.session.refresh(bulletin)
    for path in draft_paths:
        files.discard(path)
    return bulletin


def last_issued_explanations():
    """(the last issued bulletin, ids of the units it asked for a 情况说明); (None, empty) before any is issued."""
    bulletin = db.session.scalar(
        db.select(Bulletin).where(Bulletin.status == "issued").order_by(Bulletin.month.desc()).limit(1))
    if bulletin is None:
        return None, frozenset()
    if bulletin.explain_unit_ids is None:  # issued before the ids were kept with it: gathered again
        return bulletin, frozenset(row.unit_id for row in figures_of(bulletin).explain_units)
    return bulletin, frozenset(int(part) for part in bulletin.explain_unit_ids.split(",") if part)


def supervisors(exclude=None):
    """Active supervisors, without the acting one."""
    users = db.session.scalars(
        db.select(User).where(User.role == SUPERVISOR, User.is_active.is_(True)).order_by(User.id)).all()
    return [user for user in users if exclude is None or user.id != exclude.id]


def leaders():
    """Active county leaders."""
    return db.session.scalars(
        db.select(User).where(User.role == LEADER, User.is_active.is_(True)).order_by(User.id)).all()


def notify(users, kind, title, bulletin):
    """One inbox message per user, in the user's language."""
    for user in users:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            text = str(title) % {"month": bulletin.month, "number": bulletin.issue_no, "year": bulletin.year}
        db.session.add(Notification(user_id=user.id, kind=kind, title=text[:TITLE_LENGTH],
                                    link=f"/bulletins/{bulletin.id}", created_at=clock.now()))


def list_for(user):
    """Every bulletin the user may see, newest month first, newest first within a month."""
    if not permissions.can_view_bulletins(user):
        raise PermissionDenied()
    return db.session.scalars(
        db.select(Bulletin).where(permissions.bulletins_clause(user))
        .order_by(Bulletin.month.desc(), Bulletin.id.desc())).all()  # a 更正 above the issue it replaces


def get_for(user, bulletin_id):
    """The bulletin if the user may see it; None when missing, PermissionDenied when hidden."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        return None
    if not permissions.can_view_bulletin(user, bulletin):
        raise PermissionDenied()
    return bulletin


def file_for(user, bulletin, kind="pdf"):
    """(path, download name) of the bulletin's PDF or .docx; DomainError when the file is gone or was altered.

    A draft's .docx is written from today's figures when asked for; an issue's was stored when it was issued.
    """
    if not permissions.can_view_bulletin(user, bulletin):
        raise PermissionDenied()
    if kind == "docx" and bulletin.is_draft:
        return write_draft_docx(bulletin), download_name(bulletin, "docx")
    path, checksum = {"pdf": (path_of(bulletin), bulletin.sha256),
                      "docx": (docx_path_of(bulletin), bulletin.docx_sha256),
                      "signed": (_stored(bulletin.signed_path), bulletin.signed_sha256)}[kind]
    frozen_file = not bulletin.is_draft
    # A commit whose answer was lost leaves the file pending beside its place: the row exists, so it belongs there.
    if path is None or not files.recover(path, read_only=frozen_file):
        raise DomainError(_("The file of this bulletin is missing from the server. Generate the draft again, "
                            "or restore the file of an issued bulletin from the backup."))
    if frozen_file and sha256_of(path) != checksum:
        raise DomainError(_("The stored file of this issued bulletin no longer matches its SHA-256 checksum; "
                            "it is not served. Restore it from the backup."))
    return path, download_name(bulletin, kind)


def sha256_of(path):
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_name(bulletin, kind="pdf"):
    """The file name offered on download: 督查通报2026年第11期（2026-11）.pdf; 草稿 or 作废 when so."""
    masthead = office_settings.value("BULLETIN_MASTHEAD")
    mark = {DRAFT: "（草稿）", VOIDED: "（作废）"}.get(bulletin.status, "")
    if kind == "signed":
        mark, kind = mark + "（签发稿）", "pdf"
    return f"{masthead}{bulletin.year}年{bulletin.number_text}（{bulletin.month}）{mark}.{kind}"


def reconcile(fix=False, now=None):
    """Compare bulletin files with their rows: (placed, missing, removed) — see attachments.reconcile."""
    placed, missing = [], []
    rows = db.session.scalars(db.select(Bulletin).where(Bulletin.file_path.is_not(None))).all()
    stored = [(bulletin, name) for bulletin in rows
              for name in (bulletin.file_path, bulletin.docx_path, bulletin.signed_path) if name]
    for bulletin, name in stored:
        path = _stored(name)
        if path is None or os.path.isfile(path):
            continue
        if files.pending_for(path):
            placed.append(name)
            if fix:
                files.recover(path, read_only=not bulletin.is_draft)
        else:
            missing.append(name)
    removed = files.orphans(bulletin_dir(), {name for _bulletin, name in stored}, now)
    if fix:
        for path in removed:
            files.discard(path)
    return placed, missing, [os.path.basename(path) for path in removed]
