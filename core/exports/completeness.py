"""Complete images: which images of a ResultSet an export may hold by default.

An image of a ResultSet (an image with at least one item) is **complete** when the ResultSet holds every result
of that image in the job: each of them was accepted when the ResultSet was saved, so the image's boxes in the
export are the whole truth about it and a model can train on it. An image with any result the ResultSet does
not hold is **partial**: a detector trained on it would learn that the objects of the missing boxes are
background. Exports leave partial images out unless asked for them (`include_partial`).

The rule is judged when the ResultSet is saved, in the transaction of its snapshot, and recorded per image
(models.ResultSetImage): a result accepted after the save does not complete the image (the ResultSet does not hold
its box: save a new ResultSet), and a result rejected or sent to rework after the save does not make it partial (the
ResultSet keeps the label it froze). So the images an export holds never change; only the reasons given for a
partial image follow the results' states now.

A partial image is counted once, under the first of REASONS that one of its missing results is in now:
`rejected` (a label is wrong: reviewing the rest will not complete the image, it needs relabelling), then
`pending` (the review is not finished), then `accepted_since_saved` (everything is accepted now, after the save).
Images of the job with no results at all are complete (nothing to review); images with no item are not the
ResultSet's and are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import Connection, Engine, text

from core.domain.vocabulary import REWORKED, ReviewState

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

REASONS = (ReviewState.REJECTED.value, ReviewState.PENDING.value, "accepted_since_saved")
COMPLETENESS_SCHEMA: dict[str, PolarsDataType] = {"sample_id": pl.Int64, "reason": pl.String}

# The job's results on the ResultSet's images that its snapshot does not hold, when it is saved.
# A reworked result was replaced by its rework job's results: it is no part of the image any more.
_MISSING_AT_SAVE = f"""
    SELECT DISTINCT r.sample_id FROM result r LEFT JOIN reviewstate st ON st.result_id = r.id
    WHERE r.sample_id IN (SELECT DISTINCT sample_id FROM resultsetitem WHERE resultset_id = :resultset_id)
      AND (st.state IS NULL OR st.state <> '{REWORKED}')
      AND NOT EXISTS (SELECT 1 FROM resultsetitem m WHERE m.resultset_id = :resultset_id AND m.result_id = r.id)
"""
_RECORD_IMAGES = text(f"""
    INSERT INTO resultsetimage (resultset_id, sample_id, complete)
    SELECT :resultset_id, i.sample_id, i.sample_id NOT IN ({_MISSING_AT_SAVE})
    FROM (SELECT DISTINCT sample_id FROM resultsetitem WHERE resultset_id = :resultset_id) i
""")
# For SQL that filters items itself (datalog tables): `i.sample_id NOT IN (PARTIAL_SAMPLES)`.
PARTIAL_SAMPLES = "SELECT sample_id FROM resultsetimage WHERE resultset_id = :resultset_id AND NOT complete"
_IMAGE_COUNTS = text("""
    SELECT COALESCE(SUM(CASE WHEN complete THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN complete THEN 0 ELSE 1 END), 0)
    FROM resultsetimage WHERE resultset_id = :resultset_id
""")
# Why each partial image is partial now: the states of its results that the snapshot does not hold.
_MISSING_BY_STATE = text(f"""
    SELECT p.sample_id,
           SUM(CASE WHEN st.state = '{ReviewState.REJECTED}' THEN 1 ELSE 0 END),
           SUM(CASE WHEN r.id IS NOT NULL AND st.state IS NULL THEN 1 ELSE 0 END)
    FROM ({PARTIAL_SAMPLES}) p
    LEFT JOIN result r ON r.sample_id = p.sample_id
      AND NOT EXISTS (SELECT 1 FROM resultsetitem m WHERE m.resultset_id = :resultset_id AND m.result_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM reviewstate x WHERE x.result_id = r.id AND x.state = '{REWORKED}')
    LEFT JOIN reviewstate st ON st.result_id = r.id
    GROUP BY p.sample_id
