"""Tiles drawn ahead: the grid's next page, chosen in a thread and drawn in a process of its own, while the reviewer
looks at this page; a page turn then reads 24 JPEGs from disk instead of decoding and drawing 24 images.

A process, not a thread: drawing is mostly Python (boxes, dashes, labels) holding the GIL, and a thread drawing
beside the app server slowed every request of the next click (the browser bench's page turn at 1M results). The
process runs at a lower priority than the server and the browser. It starts on first use and lives as long as the
server; drawing ahead only saves time later, so a failure is logged, never shown.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from core.images.thumbnails import ImageUnavailable, fetch_originals, render_tile, tile_path

log = logging.getLogger("labeldeck.tiles_ahead")

_chooser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiles-ahead")
_drawer: ProcessPoolExecutor | None = None
_drawer_lock = threading.Lock()
_latest = 0  # the number of the newest request


def render_tiles_ahead(tiles: Callable[[], Iterable[dict]]) -> Future:
    """Draw the tiles `tiles()` lists (keyword arguments of render_tile) in the background, skipping those already
    on disk and those whose image cannot be read (the grid says so when it shows them). `tiles` runs in a thread
    (polars releases the GIL), the drawing in the process. The future gives how many tiles were drawn."""
    # The drawing process reads the settings from its environment: it is given the caller's (a test or a second
    # store in one process may have changed LABELDECK_DATA_DIR since the process started).
    environment = {k: v for k, v in os.environ.items() if k.startswith("LABELDECK_")}
    global _latest
    with _drawer_lock:
        _latest += 1
        mine = _latest

    def choose_and_draw() -> int:
        # Only the newest request matters: a reviewer who turned three pages meanwhile wants the page after the
        # third, not a backlog of pages already passed.
        if mine != _latest:
            return 0
        try:
            return _drawing_pool().submit(draw_tiles, _missing(tiles()), environment=environment).result()
        except RuntimeError:  # the interpreter is exiting and has shut the pool down: nothing left to draw for
            return 0

    future = _chooser.submit(choose_and_draw)
    future.add_done_callback(_log_failure)
    return future


def draw_tiles(tiles: list[dict], *, environment: dict[str, str] | None = None) -> int:
    """In the drawing process: render each tile not on disk yet (another request may have drawn it meanwhile),
    under the caller's LABELDECK_* settings."""
    if environment is not None:
        for key in [k for k in os.environ if k.startswith("LABELDECK_")]:
            del os.environ[key]
        os.environ.update(environment)
    for root in {args["root"] for args in tiles}:  # a bucket's originals many at a time, not one per tile
        fetch_originals(
            root, [args["sample"]["file_path"] for args in tiles if args["root"] == root and not _on_disk(args)]
        )
    drawn = 0
    for args in tiles:
        try:
            if not _on_disk(args):
                render_tile(**args)
                drawn += 1
        except ImageUnavailable:
            continue
    return drawn


def _missing(tiles: Iterable[dict]) -> list[dict]:
    return [args for args in tiles if not _on_disk(args)]


def _on_disk(args: dict) -> bool:
    return tile_path(
        job_id=args["job_id"],
        revision=args["revision"],
        sample_id=args["sample"]["sample_id"],
        focus=args.get("focus"),
        size=args["size"],
        crop=args.get("crop", True),
        square=args.get("square", False),
    ).exists()


def _drawing_pool() -> ProcessPoolExecutor:
    global _drawer
    with _drawer_lock:
        if _drawer is None:
            # spawn: a fork of the multi-threaded server could inherit a lock held by another thread.
            _drawer = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_drawing_process,
                initargs=(os.getpid(),),
            )
        return _drawer


def _start_drawing_process(server_pid: int) -> None:
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
    threading.Thread(target=_exit_with_the_server, args=(server_pid,), daemon=True, name="server-watch").start()


def _exit_with_the_server(server_pid: int, every_s: float = 1.0) -> None:
    """A server killed outright (SIGKILL, an OOM kill) never shuts its pool down, and the drawing process would
    live on as an orphan: it leaves as soon as its parent is another process than the server."""
    while os.getppid() == server_pid:
        time.sleep(every_s)
    os._exit(0)


def _log_failure(future: Future) -> None:
    if future.exception() is not None:
        log.warning("drawing tiles ahead failed: %r", future.exception())
