"""The results behind the Pre-label quality section's counts (core.analysis.quality.slices): each count is the number
of results its filter keeps, counted by hand on a small frame; and the quality of every READY manual job a row each,
in the series its trend joins (core.analysis.quality.across_jobs)."""

from __future__ import annotations

import polars as pl
import pytest

from core.analysis.filters import ResultFilter
from core.analysis.quality import job_quality
from core.analysis.quality.across_jobs import quality_by_job
from core.analysis.quality.slices import SLICE_COUNTS, class_slices, slice_filter
from core.jobs import ingest
from core.store.db import get_engine
from tests.builders import ADMIN, pre_as_dataset, write_classification_job, write_detection_job, write_json
from tests.unit.test_filters import FRAME

CLASSES = ["cat", "dog", "bird"]


def test_the_counts_by_hand():
    """FRAME: cat pre boxes 1, 2 (relabelled to dog), 3; dog pre boxes 5 and 6 (removed, confidence .6); the bird
    added. False positives: cat's relabelled box, dog's removed one. Missed: the dog box relabelled from cat, the
    added bird."""
    counts = class_slices(FRAME, CLASSES)
    assert counts.rows() == [
        # class, expert labels, pre-labels, false positives, missed
        ("cat", 2, 3, 1, 0),
        ("dog", 2, 2, 1, 1),
        ("bird", 1, 0, 0, 1),
    ]
    above = class_slices(FRAME, CLASSES, min_confidence=0.65)
    assert above["false_positives"].to_list() == [1, 0, 0]  # the removed dog box (.6) is below
    assert above.drop("false_positives").equals(counts.drop("false_positives"))


@pytest.mark.parametrize("min_confidence", [0.0, 0.55, 0.6, 0.75, 0.85, 1.0])
@pytest.mark.parametrize("name", SLICE_COUNTS)
def test_every_count_is_the_number_of_results_its_filter_keeps(name, min_confidence):
    counts = class_slices(FRAME, CLASSES, min_confidence=min_confidence)
    for class_name, count in counts.select("class", name).iter_rows():
        kept = FRAME.filter(slice_filter(name, class_name, min_confidence=min_confidence).expr())
        assert kept.height == count, (name, class_name)


def test_the_filters_in_the_links_words():
    assert slice_filter("false_positives", "cat", min_confidence=0.5) == ResultFilter(
        pre_classes=("cat",), class_changed=True, confidence_min=0.5
    )
    # At 0 every pre-label counts, those without a confidence too: no bound at all.
    assert slice_filter("false_positives", "cat").confidence_min is None
    assert slice_filter("missed", "cat") == ResultFilter(classes=("cat",), class_changed=True)
    assert slice_filter("expert_labels", "cat") == ResultFilter(classes=("cat",))
    assert slice_filter("pre_labels", "cat") == ResultFilter(pre_classes=("cat",))


def test_a_categorical_frame_counts_the_same():
    """The Visualize page's copy of the frame holds its class columns as Categorical."""
    categorical = FRAME.with_columns(pl.col("class_row", "pre_class_row").cast(pl.Categorical))
    assert class_slices(categorical, CLASSES, min_confidence=0.6).equals(
        class_slices(FRAME, CLASSES, min_confidence=0.6)
    )


def test_quality_by_job_a_row_per_ready_manual_job_in_its_series(data_dir, tmp_path):
    engine = get_engine(f"sqlite:///{data_dir / 'store.db'}")
    files = write_detection_job(tmp_path / "street")
    auto = ingest.import_auto_predictions(
        actor=ADMIN,
        engine=engine,
        name="street-auto",
        images_dir=files.images_dir,
        predictions_path=write_json(tmp_path / "auto.json", pre_as_dataset()),
    )
    common = {"actor": ADMIN, "engine": engine, "images_dir": files.images_dir, "expert_path": files.expert_path}
    first = ingest.import_detection(**common, name="street-1", pre_path=files.pre_path, source_job=auto)
    second = ingest.import_detection(**common, name="street-2", pre_path=files.pre_path, source_job=auto)
    imported = ingest.import_detection(**common, name="street-import", pre_path=files.pre_path)
    fruit_files = write_classification_job(tmp_path / "fruit")
    fruit = ingest.import_classification(
        actor=ADMIN, engine=engine, name="fruit", images_dir=fruit_files.images_dir, csv_path=fruit_files.csv_path
    )
    told = []
    rows = quality_by_job(engine=engine, progress=lambda done, of: told.append((done, of)))
    assert rows["job"].to_list() == ["fruit", "street-import", "street-2", "street-1"]  # the newest first
    assert told == [(0, 4), (1, 4), (2, 4), (3, 4)]
    series = dict(zip(rows["job"], rows["series"]))
    assert series["street-1"] == series["street-2"] == "auto label job street-auto"
    assert series["street-import"].startswith("label spec ") and series["fruit"].startswith("label spec ")
    assert series["street-import"] != series["fruit"]
    for job in (first, second, imported, fruit):
        quality = job_quality(engine=engine, job_id=job.id)
        row = rows.row(by_predicate=pl.col("job_id") == job.id, named=True)
        assert row["ap"] == quality.ap and row["accuracy"] == quality.accuracy
        assert (row["precision"], row["recall"], row["f1"]) == (quality.precision, quality.recall, quality.f1)
        assert row["best_threshold"] == quality.best_threshold and row["edits"] == quality.as_labelled.edits
        assert row["best_edits"] == (None if quality.best is None else quality.best.edits)
        headline = quality.accuracy if job is fruit else quality.ap
        assert headline is not None and row["headline"] == headline
