"""How a long service reports progress to whoever runs it (a page's progress bar, the CLI's stderr): a callable taking
the stage in words and the fraction done, 0.0 to 1.0."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]


def quiet(_stage: str, _fraction: float) -> None:
    """The progress of a caller that shows none."""
