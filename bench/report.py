"""Benchmark report: measurements against targets, grouped in sections, rendered to Markdown.

A benchmark adds a Section with its Measurements; render_report() lays out machine, parameters and every section.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One number. With a target (an upper bound), ok says whether the number stays below it."""

    name: str
    value: float | int | str
    unit: str = ""
    target: float | None = None
    ok: bool | None = None

    @classmethod
    def below(cls, name: str, value: float, unit: str, target: float) -> Measurement:
        return cls(name=name, value=value, unit=unit, target=target, ok=value < target)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "**FAIL**", None: ""}[self.ok]


@dataclass(kw_only=True)
class Section:
    title: str
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    @property
    def failed(self) -> list[Measurement]:
        return [m for m in self.measurements if m.ok is False]

    @property
    def targeted(self) -> list[Measurement]:
        return [m for m in self.measurements if m.ok is not None]


def machine_info(*, db_kind: str, repo_root: Path) -> dict[str, str]:
    memory = psutil.virtual_memory().total
    return {
        "CPU": _cpu_model(),
        "cores": f"{psutil.cpu_count(logical=False) or '?'} physical, {os.cpu_count()} logical",
        "RAM": f"{memory / GIB:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "polars": _version("polars"),
        "SQLAlchemy": _version("sqlalchemy"),
        "SQLModel": _version("sqlmodel"),
        "load average at start": load_average(),
        "database": db_kind,
        "commit": _git_commit(repo_root),
    }


def render_report(
    *,
    title: str,
    command: str,
    machine: dict[str, str],
    parameters: dict[str, str],
    sections: Sequence[Section],
    started: datetime | None = None,
) -> str:
    started = started or datetime.now(UTC)
    targeted = [m for s in sections for m in s.targeted]
    failed = [m for s in sections for m in s.failed]
    verdict = (
        f"All {len(targeted)} targets met."
        if not failed
        else f"{len(failed)} of {len(targeted)} targets missed: " + ", ".join(m.name for m in failed) + "."
    )
    lines = [
        f"# {title}",
        "",
        f"Run {started.strftime('%Y-%m-%d %H:%M UTC')} with `{command}`.",
        "",
        f"**{verdict}**",
        "",
        "## Machine",
        "",
        *_key_value_table(machine),
        "",
        "## Parameters",
        "",
        *_key_value_table(parameters),
    ]
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        lines += measurement_table(section.measurements)
        if section.notes:
            lines += [""] + [f"- {note}" for note in section.notes]
    return "\n".join(lines) + "\n"


def format_value(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"


def measurement_table(measurements: Sequence[Measurement]) -> list[str]:
    rows = ["| measurement | value | target | result |", "| --- | ---: | ---: | :---: |"]
    for m in measurements:
        unit = f" {m.unit}" if m.unit else ""
        target = f"< {format_value(m.target)}{unit}" if m.target is not None else ""
        rows.append(f"| {m.name} | {format_value(m.value)}{unit} | {target} | {m.verdict} |")
    return rows


def _key_value_table(items: dict[str, str]) -> list[str]:
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in items.items())]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    # Other work on the machine skews every timing: this says how busy it was.
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit(repo_root: Path) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo_root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no commit yet)"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def keep_block(report: str, previous: str, name: str) -> str:
    """For bench/run.py, which rewrites the report: the section of `previous` between `<!-- {name}:start -->` and
    `<!-- {name}:end -->` survives, appended, unless `report` has one of its own."""
    block = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n?", re.S)
    found = block.search(previous)
    if found is None or block.search(report):
        return report
    return report.rstrip("\n") + "\n\n" + found.group(0)
