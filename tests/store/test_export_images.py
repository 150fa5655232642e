"""Exports with their images (issue 12): the image files in the zip byte for byte, where each format's readers look
for them (pycocotools, supervision), hashed in manifest.json; a missing image refuses the export and leaves no
file; the images are streamed, so the export's memory does not grow with them. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest
from pycocotools.coco import COCO
from sqlmodel import Session

from core.domain.errors import BadInput
from core.exports import build_download, parse_split, write_export
from core.jobs import ingest
from core.jobs.summaries import image_root
from core.review.resultsets import create_resultset
from core.store import models
from tests.builders import ADMIN, as_admin, write_detection_job
from tests.resultset_builders import accept, result_ids
from tests.store.test_export_splits import assert_manifest_matches, entries, yolo_splits

with warnings.catch_warnings():  # it falls back to NumPy without opencv-python; its readers need neither
    warnings.filterwarnings("ignore", message="OpenCV", category=UserWarning)
    import supervision as sv

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FILES = [f"s{i:02d}.png" for i in range(1, 7)] + ["s07.jpg", "s08.jpg"]
NESTED = ["cam1/a.png", "cam2/a.png", "cam2/deep/b.jpg"]


def import_job(engine, root: Path, files: list[str], *, name: str = "street"):
    """A detection job of `files` (32x24 px), a cat on every other image, all accepted, saved as a ResultSet."""
    images = [{"id": i, "file_name": f, "width": 32, "height": 24} for i, f in enumerate(files, 1)]
    boxes = [{"id": i, "image_id": i, "category_id": 1, "bbox": [2, 2, 10, 8]} for i in range(1, len(files) + 1, 2)]
    job_files = write_detection_job(root, images=images, pre=[], expert_annotations=boxes)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=job_files.images_dir,
        pre_path=job_files.pre_path,
        expert_path=job_files.expert_path,
    )
    accept(engine, result_ids(engine, job.id))
    return create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))


@pytest.fixture
def resultset(engine, tmp_path):
    return import_job(engine, tmp_path / "flat", FILES)


def root_of(engine, resultset) -> Path:
    with Session(engine) as session:
        return image_root(session.get(models.LabelJob, resultset.job_id))


def export(engine, resultset, fmt, split=None, **spec):
    return build_download(
        actor=ADMIN,
        engine=engine,
        resultset_id=resultset.id,
        format=fmt,
        include_images=True,
        split=parse_split(split, **spec) if split else None,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_images_are_the_sources(files: dict[str, bytes], root: Path, expected: dict[str, str]) -> None:
    """`expected`: archive path → file path under the image root; byte for byte, and nothing else under images/."""
    assert sorted(n for n in files if n.startswith("images/")) == sorted(expected)
    for archive_path, file_path in expected.items():
        assert sha256(files[archive_path]) == sha256((root / file_path).read_bytes()), archive_path


def test_yolo_with_images_holds_each_image_byte_for_byte_where_supervision_finds_it(engine, resultset, tmp_path):
    download = export(engine, resultset, "yolo")
    assert download.file_name == "street-rs-yolo.zip"
    files = entries(download.data)
    root = root_of(engine, resultset)
    assert_images_are_the_sources(files, root, {f"images/{f}": f for f in FILES})
    manifest = assert_manifest_matches(files)  # the images' sha256s with the labels'
    assert manifest["files"][f"images/{FILES[0]}"] == sha256((root / FILES[0]).read_bytes())
    assert list(files)[-1] == "manifest.json"
    assert "The images are under images/, with the paths" in files["README.txt"].decode()
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:  # compressed already: stored as they are
        assert {archive.getinfo(f"images/{f}").compress_type for f in FILES} == {zipfile.ZIP_STORED}

    zipfile.ZipFile(io.BytesIO(download.data)).extractall(tmp_path / "yolo")
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(tmp_path / "yolo" / "images"),
        annotations_directory_path=str(tmp_path / "yolo" / "labels"),
        data_yaml_path=str(tmp_path / "yolo" / "data.yaml"),
    )
    assert len(dataset) == len(FILES)
    assert sum(len(d) for _, _, d in dataset) == 4


def test_a_split_yolo_zip_puts_images_in_the_folders_data_yaml_names(engine, resultset, tmp_path):
    data = export(engine, resultset, "yolo", "train=0.75,val=0.25", seed=1).data
    assert export(engine, resultset, "yolo", "train=0.75,val=0.25", seed=1).data == data  # the same bytes again
    files = entries(data)
    splits = yolo_splits(files)
    suffix = {f.rsplit(".", 1)[0]: f for f in FILES}
    expected = {f"images/{split}/{suffix[stem]}": suffix[stem] for split, stems in splits.items() for stem in stems}
    assert_images_are_the_sources(files, root_of(engine, resultset), expected)
    assert_manifest_matches(files)
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path / "yolo")
    for split, stems in splits.items():
        dataset = sv.DetectionDataset.from_yolo(
            images_directory_path=str(tmp_path / "yolo" / "images" / split),
            annotations_directory_path=str(tmp_path / "yolo" / "labels" / split),
            data_yaml_path=str(tmp_path / "yolo" / "data.yaml"),
        )
        assert len(dataset) == len(stems)


@pytest.mark.parametrize("split", [None, "train=0.5,val=0.5"])
def test_coco_with_images_is_a_zip_pycocotools_reads_and_every_file_name_is_in_it(engine, resultset, tmp_path, split):
    download = export(engine, resultset, "coco", split, seed=2)
    assert (download.file_name, download.mime) == ("street-rs-coco.zip", "application/zip")
    files = entries(download.data)
    assert_manifest_matches(files)
    zipfile.ZipFile(io.BytesIO(download.data)).extractall(tmp_path / "coco")
    parts = {"": "instances.json"} if split is None else {s: f"instances_{s}.json" for s in ("train", "val")}
    found = []
    for part, annotation_file in parts.items():
        coco = COCO(str(tmp_path / "coco" / "annotations" / annotation_file))
        folder = tmp_path / "coco" / "images" / part  # the image root a COCO reader is given with this JSON
        for image in coco.loadImgs(coco.getImgIds()):
            assert (folder / image["file_name"]).read_bytes() == (
                root_of(engine, resultset) / image["file_name"]
            ).read_bytes()
            found.append(image["file_name"])
    assert sorted(found) == sorted(FILES)
    assert len([n for n in files if n.startswith("images/")]) == len(FILES)


def test_voc_keeps_images_in_one_folder_even_split_as_its_filename_says(engine, resultset):
    files = entries(export(engine, resultset, "voc", "train=0.5,val=0.5").data)
    assert_images_are_the_sources(files, root_of(engine, resultset), {f"images/{f}": f for f in FILES})
    assert "<folder>images</folder>" in files["Annotations/s01.xml"].decode()
    assert_manifest_matches(files)


def test_images_in_folders_keep_their_paths_beside_their_labels(engine, tmp_path):
    resultset = import_job(engine, tmp_path / "nested", NESTED, name="nested")
    files = entries(export(engine, resultset, "yolo").data)
    assert_images_are_the_sources(files, root_of(engine, resultset), {f"images/{f}": f for f in NESTED})
    assert {"labels/cam1/a.txt", "labels/cam2/a.txt", "labels/cam2/deep/b.txt"} <= set(files)


def test_a_missing_image_refuses_the_export_naming_it_and_leaves_no_file(engine, resultset, tmp_path):
    (root_of(engine, resultset) / "s03.png").unlink()
    (root_of(engine, resultset) / "s07.jpg").unlink()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BadInput) as refused:
        write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo", out=out, include_images=True)
    message = str(refused.value)
    assert "2 of 8 images cannot be read" in message and "'s03.png'" in message and "'s07.jpg'" in message
    assert "file not found" in message
    assert list(out.iterdir()) == []
    # without images the labels still export: the image files are not theirs to check
    assert write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo", out=out).exists()


def test_a_csv_has_nowhere_to_put_images(engine, resultset):
    with pytest.raises(BadInput, match="csv export cannot carry images"):
        export(engine, resultset, "csv")


def test_without_images_nothing_changes(engine, resultset):
    plain = build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="coco")
    assert plain.file_name == "street-rs.json" and json.loads(plain.data)["images"]
    assert not [
        n
        for n in entries(build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo").data)
        if n.startswith("images/")
    ]


MEASURE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from core.auth.access import operator
    from core.store.db import get_engine
    from core.exports import write_export

    def status(field):
        line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    engine, resultset_id, out = get_engine(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    write_export(engine=engine, resultset_id=resultset_id, format="coco", out=out / "warm.json", actor=operator())
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
    before = status("VmRSS")
    write_export(engine=engine, resultset_id=resultset_id, format="yolo", out=out / "big.zip", actor=operator(),
                 include_images=True)
    print(status("VmHWM") - before)
""")

