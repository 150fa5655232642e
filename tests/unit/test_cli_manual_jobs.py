"""`python -m core spec|import-auto|job` as a user runs them: a spec, an auto label job, a manual job from its
predictions, progress, and a submit that is refused, then allowed."""

from __future__ import annotations

import json
import zipfile

from core import cli
from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from tests.builders import IMAGES, write_detection_job
from tests.manual_builders import label_like_the_expert_file
from tests.resultset_builders import import_catalog_job
from tests.unit.test_cli import run


def test_spec_auto_job_manual_job_progress_and_submit(tmp_path):
    files = write_detection_job(tmp_path / "in")
    spec_id = int(
        run("spec", "create", "--name", "animals", "--task", "detection", "--classes", "cat,dog,bird", "--quiet").stdout
    )
    [spec] = json.loads(run("spec", "list", "--json").stdout)
    assert (spec["id"], spec["name"], [c["name"] for c in spec["classes"]], spec["jobs"]) == (
        spec_id,
        "animals",
        ["cat", "dog", "bird"],
        0,
    )

    auto = json.loads(
        run(
            "import-auto",
            "--name",
            "auto",
            "--images",
            str(files.images_dir),
            "--predictions",
            str(files.pre_path),
            "--classes",
            "cat,dog,bird",
            "--quiet",
            "--json",
        ).stdout
    )
    assert (auto["tag"], auto["status"], auto["images"]) == ("LA-OD", "READY", 2)

    job = json.loads(
        run(
            "job", "create", "--name", "street", "--spec", "animals", "--pre-auto", str(auto["id"]), "--quiet", "--json"
        ).stdout
    )
    assert (job["tag"], job["status"], job["images"]) == ("M-LA-OD", "IN_PROGRESS", 2)
    progress = json.loads(run("job", "progress", str(job["id"]), "--json").stdout)
    assert (progress["total"], progress["unlabelled"]) == (2, 2)

    label_like_the_expert_file(get_engine(get_settings().database_url), job["id"], files=["a.png"])
    refused = run("job", "submit", str(job["id"]), check_rc=2)
    assert "1 of 2 images have no expert label" in refused.stderr and "unlabelled: b.png" in refused.stderr
    done = json.loads(
        run("job", "submit", str(job["id"]), "--allow-unlabelled", "--submitted-by", "ada", "--json").stdout
    )
    assert (done["status"], done["results"]) == ("READY", 3)
    listed = {j["name"]: j for j in json.loads(run("jobs", "--json").stdout)}
    assert listed["street"]["status"] == "READY" and listed["street"]["labelling"] is None
    assert json.loads(run("stats", str(job["id"]), "--json").stdout)["results"] == 3


def test_job_create_from_a_folder_or_a_zip_and_bad_input(tmp_path):
    files = write_detection_job(tmp_path / "in")
    run("spec", "create", "--name", "animals", "--task", "detection", "--classes", "cat,dog,bird", "--quiet")
    out = run(
        "job",
        "create",
        "--name",
        "folder",
        "--spec",
        "animals",
        "--images",
        str(files.images_dir),
        "--pre-coco",
        str(files.pre_path),
        "--quiet",
    ).stdout
    assert "M-LA-OD, IN_PROGRESS): 2 images, pre-labels: import: pre.json" in out
    archive = tmp_path / "images.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for image in IMAGES:
            z.write(files.images_dir / image["file_name"], image["file_name"])
    zipped = json.loads(
        run("job", "create", "--name", "zipped", "--spec", "1", "--zip", str(archive), "--quiet", "--json").stdout
    )
    assert zipped["images"] == 2
    listed = {j["name"]: j for j in json.loads(run("jobs", "--json").stdout)}
    assert listed["zipped"]["labelling"] == {
        "total": 2,
        "labelled": 0,
        "skipped": 0,
        "unlabelled": 2,
        "done_share": 0.0,
    }

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../evil.png", b"x")
    refused = run("job", "create", "--name", "evil", "--spec", "animals", "--zip", str(evil), check_rc=2)
    assert "member '../../evil.png'" in refused.stderr and "'..'" in refused.stderr
    assert (
        "spec 'nope' not found"
        in run("job", "create", "--name", "x", "--spec", "nope", "--images", str(files.images_dir), check_rc=2).stderr
    )
    assert (
        "needs at least 2 classes"
        in run("spec", "create", "--name", "c", "--task", "classification", "--classes", "a", check_rc=2).stderr
    )
    both = run("job", "create", "--name", "x", "--images", "a", "--zip", "b", check_rc=None)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_job_delete_removes_the_job_and_an_unknown_id_exits_2(engine, store_url, tmp_path, capsys):
    job = import_catalog_job(engine, tmp_path / "job")
    assert cli.main(["job", "delete", str(job.id), "--db", store_url]) == 0
    assert capsys.readouterr().out == f"deleted job {job.id}\n"
    assert list_jobs(engine=engine) == []
    assert cli.main(["job", "delete", str(job.id), "--db", store_url]) == 2
    assert f"job {job.id} not found" in capsys.readouterr().err
