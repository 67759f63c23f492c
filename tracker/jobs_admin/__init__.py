"""The scheduled-jobs page: job runs, the outbox, run now and retry; and a unit's group robot."""
from flask import Blueprint

bp = Blueprint("jobs_admin", __name__)


@bp.context_processor
def inject_labels():
    """Labels the jobs pages print for stored codes."""
    from ..jobs import JOBS
    from ..services import alerts_runs, outbox

    return {"RUN_STATUSES": alerts_runs.RUN_STATUSES, "RUN_TRIGGERS": alerts_runs.TRIGGERS,
            "JOB_LABELS": {job.id: job.label for job in JOBS}, "OUTBOX_STATUSES": outbox.STATUSES,
            "OUTBOX_CHANNELS": outbox.CHANNELS}


from . import routes  # noqa: E402,F401
