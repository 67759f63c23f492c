"""Error pages that tell the user what happened, in their language."""
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

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
