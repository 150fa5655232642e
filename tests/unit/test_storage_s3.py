"""The storage layer against a real S3-compatible server (moto on 127.0.0.1) and on local folders: reading,
listing, existence, names that escape the root, the disk cache (a second read makes no request) and its bound."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core import storage
from core.domain.errors import BadInput
from core.settings import SettingsError, get_settings, load_settings
from core.storage import cache, remote
from tests.s3_server import s3_root, s3_server  # noqa: F401


def test_a_bucket_root_reads_lists_and_tells_what_exists(s3_root):
    s3_root.put("a.png", b"first")
    s3_root.put("sub/b.jpg", b"second!")
    s3_root.put(".hidden/c.png", b"x")
    s3_root.put("notes.txt", b"x")
    root = s3_root.root
    assert storage.read_bytes(root, "sub/b.jpg") == b"second!"
    assert storage.file_size(root, "a.png") == 5
    assert storage.exists(root, "a.png") and not storage.exists(root, "missing.png")
    assert storage.list_files(root) == ["a.png", "notes.txt", "sub/b.jpg"]
    assert storage.list_files(root, suffixes={".png", ".jpg"}) == ["a.png", "sub/b.jpg"]
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(root, "missing.png")


@pytest.mark.parametrize("name", ["../other/a.png", "/etc/passwd", "sub/../../a.png", "C:\\x.png", ""])
def test_a_name_that_escapes_the_root_is_refused_remote_and_local(s3_root, tmp_path, name):
    for root in (s3_root.root, tmp_path):
        with pytest.raises(ValueError, match="image root|empty file name"):
            storage.read_bytes(root, name)
    assert remote.requests.total() == 0  # refused before any request


def test_a_second_read_makes_no_request(s3_root):
    s3_root.put("a.png", b"bytes of a")
    assert storage.read_bytes(s3_root.root, "a.png") == b"bytes of a"
    assert remote.requests["cat"] == 1
    before = remote.requests.total()
    assert storage.read_bytes(s3_root.root, "a.png") == b"bytes of a"
    assert storage.file_size(s3_root.root, "a.png") == 10 and storage.exists(s3_root.root, "a.png")
    assert remote.requests.total() == before
    cached = cache.object_file(s3_root.root, "a.png")
    assert cached.is_relative_to(get_settings().object_cache_dir) and cached.read_bytes() == b"bytes of a"


def test_local_files_are_read_where_they_are(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.png").write_bytes(b"local")
    assert storage.local_file(tmp_path, "sub/a.png") == (tmp_path / "sub" / "a.png").resolve()
    assert storage.read_bytes(tmp_path, "sub/a.png") == b"local"
    assert storage.list_files(tmp_path) == ["sub/a.png"]
    assert not get_settings().object_cache_dir.exists()  # no cache copy of a local file


def test_a_page_of_originals_is_fetched_concurrently_with_progress(s3_root):
    for i in range(20):
        s3_root.put(f"p{i:02}.png", bytes([i]) * 100)
    seen = []
    outcomes = storage.fetch_many(
        s3_root.root,
        [f"p{i:02}.png" for i in range(20)] + ["gone.png"],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert [p.read_bytes() for p in outcomes[:20]] == [bytes([i]) * 100 for i in range(20)]
    assert "file not found" in outcomes[20]
    assert seen[-1] == (21, 21) and len(seen) == 21
    assert remote.requests["cat"] == 21
    storage.fetch_many(s3_root.root, [f"p{i:02}.png" for i in range(20)])
    assert remote.requests["cat"] == 21  # all cached


def test_the_cache_keeps_its_bound_evicting_the_least_recently_used(s3_root, monkeypatch):
    monkeypatch.setenv("LABELDECK_CACHE_MAX_GB", str(25_000 / 2**30))  # 25,000 bytes
    for i in range(3):
        s3_root.put(f"big{i}.png", bytes([i]) * 10_000)
    storage.read_bytes(s3_root.root, "big0.png")
    storage.read_bytes(s3_root.root, "big1.png")
    old = time.time() - 60
    os.utime(cache.object_file(s3_root.root, "big1.png"), (old, old))
    os.utime(cache.object_file(s3_root.root, "big0.png"), (old + 1, old + 1))  # used after big1
    storage.read_bytes(s3_root.root, "big2.png")  # 30,000 bytes: over the bound
    assert not cache.object_file(s3_root.root, "big1.png").exists()  # the least recently used goes
    assert cache.object_file(s3_root.root, "big0.png").exists()
    assert cache.object_file(s3_root.root, "big2.png").exists()
    files = [p for p in get_settings().object_cache_dir.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 25_000
    assert storage.read_bytes(s3_root.root, "big1.png") == bytes([1]) * 10_000  # fetched again when needed


def test_credentials_in_a_url_are_refused_and_never_shown():
    for url in (
        "s3://AKIAEXAMPLE:very-secret@bucket/images",
        "s3://token@bucket/x",
        "az://container/images?sv=2020&sig=very-secret",
    ):
        with pytest.raises(BadInput) as refused:
            storage.root_from(url)
        assert "very-secret" not in str(refused.value) and "AKIAEXAMPLE" not in str(refused.value)
        assert "credentials" in str(refused.value)
    assert storage.describe("s3://user:pw@bucket/p") == "s3://***@bucket/p"


def test_unknown_schemes_and_missing_packages_are_named():
    with pytest.raises(BadInput, match="image roots may be local folders or"):
        storage.root_from("ftp://host/images")
    assert storage.root_from("s3://bucket/prefix/") == "s3://bucket/prefix"
    assert storage.root_from("/data/images") == Path("/data/images")


def test_a_bad_cache_bound_is_refused():
    assert load_settings({"LABELDECK_CACHE_MAX_GB": "0.5"}).cache_max_bytes == 2**29
    with pytest.raises(SettingsError, match="LABELDECK_CACHE_MAX_GB"):
        load_settings({"LABELDECK_CACHE_MAX_GB": "lots"})


def test_a_bucket_that_is_not_there_is_an_error_naming_the_root(s3_root):
    with pytest.raises((FileNotFoundError, storage.StorageError)):
        storage.read_bytes("s3://no-such-bucket-here/images", "a.png")


def test_an_object_larger_than_the_whole_bound_is_still_read(s3_root, monkeypatch):
    monkeypatch.setenv("LABELDECK_CACHE_MAX_GB", str(100 / 2**30))
    s3_root.put("huge.png", b"h" * 10_000)
    s3_root.put("other.png", b"o" * 10_000)
    assert storage.read_bytes(s3_root.root, "huge.png") == b"h" * 10_000
    assert storage.read_bytes(s3_root.root, "other.png") == b"o" * 10_000
    assert not cache.object_file(s3_root.root, "huge.png").exists()  # evicted for the next one
