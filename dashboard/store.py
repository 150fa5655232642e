"""The app's handle on the store: one engine per store URL, the schema ready."""

from __future__ import annotations

from sqlalchemy import Engine

from core.db import get_engine
from core.settings import get_settings


def engine() -> Engine:
    return get_engine(get_settings().database_url)
