"""The layout the repository promises a newcomer (docs/architecture.md): core/ is packages only, no file grows past
400 lines (the demo's generated scene data excepted), core/ never imports Streamlit or Plotly, outside tests/
nothing imports a Streamlit module its API reference does not document, and every name a package's __init__
offers resolves."""

from __future__ import annotations

import ast
import importlib
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL_CORE_MODULES = {"__init__.py", "__main__.py", "settings.py"}
LONG_FILES_ALLOWED = {"core/demo/scenes.py"}  # demo data: scene palettes and shapes, generated deterministically
MAX_LINES = 400


def tracked_python_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    files = listed.stdout.split() if listed.returncode == 0 else []
    return files or [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if ".venv" not in p.parts]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_core_holds_packages_and_only_its_entry_modules_beside_them():
    loose = sorted(p.name for p in (ROOT / "core").glob("*.py") if p.name not in TOP_LEVEL_CORE_MODULES)
    assert loose == []
    packages = [p for p in (ROOT / "core").iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert packages and all((p / "__init__.py").exists() for p in packages)


def test_no_file_is_longer_than_the_limit():
    long = {
        f: n
        for f in tracked_python_files()
        if f not in LONG_FILES_ALLOWED
        if (n := len((ROOT / f).read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_core_never_imports_streamlit_or_plotly():
    offenders = {
        str(p.relative_to(ROOT)): sorted(bad)
        for p in (ROOT / "core").rglob("*.py")
        if (bad := {m for m in imports_of(p) if m.split(".")[0] in ("streamlit", "plotly")})
    }
    assert offenders == {}


# Streamlit's documented modules (docs.streamlit.io/develop/api-reference); everything else under streamlit. is its
# internals, which change between releases without notice.
PUBLIC_STREAMLIT = {
    "streamlit",
    "streamlit.column_config",
    "streamlit.components.v1",
    "streamlit.components.v2",
    "streamlit.errors",
    "streamlit.starlette",
    "streamlit.testing.v1",
}


def test_nothing_imports_streamlits_private_modules_or_the_old_navigation_guard():
    offenders = {
        f: sorted(m for m in imports_of(ROOT / f) if m.split(".")[0] == "streamlit" and m not in PUBLIC_STREAMLIT)
        for f in tracked_python_files()
        if not f.startswith("tests/")
    }
    assert {f: m for f, m in offenders.items() if m} == {}
    assert not [
        f
        for f in tracked_python_files()
        if "ensure_navigation" in (ROOT / f).read_text(encoding="utf-8") and f != "tests/unit/test_architecture.py"
    ]


def test_the_design_cards_top_level_folders_are_there():
    assert all((ROOT / name).is_dir() for name in ("dashboard", "pages", "core", "tests", ".streamlit"))
    assert all((ROOT / name).is_file() for name in ("requirements.txt", "README.md"))


@pytest.mark.parametrize("package", sorted(p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").exists()))
def test_every_name_a_package_offers_resolves(package):
    module = importlib.import_module(f"core.{package}")
    assert module.__doc__, f"core.{package} says what it owns"
    missing = [name for name in getattr(module, "__all__", []) if not hasattr(module, name)]
    assert missing == []
