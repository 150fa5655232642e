"""Helpers of the import store tests (tests/store/test_import_store.py and the tests split from it): the results,
classes and samples of a job read straight from the store, the check of stored results against the hand-computed
ones, the standard detection and classification imports, and review states set by result position."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from core.jobs import ingest
from tests.builders import ADMIN, write_classification_job, write_detection_job
from tests.resultset_builders import result_ids, set_state

STORED_RESULTS = text("""
    SELECT s.file_path, r.change_kind, ec.name, pc.name, r.class_changed, r.iou, r.area_px, r.area_fraction,
           r.adjustment_factor, r.pre_confidence, COALESCE(st.state, 'pending')
    FROM result r JOIN sample s ON s.id = r.sample_id LEFT JOIN reviewstate st ON st.result_id = r.id
    LEFT JOIN labelclass ec ON ec.id = r.expert_class_id LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE r.job_id = :job_id ORDER BY r.id
""")


def stored_results(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(STORED_RESULTS, {"job_id": job_id})]


def stored_classes(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT c.name, c.display_name, c.position FROM labelclass c JOIN labeljob j ON j.spec_id = c.spec_id "
                    "WHERE j.id = :job_id ORDER BY c.position"
                ),
                {"job_id": job_id},
            )
        ]


def stored_samples(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT file_path, width, height FROM sample WHERE job_id = :job_id ORDER BY file_path"),
                {"job_id": job_id},
            )
        ]


def assert_results(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        file_path, kind, expert, pre, changed, iou, area, fraction, factor, confidence = e
        assert g[:5] == (file_path, kind, expert, pre, changed)
        for value, want in zip(g[5:10], (iou, area, fraction, factor, confidence)):
            assert value == (None if want is None else pytest.approx(want, abs=1e-12)), (g, e)
        assert g[10] == "pending"


def import_standard(engine: Engine, root, *, name: str = "street", pre=None, **kwargs):
    files = write_detection_job(root, **({} if pre is None else {"pre": pre}))
    return ingest.import_detection(
        **{"actor": ADMIN, **kwargs},
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )


def import_fruit(engine: Engine, root, *, name: str = "fruit", **kwargs):
    files = write_classification_job(root)
    return ingest.import_classification(
        actor=ADMIN, engine=engine, name=name, images_dir=files.images_dir, csv_path=files.csv_path, **kwargs
    )


def set_states(engine: Engine, job_id: int, states: dict[str, list[int]]) -> None:
    """Review states by result position (0-based, in id order), straight in the store."""
    ids = result_ids(engine, job_id)
    for state, positions in states.items():
        set_state(engine, [ids[i] for i in positions], state)
