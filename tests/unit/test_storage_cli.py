"""`python -m core import|import-auto|job create --images s3://bucket/prefix` as a user runs them, against moto's
S3 server on 127.0.0.1: the jobs read their images from the bucket, stats as from a folder; a URL with credentials
is refused (exit 2) without echoing them."""

from __future__ import annotations

import json

from tests.builders import write_detection_job
from tests.s3_server import s3_root, s3_server  # noqa: F401
from tests.unit.test_cli import run


def test_import_import_auto_and_job_create_read_a_bucket_prefix(tmp_path, s3_root):
    files = write_detection_job(tmp_path / "in")
    s3_root.put_folder(files.images_dir)
    common = ["--pre", str(files.pre_path), "--expert", str(files.expert_path), "--json"]
    local = json.loads(
        run("import", "--task", "detection", "--name", "folder", "--images", str(files.images_dir), *common).stdout
    )
    bucket = json.loads(
        run("import", "--task", "detection", "--name", "bucket", "--images", s3_root.root, *common).stdout
    )
    stats = [json.loads(run("stats", str(job["id"]), "--json").stdout) for job in (local, bucket)]
    assert {k: v for k, v in stats[1].items() if k not in ("job_id", "name")} == {
        k: v for k, v in stats[0].items() if k not in ("job_id", "name")
    }

    auto = json.loads(
        run(
            "import-auto",
            "--name",
            "auto",
            "--images",
            s3_root.root,
            "--predictions",
            str(files.pre_path),
            "--classes",
            "cat,dog,bird",
            "--quiet",
            "--json",
        ).stdout
    )
    assert (auto["status"], auto["images"]) == ("READY", 2)
    run("spec", "create", "--name", "animals", "--task", "detection", "--classes", "cat,dog,bird", "--quiet")
    made = json.loads(
        run(
            "job", "create", "--name", "street", "--spec", "animals", "--images", s3_root.root, "--quiet", "--json"
        ).stdout
    )
    assert (made["status"], made["images"]) == ("IN_PROGRESS", 2)

    health = json.loads(run("health").stdout)
    roots = [c for c in health["checks"] if c["name"].startswith("images of job")]
    assert [(c["ok"], c["detail"]) for c in roots] == [
        (True, f"{files.images_dir}: folder exists"),
        (True, f"{s3_root.root}: listable"),
    ]
    assert f"jobs {bucket['id']} 'bucket', {auto['id']} 'auto', {made['id']} 'street'" in roots[1]["name"]


def test_a_url_with_credentials_is_refused_without_echoing_them(tmp_path, s3_root):
    files = write_detection_job(tmp_path / "in")
    refused = run(
        "import",
        "--task",
        "detection",
        "--name",
        "x",
        "--images",
        "s3://AKIAEXAMPLE:very-secret@bucket/images",
        "--pre",
        str(files.pre_path),
        "--expert",
        str(files.expert_path),
        check_rc=2,
    )
    assert "credentials" in refused.stderr
    assert "very-secret" not in refused.stderr + refused.stdout and "AKIAEXAMPLE" not in refused.stderr
