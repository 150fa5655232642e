"""`make scale-demo`: two LabelDeck replicas behind HAProxy on this machine, against one PostgreSQL database of
their own, sharing one data folder. Ctrl-C stops the proxy and the replicas.

    python -m deploy.scale_demo [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                [--database labeldeck_scale_demo] [--data-dir data/scale-demo]
                                [--proxy-port 8500] [--ports 8511,8512] [--reset]

The database is created when it does not exist and seeded with the demo jobs once (`python -m core demo
--if-empty`, before any replica starts: the first start makes the schema); --reset seeds it anew. Open
http://127.0.0.1:8500; the LDREPLICA cookie (and the X-LabelDeck-Replica response header) say which replica serves
the browser. Logs: <data dir>/logs/{app1,app2,haproxy}.log.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deploy.cluster import REPO_ROOT, Cluster, haproxy_binary, replica_env

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def ensure_database(server_url: str, database: str) -> str:
    """The URL of `database` on the server of `server_url`, created when missing."""
    if not database.replace("_", "").isalnum():
        raise ValueError(f"database name {database!r}: letters, digits and _ only")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def seed(database_url: str, data_dir: Path, *, reset: bool, python: str = sys.executable) -> None:
    """The demo jobs, once: by the CLI, as `make run` does, so the replicas find the schema made."""
    env = replica_env(database_url=database_url, data_dir=data_dir)
    subprocess.run(
        [python, "-m", "core", "demo", "--reset" if reset else "--if-empty"], cwd=REPO_ROOT, env=env, check=True
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pg",
        default=os.environ.get("LABELDECK_SCALE_DEMO_PG", DEFAULT_PG),
        help="a PostgreSQL server URL (any database of it); the demo makes a database of its own",
    )
    parser.add_argument("--database", default="labeldeck_scale_demo")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO_ROOT / "data" / "scale-demo",
        help="LABELDECK_DATA_DIR of every replica (thumbnails, caches, demo images)",
    )
    parser.add_argument("--proxy-port", type=int, default=8500)
    parser.add_argument("--ports", default="8511,8512", help="the two replicas' ports")
    parser.add_argument("--reset", action="store_true", help="seed the demo jobs anew")
    args = parser.parse_args(argv)
    haproxy_binary()  # fail early, with the fix, when it is missing

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = ensure_database(args.pg, args.database)
    print(f"[scale-demo] store: database {args.database!r}; data folder {data_dir}", flush=True)
    seed(database_url, data_dir, reset=args.reset)

    # SIGTERM (systemd, a CI runner) stops as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    ports = [int(p) for p in args.ports.split(",")]
    cluster = Cluster(
        database_url=database_url, data_dir=data_dir, log_dir=data_dir / "logs", proxy_port=args.proxy_port, ports=ports
    )
    try:
        cluster.start()
        print(
            f"[scale-demo] open {cluster.url}  (replicas {', '.join(cluster.replica_url(i) for i in range(2))};"
            f" logs in {data_dir / 'logs'}). Ctrl-C stops.",
            flush=True,
        )
        while not (dead := cluster.dead()):
            time.sleep(1)
        print(f"[scale-demo] {', '.join(dead)} exited; stopping the rest", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[scale-demo] stopping", flush=True)
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
