"""bench/storage.py: its section of the report, written and kept when bench/run.py rewrites the report."""

from __future__ import annotations

from bench.storage import keep_storage_block, main


def test_the_storage_bench_writes_its_section_and_the_full_bench_keeps_it(tmp_path):
    out = tmp_path / "REPORT.md"
    out.write_text("# Report\n\nother sections\n")
    assert main(["--images", "20", "--out", str(out)]) == 0
    report = out.read_text()
    assert report.startswith("# Report\n\nother sections\n")
    assert "| image checks, 20 images, bucket, cold |" in report and "| grid page, 24 tiles, second view |" in report
    assert report.count("<!-- storage:start -->") == 1
    main(["--images", "20", "--out", str(out)])  # replaced, not appended again
    assert out.read_text().count("<!-- storage:start -->") == 1
    rewritten = keep_storage_block("# New report\n", out.read_text())
    assert rewritten.startswith("# New report\n") and "<!-- storage:end -->" in rewritten
