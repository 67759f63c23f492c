"""The office dashboard's page body, rendered once per change of the data (tracker/caching.py).

At province scale its figures are aggregates over every task and its HTML is a
few hundred rows of tables and two charts: ~400 ms of CPU per view
(benchmarks/RESULTS.md), the same for every user who sees the same tasks. The
rendered body is kept, split where each user's own "Needs my action" card goes.
"""
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from .. import caching, permissions
from ..services.dashboard import overview

# Where the user's own card goes in the shared body; a comment, so it can never be real content.
VIEWS_SLOT = Markup("<!-- tracker:views -->")


@dataclass(frozen=True)
class OfficeBody:
    """The rendered dashboard body, before and after the user's "Needs my action" card."""

    before: Markup
    after: Markup
    heading: str  # the page's title, in the language it was rendered in


def office_body(user, period):
    """The office dashboard's body for `user` and `period` (None: every task), from the cache when it can."""
    key = (user.role, permissions.visibility_key(user), None if permissions.sees_all_tasks(user) else user.title,
           period.id if period else None, str(get_locale()), request.script_root)
    return caching.cached("office_dashboard", key, lambda: _render(user, period))


def _render(user, period):
    """Compute the figures and render the body."""
    dash = overview.office_dashboard(user, period)
    html = render_template("main/_office.html", dash=dash, views_slot=VIEWS_SLOT)
    before, after = html.split(VIEWS_SLOT, 1)
    return OfficeBody(Markup(before), Markup(after), str(dash.heading))
