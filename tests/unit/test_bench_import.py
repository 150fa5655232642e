"""The import benchmark's pieces that need no big run: the generator's pre-labels as a COCO dataset hold the same
boxes as its results list, the progress lines fold into phases, and the report section merges and survives
bench.run's rewrite."""

import json

from bench import import_bench
from bench.synth import SynthSpec, write_job


def test_the_pre_label_dataset_holds_the_results_lists_boxes(tmp_path):
    files = write_job(SynthSpec(images=50, boxes_per_image=4, seed=3), tmp_path)
    results = json.loads(files.pre_path.read_text(encoding="utf-8"))
    dataset = json.loads(files.pre_dataset_path.read_text(encoding="utf-8"))
    expert = json.loads(files.expert_path.read_text(encoding="utf-8"))
    assert dataset["images"] == expert["images"] and dataset["categories"] == expert["categories"]
    assert [a["id"] for a in dataset["annotations"]] == list(range(1, len(results) + 1))
    assert [{k: a[k] for k in ("image_id", "category_id", "bbox", "score")} for a in dataset["annotations"]] == results


def test_progress_lines_fold_into_phases():
    stages = [
        ("reading expert labels", 0.0),
        ("reading pre-labels", 1.0),
        ("matching boxes", 2.5),
        ("writing to the store", 3.0),
        ("writing 10 results", 3.5),
        ("caching the results frame", 5.0),
        ("done", 5.5),
    ]
    phases = import_bench._stage_durations(stages, wall_s=6.5)
    assert phases == {
        "read expert": 1.0,
        "read pre-labels": 1.5,
        "match + metrics": 0.5,
        "write": 2.0,
        "cache frame": 0.5,
        "start-up, store, exit": 1.0,
    }


def test_the_section_is_replaced_in_place_and_kept_by_a_rewrite():
    old = "<!-- import:start -->\nold\n<!-- import:end -->\n"
    report = "# report\n\n" + old + "\ntail\n"
    merged = import_bench.merge(report, "<!-- import:start -->\nnew\n<!-- import:end -->\n")
    assert merged == "# report\n\n<!-- import:start -->\nnew\n<!-- import:end -->\n\ntail\n"
    assert import_bench.merge("", "S") == "S"
    assert import_bench.keep_import_block("# rewritten\n", merged).endswith("<!-- import:end -->\n")
    assert import_bench.keep_import_block("# rewritten\n", "# no block\n") == "# rewritten\n"
