"""COCO exports read back by pycocotools: the accepted images and the images without results, partial images
kept with include_partial, and a classification ResultSet as one annotation per image without a bbox. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

from pycocotools.coco import COCO

from core.exports import write_export
from tests.builders import ADMIN
from tests.resultset_builders import CLASS_NAMES, import_fruit_job, result_ids
from tests.store.export_helpers import expected_boxes, make_resultset


def read_coco(engine, resultset, tmp_path, *, include_partial=False) -> COCO:
    path = write_export(
        actor=ADMIN,
        engine=engine,
        resultset_id=resultset.id,
        format="coco",
        out=tmp_path / "export.json",
        include_partial=include_partial,
    )
    return COCO(str(path))


def coco_boxes(coco: COCO) -> dict[str, list[tuple[str, tuple]]]:
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    out: dict[str, list] = {}
    for image in coco.loadImgs(sorted(coco.getImgIds())):
        anns = sorted(coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]])), key=lambda a: a["id"])
        if anns:
            out[image["file_name"]] = [(names[a["category_id"]], tuple(a["bbox"])) for a in anns]
    return out


def test_coco_round_trip_covers_the_accepted_images_and_the_images_without_results(engine, job, ids, tmp_path):
    accepted = ids[:6]  # all of a.png and b.png (with b's removed box); d.png stays pending
    coco = read_coco(engine, make_resultset(engine, job, accepted), tmp_path)

    images = coco.loadImgs(sorted(coco.getImgIds()))
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in images] == [
        (1, "a.png", 100, 50),
        (2, "b.png", 40, 40),
        (3, "c.png", 30, 20),
    ]  # c.png: no results, no boxes
    assert [(c["id"], c["name"], c["display_name"]) for c in coco.loadCats(coco.getCatIds())] == [
        (1, "cat", "cat"),
        (2, "dog", "dog"),
        (3, "bird", "bird"),
    ]
    assert {c: len(coco.getAnnIds(catIds=[i])) for i, c in enumerate(CLASS_NAMES, 1)} == {"cat": 2, "dog": 2, "bird": 1}
    assert sorted(coco.getAnnIds()) == [1, 2, 3, 4, 5]
    assert coco_boxes(coco) == expected_boxes(ids, set(accepted))
    anns = coco.loadAnns(coco.getAnnIds())
    assert [a["area"] for a in anns] == [400.0, 400.0, 200.0, 100.0, 100.0]
    assert {a["iscrowd"] for a in anns} == {0}
    assert [a["result_id"] for a in anns] == ids[:5]


def test_coco_with_partial_images_keeps_an_image_whose_only_accepted_result_is_a_removal(engine, job, ids, tmp_path):
    accepted = [ids[5], ids[6]]  # b.png's removed box (its other two results pending) and d.png's cat
    coco = read_coco(engine, make_resultset(engine, job, accepted), tmp_path, include_partial=True)

    assert [(i["file_name"], i["complete"]) for i in coco.loadImgs(sorted(coco.getImgIds()))] == [
        ("b.png", False),
        ("c.png", True),
        ("d.png", True),
    ]
    assert coco_boxes(coco) == {"d.png": [("cat", (5.0, 5.0, 10.0, 10.0))]}
    assert len(coco.getAnnIds()) == 1


def test_coco_of_a_classification_resultset_has_one_annotation_per_image_and_no_bbox(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    ids = result_ids(engine, fruit.id)
    resultset = make_resultset(engine, fruit, ids[1:])
    coco = read_coco(engine, resultset, tmp_path)

    assert [i["file_name"] for i in coco.loadImgs(sorted(coco.getImgIds()))] == ["c2.png", "c3.png", "c4.png"]
    assert [(c["id"], c["name"]) for c in coco.loadCats(coco.getCatIds())] == [(1, "apple"), (2, "pear"), (3, "plum")]
    anns = coco.loadAnns(sorted(coco.getAnnIds()))
    assert [(a["image_id"], a["category_id"]) for a in anns] == [(1, 2), (2, 2), (3, 1)]  # pear, pear, apple
    assert all("bbox" not in a and "area" not in a for a in anns)
    assert json.loads((tmp_path / "export.json").read_text())["info"]["task"] == "classification"
