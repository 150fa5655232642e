"""`import` (a finished manual label job) and `import-auto` (an auto label job's predictions)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.auth.access import operator
from core.cli.common import Parents, image_root, names, progress_printer
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import TASKS, JobStatus

# The label formats `import` reads, as core/labels/formats names them (FORMATS there, which imports polars and
# Pillow: too heavy for the parser every command builds; tests/unit/test_cli_choices.py keeps the two equal).
LABEL_FORMATS = ("coco", "yolo", "voc", "cvat", "label_studio")


def register(sub, parents: Parents) -> None:
    imp = sub.add_parser(
        "import", parents=[parents.store, parents.json, parents.created_by], help="import a finished manual label job"
    )
    imp.add_argument("--task", choices=TASKS, required=True)
    imp.add_argument("--name", required=True)
    imp.add_argument(
        "--images",
        required=True,
        metavar="DIR|URL",
        help="image root, a folder or s3://bucket/prefix; file names are relative to it",
    )
    imp.add_argument(
        "--pre",
        metavar="PRE",
        help="pre-labels: a COCO dataset or results file, a YOLO labels "
        "folder, a Pascal VOC folder, a CVAT XML or a Label Studio JSON export",
    )
    imp.add_argument("--expert", metavar="EXPERT", help="expert labels, in any of the --pre formats but COCO results")
    imp.add_argument("--csv", metavar="LABELS.csv", help="file_path,pre_label,expert_label[,confidence]")
    imp.add_argument(
        "--classes",
        metavar="A,B,C",
        help="the label spec's classes; other labels are errors "
        "(detection: for formats that do not list their classes: VOC, Label Studio, CVAT without <meta>)",
    )
    label_format_choices = ["auto", *LABEL_FORMATS]
    imp.add_argument(
        "--format",
        choices=label_format_choices,
        default=None,
        help="the format of --expert and --pre (default: told from the files)",
    )
    imp.add_argument("--expert-format", choices=label_format_choices, default=None, help="--format for --expert")
    imp.add_argument("--pre-format", choices=label_format_choices, default=None, help="--format for --pre")
    imp.add_argument("--iou", type=float, default=0.5, help="IoU threshold for matching boxes (default 0.5)")
    imp.add_argument("--replace", action="store_true", help="replace a job of the same name")
    imp.add_argument(
        "--skip-image-check",
        action="store_true",
        help="do not open the image files (bench and trusted data only); sizes come from the labels",
    )
    imp.set_defaults(func=cmd_import)

    auto = sub.add_parser(
        "import-auto",
        parents=[parents.store, parents.json, parents.created_by],
        help="import an auto label job's predictions (LA-OD, LA-CL), the pre-labels of manual jobs",
    )
    auto.add_argument("--name", required=True)
    auto.add_argument(
        "--images",
        required=True,
        metavar="DIR|URL",
        help="image root, a folder or s3://bucket/prefix; file names are relative to it",
    )
    auto.add_argument(
        "--predictions",
        required=True,
        metavar="FILE",
        help="detection: COCO dataset or results format; classification: CSV file_path,label[,score]",
    )
    auto.add_argument("--task", choices=TASKS, default="detection")
    auto.add_argument(
        "--image-list",
        metavar="COCO.json",
        help="results format: the COCO images (and categories) its ids refer to "
        "(default: the folder's images sorted by path, numbered from 1)",
    )
    auto.add_argument(
        "--classes",
        metavar="A,B,C",
        help="the classes, in category id order (results format) or in spec order (classification)",
    )
    auto.add_argument("--processing", action="store_true", help="the model is still running: no predictions yet")
    auto.add_argument("--replace", action="store_true", help="replace a job of the same name")
    auto.add_argument("--skip-image-check", action="store_true", help="do not open the listed image files")
    auto.set_defaults(func=cmd_import_auto)


def cmd_import(args: argparse.Namespace) -> int:
    from core.jobs import ingest
    from core.store.db import get_engine

    engine = get_engine(args.db)
    common = dict(
        engine=engine,
        name=args.name,
        images_dir=image_root(args.images),
        replace=args.replace,
        check_image_files=not args.skip_image_check,
        actor=operator(args.created_by),
        progress=progress_printer(args.quiet),
    )
    classes = names(args.classes)
    formats = dict(expert_format=args.expert_format or args.format, pre_format=args.pre_format or args.format)
    if args.task == "detection":
        if not args.pre or not args.expert:
            raise BadInput("import --task detection needs --pre PRE.json and --expert EXPERT.json")
        job = ingest.import_detection(
            **common,
            pre_path=Path(args.pre),
            expert_path=Path(args.expert),
            iou_threshold=args.iou,
            classes=classes,
            **formats,
        )
    elif args.csv:
        job = ingest.import_classification(**common, csv_path=Path(args.csv), classes=classes)
    elif args.pre and args.expert:
        job = ingest.import_classification(
            **common, expert_path=Path(args.expert), pre_path=Path(args.pre), classes=classes, **formats
        )
    else:
        raise BadInput(
            "import --task classification needs --csv LABELS.csv, or --expert and --pre "
            "(CVAT tags or Label Studio choices)"
        )
    if args.json:
        print(
            json.dumps(
                {"id": job.id, "name": job.name, "tag": job.tag, "images": job.image_count, "results": job.result_count}
            )
        )
    else:
        print(
            f"imported job {job.id} {job.name!r} ({job.tag}): {plural(job.image_count, 'image')}, "
            f"{plural(job.result_count, 'result')}"
        )
    return 0


def cmd_import_auto(args: argparse.Namespace) -> int:
    from core.jobs.auto import import_auto_job
    from core.store.db import get_engine

    job = import_auto_job(
        engine=get_engine(args.db),
        name=args.name,
        images_dir=image_root(args.images),
        predictions_path=Path(args.predictions),
        task=args.task,
        image_list=Path(args.image_list) if args.image_list else None,
        classes=names(args.classes),
        status=JobStatus.PROCESSING if args.processing else JobStatus.READY,
        replace=args.replace,
        check_image_files=not args.skip_image_check,
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
            f"imported auto label job {job.id} {job.name!r} ({job.tag}, {job.status}): {plural(job.image_count, 'image')}"
        )
    return 0
