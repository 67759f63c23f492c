"""The demo county's bulletins: an issue voided (作废) and its correction (更正), the last month issued, a 截至 draft.

Loaded by `flask seed-demo` after the county (load_demo), through the same services
as the pages: two months back, 第1期 is issued on the 3rd, voided on the 5th and
corrected by 第2期; last month is issued on the 3rd of this month as 第3期 (numbers
per year: the months of another year start at 第1期 again); the month under way has
a draft standing 截至 today. Each issue writes its PDF and .docx, so this takes a
few seconds and is kept out of load_demo (which must stay under three seconds).
"""
from datetime import datetime, time, timedelta

from .. import clock
from ..extensions import db
from ..models import User
from ..services.bulletins import lifecycle, voiding

REQUIREMENTS = (
    "一是压实整改责任。各牵头单位主要负责人要亲自研究、亲自部署，对逾期任务逐项明确完成时限。\n"
    "二是强化督查问效。督查室将对排名靠后的单位开展专项督查，对整改不力的按规定约谈问责。\n"
    "三是抓好回头看。已销号任务所涉指标仍为弱项的，相关单位要重新研究整改措施。"
)
VOID_REASON = "表1中县商务局两项任务的销号时间录入有误，排名和销号率计算错误，本期作废，以更正通报为准。"


def _month(first_day):
    """YYYY-MM of a month's first day."""
    return first_day.strftime("%Y-%m")


def _at(day, hour):
    """A moment on a local day."""
    return datetime.combine(day, time(hour), tzinfo=clock.local_tz())


def load_bulletins():
    """Issue, void and correct the demo's bulletins; returns a one-line summary."""
    supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
    today = clock.today()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    before = (last_month - timedelta(days=1)).replace(day=1)
    issue_day = min(this_month + timedelta(days=2), today)  # the 3rd, or today on the 1st and 2nd
    with clock.frozen(_at(last_month + timedelta(days=2), 9)):
        voided = lifecycle.issue(supervisor, lifecycle.generate_draft(supervisor, _month(before), REQUIREMENTS))
    with clock.frozen(_at(last_month + timedelta(days=4), 10)):
        voiding.void(supervisor, voided, VOID_REASON)
        corrected = lifecycle.issue(supervisor, lifecycle.generate_draft(supervisor, _month(before)))
    with clock.frozen(_at(issue_day, 9 if issue_day < today else 0)):
        last = lifecycle.issue(supervisor, lifecycle.generate_draft(supervisor, _month(last_month), REQUIREMENTS))
    draft = lifecycle.generate_draft(supervisor, _month(this_month), REQUIREMENTS)
    return (f"bulletins: {voided.month} No. {voided.issue_no} voided and corrected by No. {corrected.issue_no}, "
            f"{last.month} No. {last.issue_no} issued, {draft.month} draft as of {draft.as_of}")
