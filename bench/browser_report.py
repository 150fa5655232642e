"""The browser benchmark's numbers: which interactions there are, their targets, median and p95, the raw-numbers
JSON, and the section of bench/REPORT.md between `<!-- browser:start -->` and `<!-- browser:end -->`.

Pure functions only (no browser, no server), so tests/unit/test_bench_browser.py covers them. A run labelled other
than `before` shows the `before` figures (bench/browser-before.json) beside its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

START = "<!-- browser:start -->"
END = "<!-- browser:end -->"
_BLOCK = re.compile(re.escape(START) + r"\n.*?" + re.escape(END) + r"\n?", re.DOTALL)

STORES = ("demo", "1m")
STORE_TITLES = {"demo": "demo store", "1m": "1M job"}

IN_PAGE_DEMO_MEDIAN_MS = 300.0
IN_PAGE_DEMO_P95_MS = 600.0
IN_PAGE_1M_MEDIAN_MS = 500.0
OPEN_WARM_MS = 1000.0
OPEN_COLD_MS = 2500.0
GRID_MS = 1000.0


@dataclass(frozen=True)
class Interaction:
    key: str
    title: str
    kind: str  # "in-page" (the in-page targets), "open-warm", "open-cold", "grid", "page" (no target)


INTERACTIONS: tuple[Interaction, ...] = (
    Interaction(
        "open_first",
        "Visualize from a job card, cold: the job's first open (fresh app process, no thumbnails drawn yet)",
        "open-cold",
    ),
    Interaction("open_cold", "Visualize from a job card, cold: fresh app process (thumbnails on disk)", "open-cold"),
    Interaction("open_warm", "Visualize from a job card, warm (back to Labeling Jobs, Visualize again)", "open-warm"),
    Interaction("select_cell", "Select a Class Changed cell (the slice's grid shown)", "in-page"),
    Interaction("apply_filter", "Apply a filter (Class Changed True ⇄ False)", "in-page"),
    Interaction("grid_after_filter", "A grid page's 24 thumbnails loaded after Apply", "grid"),
    Interaction("switch_tab", "Switch tab (Pending Review ⇄ Accepted, each click)", "in-page"),
    Interaction("next_page", "Turn a grid page", "in-page"),
    Interaction("pick_tile", "Pick a tile (review bar: Accept 1 picked)", "in-page"),
    Interaction("open_viewer", "Open the viewer (a tile's Details → its image)", "in-page"),
    Interaction("viewer_next", "Next result in the viewer", "in-page"),
    Interaction("accept_one", "Accept one result in the viewer", "in-page"),
    Interaction("accept_slice", "Accept a Class Changed slice (review bar)", "in-page"),
    Interaction("undo", "Undo (the slice's acceptance)", "in-page"),
    Interaction("annotate_complete", "Annotate: Complete → next image shown", "in-page"),
    Interaction("submit_dialog", "Annotate: Submit → confirmation shown", "in-page"),
    Interaction("submit_confirm", "Annotate: Submit anyway → the job's Visualize", "page"),
)
BY_KEY = {i.key: i for i in INTERACTIONS}


# ---------------------------------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, linear interpolation between order statistics (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p must lie in [0, 100]")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class Stats:
    median: float
    p95: float
    n: int


def stats(samples: Sequence[float] | None) -> Stats | None:
    if not samples:
        return None
    return Stats(median=median(samples), p95=percentile(samples, 95), n=len(samples))


# ---------------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    median_ms: float | None = None
    p95_ms: float | None = None

    def met(self, s: Stats) -> bool:
        return (self.median_ms is None or s.median < self.median_ms) and (self.p95_ms is None or s.p95 < self.p95_ms)

    def describe(self) -> str:
        parts = []
        if self.median_ms is not None:
            parts.append(f"median < {self.median_ms:,.0f}")
        if self.p95_ms is not None:
            parts.append(f"p95 < {self.p95_ms:,.0f}")
        return ", ".join(parts) + " ms" if parts else ""


def target(key: str, store: str) -> Target | None:
    kind = BY_KEY[key].kind
    if kind == "in-page":
        return Target(IN_PAGE_DEMO_MEDIAN_MS, IN_PAGE_DEMO_P95_MS) if store == "demo" else Target(IN_PAGE_1M_MEDIAN_MS)
    if kind == "open-warm":
        return Target(OPEN_WARM_MS)
    if kind == "open-cold":
        return Target(OPEN_COLD_MS)
    if kind == "grid":
        return Target(GRID_MS)
    return None


def target_text(key: str, stores: Sequence[str]) -> str:
    described = {store: (t.describe() if (t := target(key, store)) else "") for store in stores}
    texts = set(described.values())
    if len(texts) == 1:
        return texts.pop() or "–"
    return "; ".join(f"{STORE_TITLES[s].split()[0]}: {text or '–'}" for s, text in described.items())


# ---------------------------------------------------------------------------------------------------- the JSON


def interaction_entry(run: dict, store: str, key: str) -> dict | None:
    return run.get("stores", {}).get(store, {}).get("interactions", {}).get(key)


def entry_stats(entry: dict | None) -> Stats | None:
    return stats(entry.get("samples_ms")) if entry else None


def na_reason(entry: dict | None) -> str | None:
    return entry.get("na") if entry else None


def write_json(path: Path, run: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# ---------------------------------------------------------------------------------------------------- rendering


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def verdict(key: str, store: str, entry: dict | None) -> str:
    s = entry_stats(entry)
    t = target(key, store)
    if s is None or t is None:
        return ""
    return "PASS" if t.met(s) else "**FAIL**"


def _cell(entry: dict | None, field: str) -> str:
    s = entry_stats(entry)
    if s is None:
        return "n/a" if na_reason(entry) else ""
    return str(s.n) if field == "n" else ms(getattr(s, field))


def _stores_of(*runs: dict | None) -> list[str]:
    present = {store for run in runs if run for store in run.get("stores", {})}
    return [s for s in STORES if s in present]


def results_table(current: dict, before: dict | None = None) -> list[str]:
    """One row per interaction. With `before` (a run of another label): before and after side by side."""
    stores = _stores_of(current, before)
    label = current.get("label", "current")
    if before is None:
        header = ["interaction", "target"]
        for store in stores:
            name = STORE_TITLES[store]
            header += [f"{name} median (ms)", f"{name} p95 (ms)", f"{name} n"]
        header.append(f"result ({label})")
        rows = [_row(header), "| --- | --- |" + " ---: |" * (3 * len(stores)) + " :---: |"]
        for interaction in INTERACTIONS:
            cells = [interaction.title, target_text(interaction.key, stores)]
            for store in stores:
                entry = interaction_entry(current, store, interaction.key)
                cells += [_cell(entry, "median"), _cell(entry, "p95"), _cell(entry, "n")]
            cells.append(_verdicts(interaction.key, stores, current))
            rows.append(_row(cells))
        return rows

    old = before.get("label", "before")
    header = ["interaction", "target"]
    for store in stores:
        name = STORE_TITLES[store]
        header += [
            f"{name} median {old}",
            f"{name} median {label}",
            f"{name} p95 {old}",
            f"{name} p95 {label}",
            f"{name} n {label}",
        ]
    header.append(f"result ({label})")
    rows = [_row(header), "| --- | --- |" + " ---: |" * (5 * len(stores)) + " :---: |"]
    for interaction in INTERACTIONS:
        cells = [interaction.title, target_text(interaction.key, stores)]
        for store in stores:
            was = interaction_entry(before, store, interaction.key)
            now = interaction_entry(current, store, interaction.key)
            cells += [_cell(was, "median"), _cell(now, "median"), _cell(was, "p95"), _cell(now, "p95"), _cell(now, "n")]
        cells.append(_verdicts(interaction.key, stores, current))
        rows.append(_row(cells))
    return rows


def _verdicts(key: str, stores: Sequence[str], run: dict) -> str:
    parts = []
    for store in stores:
        v = verdict(key, store, interaction_entry(run, store, key))
        if v:
            parts.append(f"{STORE_TITLES[store].split()[0]} {v}" if len(stores) > 1 else v)
    return " · ".join(parts)


def breakdown_table(run: dict) -> list[str]:
    """Where the time goes, medians per interaction: click → the script starts (the request reaching the server),
    the script running (as the browser sees it), script end → settled (the browser drawing, images loading), and
    the CPU time the app server and Chromium spent during the interaction."""
    stores = _stores_of(run)
    header = ["interaction"]
    for store in stores:
        name = STORE_TITLES[store]
        header += [f"{name}: click → script / script / → settled", f"{name}: CPU server / Chromium"]
    rows = [_row(header), "| --- |" + " ---: |" * (2 * len(stores))]
    for interaction in INTERACTIONS:
        cells = [interaction.title]
        anything = False
        for store in stores:
            entry = interaction_entry(run, store, interaction.key) or {}
            parts = entry.get("breakdown") or []
            if not parts:
                cells += ["", ""]
                continue
            anything = True
            cells.append(" / ".join(_median_of(parts, f) for f in ("queue_ms", "script_ms", "render_ms")))
            cells.append(" / ".join(_median_of(parts, f) for f in ("server_cpu_ms", "browser_cpu_ms")))
        if anything:
            rows.append(_row(cells))
    return rows


def _median_of(parts: Sequence[dict], field: str) -> str:
    values = [p[field] for p in parts if p.get(field) is not None]
    return ms(median(values)) if values else "–"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def render_block(current: dict, before: dict | None = None) -> str:
    """The section of REPORT.md, markers included."""
    machine = current.get("machine", {})
    stores = _stores_of(current)
    lines = [
        START,
        "## Browser benchmark (python -m bench.browser)",
        "",
        f"Run {current.get('started', '?')} with `{current.get('command', 'python -m bench.browser')}`, label "
        f"**{current.get('label', '?')}**"
        + (
            f", beside **{before.get('label', 'before')}** of {before.get('started', '?')} (commit "
            f"{before.get('machine', {}).get('commit', '?')})"
            if before
            else ""
        )
        + ".",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in machine.items() if k != "database"],
        f"| load average at end | {current.get('load_at_end', '?')} |",
        f"| browser | {current.get('browser', '?')} |",
        f"| viewport | {current.get('viewport', '?')} |",
        f"| repetitions | {current.get('reps', '?')} per interaction (cold opens and Submit: one per app process) |",
        *[f"| {STORE_TITLES[s]} | {current['stores'][s].get('description', '')} |" for s in stores],
        "",
        *results_table(current, before),
        "",
    ]
    notes = _na_notes(current, stores) + list(current.get("notes", []))
    for s in stores:
        notes += [f"{STORE_TITLES[s]}: {n}" for n in current["stores"][s].get("notes", [])]
    lines += [f"- {note}" for note in notes]
    breakdown = breakdown_table(current)
    if len(breakdown) > 2:
        lines += ["", f"Where the time goes ({current.get('label', '?')}, medians in ms):", "", *breakdown]
    lines += [END]
    return "\n".join(lines) + "\n"


def _na_notes(run: dict, stores: Sequence[str]) -> list[str]:
    notes = []
    for interaction in INTERACTIONS:
        for store in stores:
            reason = na_reason(interaction_entry(run, store, interaction.key))
            if reason:
                notes.append(f"n/a, {interaction.title} on the {STORE_TITLES[store]}: {reason}")
    return notes


def with_browser_block(report: str, block: str) -> str:
    """`report` with its browser section replaced by `block`, or `block` appended; the rest is left as it is."""
    found = _BLOCK.search(report)
    if found:
        return report[: found.start()] + block + report[found.end() :]
    return (report.rstrip("\n") + "\n\n" if report.strip() else "") + block


def browser_block(report: str) -> str | None:
    found = _BLOCK.search(report)
    return found.group(0) if found else None


def keep_browser_block(report: str, previous: str) -> str:
    """For bench/run.py, which rewrites the report: the browser section of `previous` survives."""
    block = browser_block(previous)
    if block is None or browser_block(report) is not None:
        return report
    return with_browser_block(report, block)


def update_report(path: Path, block: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(with_browser_block(old, block), encoding="utf-8")
