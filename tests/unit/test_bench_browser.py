"""The browser benchmark's pure parts (bench/browser_report.py): median and p95, targets, the report section's
tables (one label, and before beside after) and its merge into REPORT.md. No browser and no server here; the
timings themselves are never asserted."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bench import browser_report as br


def _run(
    label: str, samples: dict[str, dict[str, list[float]]], na: dict[str, dict[str, str]] | None = None, **extra
) -> dict:
    stores = {}
    for store, interactions in samples.items():
        stores[store] = {
            "description": f"the {store} store",
            "notes": [],
            "interactions": {
                key: {"samples_ms": values, "breakdown": [], "na": None} for key, values in interactions.items()
            },
        }
    for store, reasons in (na or {}).items():
        for key, reason in reasons.items():
            stores.setdefault(store, {"description": "", "notes": [], "interactions": {}})["interactions"][key] = {
                "samples_ms": [],
                "breakdown": [],
                "na": reason,
            }
    return {
        "label": label,
        "started": "2026-11-29 10:00 UTC",
        "command": "python -m bench.browser",
        "machine": {"CPU": "test CPU", "commit": "abc1234"},
        "load_at_end": "1.00 / 1.00 / 1.00",
        "browser": "Chromium",
        "viewport": "1440 × 900",
        "reps": 20,
        "stores": stores,
        **extra,
    }


def _row(lines: list[str], title: str) -> list[str]:
    line = next(line for line in lines if line.startswith(f"| {title} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


# ------------------------------------------------------------------------------------------------ statistics


@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0], list(range(20)), [7.5, 1.0, 100.0, 3.3, 9.0]])
@pytest.mark.parametrize("p", [0, 50, 90, 95, 100])
def test_percentile_matches_numpys_linear_method(values, p):
    assert br.percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_median_and_p95_of_twenty_samples():
    samples = [float(v) for v in range(1, 21)]  # 1 .. 20, given out of order
    shuffled = samples[::2] + samples[1::2]
    s = br.stats(shuffled)
    assert s.median == 10.5
    assert s.p95 == pytest.approx(19.05)  # 19 + 0.05 * (20 - 19)
    assert s.n == 20


def test_one_sample_is_its_own_median_and_p95():
    assert br.stats([1234.5]) == br.Stats(median=1234.5, p95=1234.5, n=1)


def test_no_samples_no_stats_and_bad_percentiles_raise():
    assert br.stats([]) is None
    assert br.stats(None) is None
    with pytest.raises(ValueError):
        br.percentile([], 50)
    with pytest.raises(ValueError):
        br.percentile([1.0], 101)


# ------------------------------------------------------------------------------------------------ targets


def test_targets_per_kind_and_store():
    assert br.target("select_cell", "demo") == br.Target(300, 600)
    assert br.target("select_cell", "1m") == br.Target(500)
    assert br.target("open_warm", "1m") == br.Target(1000)
    assert br.target("open_first", "1m") == br.Target(2500)
    assert br.target("grid_after_filter", "demo") == br.Target(1000)
    assert br.target("submit_confirm", "demo") is None


def test_a_target_needs_both_median_and_p95_below():
    t = br.Target(300, 600)
    assert t.met(br.Stats(median=299, p95=599, n=20))
    assert not t.met(br.Stats(median=299, p95=600, n=20))
    assert not t.met(br.Stats(median=300, p95=400, n=20))
    assert br.Target(500).met(br.Stats(median=499, p95=10_000, n=20))


# ------------------------------------------------------------------------------------------------ tables


def test_one_label_table_has_a_row_per_interaction_and_both_stores():
    run = _run(
        "before",
        {
            "demo": {"select_cell": [100.0, 200.0, 900.0], "open_warm": [800.0]},
            "1m": {"select_cell": [400.0, 450.0, 2000.0]},
        },
        na={"1m": {"annotate_complete": "no IN_PROGRESS job"}},
    )
    lines = br.results_table(run)
    assert lines[0].startswith("| interaction | target | demo store median (ms) | demo store p95 (ms) | demo store n |")
    assert "1M job median (ms)" in lines[0] and lines[0].endswith("| result (before) |")
    assert len(lines) == 2 + len(br.INTERACTIONS)
    cell = _row(lines, br.BY_KEY["select_cell"].title)
    # demo: median 200, p95 830 → FAIL (p95 ≥ 600); 1M: median 450 → PASS
    assert cell[2:8] == ["200", "830", "3", "450", "1,845", "3"]
    assert cell[-1] == "demo **FAIL** · 1M PASS"
    assert "median < 300, p95 < 600 ms" in cell[1] and "median < 500 ms" in cell[1]
    annotate = _row(lines, br.BY_KEY["annotate_complete"].title)
    assert annotate[5:8] == ["n/a", "n/a", "n/a"]
    assert _row(lines, br.BY_KEY["open_warm"].title)[-1] == "demo PASS"


def test_before_beside_after():
    before = _run("before", {"demo": {"select_cell": [1000.0, 1200.0, 1400.0]}, "1m": {"select_cell": [3000.0]}})
    after = _run("after", {"demo": {"select_cell": [150.0, 200.0, 250.0]}, "1m": {"select_cell": [480.0]}})
    lines = br.results_table(after, before)
    header = lines[0]
    for column in (
        "demo store median before",
        "demo store median after",
        "demo store p95 before",
        "demo store p95 after",
        "demo store n after",
        "1M job median before",
        "1M job median after",
        "result (after)",
    ):
        assert column in header
    cell = _row(lines, br.BY_KEY["select_cell"].title)
    assert cell[2:7] == ["1,200", "200", "1,380", "245", "3"]
    assert cell[7:12] == ["3,000", "480", "3,000", "480", "1"]
    assert cell[-1] == "demo PASS · 1M PASS"  # the current label's verdict


def test_before_only_store_still_gets_its_columns():
    before = _run("before", {"demo": {"pick_tile": [700.0]}, "1m": {"pick_tile": [1800.0]}})
    after = _run("after", {"demo": {"pick_tile": [90.0]}})
    cell = _row(br.results_table(after, before), br.BY_KEY["pick_tile"].title)
    assert cell[2:7] == ["700", "90", "700", "90", "1"]
    assert cell[7:12] == ["1,800", "", "1,800", "", ""]


def test_block_has_markers_machine_notes_and_na_reasons():
    run = _run(
        "before",
        {"demo": {"select_cell": [100.0]}},
        na={"demo": {"viewer_next": "failed: timeout"}},
        notes=["how it was measured"],
    )
    block = br.render_block(run)
    assert block.startswith(br.START + "\n") and block.endswith(br.END + "\n")
    assert "| load average at end | 1.00 / 1.00 / 1.00 |" in block
    assert "| commit | abc1234 |" in block
    assert "- how it was measured" in block
    assert re.search(r"- n/a, Next result in the viewer on the demo store: failed: timeout", block)
    after = br.render_block(_run("after", {"demo": {"select_cell": [90.0]}}), run)
    assert "beside **before** of 2026-11-29 10:00 UTC (commit abc1234)" in after


# ------------------------------------------------------------------------------------------------ REPORT.md

REPORT = """# LabelDeck benchmark report

