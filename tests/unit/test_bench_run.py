"""`make bench` at a tiny scale, end to end: every section's child process runs against today's services (a service
signature change once broke the export section, found only by the full run) and the report keeps the load test's
sections."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.context import REPO_ROOT

LOAD_BLOCK = (
    "<!-- load:start:postgresql -->\n## Concurrent review load on PostgreSQL\n(kept)\n<!-- load:end:postgresql -->\n"
)


@pytest.mark.slow
def test_the_benchmark_runs_every_section_and_keeps_the_load_sections(tmp_path):
    report = tmp_path / "REPORT.md"
    kept = [
        f"<!-- {name}:start -->\n## the {name} section\n<!-- {name}:end -->\n"
        for name in ("storage", "import", "cli-startup", "scale")
    ]
    report.write_text("# an older report\n\n" + LOAD_BLOCK + "\n" + "\n".join(kept))
    done = subprocess.run(
        # The smallest job that still fills a page of tiles, and one stats run: each section runs once, end to end.
        [
            sys.executable,
            "-m",
            "bench.run",
            "--images",
            "30",
            "--stats-runs",
            "1",
            "--out",
            str(report),
            "--workdir",
            str(tmp_path / "w"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text()
    for measured in (
        "import wall time",
        "stats wall time",
        "first open of the job",
        "filter change rerun",
        "job_quality() cold",
        "results in one action",
        "24 tiles with overlays, cold",
        "COCO export, written to a file",
    ):
        assert measured in text, measured
    assert "an older report" not in text and LOAD_BLOCK.rstrip() in text
    assert all(block in text for block in kept)  # the sections other benchmarks write stay
