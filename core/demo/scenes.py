"""Synthetic demo data sets drawn with Pillow: street scenes for detection, fruit shots for classification.

Everything comes from a seed, so a demo needs no download and a test can rely on the exact output. Each image
draws from its own generator (seed, stream, index): image 7 looks the same whether 10 or 240 images are made.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.domain.vocabulary import CHANGE_KINDS, ChangeKind

Color = tuple[int, int, int]
Box = list[float]  # COCO [x, y, w, h] in pixels
Rng = np.random.Generator
Drawer = Callable[[ImageDraw.ImageDraw, int, int, Rng], None]

DETECTION_CLASSES: Final = ("car", "person", "bicycle", "traffic_light", "dog")
CLASSIFICATION_CLASSES: Final = ("apple", "banana", "orange", "lemon", "grape")

_SUPERCATEGORIES: Final = {
    "car": "vehicle",
    "person": "person",
    "bicycle": "vehicle",
    "traffic_light": "outdoor",
    "dog": "animal",
}

# Which class a model plausibly mistakes a class for; other classes are picked only now and then.
_DETECTION_CONFUSIONS: Final = {
    "car": ("bicycle",),
    "person": ("bicycle", "dog"),
    "bicycle": ("person",),
    "dog": ("person",),
    "traffic_light": ("person",),
}
_FRUIT_CONFUSIONS: Final = {
    "apple": ("orange", "grape"),
    "orange": ("apple",),
    "lemon": ("banana",),
    "banana": ("lemon",),
    "grape": ("apple",),
}

_SCENE_STREAM, _NOISE_STREAM = 0, 1
_SUPERSAMPLE = 2  # ImageDraw has no antialiasing: draw big, shrink with LANCZOS
_JPEG_QUALITY = 90

# Pre-label noise of the detection demo, per expert object unless said otherwise.
P_MISSED = 0.06
P_WRONG_CLASS = 0.08
P_SPURIOUS = 0.05  # spurious pre boxes per expert object
P_EXACT_BOX = 0.30  # the expert kept the pre box as it was
P_STRONG_RESIZE = 0.07
P_CONFUSABLE = 0.85  # a wrong class is one of the confusable ones this often
# Planted pairs stay clear of the 0.5 default matching threshold, so a matcher finds exactly the planted changes.
_MIN_OWN_IOU, _MAX_OTHER_IOU, _MAX_SPURIOUS_IOU = 0.55, 0.45, 0.3

P_WRONG_FRUIT = 0.12


@dataclass(frozen=True)
class DetectionDemo:
    """expert: a COCO dataset dict; pre: a COCO results list. planted counts the change kinds the noise made
    (unchanged, adjusted, relabeled, added, removed), as a matcher at IoU 0.5 will find them."""

    images_dir: Path
    expert: dict[str, Any]
    pre: list[dict[str, Any]]
    planted: dict[str, int]


@dataclass(frozen=True)
class ClassificationDemo:
    """rows: file_path (relative to images_dir), pre_label, expert_label, confidence."""

    images_dir: Path
    rows: list[dict[str, Any]]


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, separators=(",", ":")) + "\n", encoding="utf-8")


def write_classification_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ("file_path", "pre_label", "expert_label", "confidence")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")  # "\n" everywhere, so the bytes do not depend on the OS
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)


# ---------------------------------------------------------------------------------------------------- helpers


def _rng(seed: int, stream: int, index: int) -> Rng:
    return np.random.default_rng([seed, stream, index])


def _vary(rng: Rng, color: Color, spread: int = 14) -> Color:
    r, g, b = (int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in color)
    return (r, g, b)


def _pick(rng: Rng, colors: Sequence[Color], spread: int = 14) -> Color:
    return _vary(rng, colors[int(rng.integers(len(colors)))], spread)


def _shade_color(color: Color, factor: float) -> Color:
    r, g, b = (int(np.clip(c * factor, 0, 255)) for c in color)
    return (r, g, b)


def _gradient(top: Color, bottom: Color, rows: int, cols: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, rows, dtype=np.float32)[:, None]
    colors = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.broadcast_to(colors[:, None, :], (rows, cols, 3)).astype(np.uint8)


def _shrink(layer: Image.Image, size: tuple[int, int]) -> Image.Image:
    return layer.resize(size, Image.Resampling.LANCZOS)


def _visible_bbox(layer: Image.Image) -> tuple[int, int, int, int] | None:
    """The tight box of what the eye sees: faint antialiased fringes do not count."""
    return layer.getchannel("A").point(lambda a: 255 if a >= 96 else 0).getbbox()


def _save_jpeg(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=_JPEG_QUALITY)


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _confused(label: str, classes: Sequence[str], confusions: dict[str, tuple[str, ...]], rng: Rng) -> str:
    if rng.random() < P_CONFUSABLE:
        options: Sequence[str] = confusions[label]
    else:
        options = [c for c in classes if c != label]
    return str(options[int(rng.integers(len(options)))])


def _score(rng: Rng, low: float, high: float, a: float, b: float) -> float:
    # Scores stay strictly inside (0.05, 0.99), like the output of a detector's sigmoid.
    return round(float(np.clip(low + (high - low) * rng.beta(a, b), 0.051, 0.989)), 3)


# ------------------------------------------------------------------------------------------ street objects
# Each drawer paints one object facing right into a transparent w x h layer, touching its edges.

_CAR_PAINTS: Final[tuple[Color, ...]] = (
    (190, 30, 35),
    (30, 60, 150),
    (232, 232, 228),
    (35, 35, 40),
    (150, 155, 162),
    (235, 185, 30),
    (40, 115, 70),
    (105, 25, 35),
    (90, 140, 200),
    (210, 95, 25),
)
_SKINS: Final[tuple[Color, ...]] = (
    (255, 219, 172),
    (241, 194, 125),
    (224, 172, 105),
    (198, 134, 66),
    (141, 85, 36),
    (92, 58, 30),
)
_HAIRS: Final[tuple[Color, ...]] = ((30, 20, 15), (70, 45, 25), (140, 100, 50), (205, 170, 100), (130, 130, 130))
_CLOTHES: Final[tuple[Color, ...]] = (
    (200, 40, 40),
    (40, 80, 170),
    (30, 30, 35),
    (235, 235, 235),
    (60, 140, 70),
    (240, 200, 40),
    (120, 60, 150),
    (240, 120, 30),
    (90, 90, 100),
    (20, 150, 160),
)
_PANTS: Final[tuple[Color, ...]] = ((40, 50, 90), (30, 30, 35), (110, 100, 80), (70, 70, 75), (150, 130, 100))
_DOG_COATS: Final[tuple[Color, ...]] = (
    (150, 100, 50),
    (205, 165, 105),
    (60, 45, 35),
    (235, 225, 205),
    (120, 75, 35),
    (35, 32, 30),
)


def _draw_car(draw: ImageDraw.ImageDraw, w: int, h: int, rng: Rng) -> None:
    paint = _pick(rng, _CAR_PAINTS, 10)
    dark = _shade_color(paint, 0.7)
    wheel_r = min(0.21 * h, 0.11 * w)
    body_top, body_bottom = h * rng.uniform(0.38, 0.46), h - wheel_r * 0.75
    back_x, roof_back, roof_front, shield_x = (
        w * rng.uniform(*r) for r in ((0.04, 0.12), (0.2, 0.3), (0.58, 0.68), (0.76, 0.84))
    )
    draw.polygon([(back_x, body_top + 2), (roof_back, 0), (roof_front, 0), (shield_x, body_top + 2)], fill=paint)
    draw.rounded_rectangle((0, body_top, w - 1, body_bottom), radius=0.14 * h, fill=paint)
    glass = _pick(rng, ((150, 190, 215), (110, 140, 160), (60, 75, 90)), 8)
    inset, top = 0.025 * w, 0.09 * h
    side = [
        (back_x + 2 * inset, body_top),
        (roof_back + inset, top),
        (roof_front - inset, top),
        (shield_x - inset, body_top),
    ]
    draw.polygon(side, fill=glass)
    pillar = (roof_back + roof_front) / 2 + 0.04 * w
    draw.line([(pillar, top), (pillar + 0.01 * w, body_top)], fill=paint, width=max(2, int(0.025 * w)))
    draw.line(
        [(0.05 * w, (body_top + body_bottom) / 2), (0.95 * w, (body_top + body_bottom) / 2)],
        fill=dark,
        width=max(1, int(0.012 * h)),
    )
    draw.rectangle((0.02 * w, body_bottom - 0.08 * h, 0.98 * w, body_bottom), fill=(45, 45, 48))  # bumper line
    draw.rounded_rectangle(
        (0.93 * w, body_top + 0.06 * h, w - 2, body_top + 0.17 * h), radius=0.03 * h, fill=(255, 235, 150)
    )
    draw.rectangle((1, body_top + 0.05 * h, 0.03 * w, body_top + 0.16 * h), fill=(200, 20, 20))
    for cx in (0.2 * w, 0.8 * w):
        cy = h - wheel_r - 1
        arch = wheel_r * 1.15
        draw.pieslice((cx - arch, cy - arch, cx + arch, cy + arch), 180, 360, fill=(40, 40, 42))
        draw.ellipse((cx - wheel_r, cy - wheel_r, cx + wheel_r, cy + wheel_r), fill=(22, 22, 24))
        rim = wheel_r * 0.55
        draw.ellipse((cx - rim, cy - rim, cx + rim, cy + rim), fill=(175, 175, 182))
        hub = wheel_r * 0.18
        draw.ellipse((cx - hub, cy - hub, cx + hub, cy + hub), fill=(90, 90, 95))


def _draw_person(draw: ImageDraw.ImageDraw, w: int, h: int, rng: Rng) -> None:
    skin, hair = _pick(rng, _SKINS, 6), _pick(rng, _HAIRS, 8)
    shirt, pants = _pick(rng, _CLOTHES, 20), _pick(rng, _PANTS, 12)
    cx, head_r = w / 2, min(0.075 * h, 0.28 * w)
    head_cy = head_r + 1
    shoulder_y, hip_y = head_cy + head_r + 0.03 * h, h * rng.uniform(0.52, 0.58)
    stride = w * rng.uniform(0.0, 0.22)
    leg_w = max(2, int(0.17 * w))
    for hip_x, foot_x in ((cx - 0.12 * w, cx - 0.1 * w - stride), (cx + 0.12 * w, cx + 0.1 * w + stride)):
        foot_y = h - 0.035 * h
        draw.line([(hip_x, hip_y - 0.02 * h), (foot_x, foot_y)], fill=pants, width=leg_w)
        draw.ellipse((foot_x - 0.12 * w, foot_y - 0.02 * h, foot_x + 0.12 * w, h - 1), fill=(30, 28, 26))
    arm_w = max(2, int(0.13 * w))
    swing = rng.uniform(0.28, 0.42)
    for side in (-1, 1):
        hand = (cx + side * swing * w, hip_y - 0.02 * h)
        draw.line([(cx + side * 0.25 * w, shoulder_y + 0.03 * h), hand], fill=shirt, width=arm_w)
        draw.ellipse((hand[0] - 0.07 * w, hand[1] - 0.07 * w, hand[0] + 0.07 * w, hand[1] + 0.07 * w), fill=skin)
    draw.rounded_rectangle((cx - 0.3 * w, shoulder_y, cx + 0.3 * w, hip_y + 0.02 * h), radius=0.12 * w, fill=shirt)
    draw.rectangle((cx - 0.05 * w, head_cy + head_r * 0.8, cx + 0.05 * w, shoulder_y + 2), fill=skin)
    draw.ellipse((cx - head_r, head_cy - head_r, cx + head_r, head_cy + head_r), fill=skin)
    hair_r = head_r * 1.05
    draw.pieslice((cx - hair_r, head_cy - hair_r, cx + hair_r, head_cy + hair_r), 170, 370, fill=hair)


def _draw_bicycle(draw: ImageDraw.ImageDraw, w: int, h: int, rng: Rng) -> None:
    frame = _pick(rng, _CLOTHES, 25)
    wheel_r = min(0.36 * h, 0.26 * w)
    hub_y = h - wheel_r - 1
    rear, front = (wheel_r + 1, hub_y), (w - wheel_r - 1, hub_y)
    span = front[0] - rear[0]
    crank = (rear[0] + 0.42 * span, hub_y + 0.05 * h)
    seat = (rear[0] + 0.3 * span, 0.12 * h)
    seat_joint = (rear[0] + 0.33 * span, 0.26 * h)
    head = (front[0] - 0.15 * span, 0.24 * h)
    bar = (front[0] - 0.22 * span, 0.04 * h)
    tire = max(2, int(0.055 * h))
    for cx, cy in (rear, front):
        for k in range(8):  # spokes
            angle = k * math.pi / 8
            dx, dy = math.cos(angle) * wheel_r, math.sin(angle) * wheel_r
            draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=(150, 150, 155), width=max(1, tire // 4))
        draw.ellipse((cx - wheel_r, cy - wheel_r, cx + wheel_r, cy + wheel_r), outline=(25, 25, 28), width=tire)
    tube = max(2, int(0.05 * h))
    for a, b in (
        (rear, crank),
        (rear, seat_joint),
        (crank, seat_joint),
        (seat_joint, head),
        (crank, head),
        (head, front),
    ):
        draw.line([a, b], fill=frame, width=tube)
    draw.line([seat_joint, seat], fill=(60, 60, 65), width=max(2, tube // 2))
    draw.line([head, bar], fill=(60, 60, 65), width=max(2, tube // 2))
    draw.polygon(
        [
            (seat[0] - 0.08 * span, seat[1]),
            (seat[0] + 0.1 * span, seat[1] - 0.03 * h),
            (seat[0] + 0.1 * span, seat[1] + 0.03 * h),
        ],
        fill=(25, 25, 28),
    )
    draw.line([(bar[0] - 0.06 * span, bar[1]), (bar[0] + 0.08 * span, bar[1])], fill=(25, 25, 28), width=tube)
    chainring = 0.07 * h
    draw.ellipse(
        (crank[0] - chainring, crank[1] - chainring, crank[0] + chainring, crank[1] + chainring),
        outline=(70, 70, 75),
        width=max(1, tube // 2),
    )


def _draw_traffic_light(draw: ImageDraw.ImageDraw, w: int, h: int, rng: Rng) -> None:
    housing = _pick(rng, ((32, 32, 34), (45, 50, 40), (60, 60, 62)), 6)
    box_h = min(2.9 * w, 0.55 * h)
    pole = _pick(rng, ((130, 132, 135), (70, 90, 75), (50, 50, 52)), 8)
    draw.rectangle((0.4 * w, box_h - 2, 0.6 * w, h - 1), fill=pole)
    draw.rectangle((0.22 * w, h - 0.025 * h, 0.78 * w, h - 1), fill=pole)
    draw.rounded_rectangle((0, 0, w - 1, box_h), radius=0.18 * w, fill=housing)
    lit = int(rng.integers(3))
    lamps = (((255, 45, 40), (90, 20, 20)), ((255, 195, 0), (95, 75, 15)), ((40, 235, 90), (20, 80, 35)))
    r = 0.3 * w
    for k, (on, off) in enumerate(lamps):
        cy = box_h * (1 + 2 * k) / 6
        draw.ellipse((w / 2 - r, cy - r, w / 2 + r, cy + r), fill=on if k == lit else off)


def _draw_dog(draw: ImageDraw.ImageDraw, w: int, h: int, rng: Rng) -> None:
    coat = _pick(rng, _DOG_COATS, 12)
    dark = _shade_color(coat, 0.65)
    leg_w = 0.075 * w
    for x in (0.18, 0.3, 0.6, 0.71):
        draw.rectangle((x * w, 0.5 * h, x * w + leg_w, h - 0.04 * h), fill=coat if x in (0.18, 0.6) else dark)
        draw.ellipse((x * w - 0.01 * w, h - 0.08 * h, x * w + leg_w + 0.02 * w, h - 1), fill=dark)
    tail_root = (0.16 * w, 0.4 * h)
    draw.line(
        [tail_root, (0.06 * w, 0.25 * h), (0.015 * w, rng.uniform(0.08, 0.2) * h)],
        fill=coat,
        width=max(2, int(0.05 * h)),
        joint="curve",
    )
    draw.ellipse((0.12 * w, 0.28 * h, 0.8 * w, 0.66 * h), fill=coat)
    draw.polygon([(0.66 * w, 0.32 * h), (0.74 * w, 0.15 * h), (0.84 * w, 0.2 * h), (0.8 * w, 0.45 * h)], fill=coat)
    draw.ellipse((0.68 * w, 0.02 * h, 0.9 * w, 0.36 * h), fill=coat)  # head
    draw.ellipse((0.8 * w, 0.16 * h, w - 1, 0.33 * h), fill=coat)  # snout
    draw.ellipse((0.95 * w, 0.16 * h, w - 1, 0.23 * h), fill=(20, 18, 18))  # nose
    draw.ellipse((0.81 * w, 0.1 * h, 0.835 * w, 0.14 * h), fill=(20, 18, 18))  # eye
    draw.polygon([(0.7 * w, 0.06 * h), (0.77 * w, 0.0), (0.78 * w, 0.28 * h), (0.72 * w, 0.26 * h)], fill=dark)


@dataclass(frozen=True)
class _ObjectKind:
    height: float  # in metres, so perspective gives objects believable sizes relative to each other
    aspect: tuple[float, float]  # width / height
    weight: float  # how often it appears
    draw: Drawer


_OBJECT_KINDS: Final = {
    "car": _ObjectKind(1.45, (2.3, 2.8), 0.32, _draw_car),
    "person": _ObjectKind(1.72, (0.34, 0.42), 0.3, _draw_person),
    "bicycle": _ObjectKind(1.05, (1.55, 1.8), 0.12, _draw_bicycle),
    "traffic_light": _ObjectKind(3.4, (0.17, 0.21), 0.08, _draw_traffic_light),
    "dog": _ObjectKind(0.62, (1.35, 1.6), 0.18, _draw_dog),
}
_PIXELS_PER_METRE_AT_BOTTOM = 0.2  # times the image height
_MIN_OBJECT_PX = 20
_MAX_SHARED = 0.35  # at most this much of either box may overlap another: occluded, yet recognisable


# ------------------------------------------------------------------------------------------- street layout


@dataclass(frozen=True)
class _Street:
    width: int
    height: int
    horizon: float
    vanish_x: float
    road_left: float  # x of the road's edges at the bottom row
    road_right: float

    def y_at(self, depth: float) -> float:
        return self.horizon + depth * (self.height - self.horizon)

    def road_at(self, depth: float) -> tuple[float, float]:
        left = self.vanish_x + (self.road_left - self.vanish_x) * depth
        right = self.vanish_x + (self.road_right - self.vanish_x) * depth
        return left, right


@dataclass(frozen=True)
class _Slot:
    category: str
    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


def _random_street(size: tuple[int, int], rng: Rng) -> _Street:
    width, height = size
    return _Street(
        width,
        height,
        horizon=height * rng.uniform(0.34, 0.44),
        vanish_x=width * rng.uniform(0.38, 0.62),
        road_left=width * rng.uniform(-0.15, 0.2),
        road_right=width * rng.uniform(0.8, 1.15),
    )


def _draw_street(street: _Street, rng: Rng) -> Image.Image:
    w, h, horizon = street.width, street.height, int(street.horizon)
    dusk = rng.random() < 0.25
    sky_top = _vary(rng, (235, 140, 90) if dusk else (60, 120, 200), 20)
    sky_low = _vary(rng, (250, 205, 160) if dusk else (190, 215, 238), 12)
    ground_far = _pick(rng, ((140, 150, 120), (150, 145, 130), (120, 140, 100)), 10)
    ground_near = _shade_color(ground_far, rng.uniform(0.7, 0.85))
    sky, ground = _gradient(sky_top, sky_low, horizon, w), _gradient(ground_far, ground_near, h - horizon, w)
    pixels = np.concatenate([sky, ground])
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image, "RGBA")
    _draw_clouds(draw, street, rng)
    _draw_skyline(draw, street, rng)
    _draw_road(draw, street, rng)
    return image


def _draw_clouds(draw: ImageDraw.ImageDraw, street: _Street, rng: Rng) -> None:
    for _ in range(int(rng.integers(0, 4))):
        cx, cy = rng.uniform(0, street.width), rng.uniform(0.05, 0.6) * street.horizon
        size = rng.uniform(0.04, 0.09) * street.width
        for _ in range(5):
            dx, dy, r = rng.normal(0, size * 0.6), rng.normal(0, size * 0.15), size * rng.uniform(0.4, 0.8)
            draw.ellipse(
                (cx + dx - r * 1.6, cy + dy - r * 0.6, cx + dx + r * 1.6, cy + dy + r * 0.6), fill=(255, 255, 255, 150)
            )


def _draw_skyline(draw: ImageDraw.ImageDraw, street: _Street, rng: Rng) -> None:
    x, base = rng.uniform(-30, 0), street.horizon + 1
    while x < street.width:
        bw = street.width * rng.uniform(0.04, 0.11)
        bh = street.height * rng.uniform(0.03, 0.17)
        wall = _pick(rng, ((120, 130, 150), (150, 140, 130), (100, 105, 115), (170, 165, 160)), 12)
        draw.rectangle((x, base - bh, x + bw, base), fill=wall)
        cell = max(4.0, street.height * 0.014)
        lit = _shade_color(wall, 1.35)
        for wy in np.arange(base - bh + cell, base - cell, cell * 1.8):
            for wx in np.arange(x + cell * 0.7, x + bw - cell, cell * 1.5):
                draw.rectangle((wx, wy, wx + cell * 0.7, wy + cell * 0.8), fill=lit)
        x += bw + rng.uniform(-2, 10)
    for _ in range(int(rng.integers(2, 7))):  # trees in front of the buildings
        tx, r = rng.uniform(0, street.width), street.height * rng.uniform(0.02, 0.045)
        draw.rectangle((tx - r * 0.15, base - r * 1.2, tx + r * 0.15, base + 2), fill=(90, 65, 40))
        draw.ellipse((tx - r, base - r * 3, tx + r, base - r * 0.9), fill=_pick(rng, ((60, 120, 50), (45, 100, 45))))


def _draw_road(draw: ImageDraw.ImageDraw, street: _Street, rng: Rng) -> None:
    top, bottom = street.horizon, street.height
    vx = street.vanish_x
    curb = street.width * 0.12
    draw.polygon(
        [(vx - 4, top), (vx + 4, top), (street.road_right + curb, bottom), (street.road_left - curb, bottom)],
        fill=_vary(rng, (175, 172, 165), 8),
    )
    draw.polygon(
        [(vx - 2, top), (vx + 2, top), (street.road_right, bottom), (street.road_left, bottom)],
        fill=_vary(rng, (85, 87, 90), 10),
    )
    for edge in (street.road_left, street.road_right):
        draw.line([(vx, top), (edge, bottom)], fill=(235, 235, 230), width=3)
    center = (street.road_left + street.road_right) / 2
    marking = (245, 215, 70) if rng.random() < 0.5 else (240, 240, 235)
    depth = 0.04
    while depth < 1.0:  # dashes shrink towards the horizon
        end = min(1.0, depth * 1.25)
        half_width = 1 + 5 * depth
        draw.polygon(
            [
                (vx + (center - vx) * depth - half_width, street.y_at(depth)),
                (vx + (center - vx) * depth + half_width, street.y_at(depth)),
                (vx + (center - vx) * end + half_width * 1.2, street.y_at(end)),
                (vx + (center - vx) * end - half_width * 1.2, street.y_at(end)),
            ],
            fill=marking,
        )
        depth = end * 1.3


def _place_objects(street: _Street, rng: Rng) -> list[_Slot]:
    wanted = int(rng.integers(2, 10))
    names = list(_OBJECT_KINDS)
    weights = np.array([_OBJECT_KINDS[n].weight for n in names])
    slots: list[_Slot] = []
    for _ in range(60 * wanted):
        if len(slots) == wanted:
            break
        slot = _try_slot(street, names[int(rng.choice(len(names), p=weights / weights.sum()))], rng)
        if slot is not None and not any(_shares_too_much(slot, other) for other in slots):
            slots.append(slot)
    return sorted(slots, key=lambda s: s.y + s.h)  # far (higher up) first, so near objects occlude them


def _try_slot(street: _Street, category: str, rng: Rng) -> _Slot | None:
    kind = _OBJECT_KINDS[category]
    metre_px = _PIXELS_PER_METRE_AT_BOTTOM * street.height
    min_depth = _MIN_OBJECT_PX / (kind.height * metre_px)
    depth = rng.uniform(min(min_depth, 1.0), 1.0)
    h = int(round(kind.height * metre_px * depth * rng.uniform(0.9, 1.1)))
    w = int(round(h * rng.uniform(*kind.aspect)))
    bottom = min(int(street.y_at(depth)), street.height - 1)
    left, right = street.road_at(depth)
    if category == "car":
        center = rng.uniform(left + 0.3 * w, right - 0.3 * w) if right - left > 0.6 * w else (left + right) / 2
    elif category == "traffic_light":
        center = left - rng.uniform(0.5, 3) * w if rng.random() < 0.5 else right + rng.uniform(0.5, 3) * w
    else:
        center = rng.uniform(0, street.width)
    x = int(round(center - w / 2))
    y = bottom - h
    if x < 1 or y < 1 or x + w > street.width - 1:
        return None
    return _Slot(category, x, y, w, h)


def _shares_too_much(a: _Slot, b: _Slot) -> bool:
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy > _MAX_SHARED * min(a.area, b.area)


def _render_object(slot: _Slot, rng: Rng) -> Image.Image:
    s = _SUPERSAMPLE
    layer = Image.new("RGBA", (slot.w * s, slot.h * s), (0, 0, 0, 0))
    _OBJECT_KINDS[slot.category].draw(ImageDraw.Draw(layer), slot.w * s, slot.h * s, rng)
    if rng.random() < 0.5:
        layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return _shrink(layer, (slot.w, slot.h))


def _draw_shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    depth = max(2.0, 0.05 * (y1 - y0))
    pad = 0.08 * (x1 - x0)
    ImageDraw.Draw(image, "RGBA").ellipse((x0 - pad, y1 - depth, x1 + pad, y1 + depth), fill=(0, 0, 0, 70))


def _render_scene(size: tuple[int, int], rng: Rng) -> tuple[Image.Image, list[tuple[str, Box]]]:
    """One street scene and its objects' tight boxes (the whole object, also where another one hides part of it)."""
    street = _random_street(size, rng)
    image = _draw_street(street, rng)
    objects: list[tuple[str, Box]] = []
    for slot in _place_objects(street, rng):
        layer = _render_object(slot, rng)
        bbox = _visible_bbox(layer)
        if bbox is None:
            continue
        x0, y0, x1, y1 = slot.x + bbox[0], slot.y + bbox[1], slot.x + bbox[2], slot.y + bbox[3]
        _draw_shadow(image, (x0, y0, x1, y1))
        image.paste(layer, (slot.x, slot.y), layer)
        objects.append((slot.category, [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]))
    return image, objects


