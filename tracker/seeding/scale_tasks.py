"""The tasks of `flask seed-scale` and everything recorded against them, in realistic proportions.

Of all tasks: 2 % drafts, 6 % to accept, 57 % in progress, 5 % pending review,
25 % closed, 5 % cancelled. Of the open dispatched ones about 14 % are overdue
and 8 % due within a week; one in five tasks in progress has been silent for
over two weeks. 0–3 co-units of the same county (mean 0.9), 0–3 milestones,
progress reports spread over the tasks that report, skewed so that a few tasks
get many; evidence-file rows on 15 % of reports (rows only: no file is written,
the benchmark never downloads); urges on 6 % of open tasks and 30 % of overdue
ones; extension requests on about 8 %; a close-out request on every closed or
pending task, 15 % of them after a rejection; an audit entry for every step;
20–80 inbox messages per unit user, 100 per county leader, 2,000 per supervisor (a
year of close-out and extension requests to review). Tasks made from weak
indicators: one per county and weak result of the current period.
"""
import random
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale

from .. import clock
from ..services.messaging import notifications
from . import demo
from .scale import COLUMNS, TABLE_ORDER
from .scale_history import REPORTING, TaskAudit, Timeline, days

CHUNK_TASKS = 2000  # tasks whose rows are written together (parents first)
STATUS_WEIGHTS = {"draft": 2, "assigned": 6, "in_progress": 57, "pending_review": 5, "closed": 25, "cancelled": 5}
INDICATOR_STATUS_WEIGHTS = {"assigned": 10, "in_progress": 70, "pending_review": 10, "closed": 10}
SOURCE_WEIGHTS = {"inspection": 30, "survey": 20, "supervision": 30, "manual": 20}
LEVEL_WEIGHTS = {"normal": 80, "key": 15, "listed": 5}
CO_UNIT_WEIGHTS = (45, 30, 17, 8)  # 0, 1, 2, 3 co-units
MILESTONE_WEIGHTS = (40, 30, 20, 10)  # 0–3 milestones
SUFFIXES = ("", "", "", "专项整改", "问题整改", "（第二轮）", "攻坚行动", "提质增效")
SOURCE_DETAILS = {"inspection": "省委巡视反馈问题第{n}条", "survey": "群众满意度调查问题第{n}项",
                  "supervision": "督查室专项督查发现问题第{n}条", "manual": None}
REPORT_TEXTS = (
    "本周召开专题推进会，梳理问题清单{n}项，已整改完成{m}项，剩余事项明确责任人和完成时限。",
    "已完成现场核查{n}处，形成整改台账，正在协调相关部门解决资金和用地问题。",
    "组织专班入户走访{n}户，收集意见建议{m}条，已逐条建立销号清单。",
    "项目已完成招投标，施工单位进场，完成工程量约{p}%，下周开展中期验收。",
    "与配合单位联合督导{n}次，发现问题{m}个，已督促立行立改。",
    "完成制度文件修订{n}项，开展业务培训{m}场次，整改措施正在落实。",
)
MILESTONE_TITLES = ("完成问题摸排和台账建立", "完成整改方案审定", "完成项目招投标", "完成主体工程建设",
                    "完成中期评估", "完成整改验收")
INBOX_KINDS = {"unit": ("dispatched", "urged", "extension_approved", "closeout_rejected", "closeout_approved"),
               "supervisor": ("accepted", "closeout_requested", "extension_requested"),
               "leader": ("dispatched", "urged", "closeout_approved")}


def allocate(total, weights, rng):
    """Split `total` into integer shares proportional to `weights` (the remainder to random ones)."""
    weight_sum = sum(weights)
    if not weight_sum:
        return [0] * len(weights)
    shares = [int(total * w / weight_sum) for w in weights]
    candidates = [i for i, w in enumerate(weights) if w]
    for _ in range(total - sum(shares)):
        shares[rng.choice(candidates)] += 1
    return shares


