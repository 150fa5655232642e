"""Files written at a path the user named (`export --out`, `backup --out`): a new file, or a regular file that is
replaced whole, never a device, a pipe or a folder; and never written through a name someone else could plant.

The new file is made under a name nobody can guess (tempfile.mkstemp: created exclusively, so a symbolic link
planted in the target folder is never followed) and renamed over the target once it is complete, so a failed write
leaves no half file under the wanted name. A target that is a symbolic link to a regular file (or to nothing) is
replaced as a link: the new file takes the link's place and the file it pointed to is left as it was.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.domain.errors import BadInput

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def output_path(out: Path, *, file_name: str, option: str = "--out") -> Path:
    """The file to write for `out`: `out` itself, or `file_name` inside it when it is an existing folder. BadInput
    when its folder does not exist or it exists and is not a regular file (or a link to one)."""
    out = Path(out)
    path = out / file_name if out.is_dir() else out
    if not path.parent.is_dir():
        raise BadInput(f"{option} {out}: the folder {path.parent} does not exist")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:  # nothing there, or a dangling link: the new file takes its place
        return path
    except OSError as exc:
        raise BadInput(f"{option} {out}: {path} cannot be written ({exc.strerror})") from None
    if stat.S_ISREG(mode):
        return path
    kind = next((name for is_kind, name in _KINDS if is_kind(mode)), "something else")
    through = " (through a symbolic link)" if path.is_symlink() else ""
    raise BadInput(f"{option} {out}: {path} is {kind}{through}, not a regular file; name a new file or a folder")


@contextmanager
def replacing(path: Path, *, option: str = "--out") -> Iterator[Path]:
    """An empty new file beside `path` for the block to fill; it replaces `path` when the block succeeds and is
    removed when it fails. BadInput when the folder takes no new file (/proc, a read-only mount)."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as exc:
        raise BadInput(f"{option} {path}: cannot write a file in {path.parent} ({exc.strerror})") from None
    partial = Path(name)
    try:
        try:
            os.fchmod(handle, 0o666 & ~_umask())  # as any new file: mkstemp's 0600 would hide an export from the team
        finally:
            os.close(handle)
        yield partial
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BadInput(f"{option} {path}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _umask() -> int:
    # Only readable by setting it; put back at once (the command line is one thread).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
