"""Signed URLs of the images LabelDeck draws on disk (thumbnails, the box editor's image), for the components that
take an image by URL: the tile grid and streamlit-image-annotation's box editor.

Streamlit has no public function that gives a file a URL; st.image keeps its URL to itself. So the app serves these
files on a route of its own (dashboard/image_route.py, mounted by dashboard/server.py through the public `st.App`).
A URL names the file under the thumbnail folder and its version (mtime and size: a redrawn tile gets a new URL, so
the browser may keep every URL for good), signed with a key derived from Streamlit's cookie secret: unguessable like
a media-store URL, and valid on every replica that shares the secret (docs/operations.md), where a media-store URL
lived only in the process that made it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from core.settings import get_settings

ROUTE = "labeldeck/images"  # under the app's base URL path


def file_url(path: Path) -> str:
    """The URL of a file under the thumbnail folder, relative ("labeldeck/images/..."), so it resolves under the
    app's base URL path from any page. ValueError when the file is elsewhere."""
    relative = path.relative_to(get_settings().thumbnail_dir).as_posix()  # the settings' folder is resolved
    version = version_of(path)
    return f"{ROUTE}/{quote(relative)}?v={version}&s={signature(relative, version, secret=cookie_secret())}"


def version_of(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def signature(relative: str, version: str, *, secret: str) -> str:
    key = hashlib.sha256(f"labeldeck-images:{secret}".encode()).digest()
    digest = hmac.new(key, f"{relative}\n{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def cookie_secret() -> str:
    return str(st.get_option("server.cookieSecret"))
