"""Authentication routes."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..services import DomainError
from ..services.accounts import auth as auth_service
from ..services.accounts import sign_ins
from . import bp
from .forms import ChangePasswordForm, LoginForm, SignOutEverywhereForm


def safe_next(target):
    """Only a local path is a safe place to go after login (no //host or scheme)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


# Pages a user whose password was reset may still open before choosing a new one.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "auth.sign_out_everywhere", "main.set_language",
                          "static", "bootstrap.static"}


def client():
    """What the services record of the browser: its address (as ProxyFix left it) and its name."""
    return {"client_addr": request.remote_addr, "user_agent": request.user_agent.string}


def keep_signed_in(user):
    """Put the sign-in attached to `user` into the session (and the remember cookie when it is remembered)."""
    remember = user.sign_in.is_remembered
    login_user(user, remember=remember, duration=sign_ins.lifetime(True) if remember else None)


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
            user = auth_service.sign_in(form.username.data, form.password.data, form.remember.data, **client())
        except DomainError as error:
            flash(str(error), "danger")
            return render_template("auth/login.html", form=form), 401
        keep_signed_in(user)
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, so a link in an email cannot log anyone out), ending this sign-in everywhere."""
    auth_service.sign_out(current_user)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let a user change their own password (ending their other sign-ins), and list their sign-ins."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # login_user() below needs the user, not the proxy
        try:
            auth_service.change_password(user, form.current_password.data, form.new_password.data, **client())
        except DomainError as error:
            flash(str(error), "danger")
        else:
            keep_signed_in(user)
            flash(_("Your password has been changed. You stay signed in here; everywhere else you were "
                    "signed in has been signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form, sign_out_form=SignOutEverywhereForm(),
                           sign_ins=sign_ins.live_sign_ins(current_user), this_sign_in=current_user.sign_in)


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every sign-in of the current user, this one included: copied cookies stop working too."""
    if SignOutEverywhereForm().validate_on_submit():
        count = sign_ins.sign_out_everywhere(current_user)
        logout_user()
        flash(ngettext("You were signed out of %(num)d place. Log in again.",
                       "You were signed out of %(num)d places. Log in again.", count), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.change_password"))
