"""Browser benchmark: LabelDeck in Debian's Chromium, each interaction timed from the click to the page settled.

    python -m bench.browser [--store demo|1m|both] [--reps 20] [--rounds 3] [--label before] [--out bench/REPORT.md]
                            [--json bench/browser-LABEL.json] [--db URL] [--keep] [--workdir DIR]

For each store: a fresh app process (`streamlit run dashboard/app.py` on a free port, its own LABELDECK_DATA_DIR
under the work dir), Chromium through Playwright at 1440 × 900, and the interactions of bench/browser_driver.py
timed by bench/browser_settle.py. The section between `<!-- browser:start -->` and `<!-- browser:end -->` of
bench/REPORT.md is replaced (or appended); the raw numbers go to bench/browser-LABEL.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

from bench import browser_report as report
from bench.browser_driver import VisualizeDriver
from bench.browser_settle import LostClick, Settler, Step, Timing
from bench.context import BenchContext, _redact, db_kind, display_command, flush_to_disk
from bench.report import load_average, machine_info
from bench.run_sections import bench_generate, bench_import
from bench.synth import SynthSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}
DEMO_JOB = "street-scenes"  # READY, reviewed on Visualize
DEMO_REFINE_JOB = "street-scenes-refine"  # IN_PROGRESS, annotated
BIG_JOB = "bench-1m"
DISTINCT_IMAGES = 32


def log(message: str) -> None:
    print(f"[bench.browser] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------ the stores

class Store:
    """A store the app is served over: its data dir, database URL and the jobs the interactions use."""

    key = ""
    has_annotate = False

    def __init__(self, root: Path, python: str) -> None:
        self.root = root
        self.python = python
        self.data_dir = root / "data"
        self.db_url = ""
        self.job_id = 0
        self.refine_job_id: int | None = None
        self.description = ""
        self.notes: list[str] = []

    @property
    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("LABELDECK_")}  # LABELDECK_AUTH: none
        return {**clean, "LABELDECK_DATA_DIR": str(self.data_dir), "LABELDECK_DATABASE_URL": self.db_url}

    def core(self, *args: str) -> str:
        run = subprocess.run([self.python, "-m", "core", *args, "--db", self.db_url], cwd=REPO_ROOT, env=self.env,
                             capture_output=True, text=True)
        if run.returncode:
            raise RuntimeError(f"python -m core {' '.join(args)} failed ({run.returncode}): {run.stderr[-2000:]}")
        return run.stdout

    def jobs(self) -> dict[str, dict]:
        return {job["name"]: job for job in json.loads(self.core("jobs", "--json"))}

    def prepare(self) -> None:
        raise NotImplementedError

    def before_round(self, index: int) -> None:
        """The first app process finds no thumbnails drawn yet (the job's results frame is as the import cached it):
        the first open of the job ever."""
        if index == 0:
            shutil.rmtree(self.data_dir / "thumbnails", ignore_errors=True)


class DemoStore(Store):
    """`python -m core demo` (the full demo: 240 street scenes, 160 fruit images) into a SQLite file; the seeded
    database is kept as a template and copied back before every app process, so Submit finds the job unsubmitted."""

    key = "demo"
    has_annotate = True

    def __init__(self, root: Path, python: str) -> None:
        super().__init__(root, python)
        self.db_path = self.data_dir / "labeldeck.db"
        self.template = root / "template.db"
        self.db_url = f"sqlite:///{self.db_path}"

    def prepare(self) -> None:
        if not self.template.exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir.mkdir(parents=True)
            log(f"seeding the demo store in {self.data_dir} ...")
            started = time.perf_counter()
            self.core("demo", "--quiet")
            log(f"  {time.perf_counter() - started:.1f} s")
            _sqlite_copy(self.db_path, self.template)
        else:
            log(f"reusing the demo store in {self.root}")
        self._restore()
        jobs = self.jobs()
        self.job_id = jobs[DEMO_JOB]["id"]
        self.refine_job_id = jobs[DEMO_REFINE_JOB]["id"]
        street, refine = jobs[DEMO_JOB], jobs[DEMO_REFINE_JOB]
        self.description = (f"`python -m core demo` (SQLite): Visualize on {DEMO_JOB} ({street['images']:,} images, "
                            f"{street['results']:,} results, 640 × 480 JPEGs); Annotate on {DEMO_REFINE_JOB} "
                            f"({refine['labelling']['labelled']:,} of {refine['images']:,} images labelled)")

    def _restore(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        _sqlite_copy(self.template, self.db_path)

    def before_round(self, index: int) -> None:
        super().before_round(index)
        self._restore()


class BigStore(Store):
    """bench.run's synthetic 1M-result job (100,000 images), with real image files: DISTINCT_IMAGES 1280 × 720
    JPEGs hard-linked under every file name of the job. Kept and reused (store.json) between runs of a kept work
    dir."""

    key = "1m"

    def __init__(self, root: Path, python: str, db_url: str | None) -> None:
        super().__init__(root, python)
        self.db_url = db_url or f"sqlite:///{root / 'bench.db'}"
        self.marker = root / "store.json"

    def prepare(self) -> None:
        reused = self._reusable()
        if reused is None:
            self._build()
        else:
            log(f"reusing the 1M store in {self.root} (job {reused})")
        job = self.jobs()[BIG_JOB]
        self.job_id = job["id"]
        by_state = job.get("by_state", {})
        if by_state.get("pending") != job["results"]:
            self.notes.append(f"the job was not all pending at the start: {by_state}")
        self.description = (f"bench.run's synthetic job on {db_kind(self.db_url)}: {job['images']:,} images, "
                            f"{job['results']:,} results; {DISTINCT_IMAGES} distinct 1280 × 720 JPEGs hard-linked "
                            "under its file names")

    def _reusable(self) -> int | None:
        if not self.marker.exists():
            return None
        marker = json.loads(self.marker.read_text())
        if marker.get("db") != _redact(self.db_url):
            return None
        try:
            job = self.jobs().get(BIG_JOB)
        except (RuntimeError, ValueError):
            return None
        return job["id"] if job and job["id"] == marker.get("job_id") else None

    def _build(self) -> None:
        from bench.load import ensure_database

        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        ensure_database(self.db_url)
        ctx = BenchContext(python=self.python, db_url=self.db_url, workdir=self.root, env=self.env,
                           job_name=BIG_JOB)
        bench_generate(ctx, SynthSpec())
        bench_import(ctx)
        started = time.perf_counter()
        linked = link_images(self.db_url, int(ctx.job_id), ctx.files.images_dir)
        log(f"  {linked:,} image files hard-linked in {time.perf_counter() - started:.1f} s")
        for name in ("expert.json", "pre.json"):
            (self.root / name).unlink(missing_ok=True)  # 180 MiB the app never reads
        flush_to_disk()
        self.marker.write_text(json.dumps({"db": _redact(self.db_url), "job_id": ctx.job_id}))


def link_images(db_url: str, job_id: int, images_dir: Path, *, distinct: int = DISTINCT_IMAGES) -> int:
    """Every image file name of the job, as the store lists it, made a hard link to one of `distinct` JPEGs."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            names = conn.execute(text("SELECT file_path FROM sample WHERE job_id = :j ORDER BY id"),
                                 {"j": job_id}).scalars().all()
    finally:
        engine.dispose()
    sources = images_dir.parent / "jpeg"
    sources.mkdir(exist_ok=True)
    originals = [write_jpeg(sources / f"source_{i:02d}.jpg", i) for i in range(distinct)]
    for i, name in enumerate(names):
        target = images_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        os.link(originals[i % distinct], target)
    return len(names)


