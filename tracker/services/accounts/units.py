"""Units: create, rename, (de)activate, and import a list of units from a CSV file."""
import csv
import io
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ... import permissions
from ...extensions import db
from ...models import Unit, User
from ...models.unit import UNIT_KIND_ALIASES
from .. import DomainError, PermissionDenied, audit

MAX_NAME_LENGTH = Unit.__table__.c.name.type.length
MAX_IMPORT_ROWS = 5000
# Column names accepted in the header row, in Chinese (as offices write them) or English.
HEADER_ALIASES = {"单位名称": "name", "name": "name", "单位类型": "kind", "kind": "kind"}
EXPECTED_HEADER = "单位名称,单位类型"


@dataclass
class ImportNote:
    """A remark on one spreadsheet row (row None: on the whole file)."""

    row: int | None
    message: str


@dataclass
class ImportResult:
    """What an import did: names created, rows left as they were, and errors (ImportNote lists)."""

    created: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        """True when the file was valid and has been applied."""
        return not self.errors


def require_admin(actor):
    """Only an administrator, or the system itself (actor None, the CLI), manages units and users."""
    if actor is not None and not permissions.can_manage_units(actor):
        raise PermissionDenied(_("Only the administrator may manage units and users."))


def _audit(actor, unit, action, **details):
    """Add an audit entry for `unit` (committed by the caller)."""
    audit.record_change(actor, "unit", unit, action, **details)


def clean_name(name):
    """The unit name stripped of surrounding spaces; DomainError when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The unit name is required."))
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(_("The unit name has %(length)d characters; at most %(max)d are allowed.",
                            length=len(name), max=MAX_NAME_LENGTH))
    return name


def clean_kind(kind):
    """The stored unit type for a code or a word such as 部门 / 乡镇; DomainError when unknown."""
    kind = (kind or "").strip()
    if not kind:
        raise DomainError(_("The unit type is required. Allowed: %(allowed)s.", allowed=allowed_kinds_text()))
    value = UNIT_KIND_ALIASES.get(kind.lower())
    if value is None:
        raise DomainError(_("Unknown unit type %(kind)s. Allowed: %(allowed)s.", kind=kind,
                            allowed=allowed_kinds_text()))
    return value


def allowed_kinds_text():
    """The unit-type words a user may write, for error messages."""
    return ", ".join(UNIT_KIND_ALIASES)


def _check_name_free(name, unit_id=None):
    """DomainError when another unit already has this name."""
    query = db.select(Unit.id).where(Unit.name == name)
    if unit_id is not None:
        query = query.where(Unit.id != unit_id)
    if db.session.scalar(query) is not None:
        raise DomainError(_("A unit named %(name)s already exists.", name=name))


@contextmanager
def _unique_names(message):
    """Write and commit the block; when another writer took a name meanwhile, roll back and raise `message`.

    The names were checked free before, but two requests can check at the same moment: the
    unique index then refuses the second one's INSERT (at the flush on PostgreSQL, at the
    commit on SQLite), which must read as the same clear message, not a server error.
    """
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(message) from None


def create_unit(actor, name, kind="department"):
    """Create an active unit with a unique name."""
    require_admin(actor)
    name, kind = clean_name(name), clean_kind(kind)
    _check_name_free(name)
    with _unique_names(_("A unit named %(name)s already exists.", name=name)):
        unit = Unit(name=name, kind=kind, is_active=True)
        db.session.add(unit)
        db.session.flush()
        _audit(actor, unit, "unit_created", reason=f"{name} ({kind})")
    return unit


def rename_unit(actor, unit, new_name):
    """Give a unit a new, unique name; the old name stays in the audit trail."""
    require_admin(actor)
    new_name = clean_name(new_name)
    if new_name == unit.name:
        return unit
    _check_name_free(new_name, unit.id)
    with _unique_names(_("A unit named %(name)s already exists.", name=new_name)):
        old_name, unit.name = unit.name, new_name
        _audit(actor, unit, "unit_renamed", reason=f"{old_name} → {new_name}")
    return unit


def set_unit_active(actor, unit, is_active):
    """Deactivate a unit (kept with its history, offered nowhere new) or reactivate it."""
    require_admin(actor)
    if unit.is_active == bool(is_active):
        return unit
    before = "active" if unit.is_active else "inactive"
    unit.is_active = bool(is_active)
    _audit(actor, unit, "unit_reactivated" if is_active else "unit_deactivated",
           from_status=before, to_status="active" if is_active else "inactive")
    db.session.commit()
    return unit


def unit_page(page, per_page):
    """One page of every unit (departments first) and each one's count of active users."""
    query = db.select(Unit).order_by(Unit.kind, Unit.id)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=200)
    ids = [unit.id for unit in pagination.items]
    counts = dict(db.session.execute(
        db.select(User.unit_id, func.count(User.id))
        .where(User.unit_id.in_(ids), User.is_active.is_(True)).group_by(User.unit_id)
    ).all()) if ids else {}
    return pagination, {unit_id: counts.get(unit_id, 0) for unit_id in ids}


