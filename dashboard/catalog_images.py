"""The Catalog's Images view: one tile per image of the job, a page at a time, searched like the Table view.

A READY manual job's tiles draw every result of the image with the Visualize grid's building blocks and open the
image on Visualize; an auto label job's tiles draw its predictions, an IN_PROGRESS manual job's its pre-labels. A
job with no labels to draw yet (PROCESSING, FAILED) gets a note instead: its Table still lists the images."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core import storage
from core.analysis import catalog, queries
from core.domain.plural import plural
from core.domain.vocabulary import JobStatus, ReviewState, Task
from core.images.thumbnails import ImageUnavailable, Overlay, fetch_originals, render_tile, tile_path
from core.jobs.summaries import image_root, spec_classes
from core.labels.label_boxes import label_summary, pre_label_boxes, prediction_boxes, tile_boxes
from core.store.models import LabelJob
from dashboard.image_grid import TILE_SIZES, boxes_by_sample, caption_line_ui, tile_image_ui
from dashboard.job_data import JobData, job_data
from dashboard.navigation import VISUALIZE_PAGE
from dashboard.store import engine
from dashboard.text import md

PAGE_SIZE = 24
PAGE_KEY = "catalog_image_page"
# On Visualize a tile size shares its row with the Class Changed table; here the grid has the page's whole width:
# more columns keep a tile about as wide as its thumbnail is drawn (medium: 4 columns of 256 px thumbnails).
COLUMN_FACTOR = 1.4
# The decisions a tile names, with their counts.
DECIDED_STATES = (ReviewState.ACCEPTED.value, ReviewState.REJECTED.value)


def shows_images(job: LabelJob) -> bool:
    """Whether the job has labels to draw: results (READY manual), predictions (READY auto), pre-labels
    (IN_PROGRESS manual)."""
    return job.has_labels_to_draw


@st.cache_data(max_entries=64, show_spinner=False)
def _catalog_page(
    store: str, job_id: int, data_revision: int, review_revision: int, search: str, limit: int, offset: int
) -> tuple[pl.DataFrame, int]:
    return catalog.catalog_samples(engine=engine(), job_id=job_id, search=search, limit=limit, offset=offset)


def catalog_page(job: LabelJob, *, search: str, limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    """core.analysis.catalog.catalog_samples, kept per job revision and review revision: a page turn or a tile size does
    not read the job's results again, a label change or a review action does."""
    store = engine().url.render_as_string(hide_password=True)
    return _catalog_page(store, job.id, job.data_revision, job.review_revision, search.strip(), limit, offset)


