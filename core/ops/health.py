"""Is this LabelDeck able to serve? The store answers and is at this code's schema version, the data folder (images,
thumbnails, caches, uploads) is writable and has room, and each job's image root can be read (a local folder
exists, a bucket prefix can be listed; named without credentials). For orchestrators and monitors: `python -m core health`
exits 0 when healthy, 1 when not, with each check's result as JSON. It changes nothing (no schema upgrade)."""

from __future__ import annotations

import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from core import storage
from core.settings import Settings
from core.store.db import SCHEMA_VERSION, make_engine, store_problem

MIN_FREE_BYTES = 1 << 30  # thumbnails and parquet caches grow with the jobs; under 1 GiB is a warning sign


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def health(settings: Settings) -> list[Check]:
    store = _store(settings.database_url)
    checks = [store, _data_dir(settings.data_dir)]
    if store.ok:
        checks += _image_roots(settings)
    return checks


def _image_roots(settings: Settings) -> list[Check]:
    """One check per distinct image root of the store's jobs, naming the jobs that use it; the roots are tried at
    once (an object store that does not answer takes seconds to say so)."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            jobs = conn.execute(text("SELECT id, name, image_root FROM labeljob ORDER BY id")).all()
    except Exception as exc:  # the store check passed a moment ago: report, do not crash
        return [Check("image roots", False, f"cannot list the jobs: {type(exc).__name__}")]
    finally:
        engine.dispose()
    by_root: dict[str, list[tuple[int, str]]] = {}
    for job_id, name, root in jobs:
        by_root.setdefault(root, []).append((job_id, name))
    if not by_root:
        return []

    def check(root: str) -> Check:
        named = by_root[root]
        jobs_text = ", ".join(f"{job_id} {name!r}" for job_id, name in named[:5])
        more = f" and {len(named) - 5} more" if len(named) > 5 else ""
        what = f"images of job{'s' if len(named) > 1 else ''} {jobs_text}{more}"
        try:
            ok, detail = storage.reachable(_root(root, settings))
        except Exception as exc:  # a root stored by an older LabelDeck, a package missing: the answer, not a crash
            ok, detail = False, storage.describe(f"{root}: {exc}")
        return Check(what, ok, detail)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(check, by_root))


def _root(stored: str, settings: Settings) -> storage.Root:
    """As core.jobs.summaries.image_root reads a job's root, under these settings' data folder."""
    if storage.is_remote(stored):
        return storage.root_from(stored)
    root = Path(stored)
    return root if root.is_absolute() else settings.data_dir / root


def _store(url: str) -> Check:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return Check(
            "store", False, f"{parsed.database}: no store file yet (the app or `python -m core demo` makes it)"
        )
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = (
                conn.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar()
                if inspect(conn).has_table("schemaversion")
                else None
            )
    except Exception as exc:  # every failure is the answer here, not a crash
        problem = store_problem(exc)
        detail = f"{problem[0]}: {problem[1]}" if problem else f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Check("store", False, detail)
    finally:
        engine.dispose()
    took = f"answered in {(time.perf_counter() - started) * 1000:.0f} ms"
    if version is None:
        return Check("store", False, f"{took}; no LabelDeck schema yet (the app or `python -m core demo` makes it)")
    if version != SCHEMA_VERSION:
        return Check(
            "store",
            False,
            f"{took}; schema version {version}, this LabelDeck wants {SCHEMA_VERSION} "
            "(the app upgrades an older store on start)",
        )
    return Check("store", True, f"{took}; schema version {version}")


def _data_dir(folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".health-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return Check("data folder", False, f"{folder} is not writable ({exc.strerror})")
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        return Check("data folder", False, f"{folder}: only {free / 2**20:,.0f} MiB free")
    return Check("data folder", True, f"{folder}: writable, {free / 2**30:,.1f} GiB free")
