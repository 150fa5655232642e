"""Where LabelDeck keeps its store and files, and how users sign in, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


AUTH_MODES = ("none", "password", "oidc", "header")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    # How users sign in (LABELDECK_AUTH): none (one demo user with every role), password (local accounts),
    # oidc (st.login with the [auth] secrets) or header (a trusted reverse proxy's LABELDECK_AUTH_HEADER).
    auth_mode: str = "none"
    auth_header: str | None = None
    # Roles of identities without an account (oidc e-mails, proxy user names): comma-separated entries, each a
    # full identity, "@domain" or "*"; the highest role that lists an identity wins, else default_role.
    admins: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    default_role: str = "viewer"
    # Image roots in object storage (core/storage): the S3 endpoint when not AWS's (MinIO, Ceph...), else
    # AWS_ENDPOINT_URL as botocore reads it; and the bound of the disk caches of remote originals and thumbnails.
    s3_endpoint_url: str | None = None
    cache_max_bytes: int = 20 * 2**30

    @property
    def thumbnail_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def object_cache_dir(self) -> Path:
        return self.cache_dir / "objects"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("LABELDECK_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    database_url = env.get("LABELDECK_DATABASE_URL") or f"sqlite:///{data_dir / 'labeldeck.db'}"
    return Settings(
        data_dir=data_dir, database_url=database_url,
        auth_mode=(env.get("LABELDECK_AUTH") or "none").strip().lower(),
        auth_header=(env.get("LABELDECK_AUTH_HEADER") or "").strip() or None,
        admins=_entries(env.get("LABELDECK_ADMINS")), reviewers=_entries(env.get("LABELDECK_REVIEWERS")),
        default_role=(env.get("LABELDECK_DEFAULT_ROLE") or "viewer").strip().lower(),
        s3_endpoint_url=(env.get("LABELDECK_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3")
                         or env.get("AWS_ENDPOINT_URL") or "").strip() or None,
        cache_max_bytes=_gigabytes(env.get("LABELDECK_CACHE_MAX_GB"), default=20),
    )


def _gigabytes(value: str | None, *, default: float) -> int:
    """A size in GB (decimal fractions allowed) as bytes; a value that is not a non-negative number is refused
    at once rather than read as "no cache"."""
    text = (value or "").strip()
    if not text:
        return int(default * 2**30)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"LABELDECK_CACHE_MAX_GB={text!r}: expected a number of gigabytes") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"LABELDECK_CACHE_MAX_GB={text!r}: expected a number of gigabytes, 0 or more")
    return int(number * 2**30)


def _entries(value: str | None) -> tuple[str, ...]:
    return tuple(e.strip().lower() for e in (value or "").split(",") if e.strip())


def get_settings() -> Settings:
    """Read on each call (it is cheap), so a test or a CLI flag that changes the environment is seen at once."""
    return load_settings()
