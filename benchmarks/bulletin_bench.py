"""Benchmark: how long the monthly bulletin takes to gather and render, and how much memory it needs.

Prints figures; it is not a pass/fail test. Times are wall-clock per bulletin
(gather the figures + render the PDF, or the .docx with --formats docx): median, min, max over the runs, and the
median CPU time, which other load on the machine disturbs less. Each size runs in a fresh child
process (so peak RSS is that size's alone) against a temporary SQLite
database built by benchmarks/bulletin_fixture.py, with the clock frozen on
5 December 2026 and November's bulletin rendered N times.

    .venv/bin/python benchmarks/bulletin_bench.py                 # county and city, configured fonts
    .venv/bin/python benchmarks/bulletin_bench.py --sizes county --runs 7
    .venv/bin/python benchmarks/bulletin_bench.py --fonts body="Noto Serif CJK SC",hei="Noto Sans CJK SC"
    .venv/bin/python benchmarks/bulletin_bench.py --fonttools    # as on a machine without libharfbuzz-subset
    .venv/bin/python benchmarks/bulletin_bench.py --formats docx # the Word document (issue 16)

Targets (issue): county (33 units, 300 tasks, 60 overdue) ≤ 2 s median,
city (300 units, 3,000 tasks, 600 overdue) ≤ 8 s, peak memory ≤ 400 MB;
the .docx (issue 16): county ≤ 1 s, city ≤ 5 s, peak memory for the city ≤ 300 MB.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = {"county": (33, 300, 60), "city": (300, 3000, 600)}
FONT_KEYS = {"body": "BULLETIN_FONT_BODY", "title": "BULLETIN_FONT_TITLE", "hei": "BULLETIN_FONT_HEI",
             "kai": "BULLETIN_FONT_KAI", "fallback": "BULLETIN_FONT_FALLBACK"}


def parse_fonts(text):
    """"body=Name,hei=Name" -> {config key: family}."""
    fonts = {}
    for part in filter(None, (text or "").split(",")):
        role, _, family = part.partition("=")
        fonts[FONT_KEYS[role.strip()]] = family.strip().strip('"')
    return fonts


def measure(size, runs, fonts, fonttools, kind="pdf"):
    """In this process: build the fixture, render the PDF or .docx `runs` times; return the figures as a dict."""
    from flask_migrate import upgrade

    from benchmarks import bulletin_fixture
    from tracker import clock, create_app
    from tracker.extensions import db
    from tracker.models import Bulletin
    from tracker.services.bulletins import figures, render, render_docx

    if fonttools:
        import weasyprint.pdf.fonts

        weasyprint.pdf.fonts.harfbuzz_subset = None  # WeasyPrint's fallback when libharfbuzz-subset is missing
    units, tasks, overdue = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "BULLETIN_DIR": tmp,
                          **fonts})
        with app.app_context(), clock.frozen(datetime(2026, 12, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
            upgrade()
            made = bulletin_fixture.build(units, tasks, overdue)
            bulletin = Bulletin(month=bulletin_fixture.MONTH, year=2026, issue_no=11, status="draft",
                                requirements_text="各单位要对照通报问题逐项整改。\n逾期任务须在12月底前完成。")
            gather_times, render_times, cpu_times, content = [], [], [], b""
            for _run in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                data = figures.gather(bulletin_fixture.MONTH)
                gathered = time.perf_counter()
                write = render.render_pdf if kind == "pdf" else render_docx.render_docx
                content = write(data, bulletin, True, clock.today())
                gather_times.append(gathered - started)
                render_times.append(time.perf_counter() - gathered)
                cpu_times.append(time.process_time() - cpu_started)
            db.session.remove()
        path = os.path.join(tmp, "bench.pdf")
        with open(path, "wb") as handle:
            handle.write(content)
        if kind == "pdf":
            pages = int(next(line.split()[-1] for line in subprocess.run(
                ["pdfinfo", path], capture_output=True, text=True, check=True).stdout.splitlines()
                if line.startswith("Pages:")))
            fonts_used = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
        else:  # Word paginates a .docx when it opens it; the fonts are named, not embedded
            pages, fonts_used = 0, "\n\n" + "\n".join(render_docx.docx_tools.fonts(app.config).values())
    totals = [g + r for g, r in zip(gather_times, render_times, strict=True)]
    return {
        "size": f"{size}/{kind}", "made": made, "runs": runs, "pages": pages, "pdf_kb": round(len(content) / 1024),
        "gather_median": statistics.median(gather_times), "render_median": statistics.median(render_times),
        "total_median": statistics.median(totals), "total_min": min(totals), "total_max": max(totals),
        "cpu_median": statistics.median(cpu_times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "fonts": sorted({line.split()[0].split("+", 1)[-1] for line in fonts_used.splitlines()[2:] if line.strip()}),
        "subsetter": "—" if kind == "docx" else "fontTools" if fonttools else "HarfBuzz",
    }


def main():
    """Run each size in a child process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="county,city")
    parser.add_argument("--runs", type=int, default=0, help="renders per size (default 5 county, 3 city)")
    parser.add_argument("--fonts", default="", help='override font families, e.g. body="Noto Serif CJK SC"')
    parser.add_argument("--fonttools", action="store_true", help="subset fonts with fontTools, not HarfBuzz")
    parser.add_argument("--formats", default="pdf", help="pdf, docx or pdf,docx")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, _, kind = args.child.partition("/")
        print(json.dumps(measure(size, args.runs, parse_fonts(args.fonts), args.fonttools, kind or "pdf")))
        return
    print(f"# {platform.node()} · {os.cpu_count()} CPU · {platform.platform()} · Python {platform.python_version()}"
          f" · load {os.getloadavg()[0]:.2f}")
    print(f"{'size':12} {'runs':>4} {'pages':>5} {'PDF KB':>7} {'gather':>7} {'render':>7} {'median':>7} {'min':>6} "
          f"{'max':>6} {'CPU':>6} {'peak MB':>8}  subsetter / fonts embedded")
    for size, kind in [(size, kind) for kind in args.formats.split(",") for size in args.sizes.split(",")]:
        runs = args.runs or (5 if size == "county" else 3)
        command = [sys.executable, __file__, "--child", f"{size}/{kind}", "--runs", str(runs), "--fonts", args.fonts]
        if args.fonttools:
            command.append("--fonttools")
        output = subprocess.run(command, capture_output=True, text=True, check=False,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if output.returncode:
            print(output.stderr, file=sys.stderr)
            raise SystemExit(output.returncode)
        r = json.loads(output.stdout.strip().splitlines()[-1])
        print(f"{r['size']:12} {r['runs']:>4} {r['pages']:>5} {r['pdf_kb']:>7} {r['gather_median']:>6.2f}s "
              f"{r['render_median']:>6.2f}s {r['total_median']:>6.2f}s {r['total_min']:>5.2f}s {r['total_max']:>5.2f}s "
              f"{r['cpu_median']:>5.2f}s {r['peak_rss_mb']:>7.0f}   {r['subsetter']} / {', '.join(r['fonts'])}"
              f"  [{r['made']['tasks']} tasks, {r['made']['overdue']} overdue, {r['made']['units']} units]")


if __name__ == "__main__":
    main()
