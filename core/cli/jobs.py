"""`job create | progress | submit | delete` (manual label jobs labelled in LabelDeck), `jobs` and `stats`.
`jobs` and `stats` read through the store's own driver (core/store/driver_reads.py) when they can: no SQLAlchemy,
SQLModel or pydantic to import (tests/unit/test_cli_startup.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from core.auth.access import operator
from core.cli.common import Parents, default_reviewer, escaped, image_root, progress_printer
from core.domain.plural import plural

if TYPE_CHECKING:
    from core.labels.pre_labels import PreLabelSource


def register(sub, parents: Parents) -> None:
    store, as_json = parents.store, parents.json
    job = sub.add_parser("job", parents=[store], help="manual label jobs labelled in LabelDeck")
    job_sub = job.add_subparsers(dest="job_command", required=True)
    create = job_sub.add_parser(
        "create", parents=[store, as_json, parents.created_by], help="create an IN_PROGRESS manual label job"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--spec", metavar="SPEC", help="label spec name or id (default: the auto job's)")
    images = create.add_mutually_exclusive_group()
    images.add_argument("--images", metavar="DIR|URL", help="every image file under DIR or s3://bucket/prefix")
    images.add_argument("--zip", metavar="FILE.zip", help="a zip of images, extracted under data/uploads/")
    pre = create.add_mutually_exclusive_group()
    pre.add_argument(
        "--pre-auto",
        type=int,
        metavar="JOB_ID",
        help="pre-labels: an auto label job's predictions (its images, unless --images or --zip)",
    )
    pre.add_argument("--pre-coco", metavar="FILE", help="pre-labels: COCO dataset or results format (detection)")
    pre.add_argument("--pre-csv", metavar="FILE", help="pre-labels: CSV file_path,label[,x,y,w,h][,score]")
    create.add_argument("--iou", type=float, default=0.5, help="IoU threshold for matching boxes on submit")
    create.set_defaults(func=cmd_job_create)
    progress = job_sub.add_parser("progress", parents=[store, as_json], help="labelled, skipped, unlabelled images")
    progress.add_argument("job_id", type=int)
    progress.set_defaults(func=cmd_job_progress)
    submit = job_sub.add_parser("submit", parents=[store, as_json], help="compute the results; the job turns READY")
    submit.add_argument("job_id", type=int)
    submit.add_argument(
        "--allow-unlabelled", action="store_true", help="leave unlabelled images out (marked skipped, no results)"
    )
    submit.add_argument("--submitted-by", default=default_reviewer())
    submit.set_defaults(func=cmd_job_submit)
    delete = job_sub.add_parser("delete", parents=[store], help="a job and everything of it (its datalog tables stay)")
    delete.add_argument("job_id", type=int)
    delete.set_defaults(func=cmd_job_delete)

    jobs = sub.add_parser("jobs", parents=[store, as_json], help="list label jobs")
    jobs.set_defaults(func=cmd_jobs)

    stats = sub.add_parser("stats", parents=[store, as_json], help="Expert Review Stats of a job")
    stats.add_argument("job_id", type=int)
    stats.set_defaults(func=cmd_stats)


def cmd_job_create(args: argparse.Namespace) -> int:
    from core.jobs.manual import create_manual_job
    from core.jobs.specs import find_spec
    from core.store.db import get_engine

    engine = get_engine(args.db)
    pre: PreLabelSource | None = (
        ("auto_job", args.pre_auto)
        if args.pre_auto is not None
        else ("coco", Path(args.pre_coco))
        if args.pre_coco
        else ("csv", Path(args.pre_csv))
        if args.pre_csv
        else None
    )
    job = create_manual_job(
        engine=engine,
        name=args.name,
        spec_id=find_spec(engine=engine, name_or_id=args.spec).id if args.spec else None,
        images_dir=image_root(args.images) if args.images else None,
        images_zip=Path(args.zip) if args.zip else None,
        pre_labels=pre,
        iou_threshold=args.iou,
        actor=operator(args.created_by),
        progress=progress_printer(args.quiet),
    )
    if args.json:
        print(
            json.dumps(
                {"id": job.id, "name": job.name, "tag": job.tag, "status": job.status, "images": job.image_count}
            )
        )
    else:
        print(
            f"created job {job.id} {job.name!r} ({job.tag}, {job.status}): {plural(job.image_count, 'image')}, "
            f"pre-labels: {escaped(job.pre_label_source)}"
        )
    return 0


def cmd_job_progress(args: argparse.Namespace) -> int:
    from core.jobs.expert_labels import labelling_progress
    from core.store.db import get_engine

    progress = labelling_progress(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps({"job_id": args.job_id, **progress.to_json()}))
        return 0
    print(
        f"job {args.job_id}: {progress.labelled:,} labelled, {progress.skipped:,} skipped, "
        f"{progress.unlabelled:,} unlabelled of {plural(progress.total, 'image')} ({progress.done_share:.0%} done)"
    )
    return 0


def cmd_job_submit(args: argparse.Namespace) -> int:
    from core.jobs.submit import submit_job
    from core.store.db import get_engine

    job = submit_job(
        engine=get_engine(args.db),
        job_id=args.job_id,
        actor=operator(args.submitted_by),
        allow_unlabelled=args.allow_unlabelled,
    )
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "status": job.status, "results": job.result_count}))
    else:
        print(f"submitted job {job.id} {job.name!r}: {job.status}, {plural(job.result_count, 'result')}")
    return 0


def cmd_job_delete(args: argparse.Namespace) -> int:
    from core.jobs.summaries import delete_job
    from core.store.db import get_engine

    delete_job(engine=get_engine(args.db), job_id=args.job_id, actor=operator())
    print(f"deleted job {args.job_id}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from core.store.driver_reads import job_summaries, open_store

    with open_store(args.db) as store:  # the store's own driver: no SQLAlchemy, SQLModel or pydantic to import
        jobs = None if store is None else job_summaries(store)
    if jobs is None:  # a store to create or upgrade, or a URL only SQLAlchemy reads
        from core.jobs.summaries import list_jobs
        from core.store.db import get_engine

        jobs = [j.to_json() for j in list_jobs(engine=get_engine(args.db))]
    if args.json:
        print(json.dumps(jobs, indent=2))
        return 0
    for j in jobs:
        print(
            f"{j['id']:>5}  {j['tag']:<8} {j['status']:<12} {plural(j['images'], 'image'):>16} {plural(j['results'], 'result'):>18}  "
            f"{escaped(j['name'])}"
        )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from core.analysis.stats import cached_job_stats

    stats = cached_job_stats(url=args.db, job_id=args.job_id)  # the cached frame, read through the store's driver
    if stats is None:  # no cached frame yet, a store to create or upgrade, or a URL only SQLAlchemy reads
        from core.analysis.stats import job_stats
        from core.store.db import get_engine

        stats = job_stats(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(
        f"job {stats['job_id']} {escaped(stats['name'])} ({stats['tag']}, {stats['status']}): "
        f"{plural(stats['results'], 'result')}, {stats['class_changed_share']:.1%} class changed"
    )
    print("  by state:     " + " · ".join(f"{k} {v:,}" for k, v in stats["by_state"].items()))
    print("  change kinds: " + " · ".join(f"{k} {v:,}" for k, v in stats["change_kinds"].items()))
    print(f"  {'class':<24}{'True':>10}{'False':>10}")
    for name, row in stats["class_changed"].items():
        print(f"  {escaped(name):<24}{row['true']:>10,}{row['false']:>10,}")
    return 0
