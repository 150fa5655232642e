"""Runs in a child process of the bench: a ResultSet of the big job and its exports. Prints one JSON object.

    python -m bench.export_child DB_URL JOB_ID [ACCEPT]

Untimed: one SQL UPDATE accepts every 10th result of the job, at most ACCEPT (100,000) of them, spread over the
images as a reviewer's work would be. Timed: create_resultset, then the COCO export written to a file, the other
file formats, and the datalog table, all with the partial images included: every 10th result leaves nearly every
image partial, and the figure wanted is an export that writes every item.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from core.auth.access import Actor, Role
from core.exports import export_to_table, write_export
from core.review.resultsets import create_resultset
from core.store.db import get_engine

BENCH = Actor(name="bench", role=Role.REVIEWER)

ACCEPT = 100_000


def accept_every_tenth(engine, job_id: int, limit: int) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO reviewstate (result_id, job_id, state, reviewed_by, reviewed_at) "
                "SELECT id, job_id, 'accepted', 'bench', CURRENT_TIMESTAMP FROM result "
                "WHERE job_id = :job_id AND id % 10 = 0 ORDER BY id LIMIT :limit"
            ),
            {"job_id": job_id, "limit": limit},
        ).rowcount


def timed(work):
    started = time.perf_counter()
    value = work()
    return value, time.perf_counter() - started


def bench_exports(url: str, job_id: int, limit: int) -> dict:
    engine = get_engine(url)
    accepted = accept_every_tenth(engine, job_id, limit)
    name = f"bench-{time.time_ns()}"
    resultset, create_s = timed(lambda: create_resultset(engine=engine, job_id=job_id, name=name, actor=BENCH))
    out: dict = {"accepted": accepted, "items": resultset.item_count, "create_s": create_s, "files": {}}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        for fmt in ("coco", "csv", "yolo", "voc"):
            path, seconds = timed(
                lambda: write_export(
                    engine=engine,
                    resultset_id=resultset.id,
                    format=fmt,
                    out=Path(folder),
                    include_partial=True,
                    actor=BENCH,
                )
            )
            out["files"][fmt] = {"s": seconds, "bytes": path.stat().st_size}
            if fmt == "coco":
                out["images"] = len(json.loads(path.read_bytes())["images"])
    table, table_s = timed(
        lambda: export_to_table(
            engine=engine,
            resultset_id=resultset.id,
            table="bench_labels",
            replace=True,
            include_partial=True,
            actor=BENCH,
        )
    )
    out.update(table_s=table_s, table_rows=table.row_count)
    return out


if __name__ == "__main__":
    db_url, job = sys.argv[1], int(sys.argv[2])
    print(json.dumps(bench_exports(db_url, job, int(sys.argv[3]) if len(sys.argv) > 3 else ACCEPT)))
