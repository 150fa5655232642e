"""Label Studio JSON specifics: images named by /data/local-files/ and storage (s3://) URLs are found under the
image root with their folders, and a file without predictions gives its annotations as the pre-labels."""

from __future__ import annotations

import json

from sqlalchemy import text

from core.analysis.stats import job_stats
from core.jobs import ingest
from tests.builders import ADMIN, EXPERT_ANNOTATIONS, write_image, write_json
from tests.store.label_format_helpers import imported_stats, ls_rectangle, written  # noqa: F401  (the fixture)


def test_label_studio_local_files_and_storage_urls_name_images_under_the_root(engine, tmp_path):
    """/data/local-files/?d=... and s3:// paths keep their folders; the longest tail that names an image under
    the image root is the image."""
    images_dir = tmp_path / "images"
    write_image(images_dir / "street" / "a.png", 100, 50)
    write_image(images_dir / "b.png", 40, 40)
    tasks = [
        {
            "data": {"image": "/data/local-files/?d=datasets/street/a.png"},
            "annotations": [{"result": [ls_rectangle("cat", 10, 10, 20, 20, 100, 50)]}],
            "predictions": [{"result": [ls_rectangle("cat", 10, 10, 20, 20, 100, 50, score=0.9)]}],
        },
        {
            "data": {"image": "s3://bucket/prefix/b.png"},
            "annotations": [{"result": [ls_rectangle("dog", 0, 0, 10, 10, 40, 40)]}],
            "predictions": [{"result": []}],
        },
    ]
    ls = write_json(tmp_path / "ls.json", tasks)
    job = ingest.import_detection(
        engine=engine, name="ls", images_dir=images_dir, expert_path=ls, pre_path=ls, actor=ADMIN
    )
    with engine.connect() as conn:
        samples = conn.execute(
            text("SELECT file_path, width, height FROM sample WHERE job_id = :j ORDER BY file_path"), {"j": job.id}
        ).all()
    assert [tuple(s) for s in samples] == [("b.png", 40, 40), ("street/a.png", 100, 50)]
    assert job_stats(engine=engine, job_id=job.id)["change_kinds"] == {
        "unchanged": 1,
        "adjusted": 0,
        "relabeled": 0,
        "added": 1,
        "removed": 0,
    }


def test_a_label_studio_file_without_predictions_gives_its_annotations_as_pre_labels(engine, written, tmp_path):
    paths, images_dir = written
    tasks = json.loads(paths["label_studio"][0].read_text())
    for task in tasks:
        task["predictions"] = []
    only_annotations = write_json(tmp_path / "annotations.json", tasks)
    stats = imported_stats(
        engine, name="ls", images_dir=images_dir, expert=paths["label_studio"][0], pre=only_annotations
    )
    assert stats["change_kinds"]["unchanged"] == stats["results"] == len(EXPERT_ANNOTATIONS)
