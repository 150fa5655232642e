"""`python -m core`: a thin shell over the core services. Exit codes: 0 done, 2 bad input or a busy store, 1
anything else."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core.auth.access import operator
from core.domain.errors import BadInput, NotFound
from core.ops.logs import configure_logging
# Names (and messages quoting file names) are printed through `escaped`: an ESC [ ... in a name must not drive the
# terminal, nor a line break in one start a line of its own (core/domain/names.py).
from core.domain.names import escaped

# Everything heavier (SQLAlchemy, SQLModel, polars, the services) is imported by the commands that use it, inside
# their functions: `jobs` and `stats` read through the store's own driver and start in a fraction of the time
# (tests/unit/test_cli_startup.py keeps it so).
if TYPE_CHECKING:
    from core.exports.split import SplitSpec


def _progress_printer(quiet: bool):
    started = time.perf_counter()

    def report(stage: str, fraction: float) -> None:
        if not quiet:
            print(f"[{fraction:4.0%} {time.perf_counter() - started:6.1f}s] {stage}", file=sys.stderr, flush=True)

    return report


def cmd_demo(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.demo.seed import seed_demo

    engine = get_engine(args.db)
    created = seed_demo(engine=engine, reset=args.reset, if_empty=args.if_empty, progress=_progress_printer(args.quiet))
    if created:
        print(f"demo data: created {', '.join(j.name for j in created)}")
    else:
        print("demo data: nothing to do (the store already has jobs; --reset recreates the demo jobs)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.jobs import ingest
    from core.store.db import get_engine

    engine = get_engine(args.db)
    common = dict(
        engine=engine, name=args.name, images_dir=_image_root(args.images), replace=args.replace,
        check_image_files=not args.skip_image_check, actor=operator(args.created_by),
        progress=_progress_printer(args.quiet),
    )
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    formats = dict(expert_format=args.expert_format or args.format, pre_format=args.pre_format or args.format)
    if args.task == "detection":
        if not args.pre or not args.expert:
            raise BadInput("import --task detection needs --pre PRE.json and --expert EXPERT.json")
        job = ingest.import_detection(**common, pre_path=Path(args.pre), expert_path=Path(args.expert),
                                      iou_threshold=args.iou, classes=classes, **formats)
    elif args.csv:
        job = ingest.import_classification(**common, csv_path=Path(args.csv), classes=classes)
    elif args.pre and args.expert:
        job = ingest.import_classification(**common, expert_path=Path(args.expert), pre_path=Path(args.pre),
                                           classes=classes, **formats)
    else:
        raise BadInput("import --task classification needs --csv LABELS.csv, or --expert and --pre "
                       "(CVAT tags or Label Studio choices)")
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "tag": job.tag, "images": job.image_count,
                          "results": job.result_count}))
    else:
        print(f"imported job {job.id} {job.name!r} ({job.tag}): {job.image_count:,} images, "
              f"{job.result_count:,} results")
    return 0


def _image_root(text: str) -> Path | str:
    """--images: a folder, or a bucket prefix such as s3://bucket/prefix (core/storage; BadInput for credentials in
    it, which would land in the store and the shell's history)."""
    from core.storage import root_from

    return root_from(text)


def _names(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def cmd_import_auto(args: argparse.Namespace) -> int:
    from core.jobs.auto import import_auto_job
    from core.store.db import get_engine

    job = import_auto_job(
        engine=get_engine(args.db), name=args.name, images_dir=_image_root(args.images),
        predictions_path=Path(args.predictions), task=args.task,
        image_list=Path(args.image_list) if args.image_list else None, classes=_names(args.classes),
        status="PROCESSING" if args.processing else "READY", replace=args.replace,
        check_image_files=not args.skip_image_check, actor=operator(args.created_by),
        progress=_progress_printer(args.quiet),
    )
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "tag": job.tag, "status": job.status,
                          "images": job.image_count}))
    else:
        print(f"imported auto label job {job.id} {job.name!r} ({job.tag}, {job.status}): {job.image_count:,} images")
    return 0