# ----------------------------------------------------------------------------------------- detection noise


def _fit_box(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> Box | None:
    """Clip to the image and round to 0.01 px without the float sum x + w ever passing the border."""
    x0, y0 = round(max(0.0, x0), 2), round(max(0.0, y0), 2)
    w, h = round(min(float(width), x1) - x0, 2), round(min(float(height), y1) - y0, 2)
    if w < 1 or h < 1:
        return None
    while x0 + w > width:
        w = round(w - 0.01, 2)
    while y0 + h > height:
        h = round(h - 0.01, 2)
    return [x0, y0, w, h]


def _jittered(box: Box, strong: bool, width: int, height: int, rng: Rng) -> Box | None:
    x, y, w, h = box
    if strong:
        area_factor = math.exp(rng.choice((-1, 1)) * rng.uniform(0.3, 0.7))
        shift = 0.02
    else:
        area_factor, shift = math.exp(rng.normal(0.0, 0.1)), 0.035
    aspect = math.exp(rng.normal(0.0, 0.06))
    new_w, new_h = w * math.sqrt(area_factor) * aspect, h * math.sqrt(area_factor) / aspect
    cx, cy = x + w / 2 + rng.normal(0.0, shift) * w, y + h / 2 + rng.normal(0.0, shift) * h
    return _fit_box(cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2, width, height)


def _pre_box(box: Box, others: list[Box], width: int, height: int, rng: Rng) -> Box:
    draw = rng.random()
    if draw < P_EXACT_BOX:
        return list(box)
    strong = draw < P_EXACT_BOX + P_STRONG_RESIZE
    for _ in range(20):
        candidate = _jittered(box, strong, width, height, rng)
        if (
            candidate is not None
            and _iou(candidate, box) >= _MIN_OWN_IOU
            and all(_iou(candidate, other) < _MAX_OTHER_IOU for other in others)
        ):
            return candidate
    return list(box)


def _spurious_box(boxes: list[Box], width: int, height: int, rng: Rng) -> Box | None:
    """A false positive: the size of some object in the image, where there is none."""
    for _ in range(30):
        _, _, w, h = boxes[int(rng.integers(len(boxes)))]
        w, h = w * rng.uniform(0.5, 1.2), h * rng.uniform(0.5, 1.2)
        x, y = rng.uniform(0, width - w), rng.uniform(0.3 * height, height - h) if h < 0.7 * height else 0.0
        candidate = _fit_box(x, y, x + w, y + h, width, height)
        if candidate is not None and all(_iou(candidate, b) < _MAX_SPURIOUS_IOU for b in boxes):
            return candidate
    return None


def _pre_label(
    ann: dict[str, Any], others: list[Box], image: dict[str, Any], category_ids: dict[str, int], rng: Rng
) -> tuple[dict[str, Any] | None, str]:
    """The auto label job's box for one expert object (None when it missed it), and the change the expert made."""
    if rng.random() < P_MISSED:
        return None, ChangeKind.ADDED
    name = DETECTION_CLASSES[ann["category_id"] - 1]
    if rng.random() < P_WRONG_CLASS:
        name = _confused(name, DETECTION_CLASSES, _DETECTION_CONFUSIONS, rng)
    bbox = _pre_box(ann["bbox"], others, image["width"], image["height"], rng)
    if name != DETECTION_CLASSES[ann["category_id"] - 1]:
        kind, score = ChangeKind.RELABELED, _score(rng, 0.1, 0.75, 2.0, 2.5)
    else:
        kind = ChangeKind.UNCHANGED if bbox == ann["bbox"] else ChangeKind.ADJUSTED
        score = _score(rng, 0.3, 0.99, 6.0, 1.5)
    return {"image_id": image["id"], "category_id": category_ids[name], "bbox": bbox, "score": score}, kind


def _spurious_pre_labels(
    boxes: list[Box], image: dict[str, Any], category_ids: dict[str, int], rng: Rng
) -> list[dict[str, Any]]:
    results = []
    for _ in range(int(rng.binomial(len(boxes), P_SPURIOUS))):
        bbox = _spurious_box(boxes, image["width"], image["height"], rng)
        if bbox is not None:
            name = DETECTION_CLASSES[int(rng.integers(len(DETECTION_CLASSES)))]
            results.append(
                {
                    "image_id": image["id"],
                    "category_id": category_ids[name],
                    "bbox": bbox,
                    "score": _score(rng, 0.05, 0.5, 1.5, 3.0),
                }
            )
    return results


def _pre_labels(
    image: dict[str, Any], annotations: list[dict[str, Any]], category_ids: dict[str, int], rng: Rng
) -> tuple[list[dict[str, Any]], Counter[str]]:
    boxes = [a["bbox"] for a in annotations]
    planted: Counter[str] = Counter()
    results: list[dict[str, Any]] = []
    for index, ann in enumerate(annotations):
        result, kind = _pre_label(ann, boxes[:index] + boxes[index + 1 :], image, category_ids, rng)
        planted[kind] += 1
        if result is not None:
            results.append(result)
    spurious = _spurious_pre_labels(boxes, image, category_ids, rng)
    planted[ChangeKind.REMOVED] += len(spurious)
    results += spurious
    results.sort(key=lambda r: -r["score"])  # as a detector emits them
    return results, planted


def render_detection_scenes(
    *, out_dir: Path, n_images: int = 240, seed: int = 7, size: tuple[int, int] = (640, 480)
) -> DetectionDemo:
    """Street scenes under out_dir/images, their expert labels (COCO dataset) and noisy pre-labels (COCO results)."""
    images_dir = out_dir / "images"
    category_ids = {name: i for i, name in enumerate(DETECTION_CLASSES, start=1)}
    categories = [
        {"id": i, "name": n, "display_name": n.replace("_", " ").capitalize(), "supercategory": _SUPERCATEGORIES[n]}
        for n, i in category_ids.items()
    ]
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    pre: list[dict[str, Any]] = []
    planted: Counter[str] = Counter()
    for index in range(n_images):
        picture, objects = _render_scene(size, _rng(seed, _SCENE_STREAM, index))
        file_name = f"scene_{index + 1:04d}.jpg"
        image = {"id": index + 1, "file_name": file_name, "width": size[0], "height": size[1]}
        _save_jpeg(picture, images_dir / file_name)
        anns = [
            {
                "id": len(annotations) + k + 1,
                "image_id": image["id"],
                "category_id": category_ids[name],
                "bbox": bbox,
                "area": bbox[2] * bbox[3],
                "iscrowd": 0,
            }
            for k, (name, bbox) in enumerate(objects)
        ]
        results, counts = _pre_labels(image, anns, category_ids, _rng(seed, _NOISE_STREAM, index))
        images.append(image)
        annotations += anns
        pre += results
        planted += counts
    expert = {"images": images, "categories": categories, "annotations": annotations}
    kinds = CHANGE_KINDS
    return DetectionDemo(images_dir=images_dir, expert=expert, pre=pre, planted={k: planted[k] for k in kinds})


# ------------------------------------------------------------------------------------------------- fruit


def _polar_shape(
    cx: float, cy: float, radius: Callable[[np.ndarray], np.ndarray], stretch: float = 1.0, points: int = 160
) -> list[tuple[float, float]]:
    """Outline from a radius per angle; angle 0 points right, -pi/2 up."""
    theta = np.linspace(-math.pi, math.pi, points, endpoint=False)
    r = radius(theta)
    return list(zip((cx + r * np.cos(theta) * stretch).tolist(), (cy + r * np.sin(theta)).tolist(), strict=True))


def _bump(theta: np.ndarray, at: float, width: float) -> np.ndarray:
    delta = np.angle(np.exp(1j * (theta - at)))  # wrapped into (-pi, pi]
    bump: np.ndarray = np.exp(-((delta / width) ** 2))
    return bump


def _speckle(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, rx: float, ry: float, base: Color, count: int, dot: float, rng: Rng
) -> None:
    """Pores of citrus peel, freckles of an apple: dots a shade off the base colour, kept well inside the outline."""
    angles, radii = rng.uniform(0, 2 * math.pi, count), np.sqrt(rng.uniform(0, 0.64, count))
    factors = rng.choice((0.9, 0.95, 1.06), count)
    for a, r, f in zip(angles, radii, factors, strict=True):
        x, y = cx + math.cos(a) * r * rx, cy + math.sin(a) * r * ry
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=_shade_color(base, float(f)))


