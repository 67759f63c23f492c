"""Province-scale data for benchmarks: `flask seed-scale` fills an empty database fast.

One installation serving a whole province: N units grouped in counties of 33
(the demo county's departments and towns under each county's name), a head and
one to three staff per unit, the supervision office, the county leaders, two
assessment periods of the demo's 36 indicators, and the tasks with everything
recorded against them (milestones, progress reports with evidence rows, urges,
extension and close-out requests, audit entries, inbox messages), in realistic
proportions (scale_tasks.py).

Rows go in with bulk inserts, never the ORM unit of work: PostgreSQL COPY
through psycopg2 for speed (300 units, 100,000 tasks, 500,000 reports in a
couple of minutes), SQLAlchemy Core executemany in chunks elsewhere (SQLite,
small N for tests). Everything is drawn from one seeded random generator, and
dates are relative to clock.today(): the same seed on the same day gives the
same data. Every user's password is PASSWORD, hashed once.
"""
import csv
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from werkzeug.security import generate_password_hash

from .. import caching, clock
from ..extensions import db
from ..models import ProgressReport, RectificationTask, Unit, User
from ..services import DomainError
from ..services.indicators import periods as assessment_periods
from ..services.indicators import results_import
from . import demo

PASSWORD = "bench12345"
EMAIL_DOMAIN = "bench.example"  # reserved (RFC 2606): a benchmark never mails a real office
UNITS_PER_COUNTY = 33
COUNTY_NAMES = (
    "云溪", "青山", "白河", "南岭", "东湖", "石门", "清水", "金沙", "长乐", "安平", "永和", "龙川", "凤台", "临江",
    "平南", "宁远", "丰城", "兴隆", "德安", "泰和", "新田", "双峰", "武陵", "桃江", "汉寿", "华容", "湘阴", "沅陵",
    "会同", "通道", "江华", "蓝山", "嘉禾", "桂东", "汝城", "宜章", "资兴", "安仁", "炎陵", "茶陵",
)
SUPERVISORS = 5
COPY_CHUNK = 20_000  # rows per COPY / executemany batch
# Parents before children, so every foreign key already points at a row.
TABLE_ORDER = (
    "units", "users", "assessment_periods", "indicators", "indicator_co_units", "indicator_results", "tasks",
    "task_co_units", "milestones", "progress_reports", "closeout_requests", "attachments", "extension_requests",
    "urges", "audit_entries", "notifications",
)

# Column order of the rows the task generator (scale_tasks.py) writes, per table.
COLUMNS = {
    "tasks": ("id", "code", "title", "problem", "measures", "source", "source_detail", "period_id",
              "indicator_result_id", "lead_unit_id", "responsible_leader_id", "owner_id", "deadline_on",
              "original_deadline_on", "status", "supervision_level", "percent_done", "last_reported_at",
              "created_by_id", "created_at", "updated_at", "dispatched_at", "accepted_at", "closeout_requested_at",
              "closeout_requested_on", "closed_at", "cancelled_at", "version"),
    "task_co_units": ("task_id", "unit_id"),
    "milestones": ("id", "task_id", "title", "due_on", "done_at", "done_note", "done_by_id", "created_at"),
    "progress_reports": ("id", "task_id", "unit_id", "author_id", "body", "percent_done", "created_at"),
    "closeout_requests": ("id", "task_id", "requested_by_id", "summary", "deadline_in_force_on", "status",
                          "decided_by_id", "decided_at", "decision_note", "created_at"),
    "attachments": ("id", "task_id", "report_id", "closeout_request_id", "uploaded_by_id", "original_name",
                    "stored_name", "content_type", "size_bytes", "sha256", "created_at"),
    "extension_requests": ("id", "task_id", "requested_by_id", "current_deadline_on", "requested_deadline_on",
                           "reason", "status", "decided_by_id", "decided_at", "decision_note", "created_at"),
    "urges": ("id", "task_id", "unit_id", "urged_by_id", "message", "created_at"),
    "audit_entries": ("id", "task_id", "object_type", "object_id", "actor_id", "action", "from_status",
                      "to_status", "reason", "created_at"),
    "notifications": ("id", "user_id", "task_id", "kind", "title", "body", "link", "created_at", "read_at"),
}


class SeedError(DomainError):
    """The database cannot be seeded (it already holds other data)."""


@dataclass(frozen=True)
class ScaleSpec:
    """How much to make."""

    units: int = 300
    tasks: int = 100_000
    reports: int = 500_000
    seed: int = 20261123


def county_name(index):
    """The name of the index-th county (0-based): 云溪县, 青山县 … then 第41县."""
    return f"{COUNTY_NAMES[index]}县" if index < len(COUNTY_NAMES) else f"第{index + 1}县"


def unit_name(county, template):
    """A demo unit name under a county: 县水利局 → 青山县水利局, 城关镇 → 青山县城关镇."""
    return county + (template.removeprefix("县"))


