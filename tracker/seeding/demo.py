"""The demo county 云溪县: units, two assessment periods, users of every role, tasks in every state.

`load_demo()` fills an empty database in one transaction (`flask seed-demo`,
`make run`). Task dates are relative to clock.today(), so the demo always looks
alive; everything else is fixed, so every run gives the same data. The files it
reads live in tracker/seeding/demo_data/, inside the package.
"""
import csv
import json
import os
import random
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import gettext as _

from ..extensions import db
from ..models import AssessmentPeriod, RectificationTask, Unit, User
from ..models.task import STATUSES
from ..models.unit import UNIT_KIND_ALIASES
from ..services import DomainError
from ..services.indicators import periods, results_import
from ..services.indicators.results_parser import parse_results
from ..services.transaction import one_transaction
from . import demo_notices, demo_tasks

DEMO_PASSWORD = "demo12345"
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_data")
UNITS_FILE = "units.csv"
RESULTS_FILE = "assessment-2026H1.xlsx"
# The 前三季度 sheet (written by tests/data/make_assessment_2026q1_3.py): the period after the half-year.
LATER_RESULTS_FILE = "assessment-2026Q1-3.xlsx"
TASKS_FILE = "tasks.json"
# A reserved domain (RFC 2606): the demo must never mail a real office, whatever relay is configured.
EMAIL_DOMAIN = "yunxi.example"

CURRENT_PERIOD = ("2026年上半年考核", date(2026, 1, 1), date(2026, 6, 30))
PREVIOUS_PERIOD = ("2025年下半年考核", date(2025, 7, 1), date(2025, 12, 31))
LATER_PERIOD = ("2026年前三季度考核", date(2026, 1, 1), date(2026, 9, 30))
# What the office did with the 前三季度 board: a hand mark, and a carried task linked to the new result.
HAND_MARK = ("农村安全饮水解困项目完成率", "weak",
             "市水利局反馈：农村饮水项目验收滞后，实际进度全市摆尾，本期按弱项督办")
LINKED = "服务业增加值增速"  # weak in both periods: its half-year task answers 前三季度 too

WATER = "县水利局"  # the unit of the `unithead` / `unitstaff` logins
UNITS_WITHOUT_STAFF = {"白马乡", "龙泉乡"}  # small towns where the head reports himself
# The county leaders, by the titles the results sheet names; 常务副县长 logs in as `leader`.
LEADERS = {
    "常务副县长": ("王建国", "wangjianguo"),
    "县长": ("陈志强", "chenzhiqiang"),
    "县委书记": ("李卫东", "liweidong"),
    "分管工业副县长": ("赵立新", "zhaolixin"),
    "分管农业副县长": ("孙德明", "sundeming"),
    "分管社会事业副县长": ("周丽华", "zhoulihua"),
    "分管城建副县长": ("吴海涛", "wuhaitao"),
    "县委副书记": ("郑国强", "zhengguoqiang"),
    "县纪委书记": ("冯志刚", "fengzhigang"),
}
PRINCIPAL_TITLES = {"县长", "县委书记"}
SURNAMES = [s.split(":") for s in ["黄:huang", "林:lin", "何:he", "高:gao", "罗:luo", "马:ma", "梁:liang",
                                   "宋:song", "谢:xie", "韩:han", "唐:tang", "于:yu", "董:dong", "萧:xiao",
                                   "程:cheng", "曹:cao", "袁:yuan", "邓:deng", "许:xu", "傅:fu", "沈:shen",
                                   "曾:zeng", "彭:peng", "吕:lv", "苏:su", "卢:lu", "蒋:jiang", "蔡:cai", "贾:jia",
                                   "丁:ding", "魏:wei", "薛:xue", "叶:ye", "阎:yan", "余:yu", "潘:pan", "杜:du",
                                   "戴:dai", "夏:xia", "钟:zhong"]]
GIVEN_NAMES = [g.split(":") for g in ["志明:zhiming", "晓燕:xiaoyan", "伟:wei", "建华:jianhua", "丹:dan", "俊:jun",
                                      "静:jing", "涛:tao", "秀英:xiuying", "磊:lei", "海燕:haiyan", "文博:wenbo",
                                      "雪梅:xuemei", "立军:lijun", "春燕:chunyan", "国华:guohua", "红梅:hongmei",
                                      "振宇:zhenyu", "佳怡:jiayi", "浩然:haoran", "思远:siyuan", "玉兰:yulan",
                                      "永明:yongming", "丽娟:lijuan", "德华:dehua", "小军:xiaojun", "婷:ting",
                                      "勇:yong", "芳:fang", "明辉:minghui", "爱华:aihua", "建军:jianjun",
                                      "秀兰:xiulan", "鹏:peng", "桂芳:guifang", "志远:zhiyuan", "慧:hui",
                                      "少华:shaohua", "凤英:fengying", "长江:changjiang", "晓明:xiaoming", "燕:yan",
                                      "光辉:guanghui"]]
