"""The benchmark's table (plain text, also valid Markdown) and the verdict on each target."""

# Targets of the scale issue, on a 2-core machine, PostgreSQL, 100,000 tasks.
P95_TARGETS_MS = {"task list": 150, "task detail": 150, "dashboard": 300}
MAX_WORKER_MB = 250
MAX_ALERT_SECONDS = 15
PAGE_ORDER = ("dashboard", "task list", "task detail", "indicator board", "inbox")


def row(cells):
    """One Markdown table row."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def load_table(load):
    """Pages, then the task list by filter, then all requests."""
    lines = [row(("page", "requests", "req/s", "p50 ms", "p95 ms", "max ms", "errors", "p95 target")),
             row(("---",) + ("---:",) * 7)]
    pages = load["pages"]
    for name in [page for page in PAGE_ORDER if page in pages] + sorted(set(pages) - set(PAGE_ORDER)):
        figures = pages[name]
        lines.append(_figures_row(f"**{name}**", figures, P95_TARGETS_MS.get(name)))
        if name == "task list":
            for variant, sub in load["lists"].items():
                lines.append(_figures_row(f"&nbsp;&nbsp;{variant}", sub, None))
    lines.append(_figures_row("**all pages**", load["all"]["all"], None))
    return lines


def _figures_row(name, figures, target):
    """One page's figures."""
    return row((name, figures["requests"], f"{figures['rps']:.1f}", f"{figures['p50']:.0f}", f"{figures['p95']:.0f}",
                f"{figures['max']:.0f}", figures["errors"], f"≤ {target}" if target else ""))


def verdicts(figures):
    """(target, measured, met) for each target of the issue."""
    load, found = figures["load"], []
    for page, limit in P95_TARGETS_MS.items():
        measured = load["pages"].get(page, {}).get("p95")
        found.append((f"{page} p95 ≤ {limit} ms", f"{measured:.0f} ms" if measured is not None else "not measured",
                      measured is not None and measured <= limit))
    found.append(("0 errors", f"{load['total_errors']} errors", load["total_errors"] == 0))
    peak = max((worker["hwm_mb"] for worker in load["workers"].values()), default=None)
    found.append((f"worker RSS ≤ {MAX_WORKER_MB} MB", f"{peak:.0f} MB (peak VmHWM)" if peak else "not measured",
                  peak is not None and peak <= MAX_WORKER_MB))
    alert = figures["alert"]
    found.append((f"weekly alert ≤ {MAX_ALERT_SECONDS} s", f"{alert['seconds']:.1f} s",
                  alert["status"] == "done" and alert["seconds"] <= MAX_ALERT_SECONDS))
    return found


def writes_lines(writes):
    """What the writer did during the load (nothing without --write-every)."""
    if not writes.get("every"):
        return []
    return [f"Writes during the load: a ninth user, a supervisor, urged a task through the form every "
            f"{writes['every']:g} s: {writes['count']} urges, {writes['errors']} failed, "
            f"p50 {writes['p50'] or 0:.0f} ms "
            f"(GET form + POST); each makes every kept figure stale.", ""]


def render(figures):
    """Everything measured, as Markdown."""
    m, load, alert = figures["machine"], figures["load"], figures["alert"]
    args = figures["args"]
    pace = f"pausing {args['think']:.1f} s on average" if args["think"] else "back to back"
    skipped = f" (pages left out: {', '.join(args['skip_pages'])})" if args.get("skip_pages") else ""
    lines = [
        f"## Run of {figures['started']}", "",
        f"- Machine: {m['cpus']} CPU ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; {figures['postgres'].split(' on ')[0]}",
        f"- Command: `{figures['command']}`",
        f"- Data: {figures['seed']}",
        f"- Server: gunicorn {args['workers']} workers × {args['threads']} threads (gthread), production settings; "
        f"`flask scheduler run` beside it ({'running' if figures['scheduler_alive'] else 'NOT running'} at the end)",
        f"- Load: {args['clients']} logged-in clients "
        f"{pace} for "
        f"{load['seconds']:.0f} s after "
        f"{args['warmup']:.0f} s of warm-up{skipped}; load average {figures['load_before'][0]:.2f} before, "
        f"{figures['load_after'][0]:.2f} after", "",
        *load_table(load), "",
        *writes_lines(load.get("writes") or {}),
        "CPU during the load (core-seconds): " + ", ".join(
            f"{name} {value:.1f}" for name, value in figures.get("cpu", {}).items()), "",
        "Worker memory: " + ", ".join(f"pid {pid}: peak RSS {w['peak_rss_mb']:.0f} MB, VmHWM {w['hwm_mb']:.0f} MB"
                                      for pid, w in load["workers"].items()), "",
        f"Weekly alert ({alert['week']}{', forced resend' if alert['forced'] else ''}): "
        f"**{alert['seconds']:.1f} s**, {alert['statements']} SQL statements, {alert['messages']} messages "
        f"({alert['details']}).", "",
        "SQL statements per page (one request, in-process, after a change / repeated): "
        + ", ".join(f"{page} {v['statements']} / {v.get('repeat', '—')}" for page, v in figures["statements"].items()),
        "",
    ]
    if figures.get("bulletins"):
        lines.append("Monthly bulletin (gather + render, one run, fresh process): " + "; ".join(
            f"{size} {b['total_median']:.2f} s, {b['pages']} pages, peak {b['peak_rss_mb']:.0f} MB "
            f"({b['made']['units']} units, {b['made']['tasks']} tasks)" for size, b in figures["bulletins"].items()))
        lines.append("")
    lines += [row(("target", "measured", "met")), row(("---", "---:", ":---:"))]
    lines += [row((target, measured, "yes" if met else "**no**")) for target, measured, met in verdicts(figures)]
    if load["errors"]:
        lines += ["", "First errors: " + "; ".join(load["errors"][:10])]
    return "\n".join(lines)
