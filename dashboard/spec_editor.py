"""The class table of a label spec, edited in place: name, display name, colour; rows added and removed."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.jobs.specs import ClassInput


def class_editor_ui(*, key: str, classes: list[dict] | None = None) -> list[ClassInput]:
    """classes: rows with name, display_name, color. Returns what the editor holds, empty rows dropped."""
    frame = pl.DataFrame(classes or [], schema={"name": pl.String, "display_name": pl.String, "color": pl.String})
    edited = st.data_editor(
        frame,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Name", help="Unique in the spec; what label files use", required=True),
            "display_name": st.column_config.TextColumn("Display name", help="Shown in the app; defaults to the name"),
            "color": st.column_config.TextColumn(
                "Colour", help="#RRGGBB; defaults to the palette's", validate=r"^#[0-9A-Fa-f]{6}$"
            ),
        },
    )
    return [
        ClassInput(
            name=row["name"].strip(),
            display_name=(row["display_name"] or "").strip() or None,
            color=(row["color"] or "").strip() or None,
        )
        for row in pl.DataFrame(edited).iter_rows(named=True)
        if row["name"] and row["name"].strip()
    ]


def classes_from_text(text: str) -> list[ClassInput]:
    """One class a line: `name`, or `name, display name`, or `name, display name, #RRGGBB` (blank lines skipped).
    Pasting a list of names is the quickest way to start a spec."""
    classes = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if not parts[0]:
            continue
        classes.append(
            ClassInput(
                name=parts[0],
                display_name=(parts[1] if len(parts) > 1 and parts[1] else None),
                color=(parts[2] if len(parts) > 2 and parts[2] else None),
            )
        )
    return classes
