"""The COCO reader's fast path (core/labels/coco_json.py): what it accepts, it reads to the very frames the careful reader
(core.labels.label_files.records_frame) makes; what it does not, it leaves to the careful reader, whose messages stay the
file's answer. A pre-label file is parsed once, and the garbage collector is left as it was found."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from core.domain.errors import BadInput
from core.labels import coco, coco_json

IMAGES = [
    {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
    {"id": 7, "file_name": "sub/b é.jpg", "width": 100, "height": 50, "extra": [1, {"x": None}]},
]
CATEGORIES = [{"id": 3, "name": "car"}, {"id": 4, "name": " person ", "display_name": "Person"}]
ANNOTATIONS = [
    {"id": 10, "image_id": 1, "category_id": 3, "bbox": [0, 0.5, 10, 20.25], "area": 1, "iscrowd": 0},
    {"id": 11, "image_id": 7, "category_id": 4, "bbox": [99.5, 49.5, 1, 1], "score": 0.25},
    {"id": 12, "image_id": 7, "category_id": 3, "bbox": [-0.5, 0, 1e1, 5], "score": None},
]
DATASET = {"info": {"v": 1}, "images": IMAGES, "categories": CATEGORIES, "annotations": ANNOTATIONS}
RESULTS = [
    {"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.9},
    {"image_id": 7, "category_id": 4, "bbox": [1.5, 2, 3, 4]},
]


def _write(tmp_path: Path, content: object, *, prefix: bytes = b"", name: str = "labels.json") -> Path:
    path = tmp_path / name
    path.write_bytes(prefix + json.dumps(content, ensure_ascii=False, indent=1).encode())
    return path


def _careful_dataset(path: Path) -> coco.CocoDataset:
    return coco._dataset_from(path, json.loads(path.read_text(encoding="utf-8-sig")))


def _problems(action) -> list[str]:
    with pytest.raises(BadInput) as caught:
        action()
    return caught.value.problems if hasattr(caught.value, "problems") else [str(caught.value)]


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b" \r\n\t"])
def test_a_well_typed_dataset_reads_to_the_careful_readers_frames(tmp_path, prefix):
    path = _write(tmp_path, DATASET, prefix=prefix)
    assert coco_json.decode(path).dataset is not None
    fast, careful = coco.load_dataset(path), _careful_dataset(path)
    for frame in ("images", "categories", "boxes"):
        assert_frame_equal(getattr(fast, frame), getattr(careful, frame))


def test_a_results_list_reads_to_the_careful_readers_frames(tmp_path):
    expert = coco.load_dataset(_write(tmp_path, DATASET, name="expert.json"))
    path = _write(tmp_path, RESULTS)
    assert coco_json.decode(path).results is not None
    fast = coco.load_pre_labels(path, expert=expert)
    careful = coco._pre_results(path, coco._records(path, RESULTS, "results", coco.RESULT_FIELDS), expert)
    assert_frame_equal(fast.boxes, careful.boxes)


HOSTILE = {
    "a boolean id": ("images", 0, "id", True),
    "a float id": ("images", 0, "id", 1.0),
    "a string width": ("images", 1, "width", "640"),
    "an id past 64 bits": ("annotations", 0, "id", 2**63),
    "an id past 64 unsigned bits": ("annotations", 0, "id", 2**70),
    "a NUL in a file name": ("images", 0, "file_name", "a\x00.jpg"),
    "a NUL in a class name": ("categories", 0, "name", "c\x00ar"),
    "a null category name": ("categories", 0, "name", None),
    "a boolean coordinate": ("annotations", 0, "bbox", [0, 0, True, 1]),
    "a box of five numbers": ("annotations", 0, "bbox", [0, 0, 1, 1, 1]),
    "a box of three numbers": ("annotations", 0, "bbox", [0, 0, 1]),
    "a null coordinate": ("annotations", 0, "bbox", [0, None, 1, 1]),
    "a string score": ("annotations", 1, "score", "high"),
    "a missing image id": ("annotations", 2, "image_id", ...),
    "a record that is a number": ("annotations", 1, None, 5),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_what_the_fast_path_refuses_the_careful_reader_names(tmp_path, case):
    section, index, key, value = HOSTILE[case]
    data = json.loads(json.dumps(DATASET))
    if key is None:
        data[section][index] = value
    elif value is ...:
        del data[section][index][key]
    else:
        data[section][index][key] = value
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert coco_json.decode(path) == coco_json.Decoded()
    assert _problems(lambda: coco.load_dataset(path)) == _problems(lambda: _careful_dataset(path))


@pytest.mark.parametrize(
    "text",
    [
        '{"images": [], "categories": [], "annotations": [{"id": 1, "bbox": [NaN, 0, 1, 1]}]}',
        '{"images": [{"id": 1, "file_name": "a", "width": 1e400, "height": 1}]}',
        "[1, 2",
        '"just a string"',
        "42",
        "",
    ],
)
def test_json_the_fast_path_cannot_read_gets_the_careful_readers_message(tmp_path, text):
    path = tmp_path / "labels.json"
    path.write_text(text, encoding="utf-8")
    assert coco_json.decode(path) == coco_json.Decoded()
    with pytest.raises(BadInput):
        coco.load_dataset(path)


def test_not_utf8_is_left_to_the_careful_reader(tmp_path):
    path = tmp_path / "labels.json"
    path.write_bytes(json.dumps(DATASET).encode().replace(b"a.jpg", b"\xff.jpg"))
    assert coco_json.decode(path) == coco_json.Decoded()
    assert "not UTF-8 text" in str(_problems(lambda: coco.load_dataset(path)))


def test_a_results_list_is_not_a_dataset(tmp_path):
    path = _write(tmp_path, RESULTS)
    assert coco_json.decode(path, dataset_only=True) == coco_json.Decoded()
    assert _problems(lambda: coco.load_dataset(path)) == [
        f"{path}: expected a COCO dataset (an object with images, annotations, categories)"
    ]


@pytest.mark.parametrize("content", [DATASET, RESULTS], ids=["dataset", "results"])
def test_a_pre_label_file_is_parsed_once(tmp_path, monkeypatch, content):
    expert = coco.load_dataset(_write(tmp_path, DATASET, name="expert.json"))
    path = _write(tmp_path, content)
    reads = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real_read_bytes(self))
    monkeypatch.setattr(coco, "read_json", lambda p: pytest.fail("the careful reader read a well-typed file"))
    pre = coco.load_pre_labels(path, expert=expert)
    assert reads == [path]
    assert pre.boxes.height == len(content["annotations"] if isinstance(content, dict) else content)


def test_a_hostile_pre_label_file_is_read_the_careful_way_and_named(tmp_path):
    expert = coco.load_dataset(_write(tmp_path, DATASET, name="expert.json"))
    path = _write(tmp_path, [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}, {"image_id": "1"}])
    problems = _problems(lambda: coco.load_pre_labels(path, expert=expert))
    assert problems == [
        f"{path}: results[1]: 'image_id' must be a 64-bit integer, got \"1\"",
        f"{path}: results[1]: missing 'category_id'",
        f"{path}: results[1]: missing 'bbox'",
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(tmp_path, enabled):
    good, bad = _write(tmp_path, DATASET, name="good.json"), tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        coco.load_dataset(good)
        assert gc.isenabled() is enabled
        with pytest.raises(BadInput):
            coco.load_dataset(bad)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
