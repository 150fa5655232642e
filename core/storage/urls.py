"""Image roots that are URLs (`s3://bucket/prefix`, `gs://...`, `az://...`): telling them from local folders,
refusing the ones that carry credentials, and keeping credentials out of every message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeGuard

from core.domain.errors import BadInput

# fsspec's names for the object stores LabelDeck reads; each needs its package (s3fs, gcsfs, adlfs).
PACKAGES = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# user:password@ (or a lone token@) after a scheme, and query strings (an Azure SAS token, a presigned URL's
# signature): both are credentials, in a URL given to us or in an error message about one.
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")
_QUERY = re.compile(r"(://[^\s?#]*)[?#][^\s'\"]*")


def is_url(root: str | Path) -> TypeGuard[str]:
    return isinstance(root, str) and _SCHEME.match(root) is not None


def redact(text: str) -> str:
    """`text` with anything credential-like in its URLs replaced by ***."""
    return _QUERY.sub(r"\1?***", _USERINFO.sub(r"\1***@", text))


def checked_url(url: str) -> str:
    """An object-store image root as LabelDeck stores it (`scheme://bucket/prefix`, no trailing slash); BadInput
    for credentials in it, a query string, an unknown scheme or one whose package is not installed."""
    url = url.strip()
    match = _SCHEME.match(url)
    if match is None:
        raise BadInput(f"{redact(url)}: not a URL")
    scheme = match.group(1).lower()
    rest = url[match.end() :]
    bucket = rest.split("/", 1)[0]
    if "@" in bucket or _QUERY.search(url):
        raise BadInput(
            f"{redact(url)}: credentials in an image root URL are refused (they would be stored and "
            "shown); give them the standard way: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile "
            "(AWS_PROFILE) or the instance role"
        )
    if scheme not in PACKAGES:
        raise BadInput(f"{url}: image roots may be local folders or {', '.join(f'{s}://' for s in PACKAGES)} URLs")
    if not bucket:
        raise BadInput(f"{url}: no bucket named")
    package_missing(scheme)
    return f"{scheme}://{rest.strip('/')}"


def package_missing(scheme: str) -> None:
    """BadInput when the fsspec implementation for `scheme` cannot be imported."""
    import fsspec

    try:
        fsspec.get_filesystem_class(scheme)
    except (ImportError, ValueError):
        raise BadInput(
            f"{scheme}:// image roots need the {PACKAGES[scheme]} package: pip install {PACKAGES[scheme]}"
        ) from None


def split(url: str) -> tuple[str, str]:
    """(scheme, path as fsspec names it: bucket/prefix) of a checked URL."""
    scheme, rest = url.split("://", 1)
    return scheme.lower(), rest.strip("/")
