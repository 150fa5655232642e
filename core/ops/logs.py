"""Structured logs: one JSON object per line on stderr, so a log shipper (journald, Loki, CloudWatch) can search
review actions by reviewer, job or event without parsing prose.

Services log with `log_event(logger, "review.move", job_id=..., ...)`; the fields land as top-level keys.
LABELDECK_LOG_FORMAT=text gives plain lines for a terminal; LABELDECK_LOG_LEVEL sets the level (INFO).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from core.settings import load_settings

FIELDS = "labeldeck_fields"
_CONFIGURED = "_labeldeck_configured"


def log_event(logger: logging.Logger, event: str, **fields: Any) -> None:
    logger.info(event, extra={FIELDS: fields})


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, FIELDS, {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in getattr(record, FIELDS, {}).items())
        return f"{super().format(record)} {fields}".rstrip()


def configure_logging(environ: dict[str, str] | None = None) -> logging.Logger:
    """The "labeldeck" logger's one handler (stderr), configured once per process; returns the logger."""
    env = os.environ if environ is None else environ
    root = logging.getLogger("labeldeck")
    if getattr(root, _CONFIGURED, False):
        return root
    settings = load_settings(dict(env))
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "text":
        handler.setFormatter(Text("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonLines())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    root.propagate = False  # Streamlit's own handlers would print each line a second time
    setattr(root, _CONFIGURED, True)
    return root
