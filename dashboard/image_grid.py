"""The image grid: one tile per result (or per image when grouped by image), sorted and paginated, thumbnails with
overlays drawn by Pillow and cached on disk. Tiles are squares of one size with a one-line caption, so rows line
up; a tile's button opens the viewer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

from core import storage
from core.analysis import queries
from core.analysis.queries import SORTS, View
from core.domain.plural import plural
from core.images.thumbnails import ImageUnavailable, fetch_originals, render_tile, tile_path
from core.images.tiles_ahead import render_tiles_ahead
from core.jobs.summaries import image_root
from dashboard.job_data import JobData
from dashboard.media import file_url
from dashboard.review_bar import picked_ids, toggle_pick
from dashboard.text import html_text, md
from dashboard.tile_grid import tile_grid
from dashboard.url_state import PAGE_SIZES, set_sort

CHANGED_COLOR = "#F58518"  # the charts' Class Changed: True


@dataclass(frozen=True)
class TileSize:
    columns: int
    pixels: int  # the thumbnail's side, about the size it is shown at: labels on the boxes stay readable


TILE_SIZES = {"small": TileSize(5, 176), "medium": TileSize(3, 256), "large": TileSize(2, 384)}


def image_grid_ui(
    data: JobData,
    shown: pl.DataFrame,
    view: View,
    *,
    pickable: bool = True,
    on_open: Callable[[int | None], None],
    key: str = "",
    size: str | None = None,
) -> int | None:
    """shown: the results of the selected tab, filters and slice, drawn under a toolbar: sort (kept in the URL,
    like the filters), tile size (the reviewer's own; `size` fixes it), the pager. pickable: tiles offer Pick (for
    the review bar); not to a user who cannot review. Returns the result whose viewer button was clicked, after
    on_open(it). key: prefixes the widgets' keys when a second grid is on the page (the side panel); only the main
    grid keeps its sort and page in the URL."""
    if shown.is_empty():
        st.info("No results match this tab, these filters and this slice.", icon=":material/search_off:")
        return None
    tile_count = shown["sample_id"].n_unique() if view.group_by == "image" else shown.height
    page_size = _page_size(key)
    pages = queries.page_count(tile_count, page_size)
    with st.container(horizontal=True, vertical_alignment="center", key=f"{key}grid_toolbar", gap="small"):
        if not key:
            st.session_state["grid_sort"] = view.sort  # the URL is the source of truth; on_change writes it
            st.selectbox(
                "Sort",
                list(SORTS),
                key="grid_sort",
                format_func=lambda s: f"Sort: {SORTS[s][0]}",
                on_change=lambda: set_sort(st.session_state["grid_sort"]),
                width=250,
                label_visibility="collapsed",
            )
        if size is None:
            size = (
                st.segmented_control(
                    "Tile size",
                    list(TILE_SIZES),
                    default="medium",
                    key="grid_tile_size",
                    required=True,
                    format_func=str.capitalize,
                    persist_state="session",
                    label_visibility="collapsed",
                )
                or "medium"
            )
        page = min(st.pagination(pages, key=f"{key}page", bind=None if key else "query-params"), pages)
        what = "images" if view.group_by == "image" else "results"
        st.caption(f"{(page - 1) * page_size + 1:,}–{min(page * page_size, tile_count):,} of {tile_count:,} {what}")
    tile_size = TILE_SIZES[size]
    tiles, _ = queries.grid_page(shown, view, page=page, page_size=page_size)
    boxes = boxes_by_sample(data, tiles)
    per_image = view.group_by == "image"
    picks = picked_ids(key)
    following = queries.grid_page(shown, view, page=page + 1, page_size=page_size)[0] if page < pages else None
    _fetch_originals(data, tiles, per_image=per_image, pixels=tile_size.pixels)
    events = tile_grid(
        tiles=[
            {
                **tile_thumbnail(data, tile, boxes[tile["sample_id"]], per_image=per_image, pixels=tile_size.pixels),
                "id": tile["result_id"],
                "caption": tile_caption(data, tile, per_image),
                "changed": bool(tile.get("class_changed")) and not per_image,
                "picked": tile["result_id"] in picks,
            }
            for tile in tiles.iter_rows(named=True)
        ],
        columns=tile_size.columns,
        pickable=pickable,
        key=f"{key}tile_grid",
        prefetch=_drawn_urls(data, following, per_image=per_image, pixels=tile_size.pixels),
        on_toggle=lambda: toggle_pick(key, st.session_state[f"{key}tile_grid"]["toggle"]),
    )
    opened = events.opened
    if following is not None:
        _draw_pages_ahead(
            data,
            shown,
            view,
            following,
            page=page + 2 if page + 1 < pages else None,
            page_size=page_size,
            pixels=tile_size.pixels,
        )
    if not key:
        with st.container(horizontal=True, vertical_alignment="center", key="grid_page_size", gap="small"):
            st.caption("Tiles per page")
            # No format_func: the URL holds the option as it is (?page_size=48), which a formatted label would not.
            st.selectbox(
                "Tiles per page",
                PAGE_SIZES,
                index=PAGE_SIZES.index(24),
                key="page_size",
                bind="query-params",
                width=90,
                label_visibility="collapsed",
            )
    if opened is not None:
        on_open(opened)
    return opened


def _fetch_originals(data: JobData, tiles: pl.DataFrame, *, per_image: bool, pixels: int) -> None:
    """A bucket-backed job's originals of the page's tiles not drawn yet, fetched at once (core/storage): the tiles
    are then drawn from the disk cache instead of waiting for each image in turn."""
    root = image_root(data.job)
    if not storage.is_remote(root):
        return
    fetch_originals(
        root,
        [
            tile["file_path"]
            for tile in tiles.select("sample_id", "result_id", "file_path").iter_rows(named=True)
            if not tile_path(
                job_id=data.job.id,
                revision=data.job.data_revision,
                sample_id=tile["sample_id"],
                focus=_focus(data, tile, per_image),
                size=pixels,
                crop=True,
                square=True,
            ).exists()
        ],
    )


def _focus(data: JobData, tile: dict, per_image: bool) -> int | None:
    return None if per_image or not data.is_detection else tile["result_id"]


def _page_size(key: str) -> int:
    # The per-page choice sits under the tiles it sizes: its value is read (state, else the URL) before.
    raw = str(st.session_state.get("page_size") or st.query_params.get("page_size", "24")) if not key else "24"
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else 24


def _drawn_urls(data: JobData, tiles: pl.DataFrame | None, *, per_image: bool, pixels: int) -> list[str]:
    """URLs of the next page's thumbnails that are on disk (drawn ahead while the reviewer looked at the page
    before): the browser loads them now, so turning the page shows them at once, under the same URLs."""
    if tiles is None:
        return []
    urls = []
    for tile in tiles.select("sample_id", "result_id").iter_rows(named=True):
        focus = None if per_image or not data.is_detection else tile["result_id"]
        path = tile_path(
            job_id=data.job.id,
            revision=data.job.data_revision,
            sample_id=tile["sample_id"],
            focus=focus,
            size=pixels,
            crop=True,
            square=True,
        )
        try:
            urls.append(file_url(path))
        except FileNotFoundError:  # not drawn yet: the page turn draws it
            continue
    return urls


def _draw_pages_ahead(
    data: JobData,
    shown: pl.DataFrame,
    view: View,
    following: pl.DataFrame,
    *,
    page: int | None,
    page_size: int,
    pixels: int,
) -> None:
    """The next page's thumbnails (`following`) and those of the page after it (`page`), chosen and drawn in the
    background while the reviewer looks at this one: when the page is turned, the page after is on disk for the
    browser to load ahead (_drawn_urls)."""
    per_image = view.group_by == "image" or not data.is_detection
    root = image_root(data.job)

    def tiles_ahead() -> list[dict]:
        pages = [following] + ([queries.grid_page(shown, view, page=page, page_size=page_size)[0]] if page else [])
        tiles = pl.concat(pages)
        boxes = boxes_by_sample(data, tiles)
        return [
            dict(
                job_id=data.job.id,
                revision=data.job.data_revision,
                root=root,
                sample=tile,
                boxes=boxes[tile["sample_id"]],
                overlay=data.overlay,
                focus=None if per_image else tile["result_id"],
                size=pixels,
                square=True,
            )
            for tile in tiles.select("sample_id", "file_path", "result_id").iter_rows(named=True)
        ]

    render_tiles_ahead(tiles_ahead)


def boxes_by_sample(data: JobData, tiles: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """Every result of the tiles' images (a tile draws its neighbours too), in one filter over the job."""
    boxes = queries.few_rows(data.results, data.results["sample_id"].is_in(tiles["sample_id"].implode()))
    return {key[0]: frame for key, frame in boxes.partition_by("sample_id", as_dict=True).items()}


