"""Every label-format reader refuses as the COCO reader does: the message names the file and the record (a line,
an XML element, a task) and what is wrong, the command line exits 2, and the store has no job afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from core.domain.errors import BadInput
from core.jobs import ingest
from tests.builders import ADMIN, table_counts, write_json
from tests.store.label_format_helpers import ls_rectangle, written  # noqa: F401  (the fixture)
from tests.unit.test_cli import run_in_process


def refused(engine, *, images_dir: Path, expert: Path, pre: Path, **kwargs) -> str:
    before = table_counts(engine)
    with pytest.raises(BadInput) as caught:
        ingest.import_detection(
            engine=engine,
            name="refused",
            images_dir=images_dir,
            expert_path=expert,
            pre_path=pre,
            actor=ADMIN,
            **kwargs,
        )
    assert table_counts(engine) == before
    assert before["labeljob"] == 0
    return caught.value.message


def copy_of(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy" / path.name
    if path.is_dir():
        shutil.copytree(path, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return target


# --- YOLO ---------------------------------------------------------------------------------------------------------


def test_yolo_malformed_line_unknown_class_index_and_missing_image(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["yolo"][0], tmp_path)
    label = expert / "labels" / "a.txt"
    label.write_text(label.read_text() + "0 0.5 zero 0.1 0.1\n7 0.5 0.5 0.1 0.1\n2 0.5\n")
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{label}: line 4: expected numbers 'class cx cy w h', got '0 0.5 zero 0.1 0.1'" in message
    assert f"{label}: line 5: unknown class index '7' (data.yaml names 3 classes, 0-2)" in message
    assert f"{label}: line 6: expected 'class cx cy w h [confidence]', got 2 value(s)" in message

    label.write_text("0 0.5 0.5 0.1 0.1\n")
    (expert / "labels" / "c.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{expert / 'labels' / 'c.txt'}: no image c.* for this label file among the images" in message


def test_yolo_box_outside_its_image_names_the_line(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["yolo"][0], tmp_path)
    label = expert / "labels" / "b.txt"
    label.write_text("0 0.9 0.5 0.5 0.5\n")
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{label}: line 1: box [26.0, 10.0, 20.0, 20.0] lies outside the 40x40 image" in message


# --- Pascal VOC ---------------------------------------------------------------------------------------------------


def test_voc_malformed_xml_missing_box_value_and_unknown_class(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["voc"][0], tmp_path)
    (expert / "a.xml").write_text("<annotation><filename>a.png</filename><size>")
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{expert / 'a.xml'}: not well-formed XML: line 1" in message

    (expert / "a.xml").write_text(
        "<annotation><filename>a.png</filename><size><width>100</width><height>50</height>"
        "</size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>5</xmax>"
        "<ymax>5</ymax></bndbox></object></annotation>"
    )
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{expert / 'a.xml'}: <object> 1 ('cat'): <ymin> must be a finite number, got 'x'" in message

    (expert / "a.xml").write_text(
        "<annotation><filename>a.png</filename><size><width>100</width><height>50</height>"
        "</size><object><name>zebra</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"
        "<ymax>5</ymax></bndbox></object></annotation>"
    )
    message = refused(
        engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1], classes=["cat", "dog", "bird"]
    )
    assert f"{expert / 'a.xml'}: <object> 1 ('zebra'): unknown class 'zebra' (--classes has: cat, dog, bird)" in message


def test_voc_file_name_escaping_the_root_and_a_missing_image(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["voc"][0], tmp_path)
    xml = (expert / "a.xml").read_text()
    (expert / "a.xml").write_text(xml.replace("<filename>a.png</filename>", "<filename>../a.png</filename>"))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert (
        f"{expert / 'a.xml'}: <annotation> '../a.png': file name '../a.png': file name contains '..' and would "
        "escape the image root"
    ) in message

    (expert / "a.xml").write_text(xml.replace("<filename>a.png</filename>", "<filename>gone.png</filename>"))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["voc"][1])
    assert (
        f"{paths['voc'][1] / 'a.xml'}: <annotation> 'a.png': image 'a.png' is not among the expert's images" in message
    )
    message = refused(engine, images_dir=images_dir, expert=expert, pre=expert)
    assert f"{expert}: image 1 'gone.png' (under {images_dir}): file not found" in message


def test_an_xml_bomb_is_refused_not_expanded(engine, written, tmp_path):
    paths, images_dir = written
    bomb = write_json(tmp_path / "x", None).with_name("bomb.xml")
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<annotations><image name="&lol2;" width="1" height="1"/></annotations>'
    )
    message = refused(engine, images_dir=images_dir, expert=bomb, pre=paths["coco"][1])
    assert f"{bomb}: refused XML" in message


# --- CVAT ---------------------------------------------------------------------------------------------------------


def test_cvat_bad_box_unknown_label_and_escaping_name(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["cvat"][0], tmp_path)
    xml = expert.read_text()
    expert.write_text(xml.replace('xtl="10.00"', 'xtl="ten"', 1))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert f"{expert}: <image> 1 (id 0) 'a.png' <box> 1 ('cat'): xtl must be a finite number, got 'ten'" in message

    expert.write_text(xml.replace('<box label="dog"', '<box label="zebra"', 1))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert (
        f"{expert}: <image> 1 (id 0) 'a.png' <box> 2 ('zebra'): unknown class 'zebra' (expert.xml <meta> labels "
        "has: cat, dog, bird)"
    ) in message

    expert.write_text(xml.replace('name="b.png"', 'name="/etc/b.png"'))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert (
        f"{expert}: <image> 2 (id 1) '/etc/b.png': file name '/etc/b.png': absolute path; file names must be "
        "relative to the image root"
    ) in message


def test_cvat_image_size_must_be_the_file_s(engine, written, tmp_path):
    paths, images_dir = written
    expert = copy_of(paths["cvat"][0], tmp_path)
    expert.write_text(expert.read_text().replace('width="40" height="40"', 'width="400" height="40"'))
    message = refused(engine, images_dir=images_dir, expert=expert, pre=paths["coco"][1])
    assert (
        f"{expert}: image 2 'b.png' (under {images_dir}): the file is 40x40 but the label file says 400x40" in message
    )


# --- Label Studio -------------------------------------------------------------------------------------------------


def test_label_studio_bad_task_bad_rectangle_and_missing_image(engine, written, tmp_path):
    paths, images_dir = written
    tasks = json.loads(paths["label_studio"][0].read_text())
    tasks[1]["annotations"][1]["result"][0]["value"]["x"] = "left"
    broken = write_json(tmp_path / "broken.json", tasks + ["not a task", {"data": {"img": "c.png"}}])
    message = refused(engine, images_dir=images_dir, expert=broken, pre=paths["coco"][1])
    assert f"{broken}: task 1 (id 101) 'b.png' annotation result 0: x must be a finite number, got 'left'" in message
    assert f"{broken}: task 2: expected an object, got str" in message
    assert f"{broken}: task 3: no image path in data.image (data keys: img)" in message

    tasks = json.loads(paths["label_studio"][0].read_text())
    tasks[0]["data"]["image"] = "/data/upload/3/00000000-zzz.png"
    missing = write_json(tmp_path / "missing.json", tasks)
    message = refused(engine, images_dir=images_dir, expert=missing, pre=paths["coco"][1])
    assert "zzz.png" in message and "file not found" in message

    tasks[0]["data"]["image"] = "/data/local-files/?d=../../etc/a.png"
    escaping = write_json(tmp_path / "escaping.json", tasks)
    message = refused(engine, images_dir=images_dir, expert=escaping, pre=paths["coco"][1])
    assert (
        f"{escaping}: task 0 (id 100) '../../etc/a.png': file name '../../etc/a.png': file name contains '..' "
        "and would escape the image root"
    ) in message


def test_label_studio_unknown_class_against_classes(engine, written):
    paths, images_dir = written
    message = refused(
        engine,
        images_dir=images_dir,
        expert=paths["label_studio"][0],
        pre=paths["label_studio"][1],
        classes=["cat", "dog"],
    )
    assert (
        f"{paths['label_studio'][0]}: task 1 (id 101) 'b.png' annotation result 0 ('bird'): unknown class 'bird' "
        "(--classes has: cat, dog)"
    ) in message


def test_classification_needs_one_class_per_image(engine, tmp_path):
    from tests.builders import write_image

    images_dir = tmp_path / "images"
    write_image(images_dir / "a.png", 10, 10)
    tasks = [
        {
            "id": 1,
            "data": {"image": "a.png"},
            "annotations": [{"result": []}],
            "predictions": [{"result": [{"type": "choices", "value": {"choices": ["cat"]}}]}],
        }
    ]
    ls = write_json(tmp_path / "ls.json", tasks)
    before = table_counts(engine)
    with pytest.raises(BadInput) as caught:
        ingest.import_classification(
            engine=engine, name="x", images_dir=images_dir, expert_path=ls, pre_path=ls, actor=ADMIN
        )
    assert (
        f"{ls}: task 0 (id 1) 'a.png': no expert class (a classification job takes one class per image)"
        in caught.value.message
    )
    assert table_counts(engine) == before


# --- the command line: exit 2, a wrong --format named, nothing written --------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    """`python -m core` with this test's environment, in-process (tests/unit/test_cli.py: run_in_process)."""
    return run_in_process(*args)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("voc", "not a Pascal VOC folder (expected a folder of .xml files, one per image)"),
        ("yolo", "not a YOLO labels folder: no data.yaml or data.yml or dataset.yaml or classes.txt"),
        ("cvat", "not well-formed XML: line 1, column 1"),
        ("label_studio", "expected a Label Studio JSON export (a list of tasks), got dict"),
    ],
)
def test_a_wrong_explicit_format_exits_2_naming_the_file(sqlite_engine, written, fmt, expected):
    paths, images_dir = written
    done = run(
        "import",
        "--task",
        "detection",
        "--name",
        "wrong",
        "--images",
        str(images_dir),
        "--expert",
        str(paths["coco"][0]),
        "--pre",
        str(paths["coco"][1]),
        "--expert-format",
        fmt,
        "--quiet",
    )
    assert done.returncode == 2, done.stderr
    assert f"{paths['coco'][0]}: {expected}" in done.stderr
    assert table_counts(sqlite_engine)["labeljob"] == 0


