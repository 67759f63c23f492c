"""Email over SMTP with the standard library, configured under the names Flask-Mail uses.

MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL (implicit TLS),
MAIL_USERNAME / MAIL_PASSWORD (login when set), MAIL_DEFAULT_SENDER,
MAIL_TIMEOUT. One connection serves a whole batch of the outbox.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from ... import clock


class DeliveryError(Exception):
    """A send failed. `whole_channel`: the server itself is unreachable or refuses us, not one address."""

    def __init__(self, message, whole_channel=False):
        super().__init__(message)
        self.whole_channel = whole_channel


def one_line(text):
    """A header's text on one line: a line break (a unit name typed with one) would make the header invalid."""
    return " ".join((text or "").split())


def build_message(sender, to, subject, text, html=None):
    """A UTF-8 mail with a plain-text part and, when given, an HTML alternative."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(clock.now())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text, charset="utf-8")
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _describe(error):
    """A short, readable account of an SMTP or network error."""
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        return f"{type(error).__name__} {error.smtp_code}: {detail}"
    return f"{type(error).__name__}: {error}"


class SmtpSession:
    """One SMTP connection, opened at the first send and reused until closed."""

    def __init__(self, config):
        self.config = config
        self._smtp = None

    @property
    def sender(self):
        """The From address."""
        return self.config["MAIL_DEFAULT_SENDER"]

    def _open(self):
        """Connect, STARTTLS and log in as configured; DeliveryError(whole_channel) when that fails."""
        cfg = self.config
        host, port, timeout = cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_TIMEOUT"]
        try:
            if cfg["MAIL_USE_SSL"]:
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.get("MAIL_USERNAME"):
                    smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP authentication failed at {host}:{port}: {_describe(error)}",
                                whole_channel=True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"cannot connect to SMTP server {host}:{port}: {_describe(error)}",
                                whole_channel=True) from None
        self._smtp = smtp

    def send(self, to, subject, text, html=None):
        """Send one mail; DeliveryError when it was not accepted."""
        if self._smtp is None:
            self._open()
        message = build_message(self.sender, to, subject, text, html)
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            detail = "; ".join(f"{address}: {code} {reply.decode('utf-8', 'replace')}"
                               for address, (code, reply) in error.recipients.items())
            raise DeliveryError(f"recipient refused: {detail}") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise DeliveryError(_describe(error)) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise DeliveryError(f"SMTP connection lost: {_describe(error)}", whole_channel=True) from None

    def close(self):
        """Say goodbye to the server (quietly: the mails are already accepted or recorded as failed)."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