def tile_file(data: JobData, tile: dict, boxes: pl.DataFrame, *, per_image: bool, pixels: int) -> Path:
    """The tile's thumbnail on disk: cropped around its result (detection), else the whole image; ImageUnavailable
    naming the file when it cannot be read."""
    focus = None if per_image or not data.is_detection else tile["result_id"]
    return render_tile(
        job_id=data.job.id,
        revision=data.job.data_revision,
        root=image_root(data.job),
        sample=tile,
        boxes=boxes,
        overlay=data.overlay,
        focus=focus,
        size=pixels,
        square=True,
    )


def tile_image_ui(
    data: JobData,
    tile: dict,
    boxes: pl.DataFrame,
    *,
    per_image: bool = False,
    pixels: int = TILE_SIZES["medium"].pixels,
) -> None:
    """The tile's thumbnail with overlays, or a placeholder that names the file it could not read."""
    try:
        st.image(str(tile_file(data, tile, boxes, per_image=per_image, pixels=pixels)), width="stretch")
    except ImageUnavailable as exc:
        st.warning(f"Image unavailable: {md(exc)}", icon=":material/broken_image:")


def tile_thumbnail(data: JobData, tile: dict, boxes: pl.DataFrame, *, per_image: bool, pixels: int) -> dict:
    """{"src": the thumbnail's URL (dashboard/media.py)} or {"warning": why there is none}, for the tile grid
    component."""
    try:
        path = tile_file(data, tile, boxes, per_image=per_image, pixels=pixels)
    except ImageUnavailable as exc:
        return {"warning": f"Image unavailable: {exc}"}
    return {"src": file_url(path)}


def caption_line_ui(text: str, *, changed: bool = False) -> None:
    """One line, cut with an ellipsis (the whole text on hover), so every tile has the same height."""
    color = f"color:{CHANGED_COLOR};font-weight:600;" if changed else ""
    st.markdown(
        f'<div title="{html_text(text)}" style="white-space:nowrap;overflow:hidden;'
        f'text-overflow:ellipsis;font-size:0.85rem;{color}">{html_text(text)}</div>',
        unsafe_allow_html=True,
    )


def tile_caption(data: JobData, tile: dict, per_image: bool = False) -> str:
    if per_image:
        return f"{tile['file_path']} · {plural(tile['results'], 'result')} · {tile['changed']} changed"
    pre = data.display(tile["pre_class_row"])
    expert = data.display(tile["class_row"])
    text = f"{pre} → {expert}" if tile["class_changed"] else expert
    return text + (f" · {tile['change_kind']}" if data.is_detection else "")