def _draw_apple(draw: ImageDraw.ImageDraw, s: int, rng: Rng) -> None:
    red = rng.random() < 0.65
    skin = _vary(rng, (190, 25, 35) if red else (140, 195, 60), 18)
    cx, cy, r = s / 2, s * 0.56, s * 0.4
    outline = _polar_shape(
        cx, cy, lambda t: r * (1 - 0.14 * _bump(t, -math.pi / 2, 0.3) - 0.05 * _bump(t, math.pi / 2, 0.5)), stretch=1.08
    )
    draw.polygon(outline, fill=skin)
    _speckle(draw, cx, cy, r, r, _shade_color(skin, 1.15), 40, s * 0.006, rng)
    stem_top = (cx + s * rng.uniform(-0.02, 0.06), cy - r * 1.2)
    draw.line([(cx, cy - r * 0.8), stem_top], fill=(95, 60, 30), width=max(2, int(s * 0.025)))
    leaf = _polar_shape(0, 0, lambda t: s * 0.1 * np.abs(np.cos(t)) ** 0.6 + 1, stretch=1.0, points=40)
    angle = rng.uniform(-0.6, 0.1)
    ox, oy = stem_top[0] + s * 0.09, stem_top[1] + s * 0.02
    squashed = [
        (ox + x * math.cos(angle) - 0.45 * y * math.sin(angle), oy + x * math.sin(angle) + 0.45 * y * math.cos(angle))
        for x, y in leaf
    ]
    draw.polygon(squashed, fill=_vary(rng, (70, 150, 50), 12))


