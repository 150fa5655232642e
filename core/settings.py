"""Where LabelDeck keeps its store and files, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str

    @property
    def thumbnail_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("LABELDECK_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    database_url = env.get("LABELDECK_DATABASE_URL") or f"sqlite:///{data_dir / 'labeldeck.db'}"
    return Settings(data_dir=data_dir, database_url=database_url)


def get_settings() -> Settings:
    """Read on each call (it is cheap), so a test or a CLI flag that changes the environment is seen at once."""
    return load_settings()
