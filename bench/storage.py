"""Images in object storage, timed against a real S3-compatible server on 127.0.0.1 (moto's server mode):

    python -m bench.storage [--images 10000] [--out bench/REPORT.md]

- an import's image checks of N images from a bucket prefix, cold (each object fetched once, 16 at a time) and
  warm (from the disk cache: no request), beside the same checks on a local folder;
- a cold grid page of 24 tiles (256 px, from 640x480 JPEGs): the page's originals fetched at once then drawn, as
  the grid does, beside fetching them one tile at a time, and the same page again (tiles on disk: no request).

Loopback has no network latency: against a real endpoint each GET waits tens of milliseconds, so the concurrent
fetches gain more there. Writes the section between `<!-- storage:start -->` and `<!-- storage:end -->` of the
report (replaced, or appended); bench/run.py keeps it when it rewrites the report.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from PIL import Image, ImageDraw

from bench.report import keep_block

REPO_ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"<!-- storage:start -->.*?<!-- storage:end -->\n?", re.S)
PAGE = 24


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _jpeg(i: int, size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (40 + i % 180, 90, 140))
    ImageDraw.Draw(image).rectangle(
        (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(200, 180 - i % 90, 60)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(images: int, work: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    import boto3

    port = _free_port()
    # A process of its own: in this one, the server's request handling would share the GIL with the client's.
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_for(port)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LABELDECK_S3_ENDPOINT_URL": endpoint,
            "LABELDECK_DATA_DIR": str(work / "data"),
        }
    )
    from core import storage
    from core.images.image_files import check_images
    from core.images.thumbnails import Overlay, fetch_originals, render_tile
    from core.storage import remote

    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="bench")
        folder = work / "images"
        folder.mkdir(parents=True)
        log(f"writing {images:,} small JPEGs and {PAGE} 640x480 ones to the bucket and a folder")
        small = [_jpeg(i, (64, 48)) for i in range(images)]
        names = [f"d{i // 1000:02d}/img{i:05d}.jpg" for i in range(images)]
        for name, data in zip(names, small):
            client.put_object(Bucket="bench", Key=f"checks/{name}", Body=data)
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        page_names = [f"p{i:02d}.jpg" for i in range(PAGE)]
        for i, name in enumerate(page_names):
            client.put_object(Bucket="bench", Key=f"page/{name}", Body=_jpeg(i, (640, 480)))
        frame = pl.DataFrame({"image_id": range(1, images + 1), "file_name": names})

        def timed(action) -> tuple[float, int]:
            remote.requests.clear()
            started = time.perf_counter()
            action()
            return time.perf_counter() - started, remote.requests.total()

        label = Path("expert.json")
        took, _ = timed(lambda: check_images(root=folder, label_file=label, images=frame))
        rows.append((f"image checks, {images:,} images, local folder", f"{took:.2f} s", "0"))
        took, requests = timed(lambda: check_images(root="s3://bench/checks", label_file=label, images=frame))
        rows.append(
            (
                f"image checks, {images:,} images, bucket, cold",
                f"{took:.2f} s ({images / took:,.0f}/s)",
                f"{requests:,}",
            )
        )
        took, requests = timed(lambda: check_images(root="s3://bench/checks", label_file=label, images=frame))
        rows.append((f"image checks, {images:,} images, bucket, warm (disk cache)", f"{took:.2f} s", f"{requests:,}"))

        empty = pl.DataFrame(
            schema={
                "result_id": pl.Int64,
                "change_kind": pl.String,
                "expert_class": pl.String,
                "pre_class": pl.String,
                **{f"{p}{c}": pl.Float64 for p in ("expert_", "pre_") for c in "xywh"},
            }
        )
        overlay = Overlay(colors={}, display_names={})

        def draw_page(job_id: int, root: str, *, at_once: bool) -> None:
            if at_once:
                fetch_originals(root, page_names)
            for i, name in enumerate(page_names):
                render_tile(
                    job_id=job_id,
                    revision=1,
                    root=root,
                    sample={"sample_id": i, "file_path": name},
                    boxes=empty,
                    overlay=overlay,
                    size=256,
                    square=True,
                )

        took, requests = timed(lambda: draw_page(1, "s3://bench/page", at_once=False))
        rows.append((f"grid page, {PAGE} tiles, cold, one fetch per tile", f"{took * 1000:.0f} ms", f"{requests}"))
        shutil.rmtree(work / "data", ignore_errors=True)
        took, requests = timed(lambda: draw_page(2, "s3://bench/page", at_once=True))
        rows.append(
            (
                f"grid page, {PAGE} tiles, cold, originals fetched at once (as the grid does)",
                f"{took * 1000:.0f} ms",
                f"{requests}",
            )
        )
        took, requests = timed(lambda: draw_page(2, "s3://bench/page", at_once=True))
        rows.append((f"grid page, {PAGE} tiles, second view", f"{took * 1000:.0f} ms", f"{requests}"))
        notes.append(
            f"{storage.FETCH_WORKERS} requests at a time; requests are those LabelDeck's storage layer "
            "made (core/storage/remote.py counts them): a check lists the prefix once (is it there?) "
            "before it reads the objects, the one request of the warm check."
        )
        notes.append("moto is the bound here: it answers about 300 GETs a second on this machine, whoever asks.")
        notes.append(
            "Loopback: no network latency. Against a real endpoint each GET waits tens of milliseconds, "
            "which the concurrent fetches overlap and one fetch per tile pays in turn."
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows, notes


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto's server did not start on port {port}")


def section(rows: list[tuple[str, str, str]], notes: list[str], images: int) -> str:
    lines = [
        "<!-- storage:start -->",
        "## Images in object storage (python -m bench.storage)",
        "",
        f"moto's S3 server on 127.0.0.1 (a process of its own); {images:,} 64x48 JPEGs for the checks, "
        f"{PAGE} 640x480 JPEGs for the grid page.",
        "",
        "| what | time | requests |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {what} | {took} | {requests} |" for what, took, requests in rows]
    lines += [""] + [f"- {note}" for note in notes] + ["<!-- storage:end -->", ""]
    return "\n".join(lines)


def keep_storage_block(report: str, previous: str) -> str:
    """For bench/run.py, which rewrites the report: the storage section of `previous` survives."""
    return keep_block(report, previous, "storage")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="images checked (default 10,000)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "REPORT.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labeldeck-bench-storage-") as work:
        rows, notes = run(args.images, Path(work))
    block = section(rows, notes, args.images)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    found = _BLOCK.search(old)
    if found:
        new = old[: found.start()] + block + old[found.end() :]
    else:
        new = (old.rstrip("\n") + "\n\n" if old else "") + block
    args.out.write_text(new, encoding="utf-8")
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