def _arc(cx: float, cy: float, radii: np.ndarray, theta: np.ndarray) -> list[tuple[float, float]]:
    return list(zip((cx + radii * np.cos(theta)).tolist(), (cy + radii * np.sin(theta)).tolist(), strict=True))


def _draw_banana(draw: ImageDraw.ImageDraw, s: int, rng: Rng) -> None:
    peel = _vary(rng, (240, 205, 50) if rng.random() < 0.9 else (190, 200, 60), 12)
    bend = rng.uniform(0.55, 0.8)
    radius = s * 0.55
    cx, cy = s / 2, s * 0.55 - radius
    t = np.linspace(0.0, 1.0, 60)
    theta = math.pi / 2 + (t - 0.5) * 2 * bend
    thick = s * 0.17 * np.sin(np.pi * t) ** 0.6 + s * 0.015
    outer, inner = _arc(cx, cy, radius + thick * 0.6, theta), _arc(cx, cy, radius - thick * 0.4, theta)
    draw.polygon(outer + inner[::-1], fill=peel)
    ridge = _arc(cx, cy, np.full_like(theta, radius), theta)[6:-6]
    draw.line(ridge, fill=_shade_color(peel, 0.88), width=max(1, int(s * 0.01)))
    for k in rng.integers(8, len(theta) - 8, int(rng.integers(0, 14))):  # brown sugar spots
        along, dot = radius + float(rng.uniform(-0.3, 0.4)) * thick[k], s * 0.006
        x, y = cx + along * math.cos(theta[k]), cy + along * math.sin(theta[k])
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=(115, 80, 30))
    tip, stem = theta[0], theta[-1]
    draw.ellipse(
        (
            cx + radius * math.cos(tip) - s * 0.02,
            cy + radius * math.sin(tip) - s * 0.02,
            cx + radius * math.cos(tip) + s * 0.02,
            cy + radius * math.sin(tip) + s * 0.02,
        ),
        fill=(70, 50, 25),
    )
    end = (cx + radius * math.cos(stem), cy + radius * math.sin(stem))
    draw.line([end, (end[0] - s * 0.06, end[1] - s * 0.04)], fill=(110, 110, 50), width=max(2, int(s * 0.035)))


