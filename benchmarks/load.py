"""HTTP load: logged-in clients of several roles requesting the main pages, back to back, for a fixed time.

Standard library only: one keep-alive http.client connection and one cookie
jar per client, so a run needs nothing beyond the project's venv. Each client
logs in through the real login form (the CSRF token read from the page; one
client after the other), then its pages in a seeded random order, by default with no pause between
requests (closed loop: N clients keep N requests in flight); --think adds a
random pause (exponential, that mean) after each response, as people reading. A response counts as an
error unless it is 200 with a whole HTML page.

    python benchmarks/load.py plan.json --duration 30 --workers PID,PID   # prints JSON

The plan (written by run_bench.py from app_probe.py) lists the base URL, the
password, and per client its user name, page → paths, and page → weight: each
request draws a page by weight, then one of its paths.
"""
import argparse
import http.client
import json
import math
import random
import re
import statistics
import sys
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_FIELD = re.compile(r'name="(csrf_token|form_token|version)"[^>]*value="([^"]*)"')
TIMEOUT = 60  # seconds, per request


class LoadError(Exception):
    """A client could not log in."""


class Browser:
    """One user's connection and cookies."""

    def __init__(self, base):
        """Connect lazily to `base` (http://host:port)."""
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.conn, self.cookies = None, {}

    def request(self, method, path, body=None):
        """Send one request (reconnecting once if the server closed a kept-alive connection); (status, body)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def login(self, username, password):
        """Log in through the form: GET it for the CSRF token, POST it, expect the redirect home."""
        status, page = self.request("GET", "/auth/login")
        token = CSRF.search(page.decode("utf-8", "replace"))
        if status != 200 or not token:
            raise LoadError(f"{username}: login page answered {status}")
        status, _page = self.request("POST", "/auth/login", urlencode(
            {"csrf_token": token.group(1), "username": username, "password": password}))
        if status != 302:
            raise LoadError(f"{username}: login answered {status}, not a redirect")


def login_all(plan):
    """One logged-in Browser per client, logging in one after another, as people arriving.

    Logging in checks a scrypt hash (32 MB of memory for the moment it takes); eight at the
    same instant would measure a login storm, not the pages.
    """
    browsers = []
    for client in plan["clients"]:
        browser = Browser(plan["base"])
        browser.login(client["username"], plan["password"])
        browsers.append(browser)
    return browsers


def run_client(plan, client, browser, deadline, results, errors, seed, think=0.0):
    """Request random pages of the client's list until the deadline (pausing `think` s on average)."""
    rng = random.Random(seed)
    kinds = list(client["weights"])
    weights = [client["weights"][kind] for kind in kinds]
    while time.monotonic() < deadline:
        page = rng.choices(kinds, weights)[0]
        path = rng.choice(client["pages"][page])
        started = time.perf_counter()
        try:
            status, body = browser.request("GET", path)
            ok = status == 200 and body.rstrip().endswith(b"</html>")
            problem = None if ok else f"{status} {path}"
        except Exception as error:  # a failed request is an error, not the end of the run
            ok, problem = False, f"{type(error).__name__} {path}"
            browser.conn = None
        results.append((page, path, time.perf_counter() - started, ok))
        if problem and len(errors) < 50:
            errors.append(problem)
        if think:
            time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


def run_writer(writer, browser, deadline, writes, errors, every, seed):
    """Every `every` seconds a supervisor urges a task through the form: a write that changes the figures."""
    rng = random.Random(seed)
    due = time.monotonic() + every
    while due < deadline:
        time.sleep(max(0.0, due - time.monotonic()))
        due += every
        path = f"/tasks/{rng.choice(writer['task_ids'])}/urge"
        started = time.perf_counter()
        try:
            status, page = browser.request("GET", path)
            fields = dict(FORM_FIELD.findall(page.decode("utf-8", "replace")))
            status, _page = browser.request("POST", path, urlencode({**fields, "message": writer["message"]}))
            ok = status == 302
        except Exception as error:  # counted, and the run goes on
            ok, status = False, type(error).__name__
            browser.conn = None
        writes.append((time.perf_counter() - started, ok))
        if not ok and len(errors) < 50:
            errors.append(f"{status} POST {path}")


