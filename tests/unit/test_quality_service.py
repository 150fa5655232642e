"""`job_quality` and `python -m core quality`: the figures of the tests' standard jobs counted by hand, computed once
per data revision and read back from their cache file (without SQLAlchemy or polars on the command line), and a
job that is missing or has no expert labels to measure against refused, naming it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core import cli
from core.analysis.quality import compute, job_quality
from core.analysis.quality.figures import JobQuality
from core.jobs import ingest
from core.store.db import get_engine
from tests.builders import ADMIN, write_classification_job, write_detection_job
from tests.unit.test_cli_startup import imported_after, store_with_a_job  # noqa: F401 (a fixture)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_standard_job_counted_by_hand(store_with_a_job, capsys):
    """At IoU .5, by class: cat 2 of 3 pre boxes right, both cat boxes found; dog 1 of 2, 1 of 2 boxes; the bird box
    missed. Edits, every pre-label kept: the removed dog box, the added bird and the dog box labelled cat; dropping
    the pre-labels under .7 saves the deletion but costs the adjusted dog box (.5), so keeping all is as good and
    the lowest such threshold is the best."""
    url, job_id = store_with_a_job
    code, out, _ = run(capsys, "quality", str(job_id), "--db", url, "--json")
    figures = json.loads(out)
    assert code == 0 and figures["job_id"] == job_id and 0.0 < figures["ap"] < figures["ap50"] <= 1.0
    assert (figures["precision"], figures["recall"], figures["f1"]) == (0.6, 0.6, pytest.approx(0.6))
    by_class = {
        name: (c["true_positives"], c["pre_labels"], c["expert_labels"]) for name, c in figures["per_class"].items()
    }
    assert by_class == {"cat": (2, 3, 2), "dog": (1, 2, 2), "bird": (0, 0, 1)}
    assert figures["per_class"]["bird"]["precision"] is None and figures["per_class"]["bird"]["ap"] == 0.0
    assert figures["as_labelled"] | {"threshold": None} == {
        "threshold": None,
        "kept": 5,
        "edits": 3,
        "deletions": 1,
        "additions": 1,
        "relabels": 1,
    }
    assert figures["best_threshold"] == 0.5 and figures["best"]["edits"] == 3
    at = {point["threshold"]: point["edits"] for point in figures["curve"]}
    assert (at[0.6], at[0.7], at[0.8], at[0.9], at[1.0]) == (4, 3, 4, 4, 5)
    assert figures["accuracy"] is None and figures["confusion_matrix"] is None

    code, out, _ = run(capsys, "quality", str(job_id), "--db", url)
    assert code == 0 and out.startswith(f"job {job_id} (detection, IoU 0.5): AP ")
    assert "best confidence threshold 0.5: 3 edits (1 deletion, 1 addition, 1 relabel)" in out


def test_a_classification_job_has_its_accuracy_and_confusion_matrix(data_dir, tmp_path, capsys):
    url = f"sqlite:///{data_dir / 'store.db'}"
    files = write_classification_job(tmp_path / "in")
    job = ingest.import_classification(
        actor=ADMIN, engine=get_engine(url), name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
    )
    code, out, _ = run(capsys, "quality", str(job.id), "--db", url, "--json")
    figures = json.loads(out)
    matrix = figures["confusion_matrix"]
    right = sum(matrix["counts"][i][matrix["pre"].index(name)] for i, name in enumerate(matrix["expert"]))
    assert code == 0 and figures["accuracy"] == right / figures["expert_labels"] and figures["ap"] is None
    code, out, _ = run(capsys, "quality", str(job.id), "--db", url)
    assert code == 0 and "confusion matrix" in out and "accuracy" in out
    assert out.startswith(f"job {job.id} (classification): precision ") and "AP" not in out  # COCO's, for boxes


def test_figures_are_computed_once_per_data_revision(store_with_a_job, monkeypatch, capsys):
    url, job_id = store_with_a_job
    engine = get_engine(url)
    computed = []
    original = compute.quality_of
    monkeypatch.setattr(compute, "quality_of", lambda *a, **k: computed.append(1) or original(*a, **k))
    first = job_quality(engine=engine, job_id=job_id)
    assert run(capsys, "review", str(job_id), "--to", "accepted", "--db", url)[0] == 0  # the truth is unchanged
    again = job_quality(engine=engine, job_id=job_id)
    assert len(computed) == 1 and again.to_json() == first.to_json()
    assert JobQuality.from_json(json.loads(json.dumps(first.to_json()))).to_json() == first.to_json()
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET data_revision = data_revision + 1 WHERE id = :id"), {"id": job_id})
    assert job_quality(engine=engine, job_id=job_id).data_revision == first.data_revision + 1
    assert len(computed) == 2


def test_cached_figures_are_printed_without_sqlalchemy_or_polars(store_with_a_job):
    url, job_id = store_with_a_job
    command = f"from core import cli\nassert cli.main(['quality', '{job_id}', '--db', {url!r}, '--json']) == 0"
    assert "sqlalchemy" in imported_after(command)  # the first time computes them
    assert imported_after(command) == set()


def test_a_missing_job_or_one_without_expert_labels_is_refused_naming_it(store_with_a_job, tmp_path, capsys):
    url, job_id = store_with_a_job
    code, _, err = run(capsys, "quality", "999", "--db", url)
    assert (code, err.strip()) == (2, "error: job 999 not found")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET status = 'IN_PROGRESS' WHERE id = :id"), {"id": job_id})
    code, _, err = run(capsys, "quality", str(job_id), "--db", url)
    assert code == 2 and f"job {job_id} 'street' is IN_PROGRESS" in err
    files = write_detection_job(tmp_path / "auto")
    auto = ingest.import_auto_predictions(
        engine=engine, actor=ADMIN, name="model", images_dir=files.images_dir, predictions_path=files.expert_path
    )
    code, _, err = run(capsys, "quality", str(auto.id), "--db", url)
    assert code == 2 and f"job {auto.id} 'model' is an auto label job" in err
