"""The README stays a first page, the docs/ it links to are all there, and nothing in the repository points at
documents outside it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [README, *DOCS]
# Spelt in two pieces, so this file does not name them itself.
OUTSIDE_REFERENCES = ("../" + "shared", "DESIGN" + ".md")

# [text](target) and ![alt](target); a target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
IS_GIT_CHECKOUT = shutil.which("git") is not None and (ROOT / ".git").exists()


def _prose(path: Path) -> str:
    """The file without its fenced code blocks, where brackets and parentheses are code, not links."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as hyphens."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", _prose(path), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def _relative_links(path: Path) -> list[str]:
    return [target for target in LINK.findall(_prose(path)) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_the_readme_is_a_first_page_of_at_most_150_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150


def test_the_readme_states_the_two_commands():
    readme = README.read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme


def test_the_docs_the_task_names_are_there():
    names = {path.name for path in DOCS}
    assert {
        "user-guide.md",
        "cli.md",
        "formats.md",
        "auth.md",
        "operations.md",
        "glossary.md",
        "architecture.md",
    } <= names


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(path):
    broken = []
    for target in _relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT) or not resolved.is_file():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_every_doc():
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in _relative_links(README)}
    assert [path.name for path in DOCS if path.resolve() not in linked] == []


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_docs_point_at_nothing_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert [reference for reference in OUTSIDE_REFERENCES if reference in text] == []


@pytest.mark.skipif(not IS_GIT_CHECKOUT, reason="not a git checkout")
def test_no_tracked_python_file_points_at_documents_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    offenders = [
        f"{name}: {reference}"
        for name in tracked
        for reference in OUTSIDE_REFERENCES
        if reference in (ROOT / name).read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []
