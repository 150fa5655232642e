"""The image grid: one tile per result (or per image when grouped by image), paginated, thumbnails with overlays
drawn by Pillow and cached on disk. A tile's button opens the detail panel."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core import queries
from core.jobs import image_root
from core.queries import View
from core.thumbnails import ImageUnavailable, render_tile
from dashboard.job_data import JobData
from dashboard.review_bar import PICK_PREFIX
from dashboard.url_state import PAGE_SIZES, open_result

TILE_SIZE = 256
COLUMNS = 6


def image_grid_ui(data: JobData, shown: pl.DataFrame, view: View, *, columns: int = COLUMNS,
                  pickable: bool = True) -> None:
    """shown: the results of the selected tab, filters and slice; fewer columns when the detail panel is open.
    pickable: tiles offer Pick (for the review bar); not to a user who cannot review."""
    if shown.is_empty():
        st.info("No results match this tab, these filters and this slice.", icon=":material/search_off:")
        return
    pager, size_column = st.columns([5, 1], vertical_alignment="bottom")
    page_size = size_column.selectbox("Page size", PAGE_SIZES, index=PAGE_SIZES.index(24), key="page_size",
                                      bind="query-params")
    tile_count = shown["sample_id"].n_unique() if view.group_by == "image" else shown.height
    with pager:
        page = st.pagination(queries.page_count(tile_count, page_size), key="page", bind="query-params")
    tiles, _ = queries.grid_page(shown, view, page=page, page_size=page_size)
    boxes = boxes_by_sample(data, tiles)
    grid = st.columns(columns)
    for i, tile in enumerate(tiles.iter_rows(named=True)):
        with grid[i % columns]:
            _tile(data, tile, boxes[tile["sample_id"]], per_image=view.group_by == "image", pickable=pickable)


def boxes_by_sample(data: JobData, tiles: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """Every result of the tiles' images (a tile draws its neighbours too), in one filter over the job."""
    boxes = data.results.filter(pl.col("sample_id").is_in(tiles["sample_id"].implode()))
    return {key[0]: frame for key, frame in boxes.partition_by("sample_id", as_dict=True).items()}


def tile_image_ui(data: JobData, tile: dict, boxes: pl.DataFrame, *, per_image: bool = False) -> None:
    """The tile's thumbnail with overlays, or a placeholder that names the file it could not read."""
    focus = None if per_image or not data.is_detection else tile["result_id"]
    try:
        path = render_tile(job_id=data.job.id, revision=data.job.data_revision, root=image_root(data.job),
                           sample=tile, boxes=boxes, overlay=data.overlay, focus=focus, size=TILE_SIZE)
        st.image(str(path), width="stretch")
    except ImageUnavailable as exc:
        st.warning(f"Image unavailable: {exc}", icon=":material/broken_image:")


def _tile(data: JobData, tile: dict, boxes: pl.DataFrame, *, per_image: bool, pickable: bool) -> None:
    with st.container(border=True, key=f"tile_{tile['result_id']}"):
        tile_image_ui(data, tile, boxes, per_image=per_image)
        st.caption(tile_caption(data, tile, per_image))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            if pickable:
                st.checkbox("Pick", key=f"{PICK_PREFIX}{tile['result_id']}")
            opened = st.button("Details", key=f"open_{tile['result_id']}", icon=":material/open_in_full:",
                               type="tertiary")
        if opened:
            open_result(tile["result_id"])
            st.rerun()


def tile_caption(data: JobData, tile: dict, per_image: bool = False) -> str:
    if per_image:
        return f"{tile['file_path']} · {tile['results']} results · {tile['changed']} changed"
    pre = data.display(tile["pre_class_row"])
    expert = data.display(tile["class_row"])
    text = f"{pre} → {expert}" if tile["class_changed"] else expert
    kind = tile["change_kind"]
    return (f":orange[**{text}**]" if tile["class_changed"] else text) + (f" · {kind}" if data.is_detection else "")
