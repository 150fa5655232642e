"""The process that draws tiles ahead (core/images/tiles_ahead.py) does not outlive its server: a server killed
outright never shuts its pool down, and its drawing process, left an orphan, would hold its memory for good."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import os, time
from core.images import tiles_ahead
print(tiles_ahead._drawing_pool().submit(os.getpid).result(), flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; its new parent reaps it when it will


def test_the_drawing_process_leaves_when_its_server_is_killed():
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        drawer = int(server.stdout.readline())
        assert _running(drawer)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while _running(drawer) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(drawer)