class TaskWriter:
    """Generates the tasks chunk by chunk and writes each chunk's rows, parents first."""

    def __init__(self, writer, reference, spec):
        """Draw from `reference` (units, people, results) with the spec's seed."""
        self.writer, self.ref, self.spec = writer, reference, spec
        self.rng = random.Random(spec.seed + 1)
        self.ids = dict.fromkeys(COLUMNS, 0)
        self.rows = {name: [] for name in COLUMNS}
        self.specs = [spec_ for spec_ in demo.read_task_specs() if spec_["source"] != "indicator"]
        self.unit_weights = [self.rng.lognormvariate(0, 0.6) for _ in reference.unit_ids]
        self.unit_tasks = {}  # unit id -> ids of dispatched tasks it leads (for inbox messages)
        self.labels = {}  # task id -> "code title" (inbox titles)
        self.today, self.now = reference.today, reference.now

    def write_all(self):
        """Every task and its records, then the inbox messages."""
        indicator_tasks = self._indicator_plan()[:self.spec.tasks]
        statuses = [spec_[3] for spec_ in indicator_tasks] + self.rng.choices(
            list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), k=self.spec.tasks - len(indicator_tasks))
        weights = [self.rng.expovariate(1) ** 2 if status in REPORTING else 0.0 for status in statuses]
        report_counts = allocate(self.spec.reports, weights, self.rng)
        for index, status in enumerate(statuses):
            self._task(index + 1, status, report_counts[index],
                       indicator_tasks[index] if index < len(indicator_tasks) else None)
            if (index + 1) % CHUNK_TASKS == 0:
                self.flush()
        self.flush()
        self._inbox()
        self.flush()

    def flush(self):
        """Write the buffered rows, parents before children."""
        for name in TABLE_ORDER:
            if self.rows.get(name):
                self.writer.write(name, COLUMNS[name], self.rows[name])
                self.rows[name] = []

    def add(self, table, *values):
        """Buffer one row with the table's next id first; returns the id."""
        self.ids[table] += 1
        self.rows[table].append((self.ids[table], *values))
        return self.ids[table]

    def at(self, day, earliest=None):
        """A moment during office hours on a local date (not before `earliest`, never after now)."""
        moment = datetime.combine(day, time(8 + self.rng.randint(0, 9), self.rng.randint(0, 59)),
                                  tzinfo=clock.local_tz())
        if earliest is not None:
            moment = max(moment, earliest + timedelta(minutes=5))
        return min(moment, self.now)

    def between(self, start, end):
        """A random moment between two moments."""
        return start + (end - start) * self.rng.random()

    def _indicator_plan(self):
        """(lead unit, co-units, result id and name, status) of one task per county and weak result."""
        plan = []
        for result_id, name, lead_template, co_templates in self.ref.weak_results:
            for county in sorted(self.ref.county_units):
                lead = self.ref.unit_by_template.get((county, lead_template))
                if lead is None:
                    continue
                co = [self.ref.unit_by_template[(county, t)] for t in co_templates
                      if (county, t) in self.ref.unit_by_template and self.ref.unit_by_template[(county, t)] != lead]
                status = self.rng.choices(list(INDICATOR_STATUS_WEIGHTS), list(INDICATOR_STATUS_WEIGHTS.values()))[0]
                plan.append((lead, co, (result_id, name), status))
        return plan

    def _people_of(self, unit_id):
        """The unit's staff, else its head (who reports when there is no staff)."""
        return self.ref.staff.get(unit_id) or [self.ref.heads[unit_id]]

    def _task(self, task_id, status, report_count, indicator):
        """One task and everything recorded against it."""
        rng, ref = self.rng, self.ref
        if indicator:
            lead, co_units, (result_id, indicator_name), _status = indicator
            title, source, detail = f"{indicator_name}整改提升", "indicator", f"{indicator_name}排名靠后"
            spec_ = rng.choice(self.specs)
        else:
            lead = rng.choices(ref.unit_ids, self.unit_weights)[0]
            neighbours = [u for u in ref.county_units[ref.county_of[lead]] if u != lead]
            count = rng.choices(range(4), CO_UNIT_WEIGHTS)[0]
            co_units = sorted(rng.sample(neighbours, min(count, len(neighbours))))
            spec_, result_id = rng.choice(self.specs), None
            suffix = rng.choice(SUFFIXES)
            title = spec_["title"] + ("" if spec_["title"].endswith(suffix) else suffix)
            source = rng.choices(list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values()))[0]
            detail = SOURCE_DETAILS[source] and SOURCE_DETAILS[source].format(n=rng.randint(1, 60))
        level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
        leader = rng.choice(ref.leaders) if ref.leaders and (level == "listed" or rng.random() < 0.7) else None
        t = Timeline(self, status)
        owner = rng.choice(self._people_of(lead)) if t.accepted else None
        head, office = ref.heads[lead], rng.choice(ref.supervisors)
        code = f"ZG{t.created.year}-{task_id:06d}"
        self.labels[task_id] = f"{code} {title}"
        if t.dispatched:
            self.unit_tasks.setdefault(lead, []).append(task_id)
        self.rows["task_co_units"] += [(task_id, unit) for unit in co_units]
        audit = TaskAudit(self, task_id)
        audit.add("created", office, t.created, None, "draft")
        if t.dispatched:
            audit.add("dispatched", office, t.dispatched, "draft", "assigned")
        if t.accepted:
            audit.add("accepted", head, t.accepted, "assigned", "in_progress")
        original = self._extensions(task_id, t, head, office, audit)
        self._milestones(task_id, t, head, owner, audit)
        last_report, percent = self._reports(task_id, t, report_count, lead, co_units, audit)
        self._urges(task_id, t, lead, audit)
        self._closeouts(task_id, t, head, audit)
        if t.cancelled:
            audit.add("cancelled", office, t.cancelled, t.before_cancel, "cancelled", reason="任务调整，予以撤销")
        percent = 100 if status == "closed" else percent
        self.rows["tasks"].append((
            task_id, code, title, spec_["problem"], spec_["measures"], source, detail,
            ref.current_period_id if indicator else None, result_id, lead, leader, owner, t.deadline, original,
            status, level, percent, last_report, office, t.created, max(t.moments), t.dispatched, t.accepted,
            t.requested, clock.to_local(t.requested).date() if t.requested else None, t.closed, t.cancelled,
            audit.transitions + 1))

    def _extensions(self, task_id, t, head, office, audit):
        """Approved, pending and rejected extension requests; returns the original deadline."""
        rng, original = self.rng, t.deadline
        if not t.accepted:
            return original
        end = t.requested or t.cancelled or self.now
        if rng.random() < 0.06:  # an approved extension moved the deadline
            original = t.deadline - days(rng.randint(15, 90))
            asked = self.between(t.accepted, end)
            decided = self.between(asked, end)
            request_id = self.add("extension_requests", task_id, head, original, t.deadline, "工程量增加，申请延期",
                                  "approved", office, decided, "同意延期", asked)
            audit.add("extension_requested", head, asked, t.status_at(asked), t.status_at(asked),
                      "extension_request", request_id, "工程量增加，申请延期")
            audit.add("extension_approved", office, decided, t.status_at(decided), t.status_at(decided),
                      "extension_request", request_id, "同意延期")
        if t.status == "in_progress" and rng.random() < 0.04:
            pending = rng.random() < 0.4
            asked = self.between(t.accepted, self.now)
            decided = None if pending else self.between(asked, self.now)
            request_id = self.add("extension_requests", task_id, head, t.deadline,
                                  t.deadline + days(rng.randint(15, 60)), "受汛期影响，申请延期",
                                  "pending" if pending else "rejected", None if pending else office, decided,
                                  None if pending else "理由不充分", asked)
            audit.add("extension_requested", head, asked, "in_progress", "in_progress", "extension_request",
                      request_id, "受汛期影响，申请延期")
            if not pending:
                audit.add("extension_rejected", office, decided, "in_progress", "in_progress", "extension_request",
                          request_id, "理由不充分")
        return original

    def _milestones(self, task_id, t, head, owner, audit):
        """0–3 milestones between dispatch and the deadline; past ones mostly done."""
        rng = self.rng
        if not t.accepted or t.status == "cancelled":
            return
        start = clock.to_local(t.accepted).date()
        span = max(0, (t.deadline - start).days)
        for number in range(rng.choices(range(4), MILESTONE_WEIGHTS)[0]):
            due = start + days(span * (number + 1) // 4 + rng.randint(0, 5))
            done = t.status == "closed" or (due < self.today and rng.random() < 0.75)
            done_at = self.at(due - days(rng.randint(0, 5)), t.accepted) if done else None
            planned = t.accepted + timedelta(hours=2)
            milestone_id = self.add("milestones", task_id, rng.choice(MILESTONE_TITLES), due, done_at,
                                    "按期完成，已上传佐证材料" if done else None, owner if done else None, planned)
            audit.add("milestone_planned", head, planned, "in_progress", "in_progress", "milestone", milestone_id)
            if done:
                audit.add("milestone_done", owner, done_at, t.status_at(done_at), t.status_at(done_at), "milestone",
                          milestone_id)

    def _reports(self, task_id, t, count, lead, co_units, audit):
        """`count` progress reports up to the last one; returns (last report moment, percent done)."""
        rng = self.rng
        if not count or not t.accepted:
            return None, 0
        end = t.requested or t.cancelled or self.now
        if t.status == "in_progress":
            silent = rng.random() < 0.2
            end = self.now - days(rng.uniform(15, 60) if silent else rng.uniform(0, 12))
        end = max(end, t.accepted + timedelta(hours=1))
        moments = sorted(self.between(t.accepted, end) for _ in range(count - 1)) + [end]
        final = {"in_progress": rng.randint(10, 95), "cancelled": rng.randint(0, 60)}.get(t.status, 100)
        percents = sorted(rng.randint(0, final) for _ in range(count - 1)) + [final]
        for moment, percent in zip(moments, percents, strict=False):
            unit = lead if not co_units or rng.random() < 0.75 else rng.choice(co_units)
            author = rng.choice(self._people_of(unit) + [self.ref.heads[unit]])
            body = rng.choice(REPORT_TEXTS).format(n=rng.randint(2, 30), m=rng.randint(1, 20), p=percent)
            report_id = self.add("progress_reports", task_id, unit, author, body, percent, moment)
            if rng.random() < 0.15:
                self._attachment(task_id, author, moment, report_id=report_id)
            audit.add("reported", author, moment, t.status_at(moment), t.status_at(moment), "progress_report",
                      report_id, f"{percent}%")
        return end, final

    def _attachment(self, task_id, uploader, moment, report_id=None, closeout_id=None):
        """An evidence-file row (no file behind it: the benchmark lists files, never downloads them)."""
        number = self.ids["attachments"] + 1
        name = self.rng.choice(("整改现场照片.jpg", "整改台账.xlsx", "推进会会议纪要.docx", "验收报告.pdf"))
        self.add("attachments", task_id, report_id, closeout_id, uploader, name, f"seed{number:024x}",
                 "application/octet-stream", self.rng.randint(20_000, 3_000_000), f"{number:064x}", moment)

    def _urges(self, task_id, t, lead, audit):
        """Urges on open tasks, more on overdue ones."""
        rng = self.rng
        if t.status not in ("assigned", "in_progress"):
            return
        if rng.random() >= (0.3 if t.deadline < self.today else 0.06):
            return
        for _ in range(rng.choice((1, 1, 2))):
            office, moment = rng.choice(self.ref.supervisors), self.between(t.dispatched, self.now)
            urge_id = self.add("urges", task_id, lead, office, "请加快整改进度，按时报送进展。", moment)
            audit.add("urged", office, moment, t.status_at(moment), t.status_at(moment), "urge", urge_id,
                      "请加快整改进度，按时报送进展。")

    def _closeouts(self, task_id, t, head, audit):
        """The close-out request of a pending or closed task, an earlier rejected one now and then."""
        rng, office = self.rng, self.rng.choice(self.ref.supervisors)
        rejected_before = t.accepted and (t.requested or t.status == "in_progress") and rng.random() < (
            0.15 if t.requested else 0.04)
        if rejected_before:
            asked = self.between(t.accepted, t.requested or self.now)
            decided = self.between(asked, t.requested or self.now)
            request_id = self.add("closeout_requests", task_id, head, "整改任务已基本完成，申请销号。",
                                  t.deadline, "rejected", office, decided, "佐证材料不完整，请补充后重新申请", asked)
            audit.add("closeout_requested", head, asked, "in_progress", "pending_review", "closeout_request",
                      request_id)
            audit.add("closeout_rejected", office, decided, "pending_review", "in_progress", "closeout_request",
                      request_id, "佐证材料不完整，请补充后重新申请")
        if not t.requested:
            return
        approved = t.status == "closed"
        request_id = self.add("closeout_requests", task_id, head, "各项整改措施已全部落实，申请销号。",
                              t.deadline, "approved" if approved else "pending", office if approved else None,
                              t.closed, "经审核，同意销号" if approved else None, t.requested)
        if rng.random() < 0.5:
            self._attachment(task_id, head, t.requested, closeout_id=request_id)
        audit.add("closeout_requested", head, t.requested, "in_progress", "pending_review", "closeout_request",
                  request_id)
        if approved:
            audit.add("closeout_approved", office, t.closed, "pending_review", "closed", "closeout_request",
                      request_id, "经审核，同意销号")

    def _inbox(self):
        """Inbox messages about the users' tasks, 30 % unread."""
        rng, ref = self.rng, self.ref
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            titles = {kind: str(text) for kind, text in notifications.TITLES.items()}
        every = [task_id for ids in self.unit_tasks.values() for task_id in ids]
        for user_id, (role, unit_id) in ref.all_users.items():
            if role in ("unit_head", "unit_staff"):
                pool, kinds, count = self.unit_tasks.get(unit_id, []), INBOX_KINDS["unit"], rng.randint(20, 80)
            elif role in ("supervisor", "leader"):
                pool, kinds, count = every, INBOX_KINDS[role], 2000 if role == "supervisor" else 100
            else:
                continue
            for _ in range(count if pool else 0):
                task_id, kind = rng.choice(pool), rng.choice(kinds)
                created = self.now - days(rng.uniform(0, 90))
                read = None if rng.random() < 0.3 else created + timedelta(hours=rng.uniform(0.5, 48))
                title = (titles[kind] % {"task": self.labels[task_id]})[:notifications.TITLE_LENGTH]
                self.add("notifications", user_id, task_id, kind, title, None, None, created,
                         min(read, self.now) if read else None)
