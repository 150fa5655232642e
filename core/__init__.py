"""LabelDeck's core: everything the app does, without Streamlit or Plotly, for the pages, the CLI and the tests.

One package per part of the product, dependencies pointing down this list:
- `domain`: the vocabulary (StrEnums), errors, names, limits, progress reports; imports nothing else of core.
- `store`: the database engine, schema and upgrades, SQLModel tables, bulk inserts, driver-only reads.
- `files`, `storage`, `images`: paths under an image root, uploads, output files; local folders and buckets;
  image checks, EXIF orientation, thumbnails with their overlays.
- `labels`: label files read into one shape (COCO, CSV, YOLO, VOC, CVAT, Label Studio), pre-labels, box checks.
- `auth`: accounts, roles and who may do what.
- `analysis`: the results frame and everything computed from it (filters, queries, metrics, stats, overview).
- `jobs`: the job list, label specs, imports, manual, auto and rework jobs, expert labelling.
- `review`: review decisions and undo, history, spot checks, ResultSets; `exports`: their downloads and datalog tables.
- `ops`: logs, health, backup; `demo`: the demo store; `cli`: `python -m core`.
`settings` is read and checked once, at start-up.

A package's `__init__` names what it offers to the rest of the app; the names are imported on first use, so that a
light caller (the CLI's `jobs` reads through core.store.driver_reads) never pays for SQLAlchemy it does not need.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, modules: dict[str, list[str]]) -> tuple[Callable[[str], Any], list[str]]:
    """`__getattr__` and `__all__` for a package whose public names live in its modules: {module: [names]}."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{where[name]}"), name)

    return __getattr__, sorted(where)