def write_jpeg(path: Path, seed: int, size: tuple[int, int] = (1280, 720)) -> Path:
    """A 1280 × 720 street-ish picture, different for each seed: a gradient sky, a road and coloured blocks."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    top, bottom = [rng.randint(60, 200) for _ in range(3)], [rng.randint(20, 120) for _ in range(3)]
    for y in range(height):
        share = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * share) for a, b in zip(top, bottom)))
    draw.polygon([(0, height), (width * 0.4, height * 0.55), (width * 0.6, height * 0.55), (width, height)],
                 fill=(70, 70, 75))
    for _ in range(40):
        x, y = rng.randint(0, width - 40), rng.randint(height // 3, height - 40)
        w, h = rng.randint(20, 200), rng.randint(20, 160)
        draw.rectangle([x, y, x + w, y + h], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    image.save(path, "JPEG", quality=85)
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included) through the backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# ------------------------------------------------------------------------------------------------------ the server

class Server:
    """`python -m streamlit run dashboard/app.py` on a free port, over a store."""

    def __init__(self, store: Store, python: str, log_path: Path) -> None:
        self.store = store
        self.python = python
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120) -> None:
        self.port = _free_port()
        self._log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [self.python, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=REPO_ROOT, env=self.store.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the app did not come up at {self.url} within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        self.process = None

    def rss_mib(self) -> float:
        try:
            proc = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20
        except (psutil.Error, AttributeError):
            return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_reader(server: Server) -> Callable[[], dict[str, dict[int, float]]]:
    """CPU seconds of the app server's processes and of Chromium's (every chromium process below this one)."""
    me = psutil.Process()

    def read() -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {"server": {}, "browser": {}}
        server_pid = server.process.pid if server.process else None
        for proc in me.children(recursive=True):
            try:
                times = proc.cpu_times()
                if proc.pid == server_pid or (server_pid and server_pid in {p.pid for p in proc.parents()}):
                    out["server"][proc.pid] = times.user + times.system
                elif "chrom" in proc.name():
                    out["browser"][proc.pid] = times.user + times.system
            except psutil.Error:
                continue
        return out

    return read


# ------------------------------------------------------------------------------------------------------ the runs

class Recorder:
    """Samples per interaction for one store; an interaction that failed is n/a with the reason."""

    def __init__(self) -> None:
        self.interactions: dict[str, dict] = {}
        self.failures: list[str] = []
        self.lost: list[str] = []
        self.rss: dict[str, float] = {}  # the app server's RSS (MiB) after each interaction's repetitions

    def add(self, key: str, timing: Timing, *, milestone_of: dict[str, str] | None = None) -> None:
        self._sample(key, timing.total_ms, timing.breakdown())
        for name, interaction in (milestone_of or {}).items():
            if name in timing.milestones_ms:
                self._sample(interaction, timing.milestones_ms[name], None)

    def _sample(self, key: str, value_ms: float, breakdown: dict | None) -> None:
        entry = self.interactions.setdefault(key, {"samples_ms": [], "breakdown": [], "na": None})
        entry["samples_ms"].append(round(value_ms, 1))
        if breakdown is not None:
            entry["breakdown"].append({k: (round(v, 1) if isinstance(v, float) else v) for k, v in breakdown.items()})

    def time(self, key: str, settler: Settler, make: Callable[[], Step], *,
             milestone_of: dict[str, str] | None = None) -> None:
        """Time a step; a lost click (no rerun at all) is dropped and the step made and timed again."""
        self.add(key, self._retrying(key, lambda: settler.time(make())), milestone_of=milestone_of)

    def reset(self, settler: Settler, make: Callable[[], Step], what: str = "reset") -> None:
        self._retrying(what, lambda: settler.run(make()))

    def _retrying(self, what: str, action: Callable[[], Any], attempts: int = 3) -> Any:
        for _ in range(attempts - 1):
            try:
                return action()
            except LostClick as lost:
                self.lost.append(what)
                log(f"  lost click ({what}): {lost}; again")
        return action()

    def na(self, key: str, reason: str) -> None:
        entry = self.interactions.setdefault(key, {"samples_ms": [], "breakdown": [], "na": None})
        if not entry["samples_ms"]:
            entry["na"] = reason

    def as_json(self) -> dict:
        return self.interactions


def timed(recorder: Recorder, keys: Sequence[str], body: Callable[[], None], *, page, shots: Path) -> None:
    """Run one interaction's repetitions; a failure makes it n/a (reason: the error) and is reported."""
    try:
        body()
    except Exception as problem:  # noqa: BLE001 - any failure of one interaction must not lose the others
        first_line = (str(problem).strip().splitlines() or [type(problem).__name__])[0][:200]
        recorder.failures.append(f"{keys[0]}: {first_line}")
        log(f"FAILED {', '.join(keys)}: {first_line}")
        traceback.print_exc(file=sys.stderr)
        shots.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(shots / f"{keys[0]}.png"), full_page=True)
        except Exception:  # noqa: BLE001
            pass
        for key in keys:
            recorder.na(key, f"failed in this run: {first_line}")