class RowWriter:
    """Bulk-insert rows (tuples in a table's given column order): COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection):
        """Write through this SQLAlchemy connection, inside its transaction."""
        self.connection = connection
        self.is_postgres = connection.dialect.name == "postgresql"
        self.counts = {}

    def write(self, table_name, columns, rows):
        """Insert `rows` into the table, in chunks."""
        table = db.metadata.tables[table_name]
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start:start + COPY_CHUNK]
            if self.is_postgres:
                self._copy(table_name, columns, chunk)
            else:
                self.connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in chunk])
        self.counts[table_name] = self.counts.get(table_name, 0) + len(rows)

    def _copy(self, table_name, columns, rows):
        """COPY … FROM STDIN in CSV: an unquoted empty field is NULL, so None is written as nothing."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([_copy_value(value) for value in row])
        buffer.seek(0)
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            cursor.copy_expert(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
        finally:
            cursor.close()

    def finish(self):
        """Move each id sequence past the ids written (PostgreSQL), so the application's inserts go on from there."""
        if not self.is_postgres:
            return
        for table_name in self.counts:
            if "id" in db.metadata.tables[table_name].c:
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table_name}), 0) + 1, false)")


def _copy_value(value):
    """A Python value as COPY's CSV reads it (timestamps as naive UTC, like UTCDateTime stores them)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value  # the generators never make "" (it would read back as NULL)


def counts_now():
    """(units, tasks, progress reports) in the database."""
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Unit, RectificationTask, ProgressReport))


def is_seeded(spec):
    """True when the database holds exactly the units, tasks and reports of `spec` (a re-run skips seeding)."""
    return counts_now() == (spec.units, spec.tasks, spec.reports) and bool(db.session.scalar(
        db.select(User.id).where(User.username == "supervisor1")))


def seed(spec):
    """Fill an empty database with `spec`'s data in one transaction; returns a one-line summary."""
    from . import scale_tasks

    if any(counts_now()) or db.session.scalar(db.select(db.func.count()).select_from(User)):
        raise SeedError("The database already holds data; seed-scale loads only into an empty one "
                        "(create a fresh database, then `flask db upgrade`).")
    db.session.remove()
    started = time.perf_counter()
    with db.engine.begin() as connection:
        writer = RowWriter(connection)
        reference = write_reference(writer, spec)
        scale_tasks.TaskWriter(writer, reference, spec).write_all()
        writer.finish()
        connection.execute(caching.raise_statement(connection.dialect.name))  # written past the ORM's events
    if writer.is_postgres:
        # Outside the transaction: VACUUM sets the visibility map, so index-only scans work from the start
        # (as they do on a database that autovacuum has been looking after).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM ANALYZE {', '.join(writer.counts)}")
    seconds = time.perf_counter() - started
    counts = ", ".join(f"{name} {writer.counts[name]}" for name in TABLE_ORDER if writer.counts.get(name))
    return f"Seeded in {seconds:.1f} s ({writer.connection.dialect.name}): {counts}. Password: {PASSWORD}"


@dataclass
class Reference:
    """What the task generator draws from: units by county, people by unit and role, weak results."""

    now: datetime
    today: object
    unit_ids: list
    county_of: dict  # unit id -> county index
    county_units: dict  # county index -> [unit ids]
    heads: dict  # unit id -> user id
    staff: dict  # unit id -> [user ids]
    supervisors: list
    leaders: list  # non-principal leader ids (responsible leaders of tasks)
    all_users: dict  # user id -> (role, unit id)
    current_period_id: int
    weak_results: list  # (result id, indicator name, lead-unit template, [co-unit templates]) of the current period
    unit_by_template: dict  # (county index, template name) -> unit id


def write_reference(writer, spec):
    """Units, users, periods, indicators and results; returns what the task generator needs."""
    import random

    rng = random.Random(spec.seed)
    now, today = clock.now(), clock.today()
    templates = demo_units()
    units, county_of, county_units, by_template = [], {}, {}, {}
    for index in range(spec.units):
        county, (template, kind) = index // UNITS_PER_COUNTY, templates[index % UNITS_PER_COUNTY]
        unit_id = index + 1
        units.append((unit_id, unit_name(county_name(county), template), kind, True, now))
        county_of[unit_id] = county
        county_units.setdefault(county, []).append(unit_id)
        by_template[(county, template)] = unit_id
    writer.write("units", ("id", "name", "kind", "is_active", "created_at"), units)
    people = _people(rng, spec, now)
    writer.write("users", USER_COLUMNS, people["rows"])
    current, weak = _assessments(writer, rng, by_template, now)
    return Reference(
        now=now, today=today, unit_ids=[row[0] for row in units], county_of=county_of, county_units=county_units,
        heads=people["heads"], staff=people["staff"], supervisors=people["supervisors"], leaders=people["leaders"],
        all_users=people["all"], current_period_id=current, weak_results=weak, unit_by_template=by_template,
    )


