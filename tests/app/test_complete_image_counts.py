"""Complete images in the UI (issue 12): grouped by image, a picked image is accepted with all its results in the tab
(the filters' hidden ones too) and the grid counts the shown images complete / partial / untouched; the ResultSets
page lists each ResultSet's complete and partial images when saved. Through Streamlit's AppTest, in the demo store
drawn small (street-scenes: 43 results on 8 images)."""

from __future__ import annotations

import polars as pl

from core.review import decisions as review
from core.review import resultsets
from tests.app.review_helpers import (  # noqa: F401  (store is a fixture)
    BO,
    captions,
    click,
    events,
    ids_where,
    open_page,
    open_visualize,
    sign_in,
    store,
    toasts,
)
from tests.app.visualize_helpers import frame_of, pick, store_engine, tab_labels, tile_ids
from tests.builders import as_admin, as_reviewer

CARS_BY_IMAGE = {"classes": ["car"], "group_by": "image", "page_size": "12"}


def image_counts(at) -> list[str]:
    return [c for c in captions(at) if c.startswith("Images: ")]


def test_a_picked_image_is_accepted_whole_though_the_filter_shows_only_its_cars(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    at = sign_in(open_visualize(street, **CARS_BY_IMAGE))
    tile = tile_ids(at)[0]
    image = frame.filter(pl.col("result_id") == tile)["sample_id"].item()
    of_image = ids_where(frame, pl.col("sample_id") == image)
    cars = ids_where(frame, (pl.col("sample_id") == image) & (pl.col("class_row") == "car"))
    assert (len(of_image), len(cars)) == (9, 2)  # the image's other seven results are hidden by the filter

    pick(at, tile)
    assert at.button(key="bulk_accepted").label == "Accept 9 picked"
    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 9 results"]
    assert events(street)[0].result_ids == of_image
    total_cars = frame.filter(pl.col("class_row") == "car").height
    assert tab_labels(at) == [f"Pending Review {total_cars - 2}", "Accepted 2", "Rejected 0"]  # of the cars


def test_grouped_by_image_the_grid_counts_the_shown_images_complete_partial_and_untouched(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    at = sign_in(open_visualize(street, **CARS_BY_IMAGE))
    car_images = frame.filter(pl.col("class_row") == "car")["sample_id"].unique().sort().to_list()
    assert len(car_images) == 5
    assert image_counts(at) == ["Images: 0 complete · 0 partial · 5 untouched"]

    first, second = car_images[:2]
    whole = ids_where(frame, pl.col("sample_id") == first)
    one = ids_where(frame, (pl.col("sample_id") == second) & (pl.col("class_row") == "car"))[:1]
    review.accept(
        engine=store_engine(), job_id=street, result_ids=whole + one, from_state="pending", actor=as_reviewer(BO)
    )
    at = sign_in(open_visualize(street, **CARS_BY_IMAGE, tab="accepted"))
    # the Accepted tab shows the cars of two images: one complete, one with pending results left
    assert image_counts(at) == ["Images: 1 complete · 1 partial · 0 untouched"]
    at = sign_in(open_visualize(street, classes=["car"], page_size="12"))
    assert image_counts(at) == []  # grouped by class: no image counts


def test_the_resultsets_page_lists_complete_and_partial_images_when_saved(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    first, second, third = frame["sample_id"].unique().sort().head(3).to_list()
    accepted = (
        ids_where(frame, pl.col("sample_id").is_in([first, second]))
        + ids_where(frame, pl.col("sample_id") == third)[:1]
    )
    review.accept(
        engine=store_engine(), job_id=street, result_ids=accepted, from_state="pending", actor=as_reviewer(BO)
    )
    saved = resultsets.create_resultset(engine=store_engine(), job_id=street, name="two and a bit", actor=as_admin(BO))
    review.accept(
        engine=store_engine(),
        job_id=street,
        result_ids=ids_where(frame, pl.col("sample_id") == third),
        from_state="pending",
        actor=as_reviewer(BO),
    )  # completes the third image after the save

    at = sign_in(open_page("resultsets", street))
    table = at.dataframe(key="resultsets").value
    assert table[["ResultSet", "complete images", "partial images"]].values.tolist() == [["two and a bit", 2, 1]]
    assert any(
        c.startswith(f"{saved.item_count:,} accepted results · 2 complete images, 1 partial when saved · ")
        for c in captions(at)
    )