""")


@dataclass(frozen=True)
class PartialImages:
    """Partial images of a ResultSet by reason, and whether the export at hand left them out or included them."""

    pending: int = 0
    rejected: int = 0
    accepted_since_saved: int = 0
    included: bool = False

    @property
    def images(self) -> int:
        return self.pending + self.rejected + self.accepted_since_saved

    def counts(self) -> dict[str, int]:
        return {"pending": self.pending, "rejected": self.rejected, "accepted_since_saved": self.accepted_since_saved}

    def sentence(self) -> str:
        """'12 images still have pending results, 3 have rejected results', or '' when no image is partial."""
        phrases = [
            (self.pending, "still {} pending results"),
            (self.rejected, "{} rejected results"),
            (
                self.accepted_since_saved,
                "{} results accepted after this ResultSet was saved (save a new one to include them)",
            ),
        ]
        said: list[str] = []
        for count, phrase in phrases:
            if count:
                noun = "" if said else f" {_images(count)}"  # the noun once, as one would say it
                said.append(f"{count:,}{noun} {phrase.format(_have(count))}")
        return ", ".join(said)

    def note(self) -> str:
        """What an export says about its partial images, in its README or info text."""
        if not self.images:
            return "Every image of the ResultSet is complete: it holds every result of each in the job."
        if self.included:
            return (
                f"Partially reviewed images included ({self.sentence()}): their labels are not the whole truth "
                "about them; a model trained on them learns that unlabelled objects are background."
            )
        return f"Complete images only: {image_count(self.images, 'partially reviewed')} left out ({self.sentence()})."


def _images(n: int) -> str:
    return "image" if n == 1 else "images"


def image_count(n: int, kind: str) -> str:
    """'1 complete image', '12 complete images'."""
    return f"{n:,} {kind} {_images(n)}"


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


def partial_image_reasons(*, engine: Engine, resultset_id: int) -> pl.DataFrame:
    """The partial images of the ResultSet (COMPLETENESS_SCHEMA): sample_id and the reason it is partial now. An
    image of the ResultSet that is not here was complete when it was saved."""
    with engine.connect() as conn:
        rows = conn.execute(_MISSING_BY_STATE, {"resultset_id": resultset_id}).all()
    counts = pl.DataFrame(rows, schema={"sample_id": pl.Int64, "rejected": pl.Int64, "pending": pl.Int64}, orient="row")
    reason = (
        pl.when(pl.col("rejected") > 0)
        .then(pl.lit(ReviewState.REJECTED))
        .when(pl.col("pending") > 0)
        .then(pl.lit(ReviewState.PENDING))
        .otherwise(pl.lit("accepted_since_saved"))
    )
    return counts.select("sample_id", reason.alias("reason")).cast(pl.Schema(COMPLETENESS_SCHEMA)).sort("sample_id")


def record_images(conn: Connection, *, resultset_id: int) -> tuple[int, int]:
    """Record each image of the ResultSet as complete or partial by this module's rule, now; (complete, partial).
    create_resultset calls it in the transaction of its snapshot, so nothing was accepted since the save."""
    conn.execute(_RECORD_IMAGES, {"resultset_id": resultset_id})
    return image_counts(conn, resultset_id=resultset_id)


def image_counts(conn: Connection, *, resultset_id: int) -> tuple[int, int]:
    """(complete, partial): the ResultSet's images as recorded when it was saved."""
    complete, partial = conn.execute(_IMAGE_COUNTS, {"resultset_id": resultset_id}).one()
    return int(complete), int(partial)


def count_partial_images(partial: pl.DataFrame, *, included: bool = False) -> PartialImages:
    """The partial images (a partial_image_reasons frame) counted by reason."""
    by_reason = dict(partial.group_by("reason").len().iter_rows())
    return PartialImages(**{reason: by_reason.get(reason, 0) for reason in REASONS}, included=included)
