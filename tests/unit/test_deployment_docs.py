"""What the deployment must provide is written down, and the repository keeps secrets out of version control."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_streamlit_secrets_file_is_git_ignored():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT, check=False)
    assert ignored.returncode == 0


def test_the_operations_docs_give_the_proxy_security_headers():
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for header in ("frame-ancestors", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"):
        assert header in operations, header
    assert "secrets.toml" in operations
