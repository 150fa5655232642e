"""Classification labels in the CVAT and Label Studio formats: CVAT tags and Label Studio choices (written by
tests/store/label_format_helpers.py) import to the Expert Review Stats of the same labels imported from a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.analysis.stats import job_stats
from core.jobs import ingest
from core.labels.formats import detect_format
from tests.builders import ADMIN, CLASSIFICATION_ROWS, write_classification_job, write_json
from tests.store.label_format_helpers import _close, ls_choice, ls_task, write_cvat


def classification_stats(engine, **kwargs) -> dict[str, Any]:
    job = ingest.import_classification(engine=engine, actor=ADMIN, **kwargs)
    return job_stats(engine=engine, job_id=job.id)


def test_classification_from_cvat_tags_and_label_studio_choices_matches_the_csv(engine, tmp_path):
    files = write_classification_job(tmp_path / "job")
    expected = classification_stats(engine, name="csv", images_dir=files.images_dir, csv_path=files.csv_path)
    images = [
        {"file_name": f, "width": w, "height": h}
        for f, (w, h) in ((r[0], _size(files.images_dir / r[0])) for r in CLASSIFICATION_ROWS)
    ]
    expert = {f: [(e,)] for f, _p, e, _c in CLASSIFICATION_ROWS}
    pre = {f: [(p, float(c))] if c else [(p,)] for f, p, _e, c in CLASSIFICATION_ROWS}
    classes = sorted({r[1] for r in CLASSIFICATION_ROWS} | {r[2] for r in CLASSIFICATION_ROWS})
    cvat_expert = write_cvat(tmp_path / "expert.xml", tags=expert, classes=classes, images=images)
    cvat_pre = write_cvat(tmp_path / "pre.xml", tags=pre, classes=classes, images=images)
    got = classification_stats(
        engine, name="cvat", images_dir=files.images_dir, expert_path=cvat_expert, pre_path=cvat_pre
    )
    _close(got, expected)

    tasks = [
        ls_task(k, f, [ls_choice(e)], [ls_choice(p, float(c) if c else None)])
        for k, (f, p, e, c) in enumerate(CLASSIFICATION_ROWS)
    ]
    for task in tasks:
        task["predictions"][0].pop("score")
    ls = write_json(tmp_path / "ls.json", tasks)
    assert detect_format(ls) == "label_studio" and detect_format(cvat_expert) == "cvat"
    _close(classification_stats(engine, name="ls", images_dir=files.images_dir, expert_path=ls, pre_path=ls), expected)


def _size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size
