"""Tiles with overlays: drawn from a real image, cached on disk by job, revision, sample, focus and size, and a
clear ImageUnavailable (naming the file) when the image is missing, unreadable or outside its root."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from core.images import thumbnails
from core.images.image_files import image_size
from core.images.thumbnails import ImageUnavailable, Overlay, render_tile, tile_path
from core.images.tiles_ahead import render_tiles_ahead
from core.settings import get_settings
from tests.builders import ROTATED_BLOCK, ROTATED_SIZE, YELLOW, write_rotated_photo

BACKGROUND = (90, 140, 200)
OVERLAY = Overlay(colors={"cat": "#FF0000", "dog": "#00FF00"}, display_names={"cat": "Cat", "dog": "Dog"})
NO_BOX = {f"{p}{c}": None for p in ("expert_", "pre_") for c in "xywh"}
# One image, 300x150: an unchanged cat, a dog relabeled from cat, and a cat box the expert removed.
BOXES = pl.DataFrame(
    [
        {
            "result_id": 1,
            "change_kind": "unchanged",
            "expert_class": "cat",
            "pre_class": "cat",
            "expert_x": 10.0,
            "expert_y": 10.0,
            "expert_w": 40.0,
            "expert_h": 40.0,
            "pre_x": 10.0,
            "pre_y": 10.0,
            "pre_w": 40.0,
            "pre_h": 40.0,
        },
        {
            "result_id": 2,
            "change_kind": "relabeled",
            "expert_class": "dog",
            "pre_class": "cat",
            "expert_x": 120.0,
            "expert_y": 20.0,
            "expert_w": 30.0,
            "expert_h": 30.0,
            "pre_x": 118.0,
            "pre_y": 20.0,
            "pre_w": 32.0,
            "pre_h": 30.0,
        },
        {
            "result_id": 3,
            "change_kind": "removed",
            "expert_class": None,
            "pre_class": "cat",
            **NO_BOX,
            "pre_x": 60.0,
            "pre_y": 60.0,
            "pre_w": 20.0,
            "pre_h": 20.0,
        },
    ],
    schema={
        "result_id": pl.Int64,
        "change_kind": pl.String,
        "expert_class": pl.String,
        "pre_class": pl.String,
        **{f"{p}{c}": pl.Float64 for p in ("expert_", "pre_") for c in "xywh"},
    },
)
SAMPLE = {"sample_id": 7, "file_path": "sub/scene.png"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    Image.new("RGB", (300, 150), BACKGROUND).save(folder / "sub" / "scene.png")
    return folder


def tile(root: Path, **kwargs) -> Path:
    args = {
        "job_id": 3,
        "revision": 1,
        "root": root,
        "sample": SAMPLE,
        "boxes": BOXES,
        "overlay": OVERLAY,
        "size": 64,
    } | kwargs
    return render_tile(**args)


def test_a_whole_image_tile_is_a_scaled_jpeg_with_the_boxes_drawn(root):
    path = tile(root, size=256)
    assert path == tile_path(job_id=3, revision=1, sample_id=7, focus=None, size=256, crop=True)
    assert path.is_relative_to(get_settings().thumbnail_dir)
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (256, 128)  # the long side is the tile size, the aspect kept
        colors = set(image.get_flattened_data())
    # Not just the background: the red cat box and the green dog box are in the tile.
    assert any(r > 180 and g < 90 and b < 90 for r, g, b in colors)
    assert any(g > 180 and r < 90 and b < 90 for r, g, b in colors)


def test_a_focused_tile_is_cropped_around_its_result(root):
    path = tile(root, focus=2, size=48)
    with Image.open(path) as image:
        assert image.size == (48, 48)  # a square around the result, inside the image
        assert path.name.endswith("-c2-48.jpg")


def test_a_tile_is_drawn_once_and_then_served_from_disk(root, monkeypatch):
    first = tile(root, focus=1)
    stamp = first.stat().st_mtime_ns

    def must_not_open(*_args, **_kwargs):
        raise AssertionError("a cached tile was drawn again")

    monkeypatch.setattr(thumbnails, "open_image", must_not_open)
    assert tile(root, focus=1) == first
    assert first.stat().st_mtime_ns == stamp
    # Even with the image gone, the cached tile is still served.
    (root / "sub" / "scene.png").unlink()
    assert tile(root, focus=1) == first


def test_focus_size_crop_revision_and_job_each_make_another_tile(root):
    paths = {
        tile(root),
        tile(root, focus=1),
        tile(root, focus=2),
        tile(root, focus=2, crop=False),
        tile(root, size=96),
        tile(root, revision=2),
        tile(root, job_id=4),
        tile(root, sample={"sample_id": 8, "file_path": "sub/scene.png"}),
    }
    assert len(paths) == 8
    assert all(p.exists() for p in paths)
    with Image.open(tile(root, size=96)) as image:
        assert image.size == (96, 48)


def test_a_label_change_is_never_served_a_stale_tile(root):
    old = tile(root, revision=1)
    new = tile(root, revision=2, boxes=BOXES.filter(pl.col("result_id") == 3))
    assert old != new
    with Image.open(old) as before, Image.open(new) as after:
        assert before.tobytes() != after.tobytes()


def test_no_temporary_file_is_left_behind(root):
    path = tile(root)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_missing_image_names_the_file(root):
    with pytest.raises(ImageUnavailable, match=r"^sub/gone\.png: file not found under "):
        tile(root, sample={"sample_id": 9, "file_path": "sub/gone.png"})
    assert not tile_path(job_id=3, revision=1, sample_id=9, focus=None, size=64, crop=True).exists()


@pytest.mark.parametrize("content", [b"not an image at all", b"", "truncated"])
def test_an_unreadable_image_names_the_file(root, content):
    bad = root / "sub" / "bad.png"
    if content == "truncated":
        Image.new("RGB", (300, 150), BACKGROUND).save(bad)
        data = bad.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.write_bytes(content)
    with pytest.raises(ImageUnavailable, match=r"^sub/bad\.png: cannot be read"):
        tile(root, sample={"sample_id": 9, "file_path": "sub/bad.png"})
    assert not tile_path(job_id=3, revision=1, sample_id=9, focus=None, size=64, crop=True).exists()


def test_a_directory_is_not_an_image(root):
    with pytest.raises(ImageUnavailable, match=r"^sub: "):
        tile(root, sample={"sample_id": 9, "file_path": "sub"})


@pytest.mark.parametrize("file_path", ["../outside.png", "sub/../../outside.png", "/etc/passwd", "..\\outside.png"])
def test_a_path_leaving_the_image_root_is_refused(root, file_path):
    (root.parent / "outside.png").write_bytes((root / "sub" / "scene.png").read_bytes())
    with pytest.raises(ImageUnavailable) as caught:
        tile(root, sample={"sample_id": 9, "file_path": file_path})
    assert str(caught.value).startswith(f"{file_path}: ")


def test_a_symlink_out_of_the_root_is_refused(root):
    (root.parent / "outside.png").write_bytes((root / "sub" / "scene.png").read_bytes())
    (root / "link.png").symlink_to(root.parent / "outside.png")
    with pytest.raises(ImageUnavailable, match=r"^link\.png: .*outside the image root"):
        tile(root, sample={"sample_id": 9, "file_path": "link.png"})


def test_a_tiny_image_is_scaled_up_to_the_tile_size(tmp_path):
    Image.new("RGB", (10, 5), BACKGROUND).save(tmp_path / "tiny.png")
    path = render_tile(
        job_id=1,
        revision=0,
        root=tmp_path,
        sample={"sample_id": 1, "file_path": "tiny.png"},
        boxes=BOXES.head(0),
        overlay=OVERLAY,
        size=40,
    )
    with Image.open(path) as image:
        assert image.size == (40, 20)


def test_overlay_falls_back_for_unknown_classes():
    assert OVERLAY.color("cat") == "#FF0000"
    assert OVERLAY.color("zebra") == OVERLAY.color(None) == thumbnails.PRE_COLOR_FALLBACK
    assert OVERLAY.label("dog") == "Dog"
    assert OVERLAY.label("zebra") == "zebra"
    assert OVERLAY.label(None) == ""


def write_bomb(path) -> None:
    """A 10,000 x 10,000 px PNG (100M pixels, more than MAX_IMAGE_PIXELS) of a few kilobytes: a decompression bomb."""
    Image.new("1", (10_000, 10_000)).save(path, optimize=True)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, on open: expected
def test_a_decompression_bomb_is_refused_before_it_is_decoded(root, monkeypatch):
    write_bomb(root / "sub" / "bomb.png")
    assert (root / "sub" / "bomb.png").stat().st_size < 100_000
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self, *a: decoded.append(self) or None)
    with pytest.raises(
        ImageUnavailable,
        match=r"^sub/bomb\.png: cannot be read \(image is too large: 10,000x10,000 "
        r"px, more than 89,478,485 pixels\)$",
    ):
        tile(root, sample={"sample_id": 9, "file_path": "sub/bomb.png"})
    assert decoded == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_import_check_refuses_a_decompression_bomb(tmp_path):
    write_bomb(tmp_path / "bomb.png")
    with pytest.raises(ValueError, match="image is too large: 10,000x10,000 px"):
        image_size(tmp_path / "bomb.png")


def test_a_square_tile_letterboxes_the_image_and_keeps_the_boxes_in_place(root):
    path = tile(root, size=128, square=True)
    assert path == tile_path(job_id=3, revision=1, sample_id=7, focus=None, size=128, crop=True, square=True)
    with Image.open(path) as image:
        assert image.size == (128, 128)
        # 300x150 scaled to 128x64, centred: bands of 32 px above and below
        assert image.getpixel((64, 5)) == pytest.approx(thumbnails.LETTERBOX, abs=6)
        assert image.getpixel((64, 122)) == pytest.approx(thumbnails.LETTERBOX, abs=6)
        # the cat box's top-left corner (10, 10) lands at (10 * 128 / 300, 32 + 10 * 128 / 300) ≈ (4, 36): red
        red, green, blue = image.getpixel((5, 37))
        assert red > 150 and green < 100 and blue < 100


def test_a_rotated_photo_is_drawn_upright_with_its_box_on_the_pixels_it_labels(tmp_path):
    write_rotated_photo(tmp_path / "portrait.jpg")
    x, y, w, h = ROTATED_BLOCK
    box = BOXES.head(1).with_columns(
        pl.lit(x).alias("expert_x"),
        pl.lit(y).alias("expert_y"),
        pl.lit(w).alias("expert_w"),
        pl.lit(h).alias("expert_h"),
        *(pl.lit(None, pl.Float64).alias(f"pre_{c}") for c in "xywh"),
        pl.lit("dog").alias("expert_class"),
        pl.lit("added").alias("change_kind"),
    )
    path = render_tile(
        job_id=1,
        revision=0,
        root=tmp_path,
        sample={"sample_id": 1, "file_path": "portrait.jpg"},
        boxes=box,
        overlay=OVERLAY,
        size=128,
    )
    with Image.open(path) as image:
        assert image.size == (ROTATED_SIZE[0] * 2, ROTATED_SIZE[1] * 2)  # upright, the long side 128 px
        # The box spans x 48-64, y 0-32 of the tile: its left edge is the class's green, inside it (below its
        # label) the photo's yellow block, and the rest of the photo is its background.
        assert image.getpixel((x * 2 + 1, 24)) == pytest.approx((0, 255, 0), abs=60)
        assert image.getpixel((56, 24)) == pytest.approx(YELLOW, abs=40)
        assert image.getpixel((8, 120)) == pytest.approx((90, 140, 200), abs=40)
        assert image.getpixel((8, 8)) == pytest.approx((90, 140, 200), abs=40)


def test_tiles_drawn_ahead_in_another_process_are_the_tiles_a_request_would_draw(root, tmp_path):
    args = [
        {
            "job_id": 3,
            "revision": 1,
            "root": root,
            "sample": SAMPLE,
            "boxes": BOXES,
            "overlay": OVERLAY,
            "size": 96,
            "square": True,
            "focus": focus,
        }
        for focus in (None, 1, 2)
    ]
    missing = {**args[0], "sample": {"sample_id": 8, "file_path": "gone.png"}}
    assert render_tiles_ahead(lambda: [*args, missing]).result(timeout=60) == 3  # the missing image skipped
    drawn = {
        a["focus"]: tile_path(
            job_id=3, revision=1, sample_id=7, focus=a["focus"], size=96, crop=True, square=True
        ).read_bytes()
        for a in args
    }
    assert render_tiles_ahead(lambda: args).result(timeout=60) == 0  # on disk already: nothing drawn twice
    for a in args:
        path = tile_path(job_id=3, revision=1, sample_id=7, focus=a["focus"], size=96, crop=True, square=True)
        path.unlink()
        assert render_tile(**a).read_bytes() == drawn[a["focus"]]


def test_no_class_colour_is_the_red_that_means_removed():
    import colorsys

    from core.jobs.saving import PALETTE

    def hue_saturation(color: str) -> tuple[float, float]:
        h, _, s = colorsys.rgb_to_hls(*(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)))
        return h * 360, s

    hue, _ = hue_saturation(thumbnails.REMOVED_COLOR)
    assert hue < 15 or hue > 345  # the removed colour is a red
    for color in PALETTE:
        hue, saturation = hue_saturation(color)
        assert saturation < 0.3 or 20 < hue < 340, f"{color} reads as red"


def test_only_the_newest_request_to_draw_ahead_is_drawn(root):
    import threading

    from core.images import tiles_ahead

    release = threading.Event()
    args = {
        "job_id": 3,
        "revision": 1,
        "root": root,
        "sample": SAMPLE,
        "boxes": BOXES,
        "overlay": OVERLAY,
        "size": 80,
        "square": True,
    }
    blocker = tiles_ahead._chooser.submit(release.wait)  # the chooser is busy: the next requests queue
    older = render_tiles_ahead(lambda: [{**args, "focus": 1}])
    newer = render_tiles_ahead(lambda: [{**args, "focus": 2}])
    release.set()
    blocker.result(timeout=10)
    assert (older.result(timeout=60), newer.result(timeout=60)) == (0, 1)
    assert not tile_path(job_id=3, revision=1, sample_id=7, focus=1, size=80, crop=True, square=True).exists()
    assert tile_path(job_id=3, revision=1, sample_id=7, focus=2, size=80, crop=True, square=True).exists()