def cmd_spec_create(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.specs import ClassInput, create_spec

    spec = create_spec(engine=get_engine(args.db), name=args.name, task=args.task,
                       classes=[ClassInput(name=n) for n in _names(args.classes) or []], actor=operator())
    if not args.quiet:
        print(f"created label spec {spec.id} {spec.name!r} ({spec.task})", file=sys.stderr)
    print(spec.id)
    return 0


def cmd_spec_list(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.specs import list_specs

    specs = list_specs(engine=get_engine(args.db))
    if args.json:
        print(json.dumps([{"id": s.spec.id, "name": s.spec.name, "task": s.spec.task, "jobs": s.jobs,
                           "classes": [{"name": c.name, "display_name": c.display_name, "color": c.color}
                                       for c in s.classes]} for s in specs], indent=2))
        return 0
    for s in specs:
        print(f"{s.spec.id:>5}  {s.spec.task:<15} {s.jobs:>3} jobs  {escaped(s.spec.name)}: "
              + ", ".join(escaped(c.name) for c in s.classes))
    return 0


def cmd_job_create(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.manual import create_manual_job
    from core.jobs.specs import find_spec

    engine = get_engine(args.db)
    pre = (("auto_job", args.pre_auto) if args.pre_auto is not None else ("coco", Path(args.pre_coco))
           if args.pre_coco else ("csv", Path(args.pre_csv)) if args.pre_csv else None)
    job = create_manual_job(
        engine=engine, name=args.name,
        spec_id=find_spec(engine=engine, name_or_id=args.spec).id if args.spec else None,
        images_dir=_image_root(args.images) if args.images else None, images_zip=Path(args.zip) if args.zip else None,
        pre_labels=pre, iou_threshold=args.iou, actor=operator(args.created_by), progress=_progress_printer(args.quiet),
    )
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "tag": job.tag, "status": job.status,
                          "images": job.image_count}))
    else:
        print(f"created job {job.id} {job.name!r} ({job.tag}, {job.status}): {job.image_count:,} images, "
              f"pre-labels: {escaped(job.pre_label_source)}")
    return 0


def cmd_job_progress(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.expert_labels import labelling_progress

    progress = labelling_progress(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps({"job_id": args.job_id, **progress.to_json()}))
        return 0
    print(f"job {args.job_id}: {progress.labelled:,} labelled, {progress.skipped:,} skipped, "
          f"{progress.unlabelled:,} unlabelled of {progress.total:,} images ({progress.done_share:.0%} done)")
    return 0


def cmd_job_submit(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.manual import submit_job

    job = submit_job(engine=get_engine(args.db), job_id=args.job_id, actor=operator(args.submitted_by),
                     allow_unlabelled=args.allow_unlabelled)
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "status": job.status, "results": job.result_count}))
    else:
        print(f"submitted job {job.id} {job.name!r}: {job.status}, {job.result_count:,} results")
    return 0


