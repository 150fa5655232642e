"""The disk caches of remote originals (data/cache/objects) and of drawn thumbnails (data/thumbnails), held under
one bound, LABELDECK_CACHE_MAX_GB, by evicting the least recently used files.

A file's access time is its last use: a cache hit sets it (os.utime: most mounts keep access times lazily or not
at all), leaving the modification time to say when it was written (a tile's tests and the viewer's copies read
it). Each process keeps a running total of what it wrote; when the total passes the bound the folders are
scanned (another process, the tile drawer, writes there too) and the oldest files go until 90% of the bound is
left, so a sweep is paid once per tenth of the bound written, not on every write."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from pathlib import Path

from core.settings import get_settings

_lock = threading.Lock()
_written: dict[tuple[Path, ...], int] = {}  # by cached folders: bytes on disk as last seen plus those written since


def cached_folders() -> tuple[Path, ...]:
    settings = get_settings()
    return settings.object_cache_dir, settings.thumbnail_dir


def object_file(url: str, relative: str) -> Path:
    """Where the remote object `relative` under the root `url` is cached; the name is a digest, so no name from a
    bucket ever becomes a path on this disk."""
    digest = hashlib.sha256(f"{url}\n{relative}".encode()).hexdigest()
    suffix = Path(relative).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    return get_settings().object_cache_dir / digest[:2] / f"{digest[2:]}{suffix}"


def touch(path: Path) -> bool:
    """Marks a cached file as just used; False when it is not (or no longer) on disk."""
    try:
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
    except FileNotFoundError:
        return False
    except OSError:  # a read-only cache still serves
        return path.exists()
    return True


def store(path: Path, data: bytes) -> Path:
    """Writes `data` to the cached file `path` (atomically: a reader never sees half a file), then keeps the bound."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    written(len(data), path)
    return path


def written(size: int, path: Path | None = None) -> None:
    """Counts `size` bytes just written to a cached folder (as `path`, which is kept even when it alone passes
    the bound: its reader is about to open it), and evicts when the bound is passed."""
    folders = cached_folders()
    limit = get_settings().cache_max_bytes
    with _lock:
        if folders not in _written:
            _written[folders] = _disk_usage(folders)
        _written[folders] += size
        if _written[folders] <= limit:
            return
        _written[folders] = evict(folders, keep=int(limit * 0.9) if limit else 0, spare=path)


def evict(folders: tuple[Path, ...], *, keep: int, spare: Path | None = None) -> int:
    """Deletes the least recently used files of `folders` (`spare` aside) until at most `keep` bytes are left;
    returns what is."""
    files = []
    for folder in folders:
        for path in _files(folder):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            files.append((info.st_atime_ns, info.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= keep:
            break
        if path == spare:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        total -= size
    return total


def _disk_usage(folders: tuple[Path, ...]) -> int:
    total = 0
    for folder in folders:
        for path in _files(folder):
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                pass
    return total


def _files(folder: Path) -> list[Path]:
    """The cached files of a folder (temporary files being written left out)."""
    if not folder.is_dir():
        return []
    return [path for path in folder.rglob("*") if not path.name.endswith(".tmp") and path.is_file()]