def _draw_orange(draw: ImageDraw.ImageDraw, s: int, rng: Rng) -> None:
    peel = _vary(rng, (245, 140, 20), 12)
    cx, cy, r = s / 2, s / 2, s * 0.45
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=peel)
    _speckle(draw, cx, cy, r, r, peel, 500, s * 0.005, rng)
    navel = (cx + rng.uniform(-0.2, 0.2) * r, cy + rng.uniform(-0.5, -0.1) * r)
    draw.ellipse(
        (navel[0] - s * 0.02, navel[1] - s * 0.015, navel[0] + s * 0.02, navel[1] + s * 0.015), fill=(95, 110, 40)
    )


def _draw_lemon(draw: ImageDraw.ImageDraw, s: int, rng: Rng) -> None:
    peel = _vary(rng, (245, 222, 55), 10)
    cx, cy = s / 2, s / 2
    a, b = s * 0.38, s * 0.28
    outline = _polar_shape(
        cx,
        cy,
        lambda t: (
            a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
            + s * 0.09 * (_bump(t, 0.0, 0.16) + _bump(t, math.pi, 0.16))
        ),
    )
    draw.polygon(outline, fill=peel)
    _speckle(draw, cx, cy, a, b, peel, 300, s * 0.005, rng)


def _draw_grapes(draw: ImageDraw.ImageDraw, s: int, rng: Rng) -> None:
    purple = rng.random() < 0.85
    base = _vary(rng, (95, 35, 120) if purple else (165, 200, 90), 18)
    r = s * rng.uniform(0.07, 0.085)
    rows = (5, 5, 4, 4, 3, 2, 1)
    top = s * 0.18
    draw.line([(s / 2, top - r), (s / 2 + s * 0.05, s * 0.02)], fill=(100, 80, 40), width=max(2, int(s * 0.02)))
    for k, count in enumerate(rows):
        y = top + k * r * 1.55
        for j in range(count):
            x = s / 2 + (j - (count - 1) / 2) * r * 1.75 + rng.normal(0, r * 0.12)
            color = _vary(rng, base, 10)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=_shade_color(color, 0.6))
            draw.ellipse((x - r * 0.92, y - r * 0.95, x + r * 0.85, y + r * 0.8), fill=color)
            draw.ellipse((x - r * 0.5, y - r * 0.6, x - r * 0.15, y - r * 0.3), fill=_shade_color(color, 1.7))


