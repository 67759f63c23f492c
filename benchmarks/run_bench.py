"""`make bench`: the product at province scale on PostgreSQL, under HTTP load, with the figures in a table.

1. PostgreSQL: scripts/ci-postgres.sh starts the cluster (idempotent) and gives
   the `tracker` role's URL; the benchmark uses a database of its own
   (tracker_bench), created when missing, never the test database.
2. `flask db upgrade`, then `flask seed-scale` (skipped when the database
   already holds exactly that data, so a re-run starts in seconds; a database
   holding other data is dropped and made again).
3. In-process, before any load: the weekly alert (the real job) timed with its
   SQL statements counted, and the statements of each page (app_probe.py).
4. gunicorn (2 workers × 4 threads, production settings) and `flask scheduler
   run` beside it, each in its own process group.
5. A short warm-up, then the load: 8 logged-in clients of several roles, back
   to back, 30 s (load.py), with the peak memory of each gunicorn worker.
6. The monthly bulletin at county and city size (bulletin_bench.py).
7. The table, and each target met or missed.

Every process started is stopped at the end, also on error or Ctrl-C, and the
whole run is bounded (--timeout). Options: --help.
"""
import argparse
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import load, report  # noqa: E402

BIN = os.path.dirname(sys.executable)


def log(message):
    """Progress on stderr, so stdout holds only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command, env, timeout, capture=True):
    """Run a command to completion (bounded); its stdout; SystemExit with its output when it fails."""
    done = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, text=True,
                          capture_output=capture, check=False)
    if done.returncode:
        sys.stderr.write((done.stdout or "") + (done.stderr or ""))
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    return done.stdout or ""


def postgres_url(database):
    """Start PostgreSQL (scripts/ci-postgres.sh) and return the URL of `database` for the tracker role."""
    url = run(["bash", "scripts/ci-postgres.sh"], os.environ, 300).strip().splitlines()[-1]
    return url.rsplit("/", 1)[0] + "/" + database, url


def ensure_database(admin_url, database, fresh):
    """Create the benchmark database when missing (dropped first when `fresh`); the role has CREATEDB."""
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if fresh:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cursor.fetchone() is None:
                log(f"creating database {database}")
                cursor.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                               "LC_CTYPE 'C.UTF-8' TEMPLATE template0")
            cursor.execute("SELECT version()")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def app_env(url, base_url, workdir):
    """The environment of every app process: production settings on the benchmark database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SCHEDULE_", "MAIL_"))}
    env.update(
        DATABASE_URL=url, TRACKER_ENV="production", FLASK_APP="wsgi", SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_SECURE="0",  # plain http on loopback
        TRACKER_BASE_URL=base_url, UPLOAD_DIR=os.path.join(workdir, "uploads"),
        BULLETIN_DIR=os.path.join(workdir, "bulletins"),
        # The month-end bulletin is measured on its own (step 6), not fired by a catch-up during the load.
        SCHEDULE_MONTHLY_BULLETIN="off",
        MAIL_SERVER="127.0.0.1", MAIL_PORT="9", MAIL_TIMEOUT="2",  # nothing is mailed from a benchmark
        PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore",
    )
    env.pop("TRACKER_SCHEDULER_IN_PROCESS", None)
    return env


def seed(env, args, admin_url):
    """Migrate and seed; a database with other data is made again."""
    run([f"{BIN}/flask", "db", "upgrade"], env, 600)
    command = [f"{BIN}/flask", "seed-scale", "--units", str(args.units), "--tasks", str(args.tasks),
               "--reports", str(args.reports)]
    done = subprocess.run(command, cwd=ROOT, env=env, timeout=1800, text=True, capture_output=True, check=False)
    if done.returncode and "already holds data" in (done.stdout + done.stderr):
        log("the database holds other data: making it again")
        ensure_database(admin_url, args.database, fresh=True)
        run([f"{BIN}/flask", "db", "upgrade"], env, 600)
        done = subprocess.run(command, cwd=ROOT, env=env, timeout=1800, text=True, capture_output=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("seed-scale failed")
    return done.stdout.strip().splitlines()[-1]


def probe(env, what, *extra, timeout=900):
    """One app_probe.py measurement, parsed from its last line."""
    output = run([sys.executable, os.path.join(ROOT, "benchmarks", "app_probe.py"), what, *extra], env, timeout)
    return json.loads(output.strip().splitlines()[-1])


def start(stack, command, env, logfile):
    """Start a process in its own process group; the stack stops the whole group at the end."""
    handle = open(logfile, "w")  # noqa: SIM115  (closed by stop(), with the process, at the end)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)
    stack.callback(stop, process, handle)
    return process


def stop(process, handle, grace=15):
    """SIGTERM the process group, SIGKILL it after `grace` seconds."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
    except ProcessLookupError:
        pass
    handle.close()


def wait_until_up(base_url, process, timeout=90):
    """Poll the login page until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited at start; see its log")
        try:
            with urllib.request.urlopen(base_url + "/auth/login", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in time")


def children_of(pid):
    """Pids of the direct children of a process (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def cpu_of(pid):
    """CPU seconds (user + system) a process has used, or 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids():
    """Pids of every PostgreSQL server process on the machine (the benchmark's backends among them)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == "postgres":
                        found.append(int(entry))
            except OSError:
                continue
    return found


def cpu_snapshot(groups):
    """CPU seconds so far: the whole machine (busy time from /proc/stat) and each group of pids."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    busy = (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    return {"machine": busy, **{name: {pid: cpu_of(pid) for pid in pids()} for name, pids in groups.items()}}


def cpu_used(before, after, seconds):
    """Core-seconds each group used between two snapshots, and what the machine had."""
    used = {"available": seconds * os.cpu_count(), "machine busy": after["machine"] - before["machine"]}
    for name in after:
        if name != "machine":
            used[name] = sum(cpu - before[name].get(pid, 0.0) for pid, cpu in after[name].items())
    used["other processes"] = used["machine busy"] - sum(v for k, v in used.items()
                                                         if k not in ("available", "machine busy"))
    return used


def machine():
    """What the figures were measured on."""
    with open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    with open("/proc/meminfo") as handle:
        memory = int(next(line.split()[1] for line in handle if line.startswith("MemTotal"))) / 1024 / 1024
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory, 1), "python": platform.python_version(),
            "kernel": platform.release()}