def memory_of(pid):
    """(VmRSS, VmHWM) of a process in MB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.split(":", 1) for line in handle)
    except OSError:
        return None
    return tuple(int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))


def sample_memory(pids, stop, peaks):
    """Every 0.2 s until `stop`, keep each process's largest VmRSS and its VmHWM."""
    while True:
        for pid in pids:
            found = memory_of(pid)
            if found:
                rss, hwm = found
                old = peaks.get(pid, (0, 0))
                peaks[pid] = (max(old[0], rss), max(old[1], hwm))
        if stop.wait(0.2):
            return


def percentile(values, share):
    """The `share` percentile (0–1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def variant(path):
    """A task-list path with its numbers (and search words) replaced, so the figures group by kind of filter."""
    return re.sub(r"q=[^&]*", "q=…", re.sub(r"=\d+", "=N", path))


def summarize(results, seconds, key):
    """Per key (page or list variant): requests, requests/s, p50, p95, max (ms), errors."""
    groups = {}
    for page, path, elapsed, ok in results:
        name = key(page, path)
        if name is not None:
            groups.setdefault(name, []).append((elapsed, ok))
    table = {}
    for name, rows in sorted(groups.items()):
        times = [elapsed * 1000 for elapsed, _ok in rows]
        table[name] = {"requests": len(rows), "rps": len(rows) / seconds, "p50": statistics.median(times),
                       "p95": percentile(times, 0.95), "max": max(times),
                       "errors": sum(1 for _elapsed, ok in rows if not ok)}
    return table


def run(plan, duration, worker_pids, seed=1, think=0.0, browsers=None, write_every=0.0, writer_browser=None):
    """Run every client of the plan for `duration` seconds (logged in already, or now); the figures as a dict.

    With `write_every`, one more user (plan["writer"], logged in as `writer_browser`) writes
    that often; the writes are reported apart from the pages.
    """
    browsers = browsers or login_all(plan)
    results, errors, writes, peaks, stop = [], [], [], {}, threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(worker_pids, stop, peaks), daemon=True)
    sampler.start()
    started = time.monotonic()
    deadline = started + duration
    threads = [threading.Thread(target=run_client, daemon=True,
                                args=(plan, client, browser, deadline, results, errors, seed + n, think))
               for n, (client, browser) in enumerate(zip(plan["clients"], browsers, strict=True))]
    if write_every and writer_browser is not None:
        threads.append(threading.Thread(target=run_writer, daemon=True, args=(
            plan["writer"], writer_browser, deadline, writes, errors, write_every, seed + 1000)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + TIMEOUT + 30)
    seconds = time.monotonic() - started
    stop.set()
    sampler.join(5)
    write_times = [elapsed * 1000 for elapsed, _ok in writes]
    return {"seconds": seconds, "think": think, "pages": summarize(results, seconds, lambda page, path: page),
            "lists": summarize(results, seconds, lambda page, path: variant(path) if page == "task list" else None),
            "all": summarize(results, seconds, lambda page, path: "all"), "errors": errors,
            "total_requests": len(results), "total_errors": sum(1 for *_rest, ok in results if not ok),
            "writes": {"every": write_every, "count": len(writes), "errors": sum(1 for _t, ok in writes if not ok),
                       "p50": statistics.median(write_times) if write_times else None,
                       "max": max(write_times) if write_times else None},
            "workers": {str(pid): {"peak_rss_mb": rss, "hwm_mb": hwm} for pid, (rss, hwm) in peaks.items()}}


def main():
    """Read the plan, run, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", default="", help="gunicorn worker pids to sample memory of, comma-separated")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a client's requests, seconds")
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    pids = [int(pid) for pid in args.workers.split(",") if pid]
    json.dump(run(plan, args.duration, pids, think=args.think), sys.stdout)
    print()


if __name__ == "__main__":
    main()
