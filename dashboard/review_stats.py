"""Expert Review Stats: how much the expert changed, per change kind, over the results under the filters in every
review state (the tabs below split them); the caption says that scope. One compact row of figures, so that the
workspace below starts in view (st.metric's cards are twice as tall)."""

from __future__ import annotations

import streamlit as st

from core.domain.vocabulary import CLASSIFICATION_KINDS
from dashboard.view_data import ViewData

BOX = (
    "display:inline-block;min-width:7.2rem;padding:0.35rem 0.75rem;margin:0 0.5rem 0.4rem 0;"
    "border:1px solid rgba(128,128,128,0.3);border-radius:0.5rem;vertical-align:top"
)


def review_stats(view: ViewData, *, is_detection: bool) -> list[tuple[str, str, str]]:
    """(label, value, share) of each figure shown."""
    total = view.filtered
    kinds = view.change_kinds if is_detection else {k: view.change_kinds[k] for k in CLASSIFICATION_KINDS}
    return [
        ("Results", f"{total:,}", ""),
        (
            "Class Changed",
            f"{view.changed / total:.1%}" if total else "–",
            f"{view.changed:,} result{'s' if view.changed != 1 else ''}",
        ),
        *[(kind.capitalize(), f"{n:,}", f"{n / total:.1%}" if total else "") for kind, n in kinds.items()],
    ]


def review_stats_ui(view: ViewData, *, is_detection: bool, filtered: bool) -> None:
    with st.container(horizontal=True, vertical_alignment="bottom", key="review_stats_head"):
        st.subheader("Expert Review Stats", anchor=False)
        st.caption(
            "Results under the filters, every review state"
            if filtered
            else "Every result of the job, every review state"
        )
    # Fixed words and numbers only: nothing a user or a label file supplied goes into this HTML.
    st.html(
        "".join(
            f'<div style="{BOX}" data-stat="{label}" data-value="{value}"><div style="font-size:0.8rem;opacity:0.75">'
            f'{label}</div><div style="font-size:1.45rem;line-height:1.3">{value}<span style="font-size:0.8rem;'
            f'opacity:0.7;margin-left:0.4rem">{share}</span></div></div>'
            for label, value, share in review_stats(view, is_detection=is_detection)
        )
    )
