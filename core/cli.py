"""`python -m core`: a thin shell over the core services. Exit codes: 0 done, 2 bad input, 1 anything else."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from core.db import get_engine
from core.errors import BadInput, NotFound


def _progress_printer(quiet: bool):
    started = time.perf_counter()

    def report(stage: str, fraction: float) -> None:
        if not quiet:
            print(f"[{fraction:4.0%} {time.perf_counter() - started:6.1f}s] {stage}", file=sys.stderr, flush=True)

    return report


def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo import seed_demo

    engine = get_engine(args.db)
    created = seed_demo(engine=engine, reset=args.reset, if_empty=args.if_empty, progress=_progress_printer(args.quiet))
    if created:
        print(f"demo data: created {', '.join(j.name for j in created)}")
    else:
        print("demo data: nothing to do (the store already has jobs; --reset recreates the demo jobs)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core import ingest

    engine = get_engine(args.db)
    common = dict(
        engine=engine, name=args.name, images_dir=Path(args.images), replace=args.replace,
        check_image_files=not args.skip_image_check, created_by=args.created_by,
        progress=_progress_printer(args.quiet),
    )
    if args.task == "detection":
        if not args.pre or not args.expert:
            raise BadInput("import --task detection needs --pre PRE.json and --expert EXPERT.json")
        job = ingest.import_detection(**common, pre_path=Path(args.pre), expert_path=Path(args.expert),
                                      iou_threshold=args.iou)
    else:
        if not args.csv:
            raise BadInput("import --task classification needs --csv LABELS.csv")
        classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
        job = ingest.import_classification(**common, csv_path=Path(args.csv), classes=classes)
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "tag": job.tag, "images": job.image_count,
                          "results": job.result_count}))
    else:
        print(f"imported job {job.id} {job.name!r} ({job.tag}): {job.image_count:,} images, "
              f"{job.result_count:,} results")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from core.jobs import list_jobs

    jobs = list_jobs(engine=get_engine(args.db))
    if args.json:
        print(json.dumps([j.to_json() for j in jobs], indent=2))
        return 0
    for j in jobs:
        print(f"{j.id:>5}  {j.tag:<8} {j.status:<12} {j.images:>9,} images {j.results:>10,} results  {j.name}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from core.stats import job_stats

    stats = job_stats(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(f"job {stats['job_id']} {stats['name']} ({stats['tag']}, {stats['status']}): {stats['results']:,} results, "
          f"{stats['class_changed_share']:.1%} class changed")
    print("  by state:     " + " · ".join(f"{k} {v:,}" for k, v in stats["by_state"].items()))
    print("  change kinds: " + " · ".join(f"{k} {v:,}" for k, v in stats["change_kinds"].items()))
    print(f"  {'class':<24}{'True':>10}{'False':>10}")
    for name, row in stats["class_changed"].items():
        print(f"  {name:<24}{row['true']:>10,}{row['false']:>10,}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    store = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's unset option must not overwrite one given before the subcommand.
    store.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                       help="store URL (default: LABELDECK_DATABASE_URL or data/labeldeck.db)")
    store.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress on stderr")
    parser = argparse.ArgumentParser(prog="python -m core", description="LabelDeck command line", parents=[store])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", parents=[store], help="create the demo jobs (images drawn by Pillow)")
    demo.add_argument("--reset", action="store_true", help="delete the demo jobs first and create them anew")
    demo.add_argument("--if-empty", action="store_true", help="only seed a store that has no jobs (make run)")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", parents=[store], help="import a finished manual label job")
    imp.add_argument("--task", choices=["detection", "classification"], required=True)
    imp.add_argument("--name", required=True)
    imp.add_argument("--images", required=True, metavar="DIR", help="image root; file names are relative to it")
    imp.add_argument("--pre", metavar="PRE.json", help="pre-labels, COCO dataset or results format (detection)")
    imp.add_argument("--expert", metavar="EXPERT.json", help="expert labels, COCO dataset format (detection)")
    imp.add_argument("--csv", metavar="LABELS.csv", help="file_path,pre_label,expert_label[,confidence]")
    imp.add_argument("--classes", metavar="A,B,C", help="the label spec's classes; other labels are errors")
    imp.add_argument("--iou", type=float, default=0.5, help="IoU threshold for matching boxes (default 0.5)")
    imp.add_argument("--replace", action="store_true", help="replace a job of the same name")
    imp.add_argument("--skip-image-check", action="store_true",
                     help="do not open the image files (bench and trusted data only); sizes come from the labels")
    imp.add_argument("--created-by", default="cli")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    jobs = sub.add_parser("jobs", parents=[store], help="list label jobs")
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(func=cmd_jobs)

    stats = sub.add_parser("stats", parents=[store], help="Expert Review Stats of a job")
    stats.add_argument("job_id", type=int)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.db = getattr(args, "db", None)
    args.quiet = getattr(args, "quiet", False)
    try:
        return args.func(args)
    except (BadInput, NotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the CLI's contract: 1 for anything unexpected, with the reason, not a bare crash
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