_FRUIT_DRAWERS: Final[dict[str, Callable[[ImageDraw.ImageDraw, int, Rng], None]]] = {
    "apple": _draw_apple,
    "banana": _draw_banana,
    "orange": _draw_orange,
    "lemon": _draw_lemon,
    "grape": _draw_grapes,
}
_FREE_ROTATION: Final = {"banana", "lemon"}  # lying any way round; the others stand up


def _lit(layer: Image.Image) -> Image.Image:
    """Light from the upper left: darker away from it, a soft highlight near it, so shapes read as round."""
    bbox = layer.getchannel("A").getbbox()
    if bbox is None:
        return layer
    pixels = np.asarray(layer).astype(np.float32)
    x0, y0, x1, y1 = bbox
    ys, xs = np.mgrid[0 : layer.height, 0 : layer.width].astype(np.float32)
    lx, ly = x0 + 0.35 * (x1 - x0), y0 + 0.3 * (y1 - y0)
    dist = np.hypot((xs - lx) / (x1 - x0), (ys - ly) / (y1 - y0))
    factor = np.clip(1.18 - 0.8 * dist, 0.5, 1.2)
    highlight = 70 * np.exp(-((dist / 0.12) ** 2))
    pixels[..., :3] = np.clip(pixels[..., :3] * factor[..., None] + highlight[..., None], 0, 255)
    return Image.fromarray(pixels.astype(np.uint8))


