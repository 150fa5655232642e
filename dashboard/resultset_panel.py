"""One ResultSet: its numbers, rename and delete, downloads in every format, export to a datalog table, and a
grid of its results. Exports hold complete images unless the reviewer asks for partial ones too
(core/exports/completeness.py); downloads may be split into train/val/test by image (core/exports/split.py)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core import exports
from core.analysis import queries
from core.auth import users
from core.auth.access import Actor, Permission
from core.domain.errors import BadInput, Forbidden
from core.domain.plural import plural
from core.domain.vocabulary import Task
from core.review import resultsets
from core.settings import get_settings
from core.store.models import LabelJob, ResultSet
from dashboard.image_grid import boxes_by_sample, tile_caption, tile_image_ui
from dashboard.job_data import job_data
from dashboard.signed_in import read_only_note, still_signed_in
from dashboard.store import engine
from dashboard.text import md

FORMAT_LABELS = {"coco": "COCO JSON", "yolo": "YOLO (zip)", "voc": "Pascal VOC (zip)", "csv": "CSV"}
GRID_PAGE = 24
SPLIT_DEFAULTS = {"train": 80, "val": 20, "test": 0}
# Streamlit serves a download from memory, so a zip with images is read whole into the server's memory when
# downloaded: up to this much image data the page offers it; beyond, the CLI streams it to a file.
MAX_PAGE_IMAGE_BYTES = 512 * 1024 * 1024
PARTIAL_WARNING = (
    "Partially reviewed images have boxes missing: a model trained on them learns that the objects "
    "without a box are background."
)


def resultset_panel_ui(*, job: LabelJob, resultset: ResultSet, user: Actor) -> None:
    st.subheader(md(resultset.name))
    st.caption(
        f"{resultset.item_count:,} accepted results · {saved_images(resultset)} · saved by "
        f"{md(resultset.created_by)} on {resultset.created_at:%d %b %Y %H:%M}"
        + (f" · {md(resultset.note)}" if resultset.note else "")
    )
    if user.can(Permission.EXPORT):
        _manage(resultset, user=user)
        st.markdown("**Download**")
        include_partial = _completeness_ui(job, resultset)
        usable, split = _split_ui(resultset)
        include_images = _images_ui(job, resultset, include_partial=include_partial)
        if usable:
            with st.container(horizontal=True):
                for name, label in FORMAT_LABELS.items():
                    if include_images and name in exports.IMAGE_FORMATS:
                        _prepared_download(
                            job, resultset, name, label, user=user, include_partial=include_partial, split=split
                        )
                    else:
                        _download(job, resultset, name, label, user=user, include_partial=include_partial, split=split)
            _prepare_pending(user=user)
        _to_datalog_table(resultset, user=user, include_partial=include_partial)
    else:
        read_only_note(user, Permission.EXPORT, what="downloading, renaming or exporting a ResultSet")
    _grid(job, resultset)


def saved_images(resultset: ResultSet) -> str:
    """'1 complete image, 3 partial when saved'; its images are those it holds an item of."""
    if resultset.complete_images is None:  # nullable columns: a row without counts must not break the page
        return "images —"
    return (
        f"{exports.image_count(resultset.complete_images, 'complete')}, {resultset.partial_images:,} partial when saved"
    )


def _manage(resultset: ResultSet, *, user: Actor) -> None:
    with st.container(horizontal=True):
        with st.popover("Rename", icon=":material/edit:"):
            new_name = st.text_input("New name", value=resultset.name, key=f"rename_{resultset.id}")
            if st.button("Save name", key=f"rename_save_{resultset.id}", type="primary"):
                try:
                    resultsets.rename_resultset(engine=engine(), resultset_id=resultset.id, name=new_name, actor=user)
                except BadInput as problem:
                    st.error(md(problem))
                else:
                    st.rerun()
        if st.button("Delete", icon=":material/delete:", key=f"delete_{resultset.id}"):
            _confirm_delete(resultset, user)


@st.dialog("Delete ResultSet")
def _confirm_delete(resultset: ResultSet, user: Actor) -> None:
    user = still_signed_in(user)
    st.write(
        f"Delete **{md(resultset.name)}** ({plural(resultset.item_count, 'result')})? The review decisions stay; only "
        "this snapshot goes. Datalog tables exported from it are kept."
    )
    if st.button("Delete", type="primary", key="confirm_delete"):
        resultsets.delete_resultset(engine=engine(), resultset_id=resultset.id, actor=user)
        st.query_params.pop("resultset", None)
        st.rerun()


def _cache_key(job: LabelJob, resultset: ResultSet) -> tuple[str, int, int, int]:
    """(store, ResultSet, the job's revisions): what the counts and sizes below depend on. Every widget on this
    page reruns it, and at 100k images the image sizes take seconds (a stat per file): computed once per review
    state, not per click."""
    return engine().url.render_as_string(hide_password=True), resultset.id, job.data_revision, job.review_revision


@st.cache_data(max_entries=32, show_spinner=False)
def _export_summary(store: str, resultset_id: int, data_revision: int, review_revision: int) -> exports.ExportSummary:
    return exports.export_summary(engine=engine(), resultset_id=resultset_id)


# A minute at most: image files can go missing without any revision changing, and the page names a missing one.
@st.cache_data(max_entries=32, ttl=60, show_spinner=False)
def _images_size(
    store: str, resultset_id: int, data_revision: int, review_revision: int, *, include_partial: bool
) -> int:
    return exports.export_images_size(engine=engine(), resultset_id=resultset_id, include_partial=include_partial)


def _completeness_ui(job: LabelJob, resultset: ResultSet) -> bool:
    """What the exports hold and leave out, and the reviewer's choice to include partial images (off)."""
    summary = _export_summary(*_cache_key(job, resultset))
    partial = summary.partial_images
    held = f"Exports hold {exports.image_count(summary.complete_images, 'complete')}"
    if not partial.images:
        st.caption(f"{held}: every image of this ResultSet is complete.")
        return False
    st.caption(f"{held}; {partial.sentence()}.")
    with st.container(horizontal=True, vertical_alignment="center"):
        include = st.checkbox("Include partially reviewed images", value=False, key=f"include_partial_{resultset.id}")
        if include:
            st.warning(PARTIAL_WARNING, icon=":material/warning:")
        else:
            st.caption(PARTIAL_WARNING)
    return include


def _split_ui(resultset: ResultSet) -> tuple[bool, exports.SplitSpec | None]:
    """The reviewer's split of the downloads (off by default): (whether the downloads can be drawn, the split).
    Shares in whole percent, as people say them; datalog tables are not split."""
    key = f"split_{resultset.id}"
    if not st.toggle(
        "Split into train / val / test by image",
        key=key,
        help="Seeded: the same seed gives the same split. manifest.json in the zip records it.",
    ):
        return True, None
    with st.container(horizontal=True, vertical_alignment="bottom"):
        shares = {
            name: st.number_input(f"{name} %", min_value=0, max_value=100, value=default, step=5, key=f"{key}_{name}")
            for name, default in SPLIT_DEFAULTS.items()
        }
        seed = st.number_input("Seed", min_value=0, value=0, step=1, key=f"{key}_seed")
        stratify = st.checkbox(
            "Stratify by class",
            key=f"{key}_stratify",
            help="Share each image's rarest class by the same percentages, not only the whole",
        )
    if sum(shares.values()) != 100:
        st.error(f"The shares add up to {sum(shares.values())} %, not 100 %.")
        return False, None
    text = ",".join(f"{name}={share / 100}" for name, share in shares.items() if share)
    try:
        return True, exports.parse_split(text, seed=int(seed), stratify=stratify, option="Split")
    except BadInput as problem:
        st.error(md(problem))
        return False, None


def _images_ui(job: LabelJob, resultset: ResultSet, *, include_partial: bool) -> bool:
    """The reviewer's choice to put the image files in the zips (off): offered up to MAX_PAGE_IMAGE_BYTES, with the
    CLI named beyond it; an image that cannot be read is named before anyone clicks a download."""
    if not st.checkbox(
        "Include images",
        key=f"include_images_{resultset.id}",
        help="Copy the image files into the COCO, YOLO and Pascal VOC zips (COCO becomes a zip)",
    ):
        return False
    try:
        size = _images_size(*_cache_key(job, resultset), include_partial=include_partial)
    except BadInput as problem:
        st.error(md(problem))
        return False
    if size > MAX_PAGE_IMAGE_BYTES:
        st.warning(
            f"The images take {size / 2**20:,.0f} MB, more than the {MAX_PAGE_IMAGE_BYTES / 2**20:,.0f} MB a "
            "download from this page may hold; the downloads below are labels only. Export with the images "
            f"from the command line: `python -m core export {resultset.id} --format yolo --with-images --out "
            "PATH`",
            icon=":material/warning:",
        )
        return False
    st.caption(
        f"The COCO, YOLO and Pascal VOC zips carry the images ({_data_size(size)}; the CSV does not): "
        "Prepare one, with its progress shown, then download it."
    )
    return True


def _box_format_only(job: LabelJob, name: str, label: str) -> bool:
    """Draws YOLO and Pascal VOC disabled for a classification job; whether it did."""
    if job.task == Task.CLASSIFICATION and name in ("yolo", "voc"):
        st.button(
            label,
            disabled=True,
            help="YOLO and Pascal VOC are box formats: detection jobs only",
            key=f"download_{name}_disabled",
        )
        return True
    return False


def _data_size(size: int) -> str:
    """'44 KB', '3.2 MB': a few images read as kilobytes, not '0.0 MB'."""
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 // 10 else f"{max(1, round(size / 1024)):,} KB"


def _download(
    job: LabelJob,
    resultset: ResultSet,
    name: str,
    label: str,
    *,
    user: Actor,
    include_partial: bool,
    split: exports.SplitSpec | None = None,
) -> None:
    fmt = exports.FORMATS[name]
    if _box_format_only(job, name, label):
        return
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{job.name}-{resultset.name}").strip("._")

    def build() -> bytes:  # runs only when clicked, off the script thread: big exports don't slow the page
        return download_data(
            resultset_id=resultset.id, format=name, user=user, include_partial=include_partial, split=split
        )

    suffix, mime = fmt.file_type(split=split is not None)
    if suffix != fmt.suffix:
        label = f"{label} (zip)"  # split, one JSON file becomes a zip
    st.download_button(
        label,
        data=build,
        file_name=f"{stem or 'resultset'}{suffix}",
        mime=mime,
        icon=":material/download:",
        key=f"download_{name}",
        on_click="ignore",
    )


def _prepared_download(
    job: LabelJob,
    resultset: ResultSet,
    name: str,
    label: str,
    *,
    user: Actor,
    include_partial: bool,
    split: exports.SplitSpec | None,
) -> None:
    """A zip with images is built while the page shows its progress ("Prepare"), then served from its file: a
    download button's lazy build runs without any progress to show, for the seconds a few hundred MB take."""
    if _box_format_only(job, name, label):
        return
    options = {"resultset_id": resultset.id, "format": name, "include_partial": include_partial, "split": split}
    prepared = st.session_state.get(f"prepared_{name}")
    if prepared and prepared["options"] == options and prepared["path"].is_file():
        path = prepared["path"]
        st.download_button(
            f"{label} with images",
            data=path.read_bytes,
            file_name=path.name,
            mime=exports.FORMATS[name].file_type(split=split is not None, images=True)[1],
            icon=":material/download:",
            key=f"download_{name}",
            on_click="ignore",
            type="primary",
        )
    elif st.button(f"Prepare {label} with images", icon=":material/folder_zip:", key=f"prepare_{name}"):
        st.session_state["prepare_pending"] = {"label": label, "options": options}


def _prepare_pending(*, user: Actor) -> None:
    """Builds the export a Prepare button asked for, under the row of buttons, with a progress bar."""
    pending = st.session_state.pop("prepare_pending", None)
    if pending is None:
        return
    options, label = pending["options"], pending["label"]
    bar = st.progress(0.0, text=f"{label}: checking the images …")
    try:
        current = users.current_actor(engine=engine(), actor=user, settings=get_settings())
        if current is None:
            raise Forbidden(f"{user.name} no longer has a LabelDeck role")
        path = exports.prepare_export(
            engine=engine(),
            actor=current,
            include_images=True,
            **options,
            progress=lambda stage, fraction: bar.progress(fraction, text=f"{label}: {stage}"),
        )
    except (BadInput, Forbidden) as problem:
        bar.empty()
        st.error(md(problem))
        return
    earlier = st.session_state.get(f"prepared_{options['format']}")
    if earlier:
        exports.remove_prepared(earlier["path"])
    st.session_state[f"prepared_{options['format']}"] = {"options": options, "path": path}
    st.rerun()


def download_data(
    *,
    resultset_id: int,
    format: str,
    user: Actor,
    include_partial: bool = False,
    split: exports.SplitSpec | None = None,
    include_images: bool = False,
) -> bytes:
    """A download's bytes, for the role `user` has now: the button was drawn by an earlier run, maybe before the
    user was demoted or removed."""
    current = users.current_actor(engine=engine(), actor=user, settings=get_settings())
    if current is None:
        raise Forbidden(f"{user.name} no longer has a LabelDeck role")
    return exports.build_download(
        engine=engine(),
        resultset_id=resultset_id,
        format=format,
        actor=current,
        include_partial=include_partial,
        split=split,
        include_images=include_images,
    ).data


def _to_datalog_table(resultset: ResultSet, *, user: Actor, include_partial: bool) -> None:
    with st.expander("Export to a datalog table", icon=":material/table:"):
        with st.form(f"datalog_{resultset.id}", border=False):
            table = st.text_input(
                "Table name",
                placeholder="e.g. street_scenes_accepted",
                help="Lowercase letters, digits and _; starts with a letter; at most 63 characters",
            )
            replace = st.checkbox("Replace the table if it exists")
            exported = st.form_submit_button("Export", type="primary")
        if exported:
            try:
                created = exports.export_to_table(
                    engine=engine(),
                    resultset_id=resultset.id,
                    table=table,
                    replace=replace,
                    include_partial=include_partial,
                    actor=user,
                )
            except BadInput as problem:
                st.error(md(problem))
            else:
                left_out = (
                    f" {exports.image_count(created.left_out_images, 'partially reviewed')} left out."
                    if created.left_out_images
                    else ""
                )
                st.success(
                    f"Exported {plural(created.row_count, 'row')} to the datalog table {created.name}; the Catalog "
                    f"lists it.{left_out}"
                )


def _grid(job: LabelJob, resultset: ResultSet) -> None:
    items = resultsets.resultset_frame(engine=engine(), resultset_id=resultset.id)
    data = job_data(job)
    shown = data.results.filter(pl.col("result_id").is_in(items["result_id"].implode()))
    page = st.pagination(queries.page_count(shown.height, GRID_PAGE), key=f"resultset_page_{resultset.id}")
    tiles = shown.slice((page - 1) * GRID_PAGE, GRID_PAGE)
    boxes = boxes_by_sample(data, tiles)
    grid = st.columns(6)
    for i, tile in enumerate(tiles.iter_rows(named=True)):
        with grid[i % 6], st.container(border=True, key=f"rs_tile_{tile['result_id']}"):
            tile_image_ui(data, tile, boxes[tile["sample_id"]])
            st.caption(md(tile_caption(data, tile)))
