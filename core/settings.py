"""Where LabelDeck keeps its store and files, how users sign in and how it logs, read from the environment and
checked as they are read: a wrong value stops `make run`, every CLI command and the app at start-up with a message
naming the variable and the values it takes, instead of surfacing on some page later."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.auth.access import Role
from core.domain.errors import BadInput

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class AuthMode(StrEnum):
    NONE = "none"
    PASSWORD = "password"
    OIDC = "oidc"
    HEADER = "header"


AUTH_MODES = tuple(AuthMode)
NO_ROLE = "none"  # LABELDECK_DEFAULT_ROLE=none: identities no list names are refused
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STORE_SCHEMES = ("sqlite", "postgresql")


class SettingsError(BadInput):
    """A LABELDECK_* variable holds a value LabelDeck cannot run with."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    # How users sign in (LABELDECK_AUTH): none (one demo user with every role), password (local accounts),
    # oidc (st.login with the [auth] secrets) or header (a trusted reverse proxy's LABELDECK_AUTH_HEADER).
    auth_mode: AuthMode = AuthMode.NONE
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
    log_format: str = "json"
    log_level: str = "INFO"

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
    """The settings of `environ` (the process environment by default); SettingsError names the first wrong one."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("LABELDECK_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    database_url = env.get("LABELDECK_DATABASE_URL") or f"sqlite:///{data_dir / 'labeldeck.db'}"
    scheme = database_url.partition(":")[0].partition("+")[0].lower()
    if scheme not in STORE_SCHEMES:
        raise SettingsError(
            f"LABELDECK_DATABASE_URL names a {scheme or 'blank'!r} store; LabelDeck keeps its store "
            "in sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )
    auth_mode = _one_of("LABELDECK_AUTH", env.get("LABELDECK_AUTH"), AUTH_MODES, default="none")
    auth_header = (env.get("LABELDECK_AUTH_HEADER") or "").strip() or None
    if auth_mode == AuthMode.HEADER and not auth_header:
        raise SettingsError(
            "LABELDECK_AUTH=header needs LABELDECK_AUTH_HEADER: the name of the header in which the "
            "trusted proxy puts the user name (e.g. X-Forwarded-User)"
        )
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        auth_mode=AuthMode(auth_mode),
        auth_header=auth_header,
        admins=_entries(env.get("LABELDECK_ADMINS")),
        reviewers=_entries(env.get("LABELDECK_REVIEWERS")),
        default_role=_one_of(
            "LABELDECK_DEFAULT_ROLE", env.get("LABELDECK_DEFAULT_ROLE"), (NO_ROLE, *Role), default=Role.VIEWER
        ),
        s3_endpoint_url=(
            env.get("LABELDECK_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
        ).strip()
        or None,
        cache_max_bytes=_gigabytes(env.get("LABELDECK_CACHE_MAX_GB"), default=20),
        log_format=_one_of("LABELDECK_LOG_FORMAT", env.get("LABELDECK_LOG_FORMAT"), LOG_FORMATS, default="json"),
        log_level=_one_of(
            "LABELDECK_LOG_LEVEL", env.get("LABELDECK_LOG_LEVEL"), LOG_LEVELS, default="INFO", fold=str.upper
        ),
    )


def _one_of(variable: str, value: str | None, allowed: tuple[str, ...], *, default: str, fold=str.lower) -> str:
    text = fold((value or "").strip())
    if not text:
        return default
    if text not in allowed:
        raise SettingsError(f"{variable}={value!r} is not one of {', '.join(allowed)}")
    return text


def _gigabytes(value: str | None, *, default: float) -> int:
    """A size in GB (decimal fractions allowed) as bytes; a value that is not a non-negative number is refused
    at once rather than read as "no cache"."""
    text = (value or "").strip()
    if not text:
        return int(default * 2**30)
    try:
        number = float(text)
    except ValueError:
        raise SettingsError(f"LABELDECK_CACHE_MAX_GB={text!r}: expected a number of gigabytes") from None
    if not number >= 0 or number == float("inf"):
        raise SettingsError(f"LABELDECK_CACHE_MAX_GB={text!r}: expected a number of gigabytes, 0 or more")
    return int(number * 2**30)


def _entries(value: str | None) -> tuple[str, ...]:
    return tuple(e.strip().lower() for e in (value or "").split(",") if e.strip())


def get_settings() -> Settings:
    """Read on each call (it is cheap), so a test or a CLI flag that changes the environment is seen at once."""
    return load_settings()
