"""The signed image URLs (dashboard/media.py) and the route that serves them (dashboard/image_route.py), answered
in-process by Starlette's TestClient: a URL the app made gives the file's bytes, cached for good; anything else is
refused, and nothing outside the thumbnail folder is ever read."""

from __future__ import annotations

import os
from pathlib import Path
from unittest.mock import patch
from urllib.parse import quote

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.images.editor_image import editor_image
from core.settings import get_settings
from dashboard.image_route import image_routes
from dashboard.media import ROUTE, cookie_secret, file_url, signature


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=image_routes("")))


@pytest.fixture
def thumbnail() -> Path:
    path = get_settings().thumbnail_dir / "job7" / "r1-s3 tile #1.jpg"  # a space and a # to be quoted
    path.parent.mkdir(parents=True)
    Image.new("RGB", (32, 24), (200, 40, 40)).save(path, "JPEG")
    return path


def test_a_signed_url_gives_the_file_cached_for_good(client, thumbnail):
    url = file_url(thumbnail)
    assert url.startswith(f"{ROUTE}/job7/r1-s3%20tile%20%231.jpg?v=")
    answer = client.get("/" + url)
    assert answer.status_code == 200
    assert answer.content == thumbnail.read_bytes()
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "private, max-age=31536000, immutable"


def test_a_redrawn_file_gets_a_new_url_and_the_old_one_is_not_kept(client, thumbnail):
    old = file_url(thumbnail)
    Image.new("RGB", (40, 24), (0, 90, 200)).save(thumbnail, "JPEG")
    os.utime(thumbnail, ns=(1, thumbnail.stat().st_mtime_ns + 10**9))
    assert file_url(thumbnail) != old
    answer = client.get("/" + old)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
    assert answer.content == thumbnail.read_bytes()


@pytest.mark.parametrize("tamper", ["signature", "version", "file", "no signature"])
def test_a_url_the_app_did_not_sign_is_refused(client, thumbnail, tamper):
    other = thumbnail.with_name("other.jpg")
    other.write_bytes(thumbnail.read_bytes())
    url = "/" + file_url(thumbnail)
    if tamper == "signature":
        url = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    elif tamper == "version":
        url = url.replace("?v=", "?v=1")
    elif tamper == "file":
        url = url.replace(quote("r1-s3 tile #1.jpg"), "other.jpg")
    else:
        url = url.split("&s=")[0]
    answer = client.get(url)
    assert answer.status_code == 403
    assert "not valid" in answer.text


def test_a_signed_path_out_of_the_thumbnail_folder_is_not_read(client, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = (data_dir / "secret.txt").resolve()
    secret.write_text("not an image")
    relative, version = "../secret.txt", "1"
    signed = signature(relative, version, secret=cookie_secret())
    answer = client.get(f"/{ROUTE}/%2E%2E/secret.txt?v={version}&s={signed}")
    assert answer.status_code in (403, 404)
    assert "not an image" not in answer.text


def test_a_link_in_the_thumbnail_folder_to_a_file_outside_it_is_not_served(client, data_dir):
    """Signed and on disk, but resolving out of the folder: the route's own check refuses it (a URL with ".." in
    it never reaches the route: the client and the router take the dots out)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = data_dir / "secret.txt"
    secret.write_text("not an image")
    link = get_settings().thumbnail_dir / "link.jpg"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    answer = client.get("/" + file_url(link))
    assert answer.status_code == 404
    assert "not an image" not in answer.text


def test_a_file_evicted_from_the_cache_is_a_404_that_says_so(client, thumbnail):
    url = file_url(thumbnail)
    thumbnail.unlink()
    answer = client.get("/" + url)
    assert answer.status_code == 404
    assert "no longer on disk" in answer.text


def test_a_file_outside_the_thumbnail_folder_gets_no_url(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    outside = data_dir / "labeldeck.jpg"
    outside.write_bytes(b"x")
    with pytest.raises(ValueError):
        file_url(outside)


def test_the_route_sits_under_the_base_url_path(thumbnail):
    client = TestClient(Starlette(routes=image_routes("/review/")))
    url = file_url(thumbnail)
    assert client.get("/review/" + url).status_code == 200
    assert client.get("/" + url).status_code == 404


def test_the_editor_image_is_drawn_once_upright_and_fitted(tmp_path, client):
    source = tmp_path / "photo.jpg"
    Image.new("RGB", (800, 600), (10, 120, 10)).save(source, "JPEG")
    first = editor_image(source, fit=(400, 400))
    assert first.size == (400, 300) and first.scale == pytest.approx(2.0)
    assert first.path.is_relative_to(get_settings().thumbnail_dir)
    drawn = first.path.stat().st_mtime_ns
    again = editor_image(source, fit=(400, 400))
    assert again.path == first.path and again.path.stat().st_mtime_ns == drawn
    assert editor_image(source, fit=(200, 200)).path != first.path
    # drawn and measured once: a rerun opens the source for its version, not to decode it
    with patch("core.images.editor_image.open_upright", side_effect=AssertionError("decoded again")):
        assert editor_image(source, fit=(400, 400)) == first
    first.path.unlink()  # evicted from the disk cache: drawn again
    assert editor_image(source, fit=(400, 400)) == first and first.path.exists()
    assert client.get("/" + file_url(first.path)).status_code == 200
