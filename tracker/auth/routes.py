"""Authentication routes."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..services import DomainError
from ..services.accounts import auth as auth_service
from . import bp
from .forms import ChangePasswordForm, LoginForm


def safe_next(target):
    """Only a local path is a safe place to go after login (no //host or scheme)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


# Pages a user whose password was reset may still open before choosing a new one.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "main.set_language", "static", "bootstrap.static"}


@bp.before_app_request
def require_password_change():
    """After an admin's reset, send the user to choose their own password first."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in PASSWORD_CHANGE_EXEMPT):
        flash(_("Your password was reset by the administrator. Choose a new password to continue."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(form.username.data, form.password.data, request.remote_addr)
        except DomainError as error:
            flash(str(error), "danger")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, so a link in an email cannot log anyone out)."""
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let a user change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            auth_service.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