def run_suite(driver: VisualizeDriver, settler: Settler, store: Store, reps: int, rec: Recorder,
              shots: Path, rss: Callable[[], float]) -> None:
    """Every in-page interaction, `reps` times each, after the first (cold) open of this app process."""
    job = store.job_id
    page = driver.page

    def progress(key: str) -> None:
        log(f"  {store.key}: {key} ×{reps}")

    def open_warm() -> None:
        progress("open_warm")
        for _ in range(reps):
            rec.reset(settler, driver.back_to_jobs)
            rec.time("open_warm", settler, lambda: driver.open_from_card(job))

    def select_cell() -> None:
        progress("select_cell")
        driver.goto_visualize(job)
        for i in range(reps):  # rows 0 and 1 of the True column in turn: each click selects another slice
            rec.time("select_cell", settler, lambda: driver.select_class_changed_cell(i % 2, "True"))

    def apply_filter() -> None:
        progress("apply_filter")
        driver.goto_visualize(job)
        for i in range(reps):
            rec.time("apply_filter", settler, lambda: driver.apply_filter(class_changed=i % 2 == 0),
                     milestone_of={"grid": "grid_after_filter"})

    def switch_tab() -> None:
        progress("switch_tab")
        driver.goto_visualize(job)
        for i in range(reps):
            rec.time("switch_tab", settler, lambda: driver.switch_tab("accepted" if i % 2 == 0 else "pending"))

    def next_page() -> None:
        progress("next_page")
        driver.goto_visualize(job)
        for _ in range(reps):
            rec.time("next_page", settler, driver.next_grid_page)

    def pick_tile() -> None:
        progress("pick_tile")
        driver.goto_visualize(job)
        for _ in range(reps):
            rec.time("pick_tile", settler, lambda: driver.pick_tile(0))
            rec.reset(settler, lambda: driver.pick_tile(0, on=False))

    def open_viewer() -> None:
        progress("open_viewer")
        driver.goto_visualize(job)
        for i in range(reps):  # another tile each time: its full-size image is drawn for the first time
            rec.time("open_viewer", settler, lambda: driver.open_viewer(i % 24))
            rec.reset(settler, driver.close_viewer)

    def viewer_next() -> None:
        progress("viewer_next")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.open_viewer(0))
        for _ in range(reps):
            rec.time("viewer_next", settler, driver.viewer_next)

    def accept_one() -> None:
        # One result after another, as a reviewer goes through a slice in the viewer (A decides the result on
        # screen and shows the next); then the viewer closes and the page catches up (untimed).
        progress("accept_one")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.open_viewer(0))
        for _ in range(reps):
            rec.time("accept_one", settler, driver.accept_one)
        rec.reset(settler, driver.close_viewer)

    def accept_slice_and_undo() -> None:
        progress("accept_slice, undo")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.select_class_changed_cell(0, "True"))
        for _ in range(reps):
            rec.time("accept_slice", settler, driver.accept_slice)
            rec.time("undo", settler, driver.undo)

    def annotate_complete() -> None:
        progress("annotate_complete")
        driver.goto_annotate(store.refine_job_id)
        for _ in range(reps):
            rec.time("annotate_complete", settler, driver.annotate_complete)

    for keys, body in ((("open_warm",), open_warm), (("select_cell",), select_cell),
                       (("apply_filter", "grid_after_filter"), apply_filter), (("switch_tab",), switch_tab),
                       (("next_page",), next_page), (("pick_tile",), pick_tile), (("open_viewer",), open_viewer),
                       (("viewer_next",), viewer_next), (("accept_one",), accept_one),
                       (("accept_slice", "undo"), accept_slice_and_undo)):
        timed(rec, keys, body, page=page, shots=shots)
        rec.rss[keys[-1]] = round(rss())
    if store.has_annotate:
        timed(rec, ("annotate_complete",), annotate_complete, page=page, shots=shots)
        rec.rss["annotate_complete"] = round(rss())


