"""Zip archives with fixed timestamps: the same ResultSet always gives the same bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from core.domain.errors import BadInput
from core.files.paths import unsafe_reason

_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_bytes(entries: Iterable[tuple[str, str]]) -> bytes:
    """(path inside the archive, text) pairs, UTF-8, deflated. A path that would unpack outside the folder the
    archive is unpacked into is refused (sample paths are checked at import; this holds whatever comes later)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries:
            archive.writestr(entry_info(path, zipfile.ZIP_DEFLATED), content.encode())
    return buffer.getvalue()


def entry_info(path: str, compress_type: int) -> zipfile.ZipInfo:
    """An entry with the fixed timestamp and plain file permissions; `path` is refused when unsafe."""
    reason = unsafe_reason(path)
    if reason:
        raise BadInput(f"export entry {path!r}: {reason}")
    info = zipfile.ZipInfo(path, date_time=_EPOCH)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info
