"""Benchmark: how long one 督办通知单 (and 催办通知单) takes to render, as PDF and as .docx.

Prints figures; it is not a pass/fail test. Builds the demo county (tracker/seeding/demo.py)
in a temporary SQLite database, then renders the notice of the demo task with the most
milestones N times per document (the first run, which loads fonts and templates, is
reported apart). Times are wall-clock: median, min, max; and the median CPU time.

    .venv/bin/python benchmarks/notice_bench.py            # 15 runs each
    .venv/bin/python benchmarks/notice_bench.py --runs 30

Target (issue 16): 督办通知单 PDF ≤ 0.5 s.
"""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def timed(call, runs):
    """(first run's seconds, [wall seconds of the next runs], [their CPU seconds])."""
    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    walls, cpus = [], []
    for _run in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return first, walls, cpus


def main():
    """Build the demo, render the notices, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import SupervisionNotice
    from tracker.seeding import demo
    from tracker.services.tasks import notice_documents

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                          "TRACKER_BASE_URL": "https://dc.yunxi.example"})
        with app.app_context():
            upgrade()
            demo.load_demo()
            db.session.commit()
            chosen = {}
            for kind in ("dispatch", "urge"):
                candidates = db.session.scalars(db.select(SupervisionNotice).where(SupervisionNotice.kind == kind))
                chosen[kind] = max(candidates, key=lambda n: (len(n.task.milestones), len(n.late_items or []), n.id))
            print(f"notice benchmark: {args.runs} runs after a first one; Python {platform.python_version()}, "
                  f"{os.cpu_count()} CPUs")
            print(f"{'document':<22} {'first s':>8} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>7} "
                  f"{'size KB':>8}")
            for notice in chosen.values():
                for fmt, render in (("pdf", notice_documents.render_pdf), ("docx", notice_documents.render_docx)):
                    size = len(render(notice))
                    first, walls, cpus = timed(lambda render=render, notice=notice: render(notice), args.runs)
                    label = f"{notice.doc_number} {fmt}"
                    print(f"{label:<20} {first:>8.3f} {statistics.median(walls):>9.3f} {min(walls):>7.3f} "
                          f"{max(walls):>7.3f} {statistics.median(cpus):>7.3f} {size / 1024:>8.1f}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
