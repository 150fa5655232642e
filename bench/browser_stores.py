"""The stores the browser benchmark serves the app over: the demo store (`python -m core demo` in SQLite, restored
from a template before every app process) and bench.run's synthetic 1M-result job with real image files hard-linked
under its file names. Each gives the app process its data dir and database URL, and the jobs the interactions use.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.browser_processes import log
from bench.context import REPO_ROOT, BenchContext, _redact, db_kind, flush_to_disk
from bench.run_sections import bench_generate, bench_import
from bench.synth import SynthSpec

DEMO_JOB = "street-scenes"  # READY, reviewed on Visualize
DEMO_REFINE_JOB = "street-scenes-refine"  # IN_PROGRESS, annotated
BIG_JOB = "bench-1m"
DISTINCT_IMAGES = 32


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
        run = subprocess.run(
            [self.python, "-m", "core", *args, "--db", self.db_url],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
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
        self.description = (
            f"`python -m core demo` (SQLite): Visualize on {DEMO_JOB} ({street['images']:,} images, "
            f"{street['results']:,} results, 640 × 480 JPEGs); Annotate on {DEMO_REFINE_JOB} "
            f"({refine['labelling']['labelled']:,} of {refine['images']:,} images labelled)"
        )

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
        self.description = (
            f"bench.run's synthetic job on {db_kind(self.db_url)}: {job['images']:,} images, "
            f"{job['results']:,} results; {DISTINCT_IMAGES} distinct 1280 × 720 JPEGs hard-linked "
            "under its file names"
        )

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
        ctx = BenchContext(python=self.python, db_url=self.db_url, workdir=self.root, env=self.env, job_name=BIG_JOB)
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
            names = (
                conn.execute(text("SELECT file_path FROM sample WHERE job_id = :j ORDER BY id"), {"j": job_id})
                .scalars()
                .all()
            )
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
    draw.polygon(
        [(0, height), (width * 0.4, height * 0.55), (width * 0.6, height * 0.55), (width, height)], fill=(70, 70, 75)
    )
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
