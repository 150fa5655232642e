"""The schema version of the store this LabelDeck reads and writes (core/store/db.py creates a store at it and
upgrades an older one to it, step by step). A module of its own so that the CLI's driver-only reads
(core/store/driver_reads.py) can check a store's version without importing SQLAlchemy."""

SCHEMA_VERSION = 9
