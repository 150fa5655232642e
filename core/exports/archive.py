"""Zip archives with fixed timestamps: the same ResultSet always gives the same bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_bytes(entries: Iterable[tuple[str, str]]) -> bytes:
    """(path inside the archive, text) pairs, UTF-8, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries:
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode())
    return buffer.getvalue()
