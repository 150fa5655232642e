"""Names a spreadsheet would run as formulas (they are names: no control characters) are imported as they are, kept
exactly by the store, the datalog table and COCO, and reach the CSV export behind an apostrophe. SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from core.exports import build_download, export_to_table
from core.jobs import ingest
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, write_detection_job
from tests.resultset_builders import accept, result_ids

FORMULAS = ['=HYPERLINK("http://evil.example/","x")', "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"]


def test_formula_class_names_are_neutralised_in_the_csv_export_only(engine, tmp_path):
    files = write_detection_job(tmp_path / "in", categories=[{"id": i, "name": n} for i, n in enumerate(FORMULAS, 1)])
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    accept(engine, result_ids(engine, job.id), reviewer="=ann")
    resultset = create_resultset(actor=ADMIN, engine=engine, job_id=job.id, name="v1")

    def download(fmt: str) -> bytes:
        return build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt).data

    rows = list(csv.DictReader(io.StringIO(download("csv").decode())))
    assert {r["class_name"] for r in rows if r["class_name"]} == {f"'{n}" for n in FORMULAS}
    assert {r["pre_class"] for r in rows if r["pre_class"]} <= {f"'{n}" for n in FORMULAS}
    assert {r["reviewer"] for r in rows} == {"'=ann"}
    assert all(float(r["x"]) >= 0 for r in rows if r["x"]) and {r["width"] for r in rows} == {"100", "40"}

    assert [c["name"] for c in json.loads(download("coco"))["categories"]] == FORMULAS
    export_to_table(actor=ADMIN, engine=engine, resultset_id=resultset.id, table="formulas")
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT class_name FROM formulas WHERE class_name IS NOT NULL")).scalars())
    assert stored == set(FORMULAS)
