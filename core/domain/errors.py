"""Errors that carry a user-facing message naming the problem and where it is."""

from __future__ import annotations


class BadInput(Exception):
    """Input that LabelDeck refuses; nothing was written. Each problem names its file and record."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = self.problems[: self.MAX_SHOWN]
        more = len(self.problems) - len(shown)
        lines = shown + ([f"... and {more:,} more problems"] if more > 0 else [])
        return "\n".join(lines)


class NotFound(Exception):
    """A job, ResultSet or file that does not exist."""


class Forbidden(Exception):
    """The signed-in user's role does not allow the action; nothing was written."""
