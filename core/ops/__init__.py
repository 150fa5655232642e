"""Running LabelDeck: structured logs, the health check, a consistent backup of a SQLite store."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__, {"backup": ["backup_sqlite"], "health": ["health"], "logs": ["configure_logging", "log_event"]}
)
