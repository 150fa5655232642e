"""Rework through Streamlit's AppTest: Send back for relabelling on the Rejected tab of Visualize makes a rework
job of the rejected results shown under the reviewer's name and says so; Annotate shows that job's annotator why
each result of an image was sent back; Activity shows the loop."""

from __future__ import annotations

from core.jobs.expert_labels import save_expert_label
from core.jobs.manual import submit_job
from core.jobs.rework import create_rework_job, rework_notes
from core.jobs.summaries import list_jobs
from core.review import decisions as review
from tests.app.conftest import plain
from tests.app.review_helpers import ANA, click, open_page, open_visualize, popovers, sign_in, store, toasts  # noqa: F401  (store: the demo jobs, drawn small)
from tests.app.test_annotate_page import open_page as open_annotate
from tests.app.visualize_helpers import frame_of, store_engine
from tests.builders import as_reviewer
from tests.manual_builders import sample_ids


def first_result_sent_back(job_id: int, *, reason: str, name: str):
    """The job's first result rejected by ana with `reason` and sent back to a rework job `name` (returned)."""
    first = sorted(frame_of(job_id)["result_id"].to_list())[0]
    review.reject(
        engine=store_engine(),
        job_id=job_id,
        result_ids=[first],
        from_state="pending",
        actor=as_reviewer(ANA),
        reason=reason,
    )
    return create_rework_job(engine=store_engine(), job_id=job_id, name=name, actor=as_reviewer(ANA)).job


def test_the_rejected_tab_sends_its_results_back_for_relabelling(store):  # noqa: F811
    fruit = store["fruit-stand"]
    rejected = sorted(frame_of(fruit)["result_id"].to_list())[:3]
    review.reject(
        engine=store_engine(),
        job_id=fruit,
        result_ids=rejected,
        from_state="pending",
        actor=as_reviewer(ANA),
        reason="looks like a pear",
    )
    assert not [p for p in popovers(open_visualize(fruit)) if p.startswith("Send back")]  # Rejected tab only
    at = open_visualize(fruit, tab="rejected")
    assert popovers(at)["Send back 3 shown for relabelling"] is False
    at.text_input(key="rework_name").input("fruit again")
    click(at, "rework_send")

    [rework] = [j for j in list_jobs(engine=store_engine()) if j.name == "fruit again"]
    assert (rework.status, rework.images) == ("IN_PROGRESS", 3)
    assert any(t.startswith(f"Sent 3 results back for relabelling in job #{rework.id} fruit again") for t in toasts(at))
    sample = next(iter(sample_ids(store_engine(), rework.id).values()))
    assert [n.reason for n in rework_notes(engine=store_engine(), job_id=rework.id, sample_id=sample)] == [
        "looks like a pear"
    ]
    event = review.list_events(engine=store_engine(), job_id=fruit, limit=1)[0]
    assert (event.reviewer, event.rework_job_id, sorted(event.result_ids)) == (ANA, rework.id, sorted(rejected))
    # sent again: nothing left, and the popover says why
    at.text_input(key="rework_name").input("fruit thrice")
    click(at, "rework_send")
    assert any("were sent back already" in e.value for e in at.error)


def test_the_annotator_of_a_rework_job_sees_why_each_result_was_sent_back(store):  # noqa: F811
    street = store["street-scenes"]
    rework = first_result_sent_back(street, reason="a *cyclist*, not a pedestrian", name="street again")
    at = open_annotate("../pages/annotate.py", job=str(rework.id))
    assert not at.exception, at.exception
    [note] = [w.value for w in at.warning if w.value.startswith("Sent back for relabelling")]
    assert note.startswith(f"Sent back for relabelling from job #{street}:\n- **")
    assert plain(note).endswith(": a *cyclist*, not a pedestrian")  # the reviewer's text, not Markdown


def test_activity_shows_the_rework_loop(store):  # noqa: F811
    fruit = store["fruit-stand"]
    rework = first_result_sent_back(fruit, reason="a lemon", name="fruit again")
    [sample] = sample_ids(store_engine(), rework.id).values()
    save_expert_label(
        engine=store_engine(), job_id=rework.id, sample_id=sample, actor=as_reviewer("erin"), class_name="lemon"
    )
    submit_job(engine=store_engine(), job_id=rework.id, actor=as_reviewer("erin"))
    at = sign_in(open_page("activity", fruit))
    listed = at.dataframe[0].value
    assert listed[["reviewer", "from", "to", "results", "reason", "rework"]].values.tolist() == [
        ["erin", "several", "several", 2, f"relabelled in rework job #{rework.id} fruit again", f"job #{rework.id}"],
        [
            ANA,
            "Rejected",
            "Rejected",
            1,
            f"sent back for relabelling in job #{rework.id} fruit again",
            f"job #{rework.id}",
        ],
        [ANA, "Pending Review", "Rejected", 1, "a lemon", ""],
    ]
