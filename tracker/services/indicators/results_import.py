"""Importing an assessment-results sheet into a period: check everything first, then write all or nothing.

`results_plan.plan_import` says what the import would do (re-exported
here); `apply_import` makes the same plan again from the same bytes and, only
when it has no error, writes it in one transaction. Re-importing a period
updates its results in place. Unknown units are created only when the caller
says so explicitly (`create_units=True`). The web page, the CLI and the demo
loader all come through here.
"""
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ... import permissions
from ...extensions import db
from ...models import Indicator, IndicatorResult, Unit
from .. import DomainError, PermissionDenied, audit
from ..documents import upload_staging
from ..documents.cells import name_key
from ..transaction import saving
from .results_parser import DEFAULT_MAX_BYTES
from .results_plan import ImportPlan, PlannedRow, infer_direction, infer_kind, plan_import, plan_rows

# The plan is made by results_plan; callers that only import keep reaching it here.
__all__ = ["ImportPlan", "ImportRejected", "PlannedRow", "apply_import", "apply_plan", "confirm_upload",
           "infer_direction", "infer_kind", "plan_import", "plan_rows", "preview_upload", "require_office",
           "stage_upload"]

STAGED_KIND = "results"
TOWN_SUFFIXES = ("镇", "乡", "街道", "街道办事处")


class ImportRejected(DomainError):
    """The file has errors; nothing was written. `plan` lists them."""

    def __init__(self, plan):
        """Keep the plan for the page that shows its errors."""
        super().__init__(ngettext("Nothing was imported: the file has %(num)d problem.",
                                  "Nothing was imported: the file has %(num)d problems.", len(plan.errors)))
        self.plan = plan


def require_office(actor):
    """Only the supervision office imports, or the system itself (actor None: CLI, demo)."""
    if actor is not None and not permissions.can_manage_assessments(actor):
        raise PermissionDenied(_("Only the supervision office may import assessment results."))


def describe(period):
    """The period's name, type, dates and target basis, for the audit trail."""
    return (f"{period.name} {period.kind} {period.starts_on.isoformat()}–{period.ends_on.isoformat()} "
            f"target_basis={period.target_basis}")


def unit_kind_for(name):
    """department / town for a unit created from the sheet, by its name (…镇, …乡 are towns)."""
    return "town" if name.endswith(TOWN_SUFFIXES) else "department"


def apply_import(actor, period, data, filename, create_units=False, max_bytes=DEFAULT_MAX_BYTES, target_basis=None):
    """Validate the file again and write it all in one transaction; ImportRejected when it has errors."""
    require_office(actor)
    plan = plan_import(period, data, filename, create_units, max_bytes, target_basis)
    return apply_plan(actor, plan)


def apply_plan(actor, plan):
    """Write a plan without errors: units, indicators and results, one audit entry; all or nothing."""
    require_office(actor)
    if not plan.ok:
        raise ImportRejected(plan)
    try:
        with saving():
            _write(actor, plan)
    except IntegrityError:
        raise DomainError(_("Someone else changed these results at the same moment; please import again.")) from None
    return plan


def _write(actor, plan):
    """The writes of apply_plan, inside its transaction."""
    period = plan.period
    is_new_period = period.id is None
    basis_changed = plan.changes_target_basis
    period.target_basis = plan.target_basis
    db.session.add(period)
    db.session.flush()
    if basis_changed:  # the same entry as a change on the rules page
        audit.record_change(actor, "assessment_period", period, "rules_changed",
                            reason=f"target_basis={plan.target_basis}")
    if is_new_period:
        audit.record_change(actor, "assessment_period", period, "period_created", reason=describe(period))
    units = {name_key(unit.name): unit for unit in db.session.scalars(db.select(Unit))}
    for unit_name in plan.unknown_units:
        unit = Unit(name=unit_name, kind=unit_kind_for(unit_name), is_active=True)
        db.session.add(unit)
        db.session.flush()
        units[name_key(unit_name)] = unit
        audit.record_change(actor, "unit", unit, "unit_created",
                            reason=_("Created by the results import of %(period)s", period=period.name))
    for row in plan.rows:
        indicator = row.indicator
        if indicator is None:
            indicator = Indicator(name=row.parsed.name, category=row.parsed.category or "", weight=row.parsed.weight)
            db.session.add(indicator)
        if row.indicator is None or plan.updates_indicators:
            for name, value in row.values.items():
                setattr(indicator, name, value)
            indicator.category = indicator.category or ""
            indicator.lead_unit = units[name_key(row.lead_unit_name)]
            indicator.co_units = [units[name_key(name)] for name in row.co_unit_names]
        result = row.result
        if result is None:
            result = IndicatorResult(period=period, indicator=indicator)
            db.session.add(result)
        for name, value in row.result_values.items():
            setattr(result, name, value)
    db.session.flush()
    audit.record_change(actor, "assessment_period", period, "results_imported", reason=_(
        "%(file)s: %(created)d results created, %(updated)d updated, %(unchanged)d unchanged",
        file=plan.filename, created=plan.count("result", "create"), updated=plan.count("result", "update"),
        unchanged=plan.count("result", "unchanged")))


def stage_upload(actor, period, filename, data, target_basis=None):
    """Check an uploaded file can be read at all, then keep it for the preview; returns its token."""
    require_office(actor)
    # A file that cannot be read (or a target basis that does not exist) is refused here, and not kept.
    plan = plan_import(period, data, filename, target_basis=target_basis)
    return upload_staging.stage(actor, STAGED_KIND, filename, data, period_id=period.id,
                                target_basis=plan.target_basis)


def preview_upload(actor, period, token):
    """The plan of a staged upload, for the preview page (nothing is written)."""
    require_office(actor)
    staged = _staged(actor, period, token)
    return plan_import(period, staged.data, staged.filename, target_basis=staged.meta.get("target_basis"))


def confirm_upload(actor, period, token, create_units=False):
    """Import a staged upload after the user confirmed its preview; the file is checked again first."""
    require_office(actor)
    staged = _staged(actor, period, token)
    plan = apply_import(actor, period, staged.data, staged.filename, create_units,
                        target_basis=staged.meta.get("target_basis"))
    upload_staging.discard(token)
    return plan


def _staged(actor, period, token):
    """The staged upload of this user for this period; DomainError otherwise."""
    staged = upload_staging.load(actor, STAGED_KIND, token)
    if staged.meta.get("period_id") != period.id:
        raise DomainError(_("This upload belongs to another period; please upload the file again."))
    return staged
