"""One way to read a job's images, wherever its image root is: a local folder, or an object-store URL
(`s3://bucket/prefix`, and `gs://` / `az://` where gcsfs / adlfs are installed).

A root is a `Path` (a local folder) or a `str` URL (see `root_from`). Relative file names follow core/files/paths.py's
rules in both: one that would leave the root is a ValueError naming it. Local files are opened where they are, as
before. A remote object is fetched once into the disk cache (core/storage/cache.py) and read from there: a second
view never refetches. Objects are taken as immutable: one replaced in the bucket under the same name is seen once
its cached copy is evicted (or data/cache/objects is emptied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import BinaryIO, TypeGuard

from core.files.paths import regular_file, resolve_under, unsafe_reason
from core.storage import cache, remote
from core.storage.remote import StorageError
from core.storage.urls import checked_url, is_url, redact, split

Root = Path | str
Progress = Callable[[int, int], None]  # (done, total)

# Requests in flight for a page of originals or an import's checks: S3 answers each GET in tens of milliseconds
# and serves many at once; the threads wait on the network, not the GIL.
FETCH_WORKERS = 16

__all__ = [
    "FETCH_WORKERS",
    "Root",
    "StorageError",
    "describe",
    "exists",
    "fetch_many",
    "file_size",
    "is_remote",
    "list_files",
    "local_file",
    "open_file",
    "read_bytes",
    "reachable",
    "root_from",
]


def is_remote(root: Root) -> TypeGuard[str]:
    return is_url(root)


def root_from(text: str | Path) -> Root:
    """The image root a user or the store names: a checked URL (BadInput for credentials in it or an unknown
    scheme) or a local path."""
    return checked_url(text) if is_url(text) else Path(text)


def describe(root: Root) -> str:
    """The root as messages and logs may show it."""
    return redact(str(root))


def object_name(root: str, relative: str) -> str:
    """`relative` under a remote root (a URL), as the object store names it; ValueError when it would escape it."""
    reason = unsafe_reason(relative)
    if reason:
        raise ValueError(f"{relative!r}: {reason}")
    _, prefix = split(root)
    return f"{prefix}/{relative}" if prefix else relative


def local_file(root: Root, relative: str) -> Path:
    """A file on this disk with the image's bytes: under a local root the file itself (resolved as core/files/paths.py
    does), under a remote one its cached copy, fetched first when not cached. ValueError for a name escaping the
    root, FileNotFoundError for a missing one, StorageError when the store cannot be read."""
    if not is_remote(root):
        return resolve_under(Path(root), relative)
    name = object_name(root, relative)
    cached = cache.object_file(root, relative)
    if cache.touch(cached):
        return cached
    data = remote.call(root, "cat", lambda fs, path: fs.cat_file(path), name)
    return cache.store(cached, data)


def open_file(root: Root, relative: str) -> BinaryIO:
    """The image file opened for reading (a real file: fstat works); raises as `local_file`, and ValueError for a
    FIFO or a device under a local root."""
    if not is_remote(root):
        return open(regular_file(resolve_under(Path(root), relative)), "rb")
    for _ in range(2):  # the cached copy may be evicted between the fetch and the open: fetch again, once
        path = local_file(root, relative)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            continue
    raise StorageError(
        f"{describe(root)}: {relative!r}: the disk cache evicts it as soon as it is fetched "
        "(is LABELDECK_CACHE_MAX_GB too small?)"
    )


def read_bytes(root: Root, relative: str) -> bytes:
    with open_file(root, relative) as f:
        return f.read()


def exists(root: Root, relative: str) -> bool:
    """Whether `relative` names a file under the root (a cached copy counts, without a request)."""
    try:
        file_size(root, relative)
    except FileNotFoundError:
        return False
    return True


def file_size(root: Root, relative: str) -> int:
    """The file's size in bytes; FileNotFoundError when there is none."""
    if not is_remote(root):
        path = resolve_under(Path(root), relative)
        if not path.is_file():
            raise FileNotFoundError(relative)
        return path.stat().st_size
    name = object_name(root, relative)
    cached = cache.object_file(root, relative)
    if cache.touch(cached):
        return cached.stat().st_size
    info = remote.call(root, "info", lambda fs, path: fs.info(path), name)
    if info.get("type") == "directory":
        raise FileNotFoundError(relative)
    return int(info["size"])


def fetch_many(
    root: Root, relatives: Iterable[str], *, progress: Progress | None = None, workers: int = FETCH_WORKERS
) -> list[Path | str]:
    """Each file on this disk (`local_file`), fetched concurrently, or why it cannot be: a page of originals, or
    an import's images. Under a local root nothing is copied. progress(done, total) is called as files arrive."""
    names = list(relatives)
    outcomes: list[Path | str] = [""] * len(names)

    def one(name: str) -> Path | str:
        try:
            return local_file(root, name)
        except FileNotFoundError:
            return f"file not found under {describe(root)}"
        except (ValueError, OSError) as exc:
            return str(exc)

    if not is_remote(root):
        outcomes = [one(name) for name in names]
        if progress:
            progress(len(names), len(names))
        return outcomes
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(names)))) as pool:
        futures = {pool.submit(one, name): i for i, name in enumerate(names)}
        for done, future in enumerate(as_completed(futures), 1):
            outcomes[futures[future]] = future.result()
            if progress:
                progress(done, len(names))
    return outcomes


def list_files(root: Root, *, suffixes: Iterable[str] | None = None) -> list[str]:
    """Every file under the root (relative names with '/', sorted), hidden files and folders left out, those with
    one of `suffixes` (lower case, with the dot) when given. FileNotFoundError when the root is not there."""
    wanted = None if suffixes is None else frozenset(suffixes)
    if not is_remote(root):
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(str(root))
        names = (path.relative_to(root).as_posix() for path in root.rglob("*") if not path.is_dir())
    else:
        _, prefix = split(root)
        found = remote.call(root, "find", lambda fs, path: fs.find(path), prefix)
        names = (path[len(prefix) :].lstrip("/") for path in found if path.startswith(prefix))
    return sorted(
        name
        for name in names
        if name
        and not any(part.startswith(".") for part in name.split("/"))
        and (wanted is None or Path(name).suffix.lower() in wanted)
    )


def reachable(root: Root) -> tuple[bool, str]:
    """Whether the root can be read: a local folder exists, a bucket prefix can be listed (one request)."""
    if not is_remote(root):
        root = Path(root)
        return (True, f"{root}: folder exists") if root.is_dir() else (False, f"{root}: folder not found")
    scheme, path = split(root)
    try:
        if scheme == "s3":
            bucket, _, prefix = path.partition("/")
            answer = remote.call(
                root,
                "ls",
                lambda fs: fs.call_s3(
                    "list_objects_v2", Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", MaxKeys=1
                ),
            )
            if not answer.get("KeyCount"):
                return False, f"{describe(root)}: no objects under this prefix"
        else:
            remote.call(root, "ls", lambda fs, p: fs.ls(p, detail=False), path)
    except FileNotFoundError:
        return False, f"{describe(root)}: no bucket or prefix of that name"
    except StorageError as exc:
        return False, str(exc)
    return True, f"{describe(root)}: listable"
