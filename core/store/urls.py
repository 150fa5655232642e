"""Store URLs read and printed as SQLAlchemy reads and prints them (`make_url`, `URL.render_as_string`), without
importing SQLAlchemy: the CLI's driver-only reads (core/store/driver_reads.py) connect with the URL's driver and find a
job's results frame by the URL's printed form, which keys the cache (core/analysis/results_frame.py) and so must be
SQLAlchemy's to the byte (tests/unit/test_store_urls.py holds them equal)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, unquote

# SQLAlchemy's own pattern (sqlalchemy.engine.url._parse_url).
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


@dataclass(frozen=True)
class StoreUrl:
    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    # A key given more than once keeps its values in order, as SQLAlchemy's URL.query does.
    query: dict[str, str | tuple[str, ...]] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return self.drivername.partition("+")[0]

    @property
    def driver(self) -> str:
        """The DB-API driver, SQLAlchemy's default when the URL names none."""
        named = self.drivername.partition("+")[2]
        return named or {"sqlite": "pysqlite", "postgresql": "psycopg"}.get(self.backend, "")

    def rendered(self) -> str:
        """URL.render_as_string(hide_password=True)."""
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                text += ":***"
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe=" +/")
        if self.query:
            text += "?" + "&".join(
                f"{quote_plus(key)}={quote_plus(value)}"
                for key, given in sorted(self.query.items())  # keys are unique: ordered by key alone
                for value in (given if isinstance(given, tuple) else (given,))
            )
        return text


def parse_store_url(url: str) -> StoreUrl | None:
    """The URL as make_url reads it; None for one it would refuse (the usual way then says why)."""
    match = _URL.match(url)
    if match is None:
        return None
    parts = match.groupdict()
    port = parts["port"]
    if port is not None and not port.isdigit():  # make_url refuses it, or reads "" as a port it then refuses
        return None
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts["query"] or ""):
        values.setdefault(key, []).append(value)
    query = {key: found[0] if len(found) == 1 else tuple(found) for key, found in values.items()}
    return StoreUrl(
        drivername=parts["name"],
        username=None if parts["username"] is None else unquote(parts["username"]),
        password=None if parts["password"] is None else unquote(parts["password"]),
        host=parts["ipv4host"] or parts["ipv6host"],
        port=None if port is None else int(port),
        database=None if parts["database"] is None else unquote(parts["database"]),
        query=query,
    )
