"""Expert Review Stats: how much the expert changed, per change kind."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.stats import change_kind_counts


def review_stats_ui(results: pl.DataFrame, *, is_detection: bool) -> None:
    st.subheader("Expert Review Stats")
    total = results.height
    changed = int(results["class_changed"].sum()) if total else 0
    kinds = change_kind_counts(results)
    shown = kinds if is_detection else {k: kinds[k] for k in ("unchanged", "relabeled")}
    columns = st.columns(len(shown) + 2)
    columns[0].metric("Results", f"{total:,}")
    columns[1].metric("Class Changed", f"{changed / total:.1%}" if total else "–", help="Share of results whose class "
                      "the expert changed (relabeled, added or removed)")
    for column, (kind, n) in zip(columns[2:], shown.items()):
        column.metric(kind.capitalize(), f"{n:,}", delta=f"{n / total:.1%}" if total else None, delta_color="off",
                      delta_arrow="off")
