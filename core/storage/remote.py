"""Object stores through fsspec (s3fs for S3 and S3-compatible endpoints, gcsfs, adlfs). Credentials are the
libraries' own standard chain (environment, profile, instance role): LabelDeck never reads, stores or prints them.
Every request goes through `call`, which counts it (the tests check that a cached read makes none) and turns the
libraries' errors into OSErrors whose messages carry no credentials."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from core.settings import get_settings
from core.storage.urls import redact, split

T = TypeVar("T")

requests: Counter[str] = Counter()  # by operation: cat, info, ls, find
_lock = threading.Lock()
_filesystems: dict[tuple, object] = {}
# Their debug logs carry request headers (the access key id in a signature) and presigned URLs: whatever level
# LABELDECK_LOG_LEVEL sets, these libraries log warnings and errors only.
_QUIET = ("botocore", "aiobotocore", "s3fs", "fsspec", "gcsfs", "adlfs", "azure", "urllib3")


class StorageError(OSError):
    """An object store refused or could not be reached; the message names the root, never a credential."""


def filesystem(scheme: str):
    """One fsspec file system per scheme and endpoint in this process (a new one after a fork)."""
    import fsspec

    endpoint = get_settings().s3_endpoint_url if scheme == "s3" else None
    key = (os.getpid(), scheme, endpoint)
    with _lock:
        if key not in _filesystems:
            for name in _QUIET:
                logging.getLogger(name).setLevel(logging.WARNING)
            options: dict = {"skip_instance_cache": True}
            if scheme == "s3":
                # No listings cache: a bucket changes under a long-running server. Short connect timeouts and a few
                # retries: a tile or a health check should fail in seconds, not minutes, when the endpoint is down.
                options.update(
                    use_listings_cache=False,
                    config_kwargs={
                        "connect_timeout": 5,
                        "read_timeout": 60,
                        "retries": {"max_attempts": 2, "mode": "standard"},
                    },
                )
                if endpoint:
                    options["endpoint_url"] = endpoint
            fs = fsspec.filesystem(scheme, **options)
            if scheme == "s3":
                fs.retries = 2  # s3fs's own retries of timeouts and cut responses, on top of botocore's
            _filesystems[key] = fs
        return _filesystems[key]


def call(url: str, operation: str, action: Callable[..., T], *args) -> T:
    """`action(fs, *args)` on the file system of `url`, counted; FileNotFoundError as is, anything else as a
    StorageError naming the root."""
    scheme, _ = split(url)
    requests[operation] += 1
    try:
        return action(filesystem(scheme), *args)
    except FileNotFoundError:
        raise
    except Exception as exc:  # botocore, aiohttp, google-auth and azure errors alike: the caller reports them
        raise StorageError(f"{redact(url)}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, PermissionError):
        text = f"access denied ({text})"
    return redact(text)[:300]
