"""A small demo store shared by the page tests (read-only), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import get_engine
from core.demo import seed_demo


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    engine = get_engine(f"sqlite:///{folder / 'labeldeck.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABELDECK_DATA_DIR", str(folder))
        seed_demo(engine=engine, detection_images=16, classification_images=12)
    return folder


@pytest.fixture
def demo_store(demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(demo_data_dir))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", f"sqlite:///{demo_data_dir / 'labeldeck.db'}")
    return demo_data_dir
