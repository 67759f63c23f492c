"""The scheduled-jobs page: job runs, the outbox, run now and retry; and a unit's group robot."""
from flask import Blueprint

bp = Blueprint("jobs_admin", __name__)


@bp.context_processor
def inject_labels():
    """Labels the jobs pages print for stored codes."""
    from ..jobs.requests import REQUEST_STATUSES
    from ..jobs.schedule import JOBS
    from ..services import job_runs
    from ..services.messaging import outbox

    return {"RUN_STATUSES": job_runs.RUN_STATUSES, "RUN_TRIGGERS": job_runs.TRIGGERS,
            "JOB_LABELS": {job.id: job.label for job in JOBS}, "OUTBOX_STATUSES": outbox.STATUSES,
            "OUTBOX_CHANNELS": outbox.CHANNELS, "REQUEST_STATUSES": REQUEST_STATUSES}


from . import routes  # noqa: E402,F401
