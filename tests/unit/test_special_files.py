"""Only regular files are read: a FIFO named like an image or a label file is refused, where opening it would wait
for a writer forever. Each attempt runs in a subprocess with a timeout, so a regression fails instead of hanging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.files.paths import regular_file
from core.settings import PROJECT_ROOT
from tests.builders import write_image

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")

ATTEMPTS = {
    "a folder's images": "from core.images.image_files import folder_images as f; f(root)",
    "a label file's images": (
        "import polars as pl; from core.images.image_files import check_images as f; "
        "f(root=root, label_file=Path('labels.json'), "
        "images=pl.DataFrame({'image_id': [1, 2], 'file_name': ['a.png', 'x.png']}))"
    ),
    "a label file": "from core.labels.label_files import read_json as f; f(root / 'x.png')",
    "a tile": "from core.images.thumbnails import open_image as f; f(root, 'x.png')",
    "the annotator's image": "from core.images.orientation import open_upright as f; f(root / 'x.png', fit=(16, 16))",
}


def outcome_in_subprocess(code: str, root: Path) -> str:
    """The message the attempt was refused with (its first line), or "accepted"."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        root = Path(sys.argv[1])
        try:
            {code}
        except Exception as exc:
            print(str(exc).splitlines()[0])
        else:
            print("accepted")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script, str(root)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )  # a hung open() fails the test here
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("code", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_a_fifo_named_like_an_image_is_refused_not_waited_on(tmp_path, code):
    root = tmp_path / "images"
    write_image(root / "a.png", 20, 10)
    os.mkfifo(root / "x.png")
    message = outcome_in_subprocess(code, root)
    assert "x.png" in message and "not a regular file but a FIFO (named pipe)" in message


def test_regular_file_passes_files_folders_and_missing_paths_to_their_callers(tmp_path):
    image = write_image(tmp_path / "a.png", 4, 4)
    os.symlink(image, tmp_path / "link.png")
    for path in (image, tmp_path / "link.png", tmp_path, tmp_path / "missing.png"):
        assert regular_file(path) == path
    os.mkfifo(tmp_path / "pipe.png")
    os.symlink(tmp_path / "pipe.png", tmp_path / "to-pipe.png")
    for path in (tmp_path / "pipe.png", tmp_path / "to-pipe.png", Path("/dev/null")):
        with pytest.raises(ValueError, match="not a regular file but a (FIFO|character device)"):
            regular_file(path)