BIG_IMAGES = 300
BIG_IMAGE_BYTES = 1024 * 1024


def test_images_are_streamed_so_memory_does_not_grow_with_them(engine, store_url, tmp_path):
    files = [f"big{i:03d}.png" for i in range(BIG_IMAGES)]
    resultset = import_job(engine, tmp_path / "big", files, name="big")
    root = root_of(engine, resultset)
    for name in files:  # 1 MB each: the export copies bytes, it does not decode them
        (root / name).write_bytes((root / name).read_bytes() + b"\0" * BIG_IMAGE_BYTES)
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, store_url, str(resultset.id), str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    growth = int(done.stdout)
    written = (out / "big.zip").stat().st_size
    assert written > BIG_IMAGES * BIG_IMAGE_BYTES
    assert growth < 40 * 1024 * 1024, f"peak memory grew {growth / 2**20:.1f} MB exporting {written / 2**20:.0f} MB"
    with zipfile.ZipFile(out / "big.zip") as archive:
        assert archive.getinfo(f"images/{files[-1]}").file_size == (root / files[-1]).stat().st_size


def test_a_prepared_export_reports_its_progress_and_lives_in_a_folder_of_its_own(
    engine, resultset, tmp_path, monkeypatch
):
    """The page's Prepare button: write_export into a new folder, the progress told image by image; a failed one
    leaves no folder, and folders older than STALE_AFTER_S are removed when the next is made."""
    import os
    import tempfile

    from core.exports import prepare_export, prepared, remove_prepared

    # A temporary folder of this test's own: under xdist another test may prepare an export in the shared one while
    # this test counts the folders there (one CI run saw a folder appear in between).
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))

    told: list[tuple[str, float]] = []
    path = prepare_export(
        engine=engine,
        resultset_id=resultset.id,
        format="voc",
        actor=ADMIN,
        include_images=True,
        progress=lambda stage, fraction: told.append((stage, fraction)),
    )
    assert path.parent.name.startswith(prepared.PREFIX) and path.parent.parent == Path(tempfile.gettempdir())
    assert told == [(f"images {n}/8", n / 8) for n in range(1, 9)]
    assert (
        path.read_bytes()
        == build_download(engine=engine, resultset_id=resultset.id, format="voc", actor=ADMIN, include_images=True).data
    )

    os.utime(path.parent, (0, 0))  # as if prepared long ago and never downloaded
    (root_of(engine, resultset) / FILES[0]).unlink()
    folders_before = set(Path(tempfile.gettempdir()).glob(f"{prepared.PREFIX}*"))
    with pytest.raises(BadInput, match="image 's01.png'"):
        prepare_export(engine=engine, resultset_id=resultset.id, format="voc", actor=ADMIN, include_images=True)
    assert not path.parent.exists()  # the stale one went when the next was made
    assert set(Path(tempfile.gettempdir()).glob(f"{prepared.PREFIX}*")) == folders_before - {path.parent}
    lookalike = tmp_path / f"{prepared.PREFIX}x" / "x.zip"  # our prefix, but not in the temporary folder
    lookalike.parent.mkdir()
    lookalike.write_bytes(b"kept")
    remove_prepared(lookalike)
    assert lookalike.read_bytes() == b"kept"
