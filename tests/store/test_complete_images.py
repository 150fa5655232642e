"""Complete images by default (issue 12): every export of a ResultSet (COCO, YOLO, Pascal VOC, CSV, datalog table)
holds only the images whose every result the ResultSet holds, and says how many it left out and why;
`include_partial` gives the exports as they were, with the partial images marked. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import text

from core.exports import build_download, export_summary, export_to_table, image_count
from core.exports.completeness import PartialImages, partial_image_reasons
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, as_admin
from tests.complete_image_builders import import_partial_job, saved_resultset
from tests.resultset_builders import accept, import_fruit_job, result_ids, set_state

LEFT_OUT = {"pending": 1, "rejected": 2, "accepted_since_saved": 0}
ALL_ITEMS = 1 + 2 + 1 + 1


@pytest.fixture
def partial(engine, tmp_path):
    return import_partial_job(engine, tmp_path / "scenes")


@pytest.fixture
def resultset(engine, partial):
    return saved_resultset(engine, partial)


def export(engine, resultset, fmt, **kwargs):
    return build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt, **kwargs)


def files_of(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_the_job_is_the_issue_s_case(engine, partial, resultset):
    with engine.connect() as conn:
        classes = conn.execute(
            text("SELECT c.name FROM result r JOIN labelclass c ON c.id = r.expert_class_id WHERE r.id = :id"),
            {"id": partial.results["scene.png"][0]},
        ).scalar()
    assert classes == "dog" and len(partial.results["scene.png"]) == 9
    assert resultset.item_count == ALL_ITEMS


def test_partial_images_are_classified_once_under_their_first_reason(engine, partial, resultset):
    frame = partial_image_reasons(engine=engine, resultset_id=resultset.id)
    with engine.connect() as conn:
        files = dict(
            conn.execute(text("SELECT id, file_path FROM sample WHERE job_id = :j"), {"j": partial.job.id}).all()
        )
    assert {files[s]: reason for s, reason in frame.iter_rows()} == {
        "scene.png": "pending",
        "bad.png": "rejected",
        "mixed.png": "rejected",
    }
    summary = export_summary(engine=engine, resultset_id=resultset.id)
    assert summary.complete_images == 2  # full.png and empty.png
    assert summary.partial_images.counts() == LEFT_OUT
    assert summary.partial_images.sentence() == "1 image still has pending results, 2 have rejected results"


def test_default_coco_holds_only_complete_images_and_says_what_it_left_out(engine, partial, resultset):
    download = export(engine, resultset, "coco")
    coco = json.loads(download.data)

    assert [i["file_name"] for i in coco["images"]] == ["full.png", "empty.png"]
    assert all("complete" not in i for i in coco["images"])
    assert [a["result_id"] for a in coco["annotations"]] == partial.results["full.png"]
    assert coco["info"]["complete_images_only"] is True
    assert coco["info"]["left_out"] == LEFT_OUT
    assert download.partial_images == PartialImages(pending=1, rejected=2)


def test_coco_with_partial_images_is_today_s_export_with_each_image_marked(engine, partial, resultset):
    coco = json.loads(export(engine, resultset, "coco", include_partial=True).data)

    assert [(i["file_name"], i["complete"]) for i in coco["images"]] == [
        ("scene.png", False),
        ("full.png", True),
        ("bad.png", False),
        ("mixed.png", False),
        ("empty.png", True),
    ]
    assert len(coco["annotations"]) == ALL_ITEMS
    scene = [a for a in coco["annotations"] if a["image_id"] == 1]
    assert [a["result_id"] for a in scene] == partial.results["scene.png"][:1]  # one box of nine
    assert coco["info"]["complete_images_only"] is False
    assert coco["info"]["partial_images"] == LEFT_OUT and "left_out" not in coco["info"]


@pytest.mark.parametrize(("fmt", "folder", "suffix"), [("yolo", "labels", ".txt"), ("voc", "Annotations", ".xml")])
def test_yolo_and_voc_hold_complete_images_and_their_readme_counts_the_rest(engine, resultset, fmt, folder, suffix):
    files = files_of(export(engine, resultset, fmt).data)
    assert sorted(f for f in files if f.startswith(folder)) == [f"{folder}/empty{suffix}", f"{folder}/full{suffix}"]
    assert (
        "Complete images only: 3 partially reviewed images left out (1 image still has pending results, 2 have "
        "rejected results)."
    ) in files["README.txt"]

    everything = files_of(export(engine, resultset, fmt, include_partial=True).data)
    assert len([f for f in everything if f.startswith(folder)]) == 5
    assert "Partially reviewed images included (1 image still has pending results" in everything["README.txt"]


def test_csv_holds_complete_images_and_marks_partial_ones_when_asked(engine, partial, resultset):
    rows = list(csv.DictReader(io.StringIO(export(engine, resultset, "csv").data.decode())))
    assert [int(r["result_id"]) for r in rows] == partial.results["full.png"]
    assert "complete_image" not in rows[0]

    rows = list(csv.DictReader(io.StringIO(export(engine, resultset, "csv", include_partial=True).data.decode())))
    assert [(r["file_path"], r["complete_image"]) for r in rows] == [
        ("scene.png", "false"),
        ("full.png", "true"),
        ("full.png", "true"),
        ("bad.png", "false"),
        ("mixed.png", "false"),
    ]


def test_a_datalog_table_holds_complete_images_unless_partial_ones_are_included(engine, partial, resultset):
    table = export_to_table(engine=engine, resultset_id=resultset.id, table="complete", actor=as_admin("lead"))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT result_id FROM complete ORDER BY result_id")).scalars().all()
    assert rows == partial.results["full.png"] and (table.row_count, table.left_out_images) == (2, 3)

    table = export_to_table(
        engine=engine, resultset_id=resultset.id, table="everything", include_partial=True, actor=as_admin("lead")
    )
    assert (table.row_count, table.left_out_images) == (ALL_ITEMS, 0)


def test_completeness_is_judged_against_the_snapshot(engine, partial, resultset):
    r = partial.results
    accept(engine, r["scene.png"][1:])  # the rest of the scene accepted after the save
    set_state(engine, [r["full.png"][0]], "rejected")  # and a box of a complete image rejected after it

    coco = json.loads(export(engine, resultset, "coco").data)
    assert [i["file_name"] for i in coco["images"]] == ["full.png", "empty.png"]  # the same images as before
    assert coco["info"]["left_out"] == {"pending": 0, "rejected": 2, "accepted_since_saved": 1}
    assert export_summary(engine=engine, resultset_id=resultset.id).partial_images.sentence() == (
        "2 images have rejected results, 1 has results accepted after this ResultSet was saved (save a new one to "
        "include them)"
    )


def test_a_classification_resultset_has_only_complete_images(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    ids = result_ids(engine, fruit.id)
    accept(engine, ids[1:])
    set_state(engine, ids[:1], "rejected")
    resultset = create_resultset(engine=engine, job_id=fruit.id, name="fruit", actor=as_admin("lead"))

    summary = export_summary(engine=engine, resultset_id=resultset.id)
    assert (summary.complete_images, summary.partial_images.images) == (3, 0)
    default, partial = (export(engine, resultset, "csv", include_partial=flag).data.decode() for flag in (False, True))
    assert partial.splitlines()[1:] == [line + ",true" for line in default.splitlines()[1:]]
    assert json.loads(export(engine, resultset, "coco").data)["info"]["left_out"] == {
        "pending": 0,
        "rejected": 0,
        "accepted_since_saved": 0,
    }


def test_the_counts_read_as_one_would_say_them():
    assert PartialImages(pending=12, rejected=3).sentence() == (
        "12 images still have pending results, 3 have rejected results"
    )
    assert PartialImages(rejected=1).note() == (
        "Complete images only: 1 partially reviewed image left out (1 image has rejected results)."
    )
    assert PartialImages().sentence() == "" and image_count(1, "complete") == "1 complete image"


def test_each_image_is_recorded_complete_or_partial_when_saved(engine, partial, resultset):
    with engine.connect() as conn:
        recorded = dict(
            conn.execute(
                text(
                    "SELECT s.file_path, i.complete FROM resultsetimage i JOIN sample s ON s.id = i.sample_id "
                    "WHERE i.resultset_id = :id"
                ),
                {"id": resultset.id},
            ).all()
        )
    # empty.png has no item: it is no image of the ResultSet (exports hold it: nothing to review)
    assert {file: bool(flag) for file, flag in recorded.items()} == {
        "scene.png": False,
        "full.png": True,
        "bad.png": False,
        "mixed.png": False,
    }
    assert (resultset.complete_images, resultset.partial_images) == (1, 3)


def test_an_image_complete_when_saved_stays_in_the_exports_after_a_rework_brings_it_new_results(
    engine, partial, resultset
):
    """full.png was complete when saved. Then one of its boxes is rejected, sent back, relabelled and brought back
    as pending results: the job's image is partial now, but the ResultSet's was complete and its exports keep it."""
    from core.jobs.expert_labels import save_expert_label
    from core.jobs.rework import create_rework_job
    from core.jobs.submit import submit_job
    from core.review import decisions as review
    from tests.builders import as_reviewer
    from tests.manual_builders import sample_ids

    first = partial.results["full.png"][0]
    review.reject(
        engine=engine,
        job_id=partial.job.id,
        result_ids=[first],
        from_state="accepted",
        actor=as_reviewer("rita"),
        reason="wrong box",
    )
    rework = create_rework_job(
        engine=engine, job_id=partial.job.id, name="full again", result_ids=[first], actor=as_reviewer("rita")
    ).job
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=sample_ids(engine, rework.id)["full.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [3, 3, 10, 10], "label": "cat"}],
    )
    submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"))
    with engine.connect() as conn:
        pending_on_full = conn.execute(
            text(
                "SELECT COUNT(*) FROM result r JOIN sample s ON s.id = r.sample_id WHERE r.job_id = :j "
                "AND s.file_path = 'full.png' AND NOT EXISTS (SELECT 1 FROM reviewstate st WHERE st.result_id = r.id)"
            ),
            {"j": partial.job.id},
        ).scalar()
    assert pending_on_full == 1  # the job's full.png is partial now

    coco = json.loads(export(engine, resultset, "coco").data)
    assert [i["file_name"] for i in coco["images"]] == ["full.png", "empty.png"]
    assert coco["info"]["left_out"] == LEFT_OUT
    fresh = create_resultset(engine=engine, job_id=partial.job.id, name="after rework", actor=ADMIN)
    assert (fresh.complete_images, fresh.partial_images) == (0, 4)  # a ResultSet saved now has full.png partial
