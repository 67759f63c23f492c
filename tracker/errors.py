"""Error pages that tell the user what happened, in their language."""
import os

from flask import render_template
from flask_wtf.csrf import CSRFError


def register(app):
    """Install handlers for the errors a user can meet."""

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/413.html"), 413

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    # The 500 page is a file read at start, in both languages: the error may be that the
    # database is down, and the usual page asks it who is signed in and how many messages wait.
    with open(os.path.join(app.static_folder, "errors", "500.html"), encoding="utf-8") as handle:
        static_500 = handle.read()

    @app.errorhandler(500)
    def server_error(error):
        return static_500, 500, {"Content-Type": "text/html; charset=utf-8"}
