"""Uploaded zips of images, extracted safely into a fresh folder under the data folder (data/uploads/<uuid>/).

Everything about the archive is checked from its directory before a byte is written: its size, the number of
files, their total uncompressed size, each member's compression ratio (a zip bomb inflates a few KB into GBs),
names that would leave the folder (absolute paths, '..', drive letters), symbolic links and other special files,
encrypted members, and anything that is not an image. Extraction then counts the bytes it actually writes, so an
archive that lies about its sizes is stopped too. A refused upload leaves nothing behind.
"""

from __future__ import annotations

import shutil
import stat
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from core.domain.errors import BadInput
from core.domain.plural import plural
from core.files.paths import resolve_under, unsafe_reason
from core.images.image_files import IMAGE_SUFFIXES
from core.settings import get_settings

_CHUNK = 1 << 20
# Archivers' by-products, skipped without a word (as are hidden files): not images, not the user's mistake.
_JUNK = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class UploadLimits:
    max_zip_bytes: int = 1 << 30  # the archive as uploaded
    max_total_bytes: int = 4 << 30  # everything in it, uncompressed
    max_files: int = 20_000
    # Images are compressed already: a member that inflates more than this is a bomb, or a picture of nothing.
    max_ratio: float = 100.0
    ratio_min_bytes: int = 1 << 20  # smaller members cannot hurt, whatever their ratio


def uploads_dir() -> Path:
    return get_settings().data_dir / "uploads"


def extract_image_zip(
    source: Path | BinaryIO, *, limits: UploadLimits = UploadLimits(), label: str | None = None
) -> Path:
    """Extract the image files of a zip (a path, or a binary file object such as an upload) into a new folder
    under data/uploads/ and return it. `label` names the upload in messages (default: the path or "the zip")."""
    return extract_zip(source, suffixes=IMAGE_SUFFIXES, kind="image", limits=limits, label=label)


def extract_zip(
    source: Path | BinaryIO,
    *,
    suffixes: frozenset[str],
    kind: str,
    limits: UploadLimits = UploadLimits(),
    label: str | None = None,
) -> Path:
    """extract_image_zip for files of other `suffixes` (a folder of label files, say), `kind` naming them in
    messages; the same checks and limits."""
    label = label or (str(source) if isinstance(source, Path) else getattr(source, "name", None) or "the zip")
    size = _size_of(source)
    if size > limits.max_zip_bytes:
        raise BadInput(f"{label}: the zip is {size:,} bytes; uploads are limited to {limits.max_zip_bytes:,}")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise BadInput(f"{label}: not a zip archive (or a damaged one)") from None
    except NotImplementedError as exc:  # a zip feature Python cannot read, e.g. a newer format version
        raise BadInput(f"{label}: a zip this server cannot read ({exc})") from None
    with archive:
        members = _checked_members(archive, label, limits, suffixes, kind)
        folder = uploads_dir() / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            _extract(archive, members, folder, label, limits)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return folder


def discard_upload(folder: Path) -> None:
    """Remove an extracted upload (a job could not be made of it); anything outside data/uploads/ is left alone."""
    folder = folder.resolve()
    if folder.parent == uploads_dir().resolve() and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def _size_of(source: Path | BinaryIO) -> int:
    if isinstance(source, Path):
        try:
            return source.stat().st_size
        except FileNotFoundError:
            raise BadInput(f"{source}: file not found") from None
    position = source.tell()
    size = source.seek(0, 2)
    source.seek(position)
    return size


def _checked_members(
    archive: zipfile.ZipFile, label: str, limits: UploadLimits, suffixes: frozenset[str], kind: str
) -> list[tuple[zipfile.ZipInfo, str]]:
    """The members to extract with their safe relative names; every problem of the archive at once."""
    problems: list[str] = []
    members: list[tuple[zipfile.ZipInfo, str]] = []
    seen: set[str] = set()
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise BadInput(
            f"{label}: {plural(len(infos), 'entry', 'entries')}; uploads are limited to {plural(limits.max_files, 'file')}"
        )
    for info in infos:
        name = info.filename.replace("\\", "/")
        where = f"{label}: member {info.filename!r}"
        reason = unsafe_reason(name)
        if reason:
            problems.append(f"{where}: {reason}")
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            problems.append(f"{where}: symbolic links are not allowed")
            continue
        if info.is_dir():
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: the archiver recorded permissions only
            problems.append(f"{where}: not a regular file")
            continue
        parts = PurePosixPath(name).parts
        if any(p.startswith(".") or p in _JUNK for p in parts):
            continue
        if info.flag_bits & 0x1:
            problems.append(f"{where}: encrypted members are not supported")
            continue
        if PurePosixPath(name).suffix.lower() not in suffixes:
            problems.append(f"{where}: not {_a(kind)} file (allowed: {', '.join(sorted(suffixes))})")
            continue
        normalized = PurePosixPath(*parts).as_posix()
        if normalized in seen:
            problems.append(f"{where}: appears more than once")
            continue
        seen.add(normalized)
        if info.file_size >= limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            problems.append(
                f"{where}: compresses {info.file_size / max(info.compress_size, 1):,.0f}:1 "
                f"({info.compress_size:,} → {info.file_size:,} bytes), more than {limits.max_ratio:,.0f}:1; "
                "refused as a possible zip bomb"
            )
            continue
        members.append((info, normalized))
    total = sum(info.file_size for info, _ in members)
    if total > limits.max_total_bytes:
        problems.append(f"{label}: {total:,} bytes uncompressed; uploads are limited to {limits.max_total_bytes:,}")
    if problems:
        raise BadInput(problems)
    if not members:
        raise BadInput(f"{label}: no {kind} files in the zip (allowed: {', '.join(sorted(suffixes))})")
    return members


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _extract(
    archive: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, str]], folder: Path, label: str, limits: UploadLimits
) -> None:
    written_total = 0
    for info, name in members:
        where = f"{label}: member {info.filename!r}"
        target = resolve_under(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with archive.open(info) as data, target.open("xb") as out:
                while chunk := data.read(_CHUNK):
                    written += len(chunk)
                    written_total += len(chunk)
                    if written > info.file_size or written_total > limits.max_total_bytes:
                        raise BadInput(f"{where}: inflates past the size the zip declares; refused as a zip bomb")
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise BadInput(f"{where}: cannot be extracted ({exc})") from None
