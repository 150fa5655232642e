"""The bad inputs the import validation tests try (tests/store/test_import_validation.py), gathered in CASES by
the @case decorator: each case builds its files under the root it is given and returns the import to attempt and
the fragments its refusal's message must contain. Here: the registry and the imports the cases attempt, built on
the standard files of tests/builders.py; the cases themselves are in import_refusals_labels.py,
import_refusals_files.py and import_refusals_csv.py."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from core.jobs import ingest
from tests.builders import ADMIN, EXPERT_ANNOTATIONS, IMAGES, DetectionFiles

Attempt = Callable[[Engine], object]
CASES: dict[str, Callable[[Path], tuple[Attempt, list[str]]]] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def detection(files: DetectionFiles, *, name: str = "incoming", **kwargs) -> Attempt:
    return lambda engine: ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        **kwargs,
    )


def classification(files, *, name: str = "incoming", **kwargs) -> Attempt:
    return lambda engine: ingest.import_classification(
        actor=ADMIN, engine=engine, name=name, images_dir=files.images_dir, csv_path=files.csv_path, **kwargs
    )


def anns_with(*extra: dict, drop: int | None = None, change: dict[int, dict] | None = None) -> list[dict]:
    """The standard expert annotations, with some appended, one dropped (by id) or some fields changed (by id)."""
    anns = [copy.deepcopy(a) for a in EXPERT_ANNOTATIONS if a["id"] != drop]
    for a in anns:
        a.update((change or {}).get(a["id"], {}))
    return anns + list(extra)


def images_with(change: dict[int, dict] | None = None, *extra: dict) -> list[dict]:
    out = [copy.deepcopy(im) for im in IMAGES]
    for im in out:
        im.update((change or {}).get(im["id"], {}))
    return out + list(extra)