## Import

| measurement | value |
| --- | ---: |
| import wall time | 17.8 s |

<!-- load:start:sqlite -->
## Concurrent review load on SQLite
numbers
<!-- load:end:sqlite -->
"""


def test_the_block_is_appended_then_replaced_in_place(tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text(REPORT, encoding="utf-8")
    first = br.render_block(_run("before", {"demo": {"select_cell": [100.0]}}))
    br.update_report(path, first)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(REPORT.rstrip("\n") + "\n\n" + br.START)
    assert text.count(br.START) == 1

    # more after the block: a rewrite replaces the block only
    path.write_text(text + "\n## Something after\n", encoding="utf-8")
    second = br.render_block(_run("after", {"demo": {"select_cell": [50.0]}}))
    br.update_report(path, second)
    text = path.read_text(encoding="utf-8")
    assert text.count(br.START) == 1 and text.count(br.END) == 1
    assert second in text and first not in text
    assert text.startswith(REPORT.rstrip("\n") + "\n\n")
    assert text.endswith("\n## Something after\n")


def test_a_missing_report_gets_just_the_block(tmp_path):
    path = tmp_path / "bench" / "REPORT.md"
    block = br.render_block(_run("before", {"demo": {"select_cell": [100.0]}}))
    br.update_report(path, block)
    assert path.read_text(encoding="utf-8") == block


def test_bench_run_keeps_the_browser_block_when_it_rewrites_the_report():
    block = br.render_block(_run("before", {"demo": {"select_cell": [100.0]}}))
    previous = REPORT + "\n" + block
    rewritten = br.keep_browser_block("# LabelDeck benchmark report\n\nnew numbers\n", previous)
    assert rewritten.endswith(block)
    assert rewritten.startswith("# LabelDeck benchmark report\n\nnew numbers\n")
    assert br.keep_browser_block("# new\n", REPORT) == "# new\n"  # nothing to keep


def test_json_round_trip(tmp_path):
    run = _run("before", {"demo": {"select_cell": [100.0, 120.5]}})
    path = tmp_path / "browser-before.json"
    br.write_json(path, run)
    assert br.read_json(path) == run
    assert br.read_json(tmp_path / "missing.json") is None
