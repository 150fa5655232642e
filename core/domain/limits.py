"""How much one label job may hold. A label file past a limit is refused as soon as it is read, naming the file and
the limit, rather than imported for minutes into gigabytes of memory and a Visualize page that takes seconds to draw
(a COCO file of 10^6 categories once took 158 s and 3.5 GB to import, and Visualize 22 s).

Each limit is well above real work, so only a broken or hostile file meets it:
"""

from __future__ import annotations

# Classes of a label spec, of a label file, or named on the command line. ImageNet-21k, the largest label set in
# common use, has 21,841; COCO 80, LVIS 1,203, Open Images' boxes 600.
MAX_CLASSES = 25_000

# Images of one job. Open Images (1.9 M) fits in one; the 1M-result benchmark job has 100,000.
MAX_IMAGES_PER_JOB = 2_000_000

# Boxes on one image, in each of the expert labels, the pre-labels and the predictions. Dense scenes (crowds,
# cells, satellite tiles) run to a few thousand. Matching pairs only boxes that overlap at a like size
# (core/analysis/box_pairs.py), so its work grows with the boxes, not their square (its tests go to 16,000 boxes on
# one image) unless they are copies of one box: MAX_PAIRS_PER_IMAGE bounds that.
MAX_BOXES_PER_IMAGE = 20_000

# Expert x pre box pairs that matching compares on one image (core/analysis/box_pairs.py), counted before any is made.
# Distinct boxes make a few per box (the matcher's 8,000 a side, tests/unit/test_matching_scale.py: 125,714); each
# copy of one box pairs with every copy on the other side: 2,236 a side make 4,999,696, matched in 2-3 s and 1 GB.
MAX_PAIRS_PER_IMAGE = 5_000_000


def too_many(count: int, limit: int, what: str) -> str | None:
    """ "25,001 classes; at most 25,000 (core/domain/limits.py)" when count is past the limit, else None."""
    return f"{count:,} {what}; at most {limit:,} (core/domain/limits.py)" if count > limit else None