HEAD_TITLES = (("纪委监委", "常务副书记"), ("局", "局长"), ("镇", "镇长"), ("乡", "乡长"), ("部", "常务副部长"),
               ("办", "主任"), ("中心", "主任"))


class DemoError(DomainError):
    """The demo cannot be loaded (the database already holds data)."""


@dataclass
class People:
    """The demo's users by the part they play."""

    admin: User = None
    supervisor: User = None
    kaohe: User = None
    leaders: dict = field(default_factory=dict)  # title -> User
    heads: dict = field(default_factory=dict)  # unit name -> User
    staff: dict = field(default_factory=dict)  # unit name -> User (not every unit has one)

    def owner_in(self, unit_name):
        """Who owns (and reports on) a unit's tasks: its staff member, else its head."""
        return self.staff.get(unit_name) or self.heads[unit_name]


def load_demo(later_period=True):
    """Load the demo county into an empty database in one transaction; returns a one-line summary.

    `later_period`: False leaves 前三季度 out (tests that import its sheet through the pages).
    """
    for model in (Unit, User):
        if db.session.scalar(db.select(db.func.count()).select_from(model)):
            raise DemoError(_("The database already holds units or users; the demo loads only into an empty one."))
    # The results go through the same import service as the page and the CLI; one_transaction
    # holds its commits back so the whole demo is still loaded, or not, as one.
    with one_transaction():
        units = load_units()
        parsed = read_results()
        current = load_period(CURRENT_PERIOD, parsed, previous=False)
        load_period(PREVIOUS_PERIOD, parsed, previous=True)
        rows = parsed.rows
        people = load_users(units, rows)
        tasks = demo_tasks.load_tasks(read_task_specs(), units, people, current)
        demo_notices.issue_all()
        if later_period:
            load_later_period(people)
    return summary(len(units), len(people.heads) + len(people.staff) + len(people.leaders) + 3, len(rows), tasks,
                   3 if later_period else 2)


def data_path(name):
    """Path of a file shipped in tracker/seeding/demo_data."""
    return os.path.join(DATA_DIR, name)


