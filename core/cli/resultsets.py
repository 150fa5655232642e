"""`resultset create | list` (snapshots of accepted results) and `export` (a ResultSet to a file or a datalog
table)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.auth.access import operator
from core.cli.common import Parents, escaped, progress_printer
from core.domain.errors import BadInput
from core.domain.plural import plural

if TYPE_CHECKING:
    from core.exports.split import SplitSpec

# The export formats, as core/exports names them (FORMATS there, which imports SQLAlchemy: too heavy for the parser
# every command builds; tests/unit/test_cli_choices.py keeps the two equal).
EXPORT_FORMATS = ("coco", "yolo", "voc", "csv")


def register(sub, parents: Parents) -> None:
    store, as_json, created_by = parents.store, parents.json, parents.created_by
    resultset = sub.add_parser("resultset", parents=[store], help="ResultSets: snapshots of accepted results")
    resultset_sub = resultset.add_subparsers(dest="resultset_command", required=True)
    create = resultset_sub.add_parser(
        "create", parents=[store, created_by], help="save the job's accepted results; prints its id"
    )
    create.add_argument("job_id", type=int)
    create.add_argument("--name", required=True)
    create.add_argument("--note")
    create.set_defaults(func=cmd_resultset_create)
    listing = resultset_sub.add_parser("list", parents=[store, as_json], help="a job's ResultSets, newest first")
    listing.add_argument("job_id", type=int)
    listing.set_defaults(func=cmd_resultset_list)

    export = sub.add_parser(
        "export", parents=[store, as_json, created_by], help="export a ResultSet to a file or a datalog table"
    )
    export.add_argument("resultset_id", type=int)
    export.add_argument("--format", choices=EXPORT_FORMATS)
    export.add_argument("--out", metavar="PATH", help="file to write (or an existing folder)")
    export.add_argument("--table", metavar="NAME", help="datalog table to write in the store's database")
    export.add_argument("--replace", action="store_true", help="replace the rows of an existing datalog table")
    export.add_argument(
        "--include-partial",
        action="store_true",
        help="also export images with results that are not in the ResultSet (pending, rejected)",
    )
    export.add_argument(
        "--split",
        metavar="train=F,val=F[,test=F]",
        help="split the images into train/val(/test), fractions adding up to 1",
    )
    export.add_argument("--seed", type=int, help="the split's seed (default 0): the same seed, the same split")
    export.add_argument(
        "--stratify", action="store_true", help="split each image's rarest class in the fractions, not only the whole"
    )
    export.add_argument(
        "--with-images",
        action="store_true",
        help="copy the image files into the zip (coco, yolo, voc; COCO becomes a zip), progress on stderr",
    )
    export.set_defaults(func=cmd_export)


def cmd_resultset_create(args: argparse.Namespace) -> int:
    from core.review.resultsets import create_resultset
    from core.store.db import get_engine

    resultset = create_resultset(
        engine=get_engine(args.db), job_id=args.job_id, name=args.name, note=args.note, actor=operator(args.created_by)
    )
    if not args.quiet:
        print(
            f"created ResultSet {resultset.id} {resultset.name!r}: {resultset.item_count:,} accepted results",
            file=sys.stderr,
        )
    print(resultset.id)
    return 0


def cmd_resultset_list(args: argparse.Namespace) -> int:
    from core.review.resultsets import list_resultsets
    from core.store.db import get_engine

    resultsets = list_resultsets(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps([{**r.model_dump(), "created_at": r.created_at.isoformat()} for r in resultsets], indent=2))
        return 0
    for r in resultsets:
        images = (
            f"{r.complete_images:,} complete / {r.partial_images:,} partial images"  # as saved
            if r.complete_images is not None and r.partial_images is not None
            else "images not counted"
        )
        print(
            f"{r.id:>5}  {r.item_count:>10,} items  {images:>36}  {r.created_at:%Y-%m-%d %H:%M}  "
            f"{r.created_by:<12} {escaped(r.name)}"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core import exports
    from core.store.db import get_engine

    engine = get_engine(args.db)
    split = _export_split(args)
    if args.table:
        if args.out or args.format:
            raise BadInput("export --table writes a datalog table: leave out --format and --out")
        if split:
            raise BadInput("export --split is for files (--format and --out): a datalog table is not split")
        if args.with_images:
            raise BadInput("export --with-images is for zip files (--format coco|yolo|voc): a table holds no images")
        table = exports.export_to_table(
            engine=engine,
            resultset_id=args.resultset_id,
            table=args.table,
            replace=args.replace,
            include_partial=args.include_partial,
            actor=operator(args.created_by),
        )
        done = f"datalog table {table.name}: {plural(table.row_count, 'row')} from ResultSet {table.resultset_id}"
        written = {"table": table.name, "rows": table.row_count}
    else:
        if not args.format or not args.out:
            raise BadInput("export needs --format coco|yolo|voc|csv and --out PATH, or --table NAME")
        if args.replace:
            raise BadInput("export --replace is for --table only")
        path = exports.write_export(
            engine=engine,
            resultset_id=args.resultset_id,
            format=args.format,
            out=Path(args.out),
            include_partial=args.include_partial,
            actor=operator(),
            split=split,
            include_images=args.with_images,
            progress=progress_printer(args.quiet) if args.with_images else None,
        )
        done = (
            f"wrote {args.format} export of ResultSet {args.resultset_id}"
            + (" with its images" if args.with_images else "")
            + f" to {path}"
        )
        written = {"format": args.format, "path": str(path)}
        if args.with_images:
            written["images_included"] = True
        if split:
            done += f" (split {args.split}, seed {split.seed}{', stratified' if split.stratify else ''})"
            written["split"] = split.describe()
    summary = exports.export_summary(
        engine=engine, resultset_id=args.resultset_id, include_partial=args.include_partial
    )
    partial = summary.partial_images
    if args.json:
        print(
            json.dumps(
                {
                    "resultset_id": args.resultset_id,
                    **written,
                    "complete_images": summary.complete_images,
                    "partial_images_included": partial.included,
                    "partial_images": partial.counts(),
                },
                indent=2,
            )
        )
        return 0
    hint = " Pass --include-partial to export them too." if partial.images and not partial.included else ""
    print(f"{done}\n{exports.image_count(summary.complete_images, 'complete')}. {partial.note()}{hint}")
    return 0


def _export_split(args: argparse.Namespace) -> SplitSpec | None:
    from core.exports import parse_split

    if args.split is None:
        if args.seed is not None or args.stratify:
            raise BadInput("export --seed and --stratify go with --split (e.g. --split train=0.8,val=0.2)")
        return None
    return parse_split(args.split, seed=0 if args.seed is None else args.seed, stratify=args.stratify)