def cmd_rework(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.rework import create_rework_job

    made = create_rework_job(engine=get_engine(args.db), job_id=args.job_id, from_state=args.from_state,
                             classes=args.classes, name=args.name, actor=operator(args.reviewer))
    job = made.job
    if args.json:
        print(json.dumps({"id": job.id, "name": job.name, "status": job.status, "origin_job_id": job.origin_job_id,
                          "images": job.image_count, "results": made.results,
                          "already_sent_back": made.already_sent_back}))
    else:
        print(f"rework job {job.id} {job.name!r} ({job.tag}, {job.status}): {made.results:,} rejected results of "
              f"job {job.origin_job_id} on {job.image_count:,} images sent back for relabelling"
              + (f"; {made.already_sent_back:,} already in a rework job, left out" if made.already_sent_back
                 else ""))
    return 0


def cmd_job_delete(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.jobs.summaries import delete_job

    delete_job(engine=get_engine(args.db), job_id=args.job_id, actor=operator())
    print(f"deleted job {args.job_id}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from core.store.driver_reads import job_summaries, open_store

    with open_store(args.db) as store:  # the store's own driver: no SQLAlchemy, SQLModel or pydantic to import
        jobs = None if store is None else job_summaries(store)
    if jobs is None:  # a store to create or upgrade, or a URL only SQLAlchemy reads
        from core.store.db import get_engine
        from core.jobs.summaries import list_jobs

        jobs = [j.to_json() for j in list_jobs(engine=get_engine(args.db))]
    if args.json:
        print(json.dumps(jobs, indent=2))
        return 0
    for j in jobs:
        print(f"{j['id']:>5}  {j['tag']:<8} {j['status']:<12} {j['images']:>9,} images {j['results']:>10,} results  "
              f"{escaped(j['name'])}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from core.analysis.stats import cached_job_stats

    stats = cached_job_stats(url=args.db, job_id=args.job_id)  # the cached frame, read through the store's driver
    if stats is None:  # no cached frame yet, a store to create or upgrade, or a URL only SQLAlchemy reads
        from core.store.db import get_engine
        from core.analysis.stats import job_stats

        stats = job_stats(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(f"job {stats['job_id']} {escaped(stats['name'])} ({stats['tag']}, {stats['status']}): "
          f"{stats['results']:,} results, {stats['class_changed_share']:.1%} class changed")
    print("  by state:     " + " · ".join(f"{k} {v:,}" for k, v in stats["by_state"].items()))
    print("  change kinds: " + " · ".join(f"{k} {v:,}" for k, v in stats["change_kinds"].items()))
    print(f"  {'class':<24}{'True':>10}{'False':>10}")
    for name, row in stats["class_changed"].items():
        print(f"  {escaped(name):<24}{row['true']:>10,}{row['false']:>10,}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """Select results as the Visualize page does (filters over the results frame with its review states), then
    one review action on them."""
    import polars as pl

    from core.review import decisions as review
    from core.store.db import get_engine
    from core.analysis.filters import ResultFilter, to_query_params
    from core.jobs.summaries import spec_classes
    from core.analysis.queries import with_states
    from core.analysis.results_frame import load_results, review_states
    from core.jobs.lookup import get_job
    from core.domain.vocabulary import REMOVED_ROW

    engine = get_engine(args.db)
    job = get_job(engine, args.job_id)
    classes = tuple(dict.fromkeys(args.classes or ()))
    known = [c.name for c in spec_classes(engine=engine, spec_id=job.spec_id)] + [REMOVED_ROW]
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise BadInput(f"--class {', '.join(unknown)}: not a class of job {job.id} ({', '.join(known)})")
    if args.from_state == args.to_state:
        raise BadInput(f"--from and --to are both {args.to_state}: nothing would move")
    changed = None if args.changed is None else args.changed == "true"
    result_filter = ResultFilter(classes=classes, class_changed=changed)
    results = with_states(load_results(engine, job, columns=["result_id", "class_row", "class_changed"]),
                          review_states(engine, job.id))
    seen = (pl.col("review_state") == args.from_state) if args.from_state else (pl.col("review_state") != args.to_state)
    ids = results.filter(result_filter.expr() & seen)["result_id"].to_list()
    tab = {"tab": args.from_state} if args.from_state else {}
    selection = {"via": "cli", **tab, **to_query_params(result_filter)}
    outcome = review.move(engine=engine, job_id=job.id, result_ids=ids, from_state=args.from_state,
                          to_state=args.to_state, actor=operator(args.reviewer), reason=args.reason,
                          selection=selection)
    if args.json:
        print(json.dumps({"job_id": job.id, "from": args.from_state, "to": args.to_state, "reviewer": args.reviewer,
                          **_outcome_json(outcome)}))
        return 0
    print(f"job {job.id}: moved {outcome.moved:,} of {outcome.requested:,} selected results "
          f"{args.from_state or 'any'} → {args.to_state}"
          + (f" (event {outcome.event_id})" if outcome.event_id else "")
          + (f"; {outcome.changed_elsewhere:,} had changed elsewhere, left as they are" if outcome.changed_elsewhere
             else ""))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from core.review import decisions as review
    from core.store.db import get_engine

    outcome = review.undo_last(engine=get_engine(args.db), job_id=args.job_id, actor=operator(args.reviewer))
    if args.json:
        print(json.dumps(None if outcome is None else {"job_id": args.job_id, **_outcome_json(outcome)}))
        return 0
    if outcome is None:
        print(f"job {args.job_id}: {args.reviewer} has no review action left to undo")
        return 0
    print(f"job {args.job_id}: undid {args.reviewer}'s last action (event {outcome.event_id}): moved "
          f"{outcome.moved:,} of {outcome.requested:,} results back"
          + (f"; {outcome.changed_elsewhere:,} had changed elsewhere since, left as they are"
             if outcome.changed_elsewhere else ""))
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from core.review import decisions as review
    from core.store.db import get_engine

    events = review.list_events(engine=get_engine(args.db), job_id=args.job_id, reviewer=args.reviewer,
                                limit=args.limit)
    undone_by = {e.undoes_event_id: e.id for e in events if e.undoes_event_id is not None}
    if args.json:
        detail = {"result_ids", "from_states", "to_states"}
        print(json.dumps([
            {**e.model_dump(exclude=set() if args.ids else detail), "created_at": e.created_at.isoformat(),
             "undone_by": undone_by.get(e.id)}
            for e in events
        ], indent=2))
        return 0
    for e in events:
        notes = [f"“{escaped(e.reason)}”"] if e.reason else []
        notes += [f"undoes {e.undoes_event_id}"] if e.undoes_event_id else []
        notes += [f"undone by {undone_by[e.id]}"] if e.id in undone_by else []
        print(f"{e.id:>6}  {e.created_at:%Y-%m-%d %H:%M:%S}  {e.reviewer:<12} {e.from_state or 'mixed':>8} → "
              f"{e.to_state or 'mixed':<8} {e.result_count:>10,} results  {'  '.join(notes)}".rstrip())
    return 0


def _outcome_json(outcome) -> dict:
    return {"event_id": outcome.event_id, "requested": outcome.requested, "moved": outcome.moved,
            "changed_elsewhere": outcome.changed_elsewhere}


def _default_reviewer() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "cli"


def cmd_resultset_create(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.review.resultsets import create_resultset

    resultset = create_resultset(engine=get_engine(args.db), job_id=args.job_id, name=args.name, note=args.note,
                                 actor=operator(args.created_by))
    if not args.quiet:
        print(f"created ResultSet {resultset.id} {resultset.name!r}: {resultset.item_count:,} accepted results",
              file=sys.stderr)
    print(resultset.id)
    return 0


def cmd_resultset_list(args: argparse.Namespace) -> int:
    from core.store.db import get_engine
    from core.review.resultsets import list_resultsets

    resultsets = list_resultsets(engine=get_engine(args.db), job_id=args.job_id)
    if args.json:
        print(json.dumps([{**r.model_dump(), "created_at": r.created_at.isoformat()} for r in resultsets], indent=2))
        return 0
    for r in resultsets:
        images = (f"{r.complete_images:,} complete / {r.partial_images:,} partial images"  # as saved
                  if r.complete_images is not None and r.partial_images is not None else "images not counted")
        print(f"{r.id:>5}  {r.item_count:>10,} items  {images:>36}  {r.created_at:%Y-%m-%d %H:%M}  "
              f"{r.created_by:<12} {escaped(r.name)}")
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
        table = exports.export_to_table(engine=engine, resultset_id=args.resultset_id, table=args.table,
                                        replace=args.replace, include_partial=args.include_partial,
                                        actor=operator(args.created_by))
        done = f"datalog table {table.name}: {table.row_count:,} rows from ResultSet {table.resultset_id}"
        written = {"table": table.name, "rows": table.row_count}
    else:
        if not args.format or not args.out:
            raise BadInput("export needs --format coco|yolo|voc|csv and --out PATH, or --table NAME")
        if args.replace:
            raise BadInput("export --replace is for --table only")
        path = exports.write_export(engine=engine, resultset_id=args.resultset_id, format=args.format,
                                    out=Path(args.out), include_partial=args.include_partial, actor=operator(),
                                    split=split, include_images=args.with_images,
                                    progress=_progress_printer(args.quiet) if args.with_images else None)
        done = f"wrote {args.format} export of ResultSet {args.resultset_id}" + (
            " with its images" if args.with_images else "") + f" to {path}"
        written = {"format": args.format, "path": str(path)}
        if args.with_images:
            written["images_included"] = True
        if split:
            done += f" (split {args.split}, seed {split.seed}{', stratified' if split.stratify else ''})"
            written["split"] = split.describe()
    summary = exports.export_summary(engine=engine, resultset_id=args.resultset_id,
                                     include_partial=args.include_partial)
    partial = summary.partial_images
    if args.json:
        print(json.dumps({"resultset_id": args.resultset_id, **written, "complete_images": summary.complete_images,
                          "partial_images_included": partial.included, "partial_images": partial.counts()},
                         indent=2))
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


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise BadInput("the two passwords differ")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    password = None if args.no_password else _password(args)
    user = users.add_user(engine=get_engine(args.db), name=args.name, role=args.role, password=password,
                          actor=operator())
    print(f"added {user.name} ({user.role.value}{', no password' if not user.has_password else ''})")
    return 0


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.set_role(engine=get_engine(args.db), name=args.name, role=args.role, actor=operator())
    print(f"{user.name} is now a {user.role.value}")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.set_password(engine=get_engine(args.db), name=args.name, password=_password(args),
                              actor=operator())
    print(f"new password set for {user.name}")
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.unlock(engine=get_engine(args.db), name=args.name, actor=operator())
    print(f"{user.name} is unlocked")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    users.remove_user(engine=get_engine(args.db), name=args.name, actor=operator())
    print(f"removed {args.name}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    accounts = users.list_users(engine=get_engine(args.db))
    if args.json:
        print(json.dumps([{"name": u.name, "role": u.role.value, "has_password": u.has_password,
                           "locked_until": u.locked_until.isoformat() if u.locked_until else None,
                           "failed_attempts": u.failed_attempts} for u in accounts], indent=2))
        return 0
    for u in accounts:
        locked = u.locked_until is not None and u.locked_until > datetime.now(UTC)
        state = f"locked until {u.locked_until:%Y-%m-%d %H:%M} UTC" if locked else ""
        print(f"{u.name:<24} {u.role.value:<9} {'password' if u.has_password else 'no password':<12} {state}".rstrip())
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from core.ops.health import health
    from core.settings import get_settings

    settings = get_settings()
    if args.db:
        settings = type(settings)(**{**settings.__dict__, "database_url": args.db})
    checks = health(settings)
    print(json.dumps({"ok": all(c.ok for c in checks), "checks": [c.__dict__ for c in checks]}, indent=2))
    return 0 if all(c.ok for c in checks) else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from core.ops.backup import backup_sqlite
    from core.settings import get_settings

    path = backup_sqlite(url=args.db or get_settings().database_url, out=Path(args.out))
    print(f"backed up the store to {path} ({path.stat().st_size:,} bytes)")
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
    imp.add_argument("--images", required=True, metavar="DIR|URL",
                     help="image root, a folder or s3://bucket/prefix; file names are relative to it")
    imp.add_argument("--pre", metavar="PRE", help="pre-labels: a COCO dataset or results file, a YOLO labels "
                     "folder, a Pascal VOC folder, a CVAT XML or a Label Studio JSON export")
    imp.add_argument("--expert", metavar="EXPERT", help="expert labels, in any of the --pre formats but COCO results")
    imp.add_argument("--csv", metavar="LABELS.csv", help="file_path,pre_label,expert_label[,confidence]")
    imp.add_argument("--classes", metavar="A,B,C", help="the label spec's classes; other labels are errors "
                     "(detection: for formats that do not list their classes: VOC, Label Studio, CVAT without <meta>)")
    label_format_choices = ["auto", "coco", "yolo", "voc", "cvat", "label_studio"]
    imp.add_argument("--format", choices=label_format_choices, default=None,
                     help="the format of --expert and --pre (default: told from the files)")
    imp.add_argument("--expert-format", choices=label_format_choices, default=None, help="--format for --expert")
    imp.add_argument("--pre-format", choices=label_format_choices, default=None, help="--format for --pre")
    imp.add_argument("--iou", type=float, default=0.5, help="IoU threshold for matching boxes (default 0.5)")
    imp.add_argument("--replace", action="store_true", help="replace a job of the same name")
    imp.add_argument("--skip-image-check", action="store_true",
                     help="do not open the image files (bench and trusted data only); sizes come from the labels")
    imp.add_argument("--created-by", default="cli")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    auto = sub.add_parser("import-auto", parents=[store],
                          help="import an auto label job's predictions (LA-OD, LA-CL), the pre-labels of manual jobs")
    auto.add_argument("--name", required=True)
    auto.add_argument("--images", required=True, metavar="DIR|URL",
                      help="image root, a folder or s3://bucket/prefix; file names are relative to it")
    auto.add_argument("--predictions", required=True, metavar="FILE",
                      help="detection: COCO dataset or results format; classification: CSV file_path,label[,score]")
    auto.add_argument("--task", choices=["detection", "classification"], default="detection")
    auto.add_argument("--image-list", metavar="COCO.json",
                      help="results format: the COCO images (and categories) its ids refer to "
                           "(default: the folder's images sorted by path, numbered from 1)")
    auto.add_argument("--classes", metavar="A,B,C", help="the classes, in category id order (results format) or "
                                                         "in spec order (classification)")
    auto.add_argument("--processing", action="store_true", help="the model is still running: no predictions yet")
    auto.add_argument("--replace", action="store_true", help="replace a job of the same name")
    auto.add_argument("--skip-image-check", action="store_true", help="do not open the listed image files")
    auto.add_argument("--created-by", default="cli")
    auto.add_argument("--json", action="store_true")
    auto.set_defaults(func=cmd_import_auto)

    spec = sub.add_parser("spec", parents=[store], help="label specs: a task and its classes")
    spec_sub = spec.add_subparsers(dest="spec_command", required=True)
    spec_create = spec_sub.add_parser("create", parents=[store], help="create a label spec; prints its id")
    spec_create.add_argument("--name", required=True)
    spec_create.add_argument("--task", choices=["detection", "classification"], required=True)
    spec_create.add_argument("--classes", required=True, metavar="A,B,C")
    spec_create.set_defaults(func=cmd_spec_create)
    spec_list = spec_sub.add_parser("list", parents=[store], help="every label spec with its classes")
    spec_list.add_argument("--json", action="store_true")
    spec_list.set_defaults(func=cmd_spec_list)

    job = sub.add_parser("job", parents=[store], help="manual label jobs labelled in LabelDeck")
    job_sub = job.add_subparsers(dest="job_command", required=True)
    job_create = job_sub.add_parser("create", parents=[store], help="create an IN_PROGRESS manual label job")
    job_create.add_argument("--name", required=True)
    job_create.add_argument("--spec", metavar="SPEC", help="label spec name or id (default: the auto job's)")
    images = job_create.add_mutually_exclusive_group()
    images.add_argument("--images", metavar="DIR|URL", help="every image file under DIR or s3://bucket/prefix")
    images.add_argument("--zip", metavar="FILE.zip", help="a zip of images, extracted under data/uploads/")
    pre = job_create.add_mutually_exclusive_group()
    pre.add_argument("--pre-auto", type=int, metavar="JOB_ID", help="pre-labels: an auto label job's predictions "
                                                                    "(its images, unless --images or --zip)")
    pre.add_argument("--pre-coco", metavar="FILE", help="pre-labels: COCO dataset or results format (detection)")
    pre.add_argument("--pre-csv", metavar="FILE", help="pre-labels: CSV file_path,label[,x,y,w,h][,score]")
    job_create.add_argument("--iou", type=float, default=0.5, help="IoU threshold for matching boxes on submit")
    job_create.add_argument("--created-by", default="cli")
    job_create.add_argument("--json", action="store_true")
    job_create.set_defaults(func=cmd_job_create)
    job_progress = job_sub.add_parser("progress", parents=[store], help="labelled, skipped, unlabelled images")
    job_progress.add_argument("job_id", type=int)
    job_progress.add_argument("--json", action="store_true")
    job_progress.set_defaults(func=cmd_job_progress)
    job_submit = job_sub.add_parser("submit", parents=[store], help="compute the results; the job turns READY")
    job_submit.add_argument("job_id", type=int)
    job_submit.add_argument("--allow-unlabelled", action="store_true",
                            help="leave unlabelled images out (marked skipped, no results)")
    job_submit.add_argument("--submitted-by", default=_default_reviewer())
    job_submit.add_argument("--json", action="store_true")
    job_submit.set_defaults(func=cmd_job_submit)
    job_delete = job_sub.add_parser("delete", parents=[store], help="a job and everything of it (its datalog "
                                                                    "tables stay)")
    job_delete.add_argument("job_id", type=int)
    job_delete.set_defaults(func=cmd_job_delete)

    jobs = sub.add_parser("jobs", parents=[store], help="list label jobs")
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(func=cmd_jobs)

    stats = sub.add_parser("stats", parents=[store], help="Expert Review Stats of a job")
    stats.add_argument("job_id", type=int)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)

    states = ["pending", "accepted", "rejected"]
    rev = sub.add_parser("review", parents=[store], help="move the selected results of a job to a review state")
    rev.add_argument("job_id", type=int)
    rev.add_argument("--to", dest="to_state", choices=states, required=True)
    rev.add_argument("--from", dest="from_state", choices=states,
                     help="only results in this state, the tab the reviewer looks at (default: any other state)")
    rev.add_argument("--class", dest="classes", action="append", metavar="NAME",
                     help="expert review class, repeatable ((removed) for removed boxes)")
    rev.add_argument("--changed", choices=["true", "false"], help="Class Changed")
    rev.add_argument("--reviewer", default=_default_reviewer(), help="recorded with the action (default: login name)")
    rev.add_argument("--reason")
    rev.add_argument("--json", action="store_true")
    rev.set_defaults(func=cmd_review)

    rework = sub.add_parser("rework", parents=[store], help="send rejected results back for relabelling: a new "
                                                             "manual label job on their images")
    rework.add_argument("job_id", type=int)
    rework.add_argument("--from", dest="from_state", choices=["rejected"], default="rejected")
    rework.add_argument("--class", dest="classes", action="append", metavar="NAME",
                        help="expert review class, repeatable ((removed) for removed boxes)")
    rework.add_argument("--name", required=True, help="the rework job's name")
    rework.add_argument("--reviewer", default=_default_reviewer(), help="recorded as the sender (default: login name)")
    rework.add_argument("--json", action="store_true")
    rework.set_defaults(func=cmd_rework)

    undo = sub.add_parser("undo", parents=[store], help="undo a reviewer's last review action on a job")
    undo.add_argument("job_id", type=int)
    undo.add_argument("--reviewer", required=True)
    undo.add_argument("--json", action="store_true")
    undo.set_defaults(func=cmd_undo)

    events = sub.add_parser("events", parents=[store], help="a job's review events, newest first")
    events.add_argument("job_id", type=int)
    events.add_argument("--reviewer")
    events.add_argument("--limit", type=int)
    events.add_argument("--ids", action="store_true", help="with --json: each event's result ids too")
    events.add_argument("--json", action="store_true")
    events.set_defaults(func=cmd_events)

    resultset = sub.add_parser("resultset", parents=[store], help="ResultSets: snapshots of accepted results")
    resultset_sub = resultset.add_subparsers(dest="resultset_command", required=True)
    create = resultset_sub.add_parser("create", parents=[store], help="save the job's accepted results; prints its id")
    create.add_argument("job_id", type=int)
    create.add_argument("--name", required=True)
    create.add_argument("--note")
    create.add_argument("--created-by", default="cli")
    create.set_defaults(func=cmd_resultset_create)
    listing = resultset_sub.add_parser("list", parents=[store], help="a job's ResultSets, newest first")
    listing.add_argument("job_id", type=int)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_resultset_list)

    export = sub.add_parser("export", parents=[store], help="export a ResultSet to a file or a datalog table")
    export.add_argument("resultset_id", type=int)
    export.add_argument("--format", choices=["coco", "yolo", "voc", "csv"])
    export.add_argument("--out", metavar="PATH", help="file to write (or an existing folder)")
    export.add_argument("--table", metavar="NAME", help="datalog table to write in the store's database")
    export.add_argument("--replace", action="store_true", help="replace the rows of an existing datalog table")
    export.add_argument("--created-by", default="cli")
    export.add_argument("--include-partial", action="store_true",
                        help="also export images with results that are not in the ResultSet (pending, rejected)")
    export.add_argument("--split", metavar="train=F,val=F[,test=F]",
                        help="split the images into train/val(/test), fractions adding up to 1")
    export.add_argument("--seed", type=int, help="the split's seed (default 0): the same seed, the same split")
    export.add_argument("--stratify", action="store_true",
                        help="split each image's rarest class in the fractions, not only the whole")
    export.add_argument("--with-images", action="store_true",
                        help="copy the image files into the zip (coco, yolo, voc; COCO becomes a zip), "
                             "progress on stderr")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=cmd_export)

    health = sub.add_parser("health", parents=[store], help="store and data folder checks; exit 0 healthy, 1 not")
    health.set_defaults(func=cmd_health)
    backup = sub.add_parser("backup", parents=[store], help="a consistent copy of the SQLite store, while it serves")
    backup.add_argument("--out", required=True, metavar="PATH", help="file to write (or an existing folder)")
    backup.set_defaults(func=cmd_backup)

    users = sub.add_parser("users", parents=[store], help="LabelDeck accounts and their roles")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    roles = ["viewer", "reviewer", "admin"]
    add = users_sub.add_parser("add", parents=[store], help="a new account; asks for its password")
    add.add_argument("name")
    add.add_argument("--role", choices=roles, required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    add.add_argument("--no-password", action="store_true",
                     help="no password sign-in: the account only fixes the role of an OIDC or proxy identity")
    add.set_defaults(func=cmd_users_add)
    role = users_sub.add_parser("set-role", parents=[store], help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=roles)
    role.set_defaults(func=cmd_users_set_role)
    passwd = users_sub.add_parser("passwd", parents=[store], help="set an account's password (clears a lockout)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_users_passwd)
    unlock = users_sub.add_parser("unlock", parents=[store], help="lift a lockout after failed sign-ins")
    unlock.add_argument("name")
    unlock.set_defaults(func=cmd_users_unlock)
    remove = users_sub.add_parser("remove", parents=[store], help="delete an account")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_users_remove)
    users_list = users_sub.add_parser("list", parents=[store], help="every account with its role")
    users_list.add_argument("--json", action="store_true")
    users_list.set_defaults(func=cmd_users_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    args.db = getattr(args, "db", None)
    args.quiet = getattr(args, "quiet", False)
    try:
        return args.func(args)
    except (BadInput, NotFound) as exc:
        print("error: " + escaped(str(exc), keep="\n"), file=sys.stderr)
        return 2
    except Exception as exc:  # the CLI's contract: 1 for anything unexpected, with the reason, not a bare crash
        from core.store.db import store_problem, store_unavailable

        problem, message = store_problem(exc), store_unavailable(exc)
        print(f"error: {message or f'{type(exc).__name__}: {exc}'}", file=sys.stderr)
        # A busy store changed nothing and is like bad input to a script: run it again later, no bug to report.
        return 2 if problem and problem[0] == "busy" else 1
