"""The in-app inbox: messages about the user's tasks, and the unread count in the navigation."""
from flask import Blueprint
from flask_login import current_user

bp = Blueprint("inbox", __name__)


@bp.app_context_processor
def inject_unread_count():
    """The unread count for the navigation bar: one query, and only for a logged-in user."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..services.messaging import notifications

    if not (current_user and current_user.is_authenticated):
        return {"unread_count": 0}
    try:
        return {"unread_count": notifications.unread_count(current_user)}
    except SQLAlchemyError:
        return {"unread_count": 0}  # an error page after a failed transaction must still render


from . import routes  # noqa: E402,F401