def bulletins(env):
    """The monthly bulletin at county and city size: one render each in a fresh process (bulletin_bench.py)."""
    found = {}
    for size in ("county", "city"):
        output = run([sys.executable, os.path.join(ROOT, "benchmarks", "bulletin_bench.py"), "--child", size,
                      "--runs", "1"], {**env, "TRACKER_ENV": "development"}, 600)
        found[size] = json.loads(output.strip().splitlines()[-1])
    return found


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=500_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30, help="seconds of measured load")
    parser.add_argument("--warmup", type=float, default=8, help="seconds of unmeasured load first")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause of each client between requests, seconds (0: back to back)")
    parser.add_argument("--write-every", type=float, default=0.0,
                        help="one more user, a supervisor, urges a task this often (seconds): writes that change "
                             "the figures every page keeps until the data changes; 0: none")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="tracker_bench")
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark database and seed it again")
    parser.add_argument("--skip-bulletins", action="store_true")
    parser.add_argument("--skip-pages", type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
                        default=[], help='pages left out of the load, e.g. "dashboard"')
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--timeout", type=int, default=2400, help="give up (and clean up) after this many seconds")
    return parser.parse_args()


def timed_out(signum, _frame):
    """SIGALRM or SIGTERM: leave through the normal exit path, so every started process is stopped."""
    raise SystemExit(f"the benchmark was stopped ({signal.Signals(signum).name})")


def main():
    """Run every step; stop everything started, whatever happens."""
    args = parse_args()
    signal.signal(signal.SIGALRM, timed_out)
    signal.signal(signal.SIGTERM, timed_out)  # e.g. `timeout` in the Makefile: clean up the same way
    signal.alarm(args.timeout)
    figures = {"machine": machine(), "args": vars(args), "command": " ".join(sys.argv),
               "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    url, admin_url = postgres_url(args.database)
    figures["postgres"] = ensure_database(admin_url, args.database, args.fresh)
    base_url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as workdir, ExitStack() as stack:
        env = app_env(url, base_url, workdir)
        log("migrating and seeding (skipped when already seeded)")
        figures["seed"] = seed(env, args, admin_url)
        log(figures["seed"])
        log("weekly alert, in-process")
        figures["alert"] = probe(env, "alert")
        log("statements per page, in-process")
        figures["statements"] = probe(env, "pages")
        plan = {"base": base_url, "password": "bench12345",
                "clients": probe(env, "plan", "--clients", str(args.clients))}
        if args.write_every:
            plan["writer"] = probe(env, "writer")
        for client in plan["clients"]:  # --skip-pages: what the other pages do without them
            client["weights"] = {page: w for page, w in client["weights"].items() if page not in args.skip_pages}
        log(f"gunicorn {args.workers} workers x {args.threads} threads and the scheduler")
        server = start(stack, [f"{BIN}/gunicorn", "-w", str(args.workers), "--threads", str(args.threads),
                               "-k", "gthread", "-b", f"127.0.0.1:{args.port}", "--log-level", "warning",
                               "wsgi:app"], env, os.path.join(workdir, "gunicorn.log"))
        scheduler = start(stack, [f"{BIN}/flask", "scheduler", "run"], env, os.path.join(workdir, "scheduler.log"))
        wait_until_up(base_url, server)
        workers = children_of(server.pid)
        log(f"warm-up {args.warmup:.0f} s, then load {args.duration:.0f} s with {args.clients} clients")
        browsers = load.login_all(plan)
        writer = None
        if args.write_every:
            writer = load.Browser(base_url)
            writer.login(plan["writer"]["username"], plan["password"])
        load.run(plan, args.warmup, [], think=args.think, browsers=browsers, write_every=args.write_every,
                 writer_browser=writer)
        figures["load_before"] = os.getloadavg()
        groups = {"gunicorn workers": lambda: workers, "postgres": postgres_pids,
                  "load driver (this process)": lambda: [os.getpid()], "scheduler": lambda: [scheduler.pid]}
        before = cpu_snapshot(groups)
        figures["load"] = load.run(plan, args.duration, workers, think=args.think, browsers=browsers,
                                   write_every=args.write_every, writer_browser=writer)
        figures["cpu"] = cpu_used(before, cpu_snapshot(groups), figures["load"]["seconds"])
        figures["load_after"] = os.getloadavg()
        figures["scheduler_alive"] = scheduler.poll() is None
        with open(os.path.join(workdir, "scheduler.log")) as handle:
            figures["scheduler_log"] = handle.read()[-2000:]
        stack.close()
        if args.write_every:
            figures["cleanup"] = probe(env, "cleanup")
        if not args.skip_bulletins:
            log("monthly bulletin, county and city size")
            figures["bulletins"] = bulletins(env)
    figures["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, ensure_ascii=False, indent=1, default=str)
    print(report.render(figures))


if __name__ == "__main__":
    main()
