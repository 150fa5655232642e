"""core/exports/split.py: a seeded split by image that any process reproduces, shares within one image, and
stratified, within one image in every stratum too (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from core.domain.errors import BadInput
from core.exports.split import SplitSpec, assign_splits, parse_split, rarest_class, split_sizes

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def images(n: int) -> pl.DataFrame:
    return pl.DataFrame({"sample_id": range(1, n + 1), "file_path": [f"img/{i:04d}.jpg" for i in range(1, n + 1)]})


def assignment(frame: pl.DataFrame) -> dict[int, str]:
    return dict(frame.iter_rows())


def test_parse_split_reads_fractions_in_train_val_test_order():
    spec = parse_split("val=0.1, test=0.2,train=0.7", seed=3, stratify=True)
    assert spec == SplitSpec(fractions=(("train", 0.7), ("val", 0.1), ("test", 0.2)), seed=3, stratify=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train=0.8,val=0.3", "add up to 1.1, not 1"),
        ("train=0.8", "name train and val or test"),
        ("val=0.5,test=0.5", "name train and val or test"),
        ("train=0.8,valid=0.2", "'valid=0.2' is not train=, val= or test="),
        ("train=0.8,val=x", "val='x' is not a number"),
        ("train=1.2,val=-0.2", "must be above 0 and below 1"),
        ("train=0.5,train=0.5", "train given twice"),
        ("", "is not train="),
    ],
)
def test_parse_split_refuses_bad_fractions(text, message):
    with pytest.raises(BadInput, match=message):
        parse_split(text)


def test_sizes_round_by_largest_remainder():
    spec = parse_split("train=0.7,val=0.2,test=0.1")
    assert split_sizes(10, spec) == [7, 2, 1]
    assert split_sizes(11, spec) == [8, 2, 1]
    assert split_sizes(1, spec) == [1, 0, 0]
    assert split_sizes(0, spec) == [0, 0, 0]


@pytest.mark.parametrize("n", [1, 2, 7, 10, 101, 1000])
def test_every_image_is_in_exactly_one_split_and_shares_hold_within_one_image(n):
    spec = parse_split("train=0.7,val=0.2,test=0.1", seed=5)
    got = assign_splits(images(n), spec=spec)
    assert got["sample_id"].to_list() == list(range(1, n + 1))
    counts = dict(got.group_by("split").len().iter_rows())
    for name, fraction in spec.fractions:
        assert abs(counts.get(name, 0) - n * fraction) <= 1, (name, counts)


def test_the_same_seed_gives_the_same_split_whatever_the_order_and_another_seed_another():
    spec = parse_split("train=0.8,val=0.2", seed=42)
    first = assignment(assign_splits(images(200), spec=spec))
    shuffled = images(200).sample(fraction=1.0, shuffle=True, seed=7)
    assert assignment(assign_splits(shuffled, spec=spec)) == first
    other = assignment(assign_splits(images(200), spec=parse_split("train=0.8,val=0.2", seed=43)))
    assert other != first


def test_another_process_gives_the_same_split():
    # Python's hash() is salted per process: a split on it would differ between two runs of the same export.
    script = (
        "import polars as pl; from core.exports.split import assign_splits, parse_split; "
        "f = pl.DataFrame({'sample_id': range(1, 101), "
        "'file_path': [f'img/{i:04d}.jpg' for i in range(1, 101)]});"
        "print(''.join(s[0] for s in assign_splits(f, spec=parse_split('train=0.6,val=0.2,test=0.2', seed=9))"
        "['split']))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(salt), "PATH": ""},
        ).stdout
        for salt in (1, 2)
    }
    here = "".join(
        s[0] for s in assign_splits(images(100), spec=parse_split("train=0.6,val=0.2,test=0.2", seed=9))["split"]
    )
    assert runs == {here + "\n"}


def test_adding_images_moves_at_most_one_image_per_cut():
    spec = parse_split("train=0.8,val=0.2", seed=1)
    before = assignment(assign_splits(images(100), spec=spec))
    after = assignment(assign_splits(images(101), spec=spec))
    assert sum(before[i] != after[i] for i in before) <= 1


def test_stratified_split_holds_the_shares_in_every_stratum():
    frame = images(103)
    # a rare class on 7 images, a common one on 60, the rest without boxes
    strata = frame.select(
        "sample_id",
        pl.when(pl.col("sample_id") <= 7)
        .then(pl.lit("rare"))
        .when(pl.col("sample_id") <= 67)
        .then(pl.lit("common"))
        .otherwise(pl.lit("(no boxes)"))
        .alias("stratum"),
    )
    spec = parse_split("train=0.7,val=0.3", seed=11, stratify=True)
    got = assign_splits(frame, spec=spec, strata=strata).join(strata, on="sample_id")
    counts = {(s, split): n for s, split, n in got.group_by("stratum", "split").len().iter_rows()}
    for stratum, size in (("rare", 7), ("common", 60), ("(no boxes)", 36)):
        for name, fraction in spec.fractions:
            assert abs(counts.get((stratum, name), 0) - size * fraction) <= 1, (stratum, name, counts)
    overall = dict(got.group_by("split").len().iter_rows())
    assert abs(overall["train"] - 103 * 0.7) <= 1
    assert assign_splits(frame, spec=spec, strata=strata).equals(assign_splits(frame, spec=spec, strata=strata))


def test_an_images_stratum_is_its_rarest_class():
    frame = images(4)
    boxes = pl.DataFrame(
        {"sample_id": [1, 1, 2, 3, 3], "class_name": ["cat", "bird", "cat", "cat", "dog"], "position": [0, 2, 0, 0, 1]}
    )
    # cat on 3 images, bird and dog on 1 each: ties go to the earlier class in the spec
    assert rarest_class(frame, boxes).sort("sample_id").rows() == [
        (1, "bird"),
        (2, "cat"),
        (3, "dog"),
        (4, "(no boxes)"),
    ]
