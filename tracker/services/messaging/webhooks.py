"""Group robots of WeCom (企业微信) and DingTalk (钉钉): a unit's webhook, checked when saved, and posting to it.

WeCom:    POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
          {"msgtype": "markdown", "markdown": {"content": "..."}}
DingTalk: POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN[&timestamp=T&sign=S]
          {"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}
Both answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other errcode is a failure.
DingTalk robots with 加签 need timestamp (ms) and sign = base64(HMAC-SHA256(secret, "T\\nsecret")).
"""
import base64
import hashlib
import hmac
import http.client
import json
from urllib.parse import parse_qs, quote_plus, urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import clock
from ...extensions import db
from ...models import Unit
from .. import DomainError, audit
from ..accounts.units import require_admin
from . import outbound
from .mailer import DeliveryError


class WebhookError(DomainError):
    """A malformed group-robot setting; `field` names the form field it is about."""

    def __init__(self, message, field="webhook_url"):
        super().__init__(message)
        self.field = field


KINDS = {"wecom": _l("WeCom group robot"), "dingtalk": _l("DingTalk group robot")}
# The query parameter each robot's address carries its token in.
TOKEN_PARAMS = {"wecom": "key", "dingtalk": "access_token"}
MAX_URL = Unit.__table__.c.webhook_url.type.length
MAX_SECRET = Unit.__table__.c.webhook_secret.type.length


def clean_webhook(kind, url, secret):
    """The webhook as (kind, url, secret) to store, all None when the URL is empty; DomainError when malformed."""
    url, secret, kind = (url or "").strip(), (secret or "").strip(), (kind or "").strip()
    if not url:
        if secret:
            raise WebhookError(_("A signing secret needs a webhook address."), "webhook_secret")
        return None, None, None
    if kind not in KINDS:
        raise WebhookError(_("Choose the kind of group robot: WeCom or DingTalk."), "webhook_kind")
    if len(url) > MAX_URL:
        raise WebhookError(_("The webhook address is too long (at most %(max)d characters).", max=MAX_URL))
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise WebhookError(_("The webhook address must not contain spaces."))
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        raise WebhookError(_("The webhook address has an invalid port.")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
        raise WebhookError(_("The webhook address must be a web address starting with https://."))
    try:
        outbound.check_url(url)
    except outbound.AddressRefused as error:
        raise WebhookError(str(error)) from None
    token = TOKEN_PARAMS[kind]
    if not parse_qs(parts.query).get(token, [""])[0].strip():
        raise WebhookError(_("This is not a %(kind)s address: it has no %(param)s= parameter. Copy the address "
                            "shown when the robot was added to the group.", kind=KINDS[kind], param=token))
    if secret:
        if kind != "dingtalk":
            raise WebhookError(_("Only DingTalk robots have a signing secret; leave it empty for WeCom."),
                               "webhook_secret")
        if not secret.startswith("SEC") or len(secret) > MAX_SECRET or any(ch.isspace() for ch in secret):
            raise WebhookError(_("A DingTalk signing secret starts with SEC and has no spaces."), "webhook_secret")
    return kind, url, secret or None


def set_unit_webhook(actor, unit, kind, url, secret):
    """Save (or clear, with an empty URL) the unit's group robot; DomainError when malformed."""
    require_admin(actor)
    kind, url, secret = clean_webhook(kind, url, secret)
    before = unit.webhook_kind
    unit.webhook_kind, unit.webhook_url, unit.webhook_secret = kind, url, secret
    audit.record_change(actor, "unit", unit, "webhook_set" if url else "webhook_cleared",
                        from_status=before, to_status=kind)
    db.session.commit()
    return unit


def mask_url(url):
    """The address with its token shortened, for pages that list deliveries."""
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.query:
        return url
    shown = []
    for pair in parts.query.split("&"):
        name, _sep, value = pair.partition("=")
        shown.append(f"{name}=…{value[-4:]}" if name in TOKEN_PARAMS.values() and len(value) > 4 else pair)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(shown)}"


def payload(kind, title, markdown):
    """The JSON body a robot of this kind expects for a markdown message."""
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
    raise ValueError(f"unknown webhook kind {kind!r}")


def dingtalk_signature(secret, timestamp_ms):
    """DingTalk's 加签: base64 HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(url, secret):
    """The DingTalk address with timestamp and sign added (unchanged without a secret)."""
    if not secret:
        return url
    timestamp = int(clock.now().timestamp() * 1000)
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={quote_plus(dingtalk_signature(secret, timestamp))}"


def post(kind, url, secret, title, markdown):
    """Send one markdown message to a robot; DeliveryError when it was not accepted.

    Through outbound.post_json: only to allowed addresses, checked on the one connected to,
    and no redirect is followed (a robot never answers with one).
    """
    target = signed_url(url, secret) if kind == "dingtalk" else url
    body = json.dumps(payload(kind, title, markdown), ensure_ascii=False).encode("utf-8")
    try:
        status, reason, reply = outbound.post_json(target, body, current_app.config["WEBHOOK_TIMEOUT"])
    except outbound.AddressRefused as error:
        raise DeliveryError(f"address not allowed: {mask_url(url)}: {error}") from None
    except OSError as error:
        # whole_channel: this robot's address is down; its other messages of the pass wait for the next one.
        raise DeliveryError(f"cannot reach {mask_url(url)}: {error}", whole_channel=True) from None
    except http.client.HTTPException as error:  # BadStatusLine and the like: not an HTTP server answering
        raise DeliveryError(f"no valid HTTP answer from {mask_url(url)}: {type(error).__name__}: {error}",
                            whole_channel=True) from None
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status} {reason} from {mask_url(url)}: redirects are not followed")
    if status >= 400:
        raise DeliveryError(f"HTTP {status} {reason} from {mask_url(url)}")
    _check_reply(reply, url)


def _check_reply(reply, url):
    """Raise DeliveryError when the robot answered with a non-zero errcode."""
    try:
        answer = json.loads(reply.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return  # an HTTP 2xx without JSON (a proxy, a test double): accepted
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise DeliveryError(f"robot refused the message: errcode {answer.get('errcode')} "
                            f"{answer.get('errmsg', '')} ({mask_url(url)})")