@st.fragment
def catalog_images_ui(job: LabelJob, *, search: str) -> None:
    """A fragment: a page turn or another tile size redraws the tiles only, not the tables below them."""
    if not shows_images(job):
        _no_labels_note(job)
        return
    page = st.session_state.get(PAGE_KEY, 1)  # the pager is drawn after the query that counts its pages
    samples, total = catalog_page(job, search=search, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = queries.page_count(total, PAGE_SIZE)
    if page > pages:  # a page the images no longer reach (another search): its first page instead
        st.session_state[PAGE_KEY] = page = 1
        samples, total = catalog_page(job, search=search, limit=PAGE_SIZE, offset=0)
    with st.container(horizontal=True, vertical_alignment="center", key="catalog_images_toolbar", gap="small"):
        size = (
            st.segmented_control(
                "Tile size",
                list(TILE_SIZES),
                default="medium",
                key="catalog_tile_size",
                required=True,
                format_func=str.capitalize,
                persist_state="session",
                label_visibility="collapsed",
            )
            or "medium"
        )
        st.pagination(pages, key=PAGE_KEY)
        if total:
            st.caption(f"{(page - 1) * PAGE_SIZE + 1:,}–{min(page * PAGE_SIZE, total):,} of {plural(total, 'image')}")
    if samples.is_empty():
        st.info(
            "No image matches this search." if search.strip() else "This job has no images.",
            icon=":material/search_off:",
        )
        return
    tile_size = TILE_SIZES[size]
    grid = st.columns(round(tile_size.columns * COLUMN_FACTOR), gap="small")
    if job.is_reviewable:
        _result_tiles(job_data(job), samples, grid=grid, pixels=tile_size.pixels)
    elif job.is_auto:
        boxes = prediction_boxes(engine=engine(), job_id=job.id, sample_ids=samples["sample_id"].to_list())
        _label_tiles(job, samples, boxes, noun="box", grid=grid, pixels=tile_size.pixels)
    else:
        boxes = pre_label_boxes(engine=engine(), job_id=job.id, sample_ids=samples["sample_id"].to_list())
        _label_tiles(job, samples, boxes, noun="pre-label", grid=grid, pixels=tile_size.pixels)


def _no_labels_note(job: LabelJob) -> None:
    if job.status == JobStatus.FAILED:
        st.error(
            f"This job FAILED: {md(job.failure_reason or 'no reason given')}. It has no labels to draw; the "
            "Table lists its images.",
            icon=":material/error:",
        )
    else:
        st.info(
            f"This job is {job.status.replace('_', ' ')}: its labels are drawn here once it is READY. The Table "
            "lists its images.",
            icon=":material/hourglass_top:",
        )


# ---- a READY manual job: its results ----------------------------------------------------------------------------


def _result_tiles(data: JobData, samples: pl.DataFrame, *, grid: list, pixels: int) -> None:
    boxes = boxes_by_sample(data, samples)
    no_boxes = data.results.clear()
    _fetch_originals(data.job, samples, pixels)
    for i, tile in enumerate(image_summary(data, samples).iter_rows(named=True)):
        with grid[i % len(grid)], st.container(border=True, key=f"catalog_tile_{tile['sample_id']}", gap="xxsmall"):
            tile_image_ui(data, tile, boxes.get(tile["sample_id"], no_boxes), per_image=True, pixels=pixels)
            # wrap=False: the caption is one unbroken line, which would push a wrapping row's button below it;
            # distribute: the button at the tile's right edge under a short caption too.
            with st.container(
                horizontal=True, vertical_alignment="center", horizontal_alignment="distribute", gap="small", wrap=False
            ):
                caption_line_ui(result_caption(data, tile), changed=not data.is_detection and bool(tile["changed"]))
                if st.button(
                    "",
                    key=f"catalog_open_{tile['sample_id']}",
                    icon=":material/open_in_full:",
                    type="tertiary",
                    disabled=tile["first_result"] is None,
                    help="Open on Visualize" if tile["first_result"] is not None else "No results to review",
                ):
                    st.switch_page(
                        VISUALIZE_PAGE,
                        query_params={
                            "job": str(data.job.id),
                            "group_by": "image",
                            "result": str(tile["first_result"]),
                        },
                    )


def image_summary(data: JobData, samples: pl.DataFrame) -> pl.DataFrame:
    """The page's samples (catalog rows) with, per image: its smallest result id (what Visualize opens on), how
    many results are Class Changed, and, for classification, the pre and expert class of its one result."""
    per_image = (
        data.results.filter(pl.col("sample_id").is_in(samples["sample_id"].implode()))
        .group_by("sample_id")
        .agg(
            pl.col("result_id").min().alias("first_result"),
            pl.col("class_changed").sum().cast(pl.Int64).alias("changed"),
            pl.col("pre_class_row").sort_by("result_id").first(),
            pl.col("class_row").sort_by("result_id").first(),
        )
    )
    return samples.join(per_image, on="sample_id", how="left", maintain_order="left").with_columns(
        pl.col("changed").fill_null(0)
    )


def result_caption(data: JobData, tile: dict) -> str:
    """detection: "file · 9 results · 2 changed · 3 accepted"; classification: "file · pre → expert · accepted"."""
    if not tile["results"]:
        return f"{tile['file_path']} · no results"
    states = [f"{tile[state]:,} {state}" for state in DECIDED_STATES if tile[state]]
    if data.is_detection:
        return " · ".join(
            [tile["file_path"], _count(tile["results"], "result"), f"{tile['changed']:,} changed", *states]
        )
    expert = data.display(tile["class_row"])
    label = f"{data.display(tile['pre_class_row'])} → {expert}" if tile["changed"] else expert
    return " · ".join([tile["file_path"], label, *(state for state in DECIDED_STATES if tile[state])])


# ---- an auto label job's predictions, an IN_PROGRESS manual job's pre-labels ------------------------------------


def _label_tiles(
    job: LabelJob, samples: pl.DataFrame, boxes: pl.DataFrame, *, noun: str, grid: list, pixels: int
) -> None:
    overlay = _overlay(job)
    drawn = tile_boxes(boxes)
    by_sample = {key[0]: frame for key, frame in drawn.partition_by("sample_id", as_dict=True).items()}
    tiles = samples.join(label_summary(boxes), on="sample_id", how="left", maintain_order="left")
    _fetch_originals(job, samples, pixels)
    for i, tile in enumerate(tiles.iter_rows(named=True)):
        with grid[i % len(grid)], st.container(border=True, key=f"catalog_tile_{tile['sample_id']}", gap="xxsmall"):
            _label_tile_image(job, tile, by_sample.get(tile["sample_id"], drawn.clear()), overlay, pixels)
            caption_line_ui(
                label_caption(tile, noun=noun, is_detection=job.task == Task.DETECTION, display=overlay.label)
            )


def _label_tile_image(job: LabelJob, tile: dict, boxes: pl.DataFrame, overlay: Overlay, pixels: int) -> None:
    # tile_image_ui draws a JobData's results; these labels are not results, so render_tile is called as it does.
    # Its cache key is job, data revision, sample, focus, size: an auto label job never has results, and an
    # IN_PROGRESS job's pre-labels do not change while it is labelled; submitting it bumps the data revision
    # before any result tile is drawn, so a pre-label tile and a result tile never share a cached file.
    try:
        path = render_tile(
            job_id=job.id,
            revision=job.data_revision,
            root=image_root(job),
            sample=tile,
            boxes=boxes,
            overlay=overlay,
            focus=None,
            size=pixels,
            square=True,
        )
        st.image(str(path), width="stretch")
    except ImageUnavailable as exc:
        st.warning(f"Image unavailable: {md(exc)}", icon=":material/broken_image:")


def _fetch_originals(job: LabelJob, samples: pl.DataFrame, pixels: int) -> None:
    """A bucket-backed job's originals of the page's tiles not drawn yet, fetched at once (core/storage)."""
    root = image_root(job)
    if storage.is_remote(root):
        fetch_originals(
            root,
            [
                s["file_path"]
                for s in samples.select("sample_id", "file_path").iter_rows(named=True)
                if not tile_path(
                    job_id=job.id,
                    revision=job.data_revision,
                    sample_id=s["sample_id"],
                    focus=None,
                    size=pixels,
                    crop=True,
                    square=True,
                ).exists()
            ],
        )


def label_caption(tile: dict, *, noun: str, is_detection: bool, display) -> str:
    """detection: "file · 7 boxes · top score 0.93"; classification: "file · Apple 0.93" (the top label)."""
    count = tile["boxes"] or 0
    score = f"{tile['top_score']:.2f}" if tile["top_score"] is not None else None
    if is_detection:
        return " · ".join([tile["file_path"], _count(count, noun), *([f"top score {score}"] if score else [])])
    if not count:
        return f"{tile['file_path']} · no {noun}"
    return f"{tile['file_path']} · {display(tile['top_class'])}" + (f" {score}" if score else "")


def _overlay(job: LabelJob) -> Overlay:
    classes = spec_classes(engine=engine(), spec_id=job.spec_id)
    return Overlay(colors={c.name: c.color for c in classes}, display_names={c.name: c.display_name for c in classes})


def _count(n: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("x") else "s")
    return f"{n:,} {noun if n == 1 else plural}"
