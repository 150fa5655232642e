"""Is this LabelDeck able to serve? The store answers and is at this code's schema version, the data folder (images,
thumbnails, caches, uploads) is writable and has room. For orchestrators and monitors: `python -m core health`
exits 0 when healthy, 1 when not, with each check's result as JSON. It changes nothing (no schema upgrade)."""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from core.db import SCHEMA_VERSION, make_engine, store_problem
from core.settings import Settings

MIN_FREE_BYTES = 1 << 30  # thumbnails and parquet caches grow with the jobs; under 1 GiB is a warning sign


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def health(settings: Settings) -> list[Check]:
    return [_store(settings.database_url), _data_dir(settings.data_dir)]


def _store(url: str) -> Check:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return Check("store", False, f"{parsed.database}: no store file yet (the app or `python -m core demo` "
                                     "makes it)")
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = (conn.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar()
                       if inspect(conn).has_table("schemaversion") else None)
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
        return Check("store", False, f"{took}; schema version {version}, this LabelDeck wants {SCHEMA_VERSION} "
                                     "(the app upgrades an older store on start)")
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
