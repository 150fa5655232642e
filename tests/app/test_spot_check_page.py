"""The spot check on the Visualize page through Streamlit's AppTest: a reproducible sample drawn by seed, the
estimated error rate and its interval as the sample is reviewed, the rest of the slice accepted or rejected at
once, and no deciding the rest of another slice once the filters change. Checked against core.review.spot_check's
draw_sample and error_rate, in a store of the test's own (the demo jobs drawn small)."""

from __future__ import annotations

import polars as pl
from streamlit.testing.v1 import AppTest

from core.review.spot_check import draw_sample, error_rate
from tests.app.review_helpers import (
    IN_PERSON_BICYCLE,
    PERSON_BICYCLE,
    PERSON_BICYCLE_SELECTION,
    buttons,
    captions,
    click,
    events,
    ids_where,
    keyed_ids,
    open_visualize,
    sign_in,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
    toasts,
)
from tests.app.visualize_helpers import apply, frame_of, showing, tab_labels, tile_ids

# ---- spot check ------------------------------------------------------------------------------------------------


def spot_tiles(at: AppTest) -> list[int]:
    return sorted(int(k.removeprefix("spot_accepted_")) for k in buttons(at, "spot_accepted_"))


def test_spot_check_estimates_the_error_rate_and_decides_the_rest(store):
    street = store["street-scenes"]
    in_slice = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    assert list(at.segmented_control(key="workspace").options) == ["Images", "Charts", "Spot check"]
    at.segmented_control(key="workspace").set_value("spot_check").run()
    assert at.query_params["view"] == "spot_check"
    assert at.button(key="spot_draw").label == "Draw 20 of 24"

    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")
    sample = spot_tiles(at)
    assert keyed_ids(at, "spot_tile_") == sample
    assert sample == draw_sample(pl.Series(in_slice), n=6, seed=7)
    assert len(sample) == 6 and set(sample) <= set(in_slice)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Estimated error rate"], metrics["Sample reviewed"]) == ("–", "0 of 6")
    assert buttons(at, "spot_accept_rest", "spot_reject_rest") == {
        "spot_accept_rest": ("Accept the rest (18)", False),
        "spot_reject_rest": ("Reject the rest (18)", False),
    }

    # Reproducible: the same seed draws the same sample; another seed another one.
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")
    assert spot_tiles(at) == sample
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(8)
    click(at, "spot_draw")
    assert spot_tiles(at) == draw_sample(pl.Series(in_slice), n=6, seed=8) != sample
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")

    click(at, f"spot_rejected_{sample[0]}")
    click(at, f"spot_accepted_{sample[1]}")
    click(at, f"spot_accepted_{sample[2]}")
    click(at, f"spot_rejected_{sample[3]}")
    estimate = error_rate(rejected=2, reviewed=4)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Estimated error rate"], metrics["Sample reviewed"]) == (f"{estimate.rate:.1%}", "4 of 6")
    assert metrics["Estimated error rate"] == "50.0%"
    interval = f"95% interval {estimate.low:.1%} – {estimate.high:.1%} · 2 of 4 rejected"
    assert interval in captions(at) and interval.startswith("95% interval 15.0% – 85.0%")
    assert at.button(key=f"spot_accepted_{sample[1]}").disabled  # decided already
    # A sample tile changes its mind: the estimate follows.
    click(at, f"spot_accepted_{sample[3]}")
    estimate = error_rate(rejected=1, reviewed=4)
    assert {m.label: m.value for m in at.metric}["Estimated error rate"] == f"{estimate.rate:.1%}" == "25.0%"
    assert f"95% interval {estimate.low:.1%} – {estimate.high:.1%} · 1 of 4 rejected" in captions(at)

    rest = [i for i in in_slice if i not in sample]
    assert at.button(key="spot_accept_rest").label == f"Accept the rest ({len(rest)})" == "Accept the rest (18)"
    click(at, "spot_accept_rest")
    assert toasts(at) == ["Accepted 18 results"]
    rest_event, *sample_events = events(street)
    assert (rest_event.from_state, rest_event.to_state, rest_event.result_ids) == ("pending", "accepted", rest)
    assert rest_event.selection == PERSON_BICYCLE_SELECTION | {"spot_check_rest_of_sample_seed": 7}
    assert [e.result_ids for e in sample_events] == [[sample[3]], [sample[3]], [sample[2]], [sample[1]], [sample[0]]]
    assert all(e.selection == PERSON_BICYCLE_SELECTION | {"spot_check_sample": True} for e in sample_events)
    # The two undecided sample results are what is left of the slice.
    assert showing(at) == "Class Changed = False · Person, Bicycle · 2 results"
    at.segmented_control(key="workspace").set_value("images").run()
    assert sorted(tile_ids(at)) == sample[4:]
    assert tab_labels(at) == ["Pending Review 5", "Accepted 21", "Rejected 1"]


def test_spot_check_does_not_decide_the_rest_of_another_slice(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE, view="spot_check"))
    at.number_input(key="spot_n").set_value(4)
    click(at, "spot_draw")
    assert at.button(key="spot_accept_rest").label == "Accept the rest (20)"
    apply(at, f_classes=["dog"])  # another filter: the sample says nothing about it
    assert showing(at) == "Dog · 8 results"
    assert buttons(at, "spot_accept_rest", "spot_reject_rest") == {
        "spot_accept_rest": ("Accept the rest (0)", True),
        "spot_reject_rest": ("Reject the rest (0)", True),
    }
    assert any(w.value.startswith("The filters or the slice changed since this sample was drawn") for w in at.warning)
    click(at, "spot_end")
    assert at.button(key="spot_draw").label == "Draw 8 of 8"  # a new spot check of this slice
    assert events(street) == []
