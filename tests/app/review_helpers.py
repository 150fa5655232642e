"""Reviewing through Streamlit's AppTest: the `store` fixture (the demo jobs, drawn small, in the test's own
store), the reviewers ANA and BO, opening Visualize and the other pages of a job signed in, the buttons, popovers,
toasts and captions as drawn, the job's review events and states read through the core services, and the Person
and Bicycle slice the review tests act on. Imported by the review, spot check, ResultSets, Activity, Catalog and
other page tests."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core.review import decisions as review
from tests.app.conftest import sign_in_as, signed_in_session
from tests.app.visualize_helpers import APP, job_id, store_engine
from tests.app.visualize_helpers import open_visualize as visualize_page

ANA, BO = "ana", "bo"  # the reviewer at the page, and someone else reviewing the same job meanwhile


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch, copy_demo) -> dict[str, int]:
    """The demo jobs, drawn small, in this test's own store (SQLite, and PostgreSQL when configured; a copy of the
    demo seeded once: copy_demo): street-scenes has 43 results on 8 images, fruit-stand 6. Returns the job ids by
    name."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    monkeypatch.setenv("LABELDECK_AUTH", "password")  # reviewers by name, as on an internal URL
    copy_demo(store_url, detection_images=8, classification_images=6)
    return {name: job_id(name) for name in ("street-scenes", "fruit-stand")}


# ---- driving the pages -----------------------------------------------------------------------------------------


def open_visualize(job: int, *, user: str = ANA, **params: str) -> AppTest:
    """Visualize as `user`, a reviewer unless the test made that user another role."""
    return visualize_page(job, user=user, **params)


def open_page(page: str, job: int, *, user: str = ANA, **params: str) -> AppTest:
    """Another page of a job (pages/<page>.py?job=…), reached the way open_visualize reaches Visualize."""
    at = signed_in_session(AppTest.from_file(APP, default_timeout=30), user)
    at.run()
    at.query_params["job"] = str(job)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, name: str = ANA, role: str = "reviewer") -> AppTest:
    return sign_in_as(at, name, role)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest, *prefixes: str) -> dict[str, tuple[str, bool]]:
    """The buttons whose key starts with one of the prefixes: key → (label, disabled)."""
    return {b.key: (b.label, b.disabled) for b in at.button if b.key and b.key.startswith(prefixes)}


def popovers(at: AppTest) -> dict[str, bool]:
    """Every popover on the page: label → disabled."""
    return {p.proto.popover.label: p.proto.popover.disabled for p in at.get("popover")}


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def events(job: int) -> list:
    """The job's review events, newest first."""
    return review.list_events(engine=store_engine(), job_id=job)


def reviewed_by(job: int) -> dict[int, str | None]:
    with store_engine().connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT r.id, st.reviewed_by FROM result r LEFT JOIN reviewstate st "
                    "ON st.result_id = r.id WHERE r.job_id = :j"
                ),
                {"j": job},
            ).all()
        )


def ids_where(frame: pl.DataFrame, condition: pl.Expr) -> list[int]:
    return sorted(frame.filter(condition)["result_id"].to_list())


def keyed_ids(at: AppTest, prefix: str) -> list[int]:
    """The ids in the keys of the containers keyed `<prefix><id>` (a container's id ends with its key)."""
    return sorted(
        int(c.proto.id.rsplit("-", 1)[-1].removeprefix(prefix))
        for c in at.container
        if c.proto.id.rsplit("-", 1)[-1].startswith(prefix)
    )


def form_button(at: AppTest, label: str):
    found = [b for b in at.button if b.key and b.key.startswith("FormSubmitter:") and b.label == label]
    assert len(found) == 1, found
    return found[0]


def widget_by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, found
    return found[0]


# The slice of the first review tests: Person and Bicycle (a filter), Class Changed = False (a slice): 24 results,
# two grid pages of 12.
PERSON_BICYCLE = {"classes": ["person", "bicycle"], "slice": "class_changed:false", "page_size": "12"}
PERSON_BICYCLE_SELECTION = {
    "tab": "pending",
    "filter": {"classes": ["person", "bicycle"]},
    "group_by": "expert review class",
    "slice": ["class_changed:false"],
}
IN_PERSON_BICYCLE = pl.col("class_row").is_in(["person", "bicycle"]) & ~pl.col("class_changed")
