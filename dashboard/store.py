"""The app's handle on the store: one engine per store URL, the schema ready; and what a page says when the
store is busy or unreachable."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine

from core.settings import get_settings
from core.store.db import get_engine, store_unavailable

log = logging.getLogger("labeldeck.store")


def engine() -> Engine:
    return get_engine(get_settings().database_url)


@contextmanager
def store_problems_reported(*, stop: bool = True) -> Iterator[None]:
    """A busy or unreachable store becomes a clear message with a Retry button instead of a traceback. The
    services roll back on failure, so nothing half-done is left; what the user had picked stays picked."""
    try:
        yield
    except Exception as exc:
        message = store_unavailable(exc)
        if message is None:
            raise
        log.warning("store unavailable: %s", exc)
        st.error(message, icon=":material/cloud_off:")
        st.button("Retry", key=f"store_retry_{stop}", icon=":material/refresh:")
        if stop:
            st.stop()
