"""CSV exports read back by the csv module: a row per item with every column (the header alone while every image
is partial, unless partial images are included), and a classification ResultSet's rows. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from core.review.resultsets import create_resultset
from tests.builders import as_admin
from tests.resultset_builders import accept, import_fruit_job, result_ids, set_state
from tests.store.export_helpers import download, make_resultset

CSV_HEADER = [
    "result_id",
    "file_path",
    "width",
    "height",
    "class_name",
    "pre_class",
    "change_kind",
    "class_changed",
    "x",
    "y",
    "w",
    "h",
    "iou",
    "area_px",
    "area_fraction",
    "adjustment_factor",
    "pre_confidence",
    "review_state",
    "reviewer",
]


def test_csv_has_a_row_per_item_with_every_column(engine, job, ids):
    accept(engine, [ids[1]], reviewer="ann")
    accept(engine, [ids[5]], reviewer="bob")
    set_state(engine, [ids[0]], "rejected")
    resultset = create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))

    # both images are partial: by default the CSV is its header alone, with include_partial the rows as before
    assert download(engine, resultset, "csv").decode().splitlines() == [",".join(CSV_HEADER)]
    rows = list(csv.reader(io.StringIO(download(engine, resultset, "csv", include_partial=True).decode())))

    assert rows[0] == [*CSV_HEADER, "complete_image"]
    assert rows[1:] == [
        [
            str(ids[1]),
            "a.png",
            "100",
            "50",
            "dog",
            "cat",
            "relabeled",
            "true",
            "50.0",
            "10.0",
            "20.0",
            "20.0",
            "1.0",
            "400.0",
            "0.08",
            "1.0",
            "0.8",
            "accepted",
            "ann",
            "false",
        ],
        [
            str(ids[5]),
            "b.png",
            "40",
            "40",
            "",
            "dog",
            "removed",
            "true",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "0.6",
            "accepted",
            "bob",
            "false",
        ],
    ]


def test_csv_of_a_classification_resultset(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    resultset = make_resultset(engine, fruit, result_ids(engine, fruit.id))
    rows = list(csv.DictReader(io.StringIO(download(engine, resultset, "csv").decode())))
    assert [
        (r["file_path"], r["class_name"], r["pre_class"], r["class_changed"], r["x"], r["pre_confidence"]) for r in rows
    ] == [
        ("c1.png", "apple", "apple", "false", "", "0.9"),
        ("c2.png", "pear", "apple", "true", "", "0.6"),
        ("c3.png", "pear", "pear", "false", "", ""),
        ("c4.png", "apple", "plum", "true", "", "0.3"),
    ]