def demo_units():
    """The demo county's 33 (name, kind) pairs, the template of every county."""
    with open(demo.data_path(demo.UNITS_FILE), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(row["单位名称"].strip(), demo.UNIT_KIND_ALIASES[row["单位类型"].strip()]) for row in rows]


USER_COLUMNS = ("id", "username", "display_name", "title", "email", "role", "unit_id", "is_active", "password_hash",
                "is_principal", "must_change_password", "created_at")


def _people(rng, spec, now):
    """Admin, supervisors, leaders (demo titles) and a head plus 1–3 staff per unit, sharing one password hash."""
    # Hashing is deliberately slow (scrypt): once for everybody, not once per user.
    password_hash = generate_password_hash(PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])
    rows, found = [], {"heads": {}, "staff": {}, "supervisors": [], "leaders": [], "all": {}}

    def add(username, display_name, role, unit_id=None, title=None, is_principal=False):
        """One user row; returns its id."""
        user_id = len(rows) + 1
        rows.append((user_id, username, display_name, title, f"{username}@{EMAIL_DOMAIN}", role, unit_id, True,
                     password_hash, is_principal, False, now))
        found["all"][user_id] = (role, unit_id)
        return user_id

    add("admin", "系统管理员", "admin")
    for number in range(1, SUPERVISORS + 1):
        found["supervisors"].append(add(f"supervisor{number}", f"督查员{number}", "supervisor", title="督查室"))
    for number, (title, (name, _login)) in enumerate(demo.LEADERS.items(), start=1):
        principal = title in demo.PRINCIPAL_TITLES
        user_id = add(f"leader{number}", name, "leader", title=title, is_principal=principal)
        if not principal:
            found["leaders"].append(user_id)
    names = [s[0] + g[0] for s in demo.SURNAMES for g in demo.GIVEN_NAMES]
    for unit_id in range(1, spec.units + 1):
        found["heads"][unit_id] = add(f"unit{unit_id:03d}head", rng.choice(names), "unit_head", unit_id, "主要负责人")
        found["staff"][unit_id] = [
            add(f"unit{unit_id:03d}staff{n}", rng.choice(names), "unit_staff", unit_id, "联络员")
            for n in range(1, rng.choice((1, 2, 2, 3)) + 1)]
    return {"rows": rows, **found}


def _assessments(writer, rng, by_template, now):
    """The demo's 36 indicators with two half-year periods of results; returns (current period id, weak results)."""
    parsed = demo.read_results()
    periods = [(1, *demo.CURRENT_PERIOD), (2, *demo.PREVIOUS_PERIOD)]
    writer.write("assessment_periods", ("id", "name", "kind", "starts_on", "ends_on", "rule_bottom_k",
                                        "rule_last_place", "rule_behind_progress", "default_deadline_days",
                                        "created_at"),
                 [(pid, name, assessment_periods.kind_for_dates(start, end), start, end, 3, True, True, 90, now)
                  for pid, name, start, end in periods])
    indicators, co_rows, results, weak = [], [], [], []
    first_county = {template: unit_id for (county, template), unit_id in by_template.items() if county == 0}
    for number, row in enumerate(parsed.rows, start=1):
        indicators.append((
            number, row.name, row.category or "其他", row.weight, row.measure_unit,
            row.direction or results_import.infer_direction(row.name, row.measure_unit),
            row.kind or results_import.infer_kind(row.name, row.measure_unit), row.is_veto, row.bonus_cap,
            row.formula, first_county.get(row.lead_unit_name), row.leader_title, now))
        co_rows += [(number, first_county[name]) for name in dict.fromkeys(row.co_unit_names) if name in first_county]
        earlier = demo._vary(row, rng)
        for period_id, values in ((1, row), (2, earlier)):
            result_id = len(results) + 1
            results.append((result_id, period_id, number, values.score, values.rank, values.peer_count,
                            values.target_value, values.actual_value, values.expected_progress, now, now))
            if period_id == 1 and row.rank is not None and row.peer_count and row.rank > row.peer_count - 3:
                weak.append((result_id, row.name, row.lead_unit_name, list(row.co_unit_names)))
    writer.write("indicators", ("id", "name", "category", "weight", "measure_unit", "direction", "kind", "is_veto",
                                "bonus_cap", "formula", "lead_unit_id", "leader_title", "created_at"), indicators)
    writer.write("indicator_co_units", ("indicator_id", "unit_id"), co_rows)
    writer.write("indicator_results", ("id", "period_id", "indicator_id", "score", "rank", "peer_count",
                                       "target_value", "actual_value", "expected_progress", "created_at",
                                       "updated_at"), results)
    return 1, weak