def _render_fruit(category: str, longest_side: int, rng: Rng) -> Image.Image:
    s = longest_side * _SUPERSAMPLE
    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    _FRUIT_DRAWERS[category](ImageDraw.Draw(layer), s, rng)
    angle = rng.uniform(0, 360) if category in _FREE_ROTATION else rng.uniform(-20, 20)
    # NEAREST keeps transparent pixels from bleeding dark into the edge; the shrink smooths it.
    layer = layer.rotate(angle, resample=Image.Resampling.NEAREST, expand=True)
    layer = _lit(layer.crop(layer.getchannel("A").getbbox()))
    # Scaled by its longest side, so a thin banana fills the frame as much as a round orange.
    scale = longest_side / max(layer.size)
    return _shrink(layer, (max(1, round(layer.width * scale)), max(1, round(layer.height * scale))))


_WALLS: Final[tuple[Color, ...]] = (
    (240, 238, 230),
    (225, 235, 240),
    (245, 230, 220),
    (215, 225, 215),
    (235, 225, 240),
    (200, 200, 205),
    (60, 65, 75),
)
_TABLES: Final[tuple[Color, ...]] = ((190, 150, 110), (150, 110, 75), (225, 225, 220), (120, 125, 130), (230, 215, 190))


def _fruit_background(size: tuple[int, int], rng: Rng) -> Image.Image:
    w, h = size
    wall = _pick(rng, _WALLS, 10)
    style = int(rng.integers(3))
    if style == 0:  # seamless studio sweep
        pixels = _gradient(wall, _shade_color(wall, rng.uniform(0.7, 0.9)), h, w)
    elif style == 1:  # wall and table top
        edge = int(h * rng.uniform(0.5, 0.65))
        table = _pick(rng, _TABLES, 10)
        pixels = np.concatenate(
            [
                _gradient(wall, _shade_color(wall, 0.9), edge, w),
                _gradient(_shade_color(table, 0.85), table, h - edge, w),
            ]
        )
    else:
        pixels = np.broadcast_to(np.asarray(wall, np.uint8), (h, w, 3))
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if style == 1:
        draw = ImageDraw.Draw(image, "RGBA")
        for y in rng.uniform(edge + 4, h, 6):  # wood grain
            draw.line([(0, y), (w, y + rng.uniform(-6, 6))], fill=(0, 0, 0, 18), width=1)
    return image


