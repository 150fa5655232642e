"""Browser benchmark: LabelDeck in Debian's Chromium, each interaction timed from the click to the page settled.

    python -m bench.browser [--store demo|1m|both] [--reps 20] [--rounds 3] [--label before] [--out bench/REPORT.md]
                            [--json bench/browser-LABEL.json] [--db URL] [--keep] [--workdir DIR]

For each store: a fresh app process (`streamlit run dashboard/server.py` on a free port, its own LABELDECK_DATA_DIR
under the work dir), Chromium through Playwright at 1440 × 900, and the interactions of bench/browser_driver.py
timed by bench/browser_settle.py. The section between `<!-- browser:start -->` and `<!-- browser:end -->` of
bench/REPORT.md is replaced (or appended); the raw numbers go to bench/browser-LABEL.json.

The stores are bench/browser_stores.py's, the app server and Chromium's settings bench/browser_processes.py's, the
app processes and the repetitions in each bench/browser_scenarios.py's; this module runs them over the stores and
writes the JSON and the report section (rendered by bench/browser_report.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import browser_report as report
from bench.browser_processes import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, CpuUsage, log
from bench.browser_scenarios import run_store
from bench.browser_stores import BigStore, DemoStore, Store
from bench.context import REPO_ROOT, display_command
from bench.report import load_average, machine_info


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} not found: apt-get install -y chromium (Playwright's own browsers are never used)")
        return 2
    started = datetime.now(UTC)
    machine = machine_info(db_kind="see the stores", repo_root=REPO_ROOT)
    named_workdir = args.workdir is not None
    if named_workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        (REPO_ROOT / "bench" / ".work").mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="browser-", dir=REPO_ROOT / "bench" / ".work"))
    log(f"work dir {workdir}")
    stores: list[Store] = []
    if args.store in ("demo", "both"):
        stores.append(DemoStore(workdir / "demo", args.python))
    if args.store in ("1m", "both"):
        stores.append(BigStore(workdir / "1m", args.python, args.db))

    from playwright.sync_api import sync_playwright

    run: dict = {
        "label": args.label,
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex_join_redacted(
            ["python", "-m", "bench.browser", *(sys.argv[1:] if argv is None else argv)], args.db
        ),
        "machine": machine,
        "viewport": f"{VIEWPORT['width']} × {VIEWPORT['height']}",
        "reps": args.reps,
        "rounds": args.rounds,
        "stores": {},
        "notes": [],
    }
    failures: list[str] = []
    try:
        for store in stores:
            store.prepare()  # generation and import are not part of the browser's figures
        usage = CpuUsage()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            run["browser"] = (
                f"Debian's Chromium {browser.version} (headless), Playwright {metadata.version('playwright')}"
            )
            try:
                for store in stores:
                    result = run_store(
                        store,
                        browser=browser,
                        python=args.python,
                        reps=args.reps,
                        rounds=args.rounds,
                        shots=workdir / "failures" / store.key,
                    )
                    run["stores"][store.key] = result
                    failures += [f"{store.key}: {f}" for f in result["failures"]]
            finally:
                usage.stop()
                browser.close()
    except Exception:
        traceback.print_exc(file=sys.stderr)
        log(f"FAILED; report not written; work dir kept: {workdir}")
        return 1
    run["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    run["load_at_end"] = load_average()
    run["notes"] = method_notes(args) + [usage.note()]

    json_path = args.json or REPO_ROOT / "bench" / f"browser-{args.label}.json"
    report.write_json(json_path, run)
    before = None
    before_path = REPO_ROOT / "bench" / "browser-before.json"
    if args.label != "before" and before_path.exists():
        before = report.read_json(before_path)
    out = args.out or REPO_ROOT / "bench" / "REPORT.md"
    report.update_report(out, report.render_block(run, before))
    log(f"raw numbers in {json_path}; report section in {out}")
    _log_summary(run)

    if failures:
        log(f"{len(failures)} interaction(s) failed (n/a in the report): " + "; ".join(failures))
    if args.keep or named_workdir or failures:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


def method_notes(args: argparse.Namespace) -> list[str]:
    return [
        "each figure is time.perf_counter() from just before the click (or key press) to the page settled: a rerun "
        "of the script started after the click, `[data-testid=stApp]` back to `data-test-script-state=notRunning`, no "
        "stale element, every image of the main area loaded, charts and data grids drawn, the interaction's expected "
        "text/URL/element shown, all for 2 consecutive animation frames (so ≈ 1–2 frames, 17–33 ms, of every figure "
        "is the settle check itself); the element clicked was found and scrolled to before the timer started",
        "median and p95 (linear interpolation between order statistics); n = repetitions; resets between "
        "repetitions (unpick, close the viewer) are not timed",
        "the viewer: before, the detail panel beside the grid (Details, its → button, its Accept, each a rerun of "
        "the page; Accept one undone after each repetition); after, the viewer dialog (a tile's open button, the → "
        "key, the A key, each a rerun of the dialog alone; Accept one decides one result after another, as a "
        "reviewer walks a slice)",
        f"cold opens: one per app process (--rounds {args.rounds}), after its Labeling Jobs page; the first app "
        "process finds no thumbnails on disk (the job's results frame is cached as the import left it), the later "
        "ones find what the earlier ones drew; each app process gets a new browser context (an empty HTTP cache: "
        "the cold open also loads Streamlit's chart and data grid code)",
        "Visualize opens on Pending Review with no filter; Turn a grid page pages through the whole tab; the slice "
        "accepted and undone is the first row, Class Changed True, of the Class Changed table; switch tab alternates "
        "between Pending Review and Accepted (nearly empty)",
        "CPU columns: CPU time of the app server process and of all Chromium processes during the interaction "
        "(the machine's other work is not counted)",
    ]


def shlex_join_redacted(argv: Sequence[str], db_url: str | None) -> str:
    return display_command(argv, db_url) if db_url else " ".join(argv)


def _log_summary(run: dict) -> None:
    for store, result in run["stores"].items():
        for interaction in report.INTERACTIONS:
            entry = result["interactions"].get(interaction.key)
            s = report.entry_stats(entry)
            if s:
                log(
                    f"  {store:4} {interaction.key:18} median {s.median:8.0f} ms  p95 {s.p95:8.0f} ms  n {s.n:3} "
                    f"{report.verdict(interaction.key, store, entry)}"
                )
            elif entry and entry.get("na"):
                log(f"  {store:4} {interaction.key:18} n/a: {entry['na']}")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("demo", "1m", "both"), default="both", help="which store(s) (both)")
    parser.add_argument("--reps", type=int, default=20, help="repetitions of each in-page interaction (20)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="app processes per store: one cold open each, Submit once each on the demo (3)",
    )
    parser.add_argument("--label", default="before", help="names this run's figures: before, after, ... (before)")
    parser.add_argument("--out", type=Path, help="report path (default bench/REPORT.md)")
    parser.add_argument("--json", type=Path, help="raw numbers (default bench/browser-LABEL.json)")
    parser.add_argument("--db", help="database URL of the 1M store (default: a SQLite file in the work dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (stores, server logs)")
    parser.add_argument(
        "--workdir", type=Path, help="work dir (kept; its stores are reused); default: a new one under bench/.work"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the app and the CLI (this one)")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.rounds < 1:
        parser.error("--reps and --rounds must be >= 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
