"""The Visualize grid and the Catalog of a job whose images are in a bucket (moto's S3 server on 127.0.0.1): every
tile is drawn from the bucket's originals, fetched once; a second view of the page makes no request."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from core.storage import remote
from core.store.db import get_engine
from tests.resultset_builders import import_catalog_job
from tests.s3_server import s3_root, s3_server  # noqa: F401

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def bucket_job(s3_root, tmp_path) -> int:
    engine = get_engine(get_settings().database_url)
    job = import_catalog_job(engine, tmp_path / "job")
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT image_root FROM labeljob WHERE id = :j"), {"j": job.id}).scalar()
        folder = Path(stored) if Path(stored).is_absolute() else get_settings().data_dir / stored
        s3_root.put_folder(folder)
        conn.execute(text("UPDATE labeljob SET image_root = :r WHERE id = :j"), {"r": s3_root.root, "j": job.id})
    return job.id


def open_page(page: str, job_id: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["job"] = str(job_id)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def grid_tiles(at: AppTest) -> list[dict]:
    return [
        tile
        for e in at.get("bidi_component")
        if (e.key or "").endswith("tile_grid")
        for tile in json.loads(e.proto.json)["tiles"]
    ]


def test_the_grid_of_a_bucket_job_draws_every_tile_and_a_second_view_makes_no_request(s3_root, tmp_path):
    job_id = bucket_job(s3_root, tmp_path)
    remote.requests.clear()
    tiles = grid_tiles(open_page("../pages/visualize.py", job_id))
    assert tiles and all("src" in tile and "warning" not in tile for tile in tiles), tiles
    fetched = remote.requests["cat"]
    assert 0 < fetched <= len(tiles)  # each original at most once, however many of its results are tiles
    again = grid_tiles(open_page("../pages/visualize.py", job_id))
    assert [t["src"] for t in again] == [t["src"] for t in tiles]
    assert remote.requests["cat"] == fetched


def test_the_catalog_of_a_bucket_job_shows_its_images(s3_root, tmp_path):
    job_id = bucket_job(s3_root, tmp_path)
    at = open_page("../pages/catalog.py", job_id)
    assert not [w.value for w in at.warning if "Image unavailable" in w.value]
    assert remote.requests["cat"] > 0


def test_annotate_edits_a_bucket_job_s_image_from_the_cache_and_saves_the_expert_s_boxes(
    s3_root, tmp_path, monkeypatch
):
    """The annotator of a manual job whose images stay in the bucket: the page opens on the cached original (no
    request after the job's creation read each image once) and Complete saves the component's boxes."""
    from core.jobs import expert_labels
    from core.jobs.manual import create_manual_job
    from tests.app.conftest import plain, sign_in_as
    from tests.builders import as_admin, write_detection_job
    from tests.manual_builders import animals_spec

    monkeypatch.setenv("LABELDECK_AUTH", "password")  # the expert labels under their own name
    engine = get_engine(get_settings().database_url)
    files = write_detection_job(tmp_path / "in")
    s3_root.put_folder(files.images_dir)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=f"{s3_root.root}/",
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    remote.requests.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["job"] = str(job.id)
    at.switch_page("../pages/annotate.py").run()
    at = sign_in_as(at, "erin", "reviewer")
    assert not at.exception, at.exception
    first = expert_labels.next_unlabelled(engine=engine, job_id=job.id)
    state = expert_labels.editor_state(engine=engine, job_id=job.id, sample_id=first)
    assert state.image_path.is_file() and any(state.file_path in plain(c.value) for c in at.caption)
    assert not [w.value for w in at.warning if "unavailable" in w.value.lower()]
    assert remote.requests["cat"] == 0  # the creation's read is cached: the editor needs no second one

    at.session_state[f"annotate_{job.id}_{first}_0"] = [
        {"bbox": [1.0, 2.0, 10.0, 12.0], "label_id": 0, "label": state.label_list[0]}
    ]
    at.run()
    assert not at.exception, at.exception
    saved = expert_labels.editor_state(engine=engine, job_id=job.id, sample_id=first)
    assert (saved.source, saved.labelled_by, saved.bboxes) == ("expert", "erin", [[1.0, 2.0, 10.0, 12.0]])