def _fruit_shot(category: str, size: tuple[int, int], rng: Rng) -> Image.Image:
    image = _fruit_background(size, rng)
    w, h = size
    fruit = _render_fruit(category, int(min(size) * rng.uniform(0.5, 0.72)), rng)
    x = int(np.clip(w / 2 - fruit.width / 2 + rng.normal(0, 0.05 * w), 2, w - fruit.width - 2))
    y = int(np.clip(h * 0.55 - fruit.height / 2 + rng.normal(0, 0.04 * h), 2, h - fruit.height - 2))
    shadow = Image.new("L", size, 0)
    bottom = y + fruit.height
    ImageDraw.Draw(shadow).ellipse(
        (x + 0.1 * fruit.width, bottom - 0.12 * fruit.height, x + 1.05 * fruit.width, bottom + 0.06 * fruit.height),
        fill=120,
    )
    image.paste((25, 20, 20), (0, 0, w, h), shadow.filter(ImageFilter.GaussianBlur(min(size) * 0.025)))
    image.paste(fruit, (x, y), fruit)
    return image


def render_classification_images(
    *, out_dir: Path, n_images: int = 160, seed: int = 11, size: tuple[int, int] = (256, 256)
) -> ClassificationDemo:
    """Fruit product shots under out_dir/images, one fruit each, with expert labels and noisy pre-labels."""
    images_dir = out_dir / "images"
    rows: list[dict[str, Any]] = []
    for index in range(n_images):
        rng = _rng(seed, _SCENE_STREAM, index)
        expert = CLASSIFICATION_CLASSES[int(rng.integers(len(CLASSIFICATION_CLASSES)))]
        file_path = f"fruit_{index + 1:04d}.jpg"
        _save_jpeg(_fruit_shot(expert, size, rng), images_dir / file_path)
        noise = _rng(seed, _NOISE_STREAM, index)
        if noise.random() < P_WRONG_FRUIT:
            pre = _confused(expert, CLASSIFICATION_CLASSES, _FRUIT_CONFUSIONS, noise)
            confidence = round(0.12 + 0.55 * float(noise.beta(2.0, 2.5)), 4)
        else:
            pre, confidence = expert, round(0.4 + 0.59 * float(noise.beta(5.0, 1.4)), 4)
        rows.append({"file_path": file_path, "pre_label": pre, "expert_label": expert, "confidence": confidence})
    return ClassificationDemo(images_dir=images_dir, rows=rows)
