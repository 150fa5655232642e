"""The store: the database engine (SQLite by default, PostgreSQL when the URL names one), schema creation and
upgrades, the SQLModel tables, bulk inserts, and the driver-only reads of the CLI's fast path."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "bulk": ["insert_frame", "inserted_ids", "refresh_statistics"],
        "db": [
            "SCHEMA_VERSION",
            "get_engine",
            "make_engine",
            "store_problem",
            "store_unavailable",
            "write_transaction",
        ],
        "driver_reads": ["JobRow", "job_summaries", "open_store"],
        "models": ["LabelJob", "ResultSet", "as_utc", "utcnow"],
    },
)