def run_store(store: Store, *, browser, python: str, reps: int, rounds: int, shots: Path) -> dict:
    rec = Recorder()
    rss: list[float] = []
    for index in range(rounds):
        store.before_round(index)
        server = Server(store, python, store.root / "streamlit.log")
        log(f"{store.key}: app process {index + 1} of {rounds}")
        server.start()
        context = browser.new_context(viewport=VIEWPORT)
        Settler.install(context)
        VisualizeDriver.install(context)
        page = context.new_page()
        page.set_default_timeout(300_000)
        settler = Settler(page, cpu=cpu_reader(server))
        driver = VisualizeDriver(page, settler, server.url)
        try:
            def cold_open() -> None:
                driver.goto_jobs()
                rec.time("open_first" if index == 0 else "open_cold", settler,
                         lambda: driver.open_from_card(store.job_id))

            timed(rec, ("open_first" if index == 0 else "open_cold",), cold_open, page=page, shots=shots)
            if index == 0:
                rec.rss["open_first"] = round(server.rss_mib())
                run_suite(driver, settler, store, reps, rec, shots, server.rss_mib)
            if store.has_annotate:
                def submit() -> None:
                    driver.goto_annotate(store.refine_job_id)
                    rec.time("submit_dialog", settler, driver.submit)
                    rec.time("submit_confirm", settler, lambda: driver.submit_confirm(store.refine_job_id))

                timed(rec, ("submit_dialog", "submit_confirm"), submit, page=page, shots=shots)
            rss.append(server.rss_mib())
        finally:
            context.close()
            server.stop()
    if rounds < 2:
        rec.na("open_cold", "one app process only (--rounds 1)")
    if not store.has_annotate:
        for key in ("annotate_complete", "submit_dialog", "submit_confirm"):
            rec.na(key, "the synthetic job is imported READY: there is no IN_PROGRESS job to annotate or submit")
    notes = list(store.notes)
    if store.has_annotate:
        notes.append(f"Annotate's Complete labels the next unlabelled image each time ({reps} in the first app "
                     "process, before its Submit); Submit turns the job READY, so it is timed once per app process, "
                     "each over a fresh copy of the seeded database")
    if rss:
        notes.append(f"app server RSS after each app process's run: {', '.join(f'{r:,.0f}' for r in rss)} MiB")
    if rec.rss:
        notes.append("app server RSS in the first app process, after each interaction's repetitions (MiB): "
                     + ", ".join(f"{key} {mib:,.0f}" for key, mib in rec.rss.items()))
    if rec.lost:
        notes.append(f"{len(rec.lost)} click(s) started no rerun and were done again, untimed attempt dropped: "
                     + ", ".join(sorted(set(rec.lost))))
    return {"description": store.description, "db": db_kind(store.db_url), "job_id": store.job_id,
            "interactions": rec.as_json(), "notes": notes, "failures": rec.failures, "rss_mib_after": rec.rss,
            "lost_clicks": rec.lost}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} not found: apt-get install -y chromium (Playwright's own browsers are never used)")
        return 2
    started = datetime.now(timezone.utc)
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
        "command": shlex_join_redacted(["python", "-m", "bench.browser", *(sys.argv[1:] if argv is None else argv)],
                                       args.db),
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
            run["browser"] = (f"Debian's Chromium {browser.version} (headless), Playwright "
                              f"{metadata.version('playwright')}")
            try:
                for store in stores:
                    result = run_store(store, browser=browser, python=args.python, reps=args.reps,
                                       rounds=args.rounds, shots=workdir / "failures" / store.key)
                    run["stores"][store.key] = result
                    failures += [f"{store.key}: {f}" for f in result["failures"]]
            finally:
                usage.stop()
                browser.close()
    except Exception:
        traceback.print_exc(file=sys.stderr)
        log(f"FAILED; report not written; work dir kept: {workdir}")
        return 1
    run["finished"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
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


class CpuUsage:
    """How much CPU the machine's other processes took while the browser part ran: every figure here shares the
    machine's cores with them."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = self._busy()
        self.own = self._own()

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    @staticmethod
    def _own() -> float:
        """This process tree's CPU so far: each live process's own time and that of the children it reaped (an app
        server reaped by us, a Chromium helper by Chromium), so nothing counts twice."""
        total = 0.0
        me = psutil.Process()
        for proc in [me, *me.children(recursive=True)]:
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def stop(self) -> None:
        """While Chromium still runs (its time is lost from the tree once Playwright lets it go unreaped)."""
        self.wall = time.monotonic() - self.started
        self.busy_s = self._busy() - self.busy
        self.own_s = self._own() - self.own

    def note(self) -> str:
        wall, busy, own = self.wall, self.busy_s, self.own_s
        other = max(busy - own, 0.0)
        cores = os.cpu_count() or 1
        return (f"CPU while the browser part ran ({wall / 60:.1f} min on {cores} cores): this benchmark's processes "
                f"(app servers, Chromium, driver) {own:,.0f} s, other processes {other:,.0f} s "
                f"({other / (wall * cores):.0%} of the machine)")


def _log_summary(run: dict) -> None:
    for store, result in run["stores"].items():
        for interaction in report.INTERACTIONS:
            entry = result["interactions"].get(interaction.key)
            s = report.entry_stats(entry)
            if s:
                log(f"  {store:4} {interaction.key:18} median {s.median:8.0f} ms  p95 {s.p95:8.0f} ms  n {s.n:3} "
                    f"{report.verdict(interaction.key, store, entry)}")
            elif entry and entry.get("na"):
                log(f"  {store:4} {interaction.key:18} n/a: {entry['na']}")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("demo", "1m", "both"), default="both", help="which store(s) (both)")
    parser.add_argument("--reps", type=int, default=20, help="repetitions of each in-page interaction (20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="app processes per store: one cold open each, Submit once each on the demo (3)")
    parser.add_argument("--label", default="before", help="names this run's figures: before, after, ... (before)")
    parser.add_argument("--out", type=Path, help="report path (default bench/REPORT.md)")
    parser.add_argument("--json", type=Path, help="raw numbers (default bench/browser-LABEL.json)")
    parser.add_argument("--db", help="database URL of the 1M store (default: a SQLite file in the work dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (stores, server logs)")
    parser.add_argument("--workdir", type=Path,
                        help="work dir (kept; its stores are reused); default: a new one under bench/.work")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the app and the CLI (this one)")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.rounds < 1:
        parser.error("--reps and --rounds must be >= 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