def unit_choices(keep_unit_id=None):
    """Units a user may be put in: the active ones, plus `keep_unit_id` (their current unit) if deactivated."""
    condition = Unit.is_active.is_(True)
    if keep_unit_id is not None:
        condition = condition | (Unit.id == keep_unit_id)
    return db.session.scalars(db.select(Unit).where(condition).order_by(Unit.kind, Unit.id)).all()


def all_units():
    """Every unit, active or not, in list order (for filters)."""
    return db.session.scalars(db.select(Unit).order_by(Unit.kind, Unit.id)).all()


def get_unit(unit_id):
    """The unit with this id, or None."""
    return db.session.get(Unit, unit_id)


def import_units_csv(actor, raw_bytes):
    """Create the units of a CSV file (单位名称,单位类型), all or nothing.

    Units that already exist are left as they are and reported, so importing the
    same file again is harmless. When any row is invalid nothing is written and
    every problem is returned with its row number.
    """
    require_admin(actor)
    result = ImportResult()
    try:
        rows = _read_rows(raw_bytes)
    except DomainError as error:
        result.errors.append(ImportNote(None, str(error)))
        return result
    to_create = _check_rows(rows, result)
    if result.errors:
        return result
    created = [(row, Unit(name=name, kind=kind, is_active=True)) for row, name, kind in to_create]
    with _unique_names(_("Another user changed the units during the import; nothing was imported. Try again.")):
        db.session.add_all(unit for _row, unit in created)
        db.session.flush()
        for row, unit in created:
            _audit(actor, unit, "unit_created", reason=f"{unit.name} ({unit.kind}), CSV row {row}")
    result.created = [unit.name for _row, unit in created]
    return result


def _decode(raw_bytes):
    """The file's text: UTF-8 (with or without BOM) or GB18030/GBK; DomainError for anything else."""
    if not raw_bytes or not raw_bytes.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DomainError(_("The file is empty."))
    if raw_bytes.startswith(b"PK\x03\x04"):
        raise DomainError(_("This is an Excel workbook, not a CSV file. In Excel use Save As, CSV, and upload that."))
    if b"\x00" in raw_bytes:
        raise DomainError(_("This file is not a CSV text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw_bytes.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            break
        return text
    raise DomainError(_("This file is not a CSV text file in UTF-8 or GBK encoding."))


def _read_rows(raw_bytes):
    """(row number, {'name': ..., 'kind': ...}) for each non-blank data row; DomainError for a bad file."""
    try:
        records = list(csv.reader(io.StringIO(_decode(raw_bytes), newline=""), strict=True))
    except csv.Error:
        raise DomainError(_("The file could not be read as CSV (a quotation mark is not closed).")) from None
    numbered = [(number, record) for number, record in enumerate(records, start=1) if any(c.strip() for c in record)]
    if not numbered:
        raise DomainError(_("The file is empty."))
    header_row, header = numbered[0]
    columns = {}
    for index, cell in enumerate(header):
        key = HEADER_ALIASES.get(cell.strip().lower())
        if key and key not in columns:
            columns[key] = index
    missing = [name for key, name in (("name", "单位名称"), ("kind", "单位类型")) if key not in columns]
    if missing:
        raise DomainError(_(
            "Row %(row)d: the header lacks the column(s) %(missing)s. "
            "The first row must be: %(expected)s (found: %(found)s)",
            row=header_row, missing=", ".join(missing), expected=EXPECTED_HEADER,
            found=",".join(header)[:100],
        ))
    if len(numbered) == 1:
        raise DomainError(_("The file has a header row but no units."))
    if len(numbered) - 1 > MAX_IMPORT_ROWS:
        raise DomainError(_("The file has more than %(max)d rows; split it into smaller files.", max=MAX_IMPORT_ROWS))

    def cell(record, key):
        """The record's value in the `key` column; a short row's missing cells read as blank."""
        index = columns[key]
        return record[index] if index < len(record) else ""

    return [(number, {"name": cell(record, "name"), "kind": cell(record, "kind")}) for number, record in numbered[1:]]


def _check_rows(rows, result):
    """Validate every row into `result`; return (row, name, kind) for the units to create."""
    existing = set(db.session.scalars(db.select(Unit.name)))
    seen, to_create = {}, []
    for number, values in rows:
        problems = []
        try:
            name = clean_name(values["name"])
        except DomainError as error:
            name = None
            problems.append(str(error))
        try:
            kind = clean_kind(values["kind"])
        except DomainError as error:
            kind = None
            problems.append(str(error))
        if name is not None and name in seen:
            problems.append(_("%(name)s already appears in row %(row)d.", name=name, row=seen[name]))
        if problems:
            result.errors.extend(ImportNote(number, message) for message in problems)
        elif name in existing:
            result.unchanged.append(ImportNote(number, _("%(name)s already exists, skipped.", name=name)))
        else:
            to_create.append((number, name, kind))
        if name is not None:
            seen.setdefault(name, number)
    return to_create