def load_units():
    """Create the 33 units of units.csv (部门 → department, 乡镇 → town); returns them by name."""
    with open(data_path(UNITS_FILE), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    units = {row["单位名称"].strip(): Unit(name=row["单位名称"].strip(),
                                          kind=UNIT_KIND_ALIASES[row["单位类型"].strip()])
             for row in rows}
    db.session.add_all(units.values())
    return units


def read_results():
    """The half-year results sheet (36 rows), read by the same parser the import uses."""
    with open(data_path(RESULTS_FILE), "rb") as handle:
        result = parse_results(handle.read(), RESULTS_FILE)
    if result.errors:
        raise DemoError(f"{RESULTS_FILE}: {result.errors[0].row} {result.errors[0].message}")
    return result


def read_task_specs():
    """The task specs: title, units, source, level, texts and the scenario each one plays."""
    with open(data_path(TASKS_FILE), encoding="utf-8") as handle:
        return json.load(handle)


def load_period(spec, parsed, previous):
    """Import a half-year period's results: the sheet's, or plausible earlier ones, through the import service."""
    name, starts_on, ends_on = spec
    period = AssessmentPeriod(name=name, kind=periods.kind_for_dates(starts_on, ends_on), starts_on=starts_on,
                              ends_on=ends_on)
    if previous:
        rng = random.Random(2025)  # the same "earlier" results on every run
        parsed = replace(parsed, rows=[_vary(row, rng) for row in parsed.rows])
    plan = results_import.plan_rows(period, parsed, RESULTS_FILE)
    if not plan.ok:
        raise DemoError(f"{RESULTS_FILE}: {plan.errors[0].row} {plan.errors[0].message}")
    results_import.apply_plan(None, plan)
    return period


def load_later_period(people):
    """前三季度: its sheet imported after the half-year's tasks, so open ones carry over and closed ones are
    rechecked (回头看: 安全生产 still weak, 城镇新增就业人数 better ranked); one hand mark, one link."""
    from ..services.indicators import continuity, marks, weakness

    with open(data_path(LATER_RESULTS_FILE), "rb") as handle:
        parsed = parse_results(handle.read(), LATER_RESULTS_FILE)
    name, starts_on, ends_on = LATER_PERIOD
    period = AssessmentPeriod(name=name, kind=periods.kind_for_dates(starts_on, ends_on), starts_on=starts_on,
                              ends_on=ends_on)
    plan = results_import.plan_rows(period, parsed, LATER_RESULTS_FILE)
    if parsed.errors or not plan.ok:
        error = (parsed.errors or plan.errors)[0]
        raise DemoError(f"{LATER_RESULTS_FILE}: {error.row} {error.message}")
    results_import.apply_plan(None, plan)
    results = {item.indicator.name: item.result for item in weakness.evaluate_period(period)}
    indicator, mark, reason = HAND_MARK
    marks.set_mark(people.supervisor, results[indicator], mark, reason)
    carried = continuity.answering_tasks(period).get(results[LINKED].indicator_id, [])
    task = next(task for task in carried if task.carried and task.status != "draft")
    continuity.link(people.supervisor, db.session.get(RectificationTask, task.id), results[LINKED])
    return period


def _vary(row, rng):
    """This period's sheet row turned into a nearby one for the period before (a rank a few places off)."""
    rank = min(row.peer_count, max(1, row.rank + rng.choice((-4, -3, -2, -1, 0, 1, 2))))
    rate = 1 - 0.05 * (rank - 1) - rng.uniform(0, 0.04)
    actual = row.actual_value
    if row.target_value is not None:
        actual = round(row.target_value * rng.uniform(0.85, 1.1), 1)
    # A second half-year ends with the year: its time-elapsed progress is 100%.
    return replace(row, rank=rank, score=round(row.weight * max(rate, 0.3), 2), actual_value=actual,
                   expected_progress=1.0)


def load_users(units, rows):
    """Create the office, the county leaders and a head (and mostly a staff member) per unit."""
    people = People()
    password_hash = _password_hash()

    def add(username, display_name, role, email_name, unit=None, title=None, is_principal=False):
        """Add one user with the shared password hash."""
        user = User(username=username, display_name=display_name, role=role, unit=unit, title=title,
                    email=f"{email_name}@{EMAIL_DOMAIN}", is_principal=is_principal, password_hash=password_hash)
        db.session.add(user)
        return user

    people.admin = add("admin", "系统管理员", "admin", "admin")
    people.supervisor = add("supervisor", "张敏", "supervisor", "zhangmin", title="县委县政府督查室主任")
    people.kaohe = add("kaohe", "刘洋", "supervisor", "liuyang", title="县考核办副主任")
    titles = list(dict.fromkeys(row.leader_title for row in rows if row.leader_title))
    titles += [title for title in LEADERS if title not in titles]
    others = [title for title in titles if title != "常务副县长"]
    for title in titles:
        username = "leader" if title == "常务副县长" else f"leader{others.index(title) + 2}"
        name, email_name = LEADERS.get(title, (title, username))
        people.leaders[title] = add(username, name, "leader", email_name, title=title,
                                    is_principal=title in PRINCIPAL_TITLES)
    names = _unit_people_names()
    for index, (unit_name, unit) in enumerate(units.items(), start=1):
        head_name, staff_name = next(names), next(names)
        is_water = unit_name == WATER
        people.heads[unit_name] = add("unithead" if is_water else f"head_{index}", head_name[0], "unit_head",
                                      head_name[1], unit, _head_title(unit_name))
        if unit_name not in UNITS_WITHOUT_STAFF:
            people.staff[unit_name] = add("unitstaff" if is_water else f"staff_{index}", staff_name[0],
                                          "unit_staff", staff_name[1], unit, "联络员")
    return people


def _password_hash():
    """One hash of the demo password, shared by every demo user."""
    # Hashing is deliberately slow (scrypt): once per user would make loading take seconds,
    # and every demo user has the same password anyway.
    probe = User()
    probe.set_password(DEMO_PASSWORD)
    return probe.password_hash


def _unit_people_names():
    """An endless, fixed sequence of distinct (name, email name) pairs for unit users."""
    seen = set()
    for step in range(len(SURNAMES) * len(GIVEN_NAMES)):
        surname = SURNAMES[step % len(SURNAMES)]
        given = GIVEN_NAMES[(step * 7) % len(GIVEN_NAMES)]
        email = surname[1] + given[1]
        while email in seen:
            email += "1"
        seen.add(email)
        yield surname[0] + given[0], email


def _head_title(unit_name):
    """The usual title of a unit's head: 局长, 镇长, 主任…"""
    return next((title for suffix, title in HEAD_TITLES if unit_name.endswith(suffix)), "主要负责人")


def summary(unit_count, user_count, result_count, tasks, period_count=3):
    """One line saying what was loaded."""
    counts = dict.fromkeys(STATUSES, 0)
    for task in tasks:
        counts[task.status] += 1
    by_status = ", ".join(f"{status} {count}" for status, count in counts.items())
    return (f"云溪县: {unit_count} units, {user_count} users, {period_count} periods "
            f"({result_count} indicator results each), "
            f"{len(tasks)} tasks ({by_status}). Every demo user's password is {DEMO_PASSWORD}.")