def test_the_command_line_imports_any_format_and_refuses_an_unknown_one(sqlite_engine, written):
    paths, images_dir = written
    done = run(
        "import",
        "--task",
        "detection",
        "--name",
        "cvat+yolo",
        "--images",
        str(images_dir),
        "--expert",
        str(paths["cvat"][0]),
        "--pre",
        str(paths["yolo"][1]),
        "--quiet",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == 6
    done = run(
        "import",
        "--task",
        "detection",
        "--name",
        "odd",
        "--images",
        str(images_dir),
        "--expert",
        str(images_dir / "a.png"),
        "--pre",
        str(paths["coco"][1]),
        "--quiet",
    )
    assert done.returncode == 2
    assert f"{images_dir / 'a.png'}: not UTF-8 text" in done.stderr  # neither JSON nor XML: the COCO reader says why
    done = run(
        "import",
        "--task",
        "detection",
        "--name",
        "odd",
        "--images",
        str(images_dir),
        "--expert",
        str(images_dir),
        "--pre",
        str(paths["coco"][1]),
        "--quiet",
    )
    assert done.returncode == 2
    assert (
        f"{images_dir}: cannot tell the label format of this folder (neither YOLO: .txt files with data.yaml or "
        "classes.txt, nor Pascal VOC: .xml files with <annotation>); name it with --format"
    ) in done.stderr
