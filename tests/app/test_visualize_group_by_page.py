"""Group by on the Visualize page through Streamlit's AppTest: grouped by image, the Class Changed table's rows
are file names and the tiles images; grouped by pre-label class, the table has an (added) row; an image slice
under Group by image. The rows are checked against the job's results frame."""

from __future__ import annotations

import polars as pl

from tests.app.conftest import tile_captions
from tests.app.visualize_helpers import (
    apply,
    display_names,
    expected_table,
    frame_of,
    job_id,
    open_visualize,
    showing,
    table,
    tile_ids,
)

# ---- group by --------------------------------------------------------------------------------------------------


def test_group_by_image_makes_the_table_rows_file_names_and_the_tiles_images(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = apply(open_visualize(street), f_group_by="image")
    assert at.query_params == {"job": str(street), "group_by": "image"}
    rows = table(at)
    assert rows == expected_table(frame, "file_path")
    assert rows[0] == ("scene_0011.jpg", 4, 6, 10)
    assert {r[0] for r in rows} == set(frame["file_path"]) and len(rows) == 16
    # One tile per image, in image order, each captioned with its counts.
    firsts = frame.group_by("file_path", maintain_order=True).agg(pl.col("result_id").min())
    assert tile_ids(at) == firsts["result_id"].to_list()
    captions = [c for c in tile_captions(at) if c.startswith("scene_")]
    assert captions[0] == "scene_0001.jpg · 9 results · 1 changed"
    assert len(captions) == 16
    assert showing(at) == "all results · 90 results"


def test_group_by_pre_label_class_has_an_added_row(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    names = display_names(street)
    at = open_visualize(street, group_by="pre-label class", class_changed="true")
    rows = table(at)
    assert rows == expected_table(frame.filter(pl.col("class_changed")), "pre_class_row", lambda c: names.get(c, c))
    assert ("(added)", 3, 0, 3) in rows
    assert sum(r[3] for r in rows) == 17


def test_group_by_image_with_an_image_slice(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, group_by="image", slice="file_path:scene_0011.jpg")
    assert showing(at) == "scene_0011.jpg · 10 results"
    assert tile_ids(at) == [69]
    assert "scene_0011.jpg · 10 results · 4 changed" in tile_captions(at)
