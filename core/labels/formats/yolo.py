"""YOLO detection labels: a folder of `<image stem>.txt` files, one `class cx cy w h [confidence]` line per box in
fractions of the image's size, and the class names in `data.yaml` (`names`, a list or an index map) or
`classes.txt` (line = class index), in the folder or up to two folders above it. Lines of 7 or more values
(segmentation polygons) are ignored; with `kpt_shape` in data.yaml (pose) a line's box is its first five values.
The images' sizes are not in the files: they come from the images."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.domain.errors import BadInput
from core.domain.plural import plural
from core.labels.formats.common import TAG_SCHEMA, images_frame
from core.labels.formats.parsed import ImageNames, Parsed
from core.labels.label_files import read_text

CLASS_FILES = ("data.yaml", "data.yml", "dataset.yaml", "classes.txt")


def labels_folder(path: Path) -> Path:
    """The folder of label files: `path`, or its `labels` subfolder (the Ultralytics layout) when it has one."""
    if path.is_file():
        path = path.parent
    return path / "labels" if (path / "labels").is_dir() else path


def class_file(path: Path) -> Path | None:
    folder = path if path.is_dir() else path.parent
    for candidate in (
        path if path.is_file() else None,
        *(f / n for f in (folder, folder.parent, folder.parent.parent) for n in CLASS_FILES),
    ):
        if candidate is not None and candidate.name in CLASS_FILES and candidate.is_file():
            return candidate
    return None


def label_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.txt")
        if p.name != "classes.txt" and not any(s.startswith(".") for s in p.relative_to(folder).parts)
    )


def read_classes(path: Path) -> tuple[list[str], int]:
    """The class names in index order and the number of pose keypoint values per line (0 without kpt_shape)."""
    text = read_text(path)
    if path.name == "classes.txt":
        return [line.strip() for line in text.splitlines() if line.strip()], 0
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        if not all(isinstance(k, int) for k in names) or sorted(names) != list(range(len(names))):
            raise BadInput(f"{path}: 'names' must map the class indexes 0..n-1 to names")
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not names or not all(isinstance(n, (str, int)) for n in names):
        raise BadInput(f"{path}: expected 'names': a list of class names, or a map from class index to name")
    shape = data.get("kpt_shape")
    keypoints = (
        shape[0] * shape[1]
        if (isinstance(shape, list) and len(shape) == 2 and all(isinstance(v, int) and v > 0 for v in shape))
        else 0
    )
    return [str(n).strip() for n in names], keypoints


def read(*, path: Path, image_names: ImageNames) -> Parsed:
    if not path.exists():
        raise BadInput(f"{path}: not found")
    folder = labels_folder(path)
    classes_at = class_file(path)
    if classes_at is None:
        raise BadInput(
            f"{path}: not a YOLO labels folder: no {' or '.join(CLASS_FILES)} in it or up to two folders above it"
        )
    classes, keypoints = read_classes(classes_at)
    files = label_files(folder)
    if not files:
        raise BadInput(f"{folder}: not a YOLO labels folder: no .txt label files in it")
    relative = [f.relative_to(folder).with_suffix("").as_posix() for f in files]
    texts = pl.DataFrame(
        {"label_file": [str(f) for f in files], "key": relative, "text": [read_text(f) for f in files]}
    )
    images = _matched_images(texts.select("label_file", "key"), image_names)
    lines = (
        texts.lazy()
        .join(images.lazy().select("label_file", "file_name"), on="label_file", maintain_order="left")
        .with_columns(pl.col("text").str.split("\n"))
        .explode("text")
        .with_columns(
            (pl.int_range(pl.len()).over("label_file") + 1).alias("line"),
            pl.col("text").str.extract_all(r"\S+").alias("values"),
        )
        .filter(pl.col("values").list.len() > 0)
        .with_columns(
            pl.col("values").list.len().alias("n"), pl.format("{}: line {}", "label_file", "line").alias("where")
        )
        .collect()
    )
    box_lines = lines.filter(pl.col("n").is_between(5, 6) | ((pl.col("n") >= 5) & (keypoints > 0)))
    short = lines.filter(pl.col("n") < 5)
    problems = [
        f"{w}: expected 'class cx cy w h [confidence]', got {n} value(s)"
        for w, n in short.select("where", "n").head(BadInput.MAX_SHOWN * 5).iter_rows()
    ]
    values = box_lines.select(
        "where",
        "file_name",
        pl.col("values").list.get(0).alias("class_text"),
        *[
            pl.col("values").list.get(i).cast(pl.Float64, strict=False).alias(c)
            for i, c in enumerate(("class", "cx", "cy", "w", "h"))
        ],
        pl.when(pl.col("n") == 6)
        .then(pl.col("values").list.get(5, null_on_oob=True))
        .cast(pl.Float64, strict=False)
        .alias("score"),
        pl.when(pl.col("n") == 6).then(pl.col("values").list.get(5, null_on_oob=True)).alias("score_text"),
    )
    numbers = ("class", "cx", "cy", "w", "h")
    not_numbers = values.filter(pl.any_horizontal(pl.col(c).is_null() | ~pl.col(c).is_finite() for c in numbers))
    problems += [
        f"{w}: expected numbers 'class cx cy w h', got {' '.join(v)!r}"
        for w, v in box_lines.filter(pl.col("where").is_in(not_numbers["where"].implode()))
        .select("where", "values")
        .head(BadInput.MAX_SHOWN * 5)
        .iter_rows()
    ]
    values = values.filter(~pl.col("where").is_in(not_numbers["where"].implode()))
    bad_class = values.filter(
        (pl.col("class") != pl.col("class").floor()) | (pl.col("class") < 0) | (pl.col("class") >= len(classes))
    )
    problems += [
        f"{w}: unknown class index {t!r} ({classes_at.name} names {plural(len(classes), 'class')}, 0-{len(classes) - 1})"
        for w, t in bad_class.select("where", "class_text").head(BadInput.MAX_SHOWN * 5).iter_rows()
    ]
    bad_score = values.filter(pl.col("score_text").is_not_null() & pl.col("score").is_null())
    problems += [
        f"{w}: confidence {t!r} is not a number between 0 and 1"
        for w, t in bad_score.select("where", "score_text").iter_rows()
    ]
    if problems:
        raise BadInput(problems)
    boxes = values.select(
        "where",
        "file_name",
        pl.col("class").cast(pl.Int64).replace_strict(dict(enumerate(classes)), return_dtype=pl.String).alias("label"),
        (pl.col("cx") - pl.col("w") / 2).alias("x"),
        (pl.col("cy") - pl.col("h") / 2).alias("y"),
        "w",
        "h",
        "score",
    )
    return Parsed(
        images=images.drop("label_file"),
        boxes=boxes,
        tags=pl.DataFrame(schema=TAG_SCHEMA),
        classes=classes,
        class_source=str(classes_at),
        normalized=True,
    )


def _matched_images(files: pl.DataFrame, image_names: ImageNames) -> pl.DataFrame:
    """Each label file's image: the one at the same relative path but for the suffix, else the only image of that
    stem anywhere. A label file without one is an error naming it."""
    names = pl.DataFrame({"file_name": image_names.all}, schema={"file_name": pl.String}).with_columns(
        pl.col("file_name").str.replace(r"\.[^./]*$", "").alias("key")
    )
    names = names.filter(pl.col("key").is_first_distinct())
    by_stem = (
        names.with_columns(pl.col("key").str.replace(r"^.*/", "").alias("stem"))
        .filter(~pl.col("stem").is_duplicated())
        .select("stem", pl.col("file_name").alias("by_stem"))
    )
    matched = (
        files.join(names, on="key", how="left", maintain_order="left")
        .with_columns(pl.col("key").str.replace(r"^.*/", "").alias("stem"))
        .join(by_stem, on="stem", how="left", maintain_order="left")
        .with_columns(pl.coalesce("file_name", "by_stem").alias("file_name"))
    )
    missing = matched.filter(pl.col("file_name").is_null())
    if missing.height:
        raise BadInput(
            [
                f"{f}: no image {k}.* for this label file among the images"
                for f, k in missing.select("label_file", "key").iter_rows()
            ]
        )
    return images_frame(
        [(f, n, None, None) for f, n in matched.select("label_file", "file_name").iter_rows()]
    ).with_columns(pl.Series("label_file", matched["label_file"]))
