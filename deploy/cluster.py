"""Streamlit replicas of LabelDeck behind HAProxy (deploy/haproxy.cfg) on loopback ports, started and stopped as one.

`Cluster` is what `make scale-demo` (deploy/scale_demo.py), the two-replica e2e test and the browser load bench run:
every replica gets the same store (LABELDECK_DATABASE_URL) and the same LABELDECK_DATA_DIR, and the proxy keeps each
browser on one replica by the LDREPLICA cookie. The store must exist (schema made, demo seeded) before `start()`:
replicas starting together on an empty store would each try to make the schema.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CONFIG = Path(__file__).resolve().parent / "haproxy.cfg"
REPLICA_HEADER = "X-LabelDeck-Replica"  # set by haproxy.cfg: the server name of the replica that answered
STICKY_COOKIE = "LDREPLICA"  # haproxy.cfg's `cookie`: its value is the replica's server name
REPLICA_NAMES = ("app1", "app2")  # the `server` lines of haproxy.cfg, in order


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
    )
    if found is None:
        raise FileNotFoundError("haproxy not found: make deploy-deps (apt-get install -y haproxy)")
    return found


def replica_env(
    *,
    database_url: str,
    data_dir: Path,
    settings: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every replica: the caller's without its LABELDECK_* settings, then the shared store and
    data folder, then `settings` (sign-in mode...)."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("LABELDECK_")}
    env.update({"LABELDECK_DATABASE_URL": database_url, "LABELDECK_DATA_DIR": str(data_dir)})
    env.update(settings or {})
    # Streamlit signs its own cookies with a secret made at random per process unless one is given: the replicas
    # share one, so a cookie one of them signed is valid on the other after a failover.
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
    return env


def _healthy(url: str) -> tuple[bool, str | None]:
    """(200 from /_stcore/health, the replica header of the answer)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200, response.headers.get(REPLICA_HEADER)
    except OSError:
        return False, None


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            # a session of its own: Ctrl-C in the terminal reaches the launcher only, which stops the processes in
            # order (the proxy first, so no request reaches a replica on its way down)
            self.popen = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)  # its group: nothing it started is left behind
                self.popen.wait()
        self.popen = None


@dataclass
class Cluster:
    """Two replicas (ports[i] serves REPLICA_NAMES[i]) and HAProxy on proxy_port, all on 127.0.0.1."""

    database_url: str
    data_dir: Path
    log_dir: Path
    proxy_port: int = 8500
    ports: Sequence[int] = (8511, 8512)
    settings: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    replicas: list[Process] = field(default_factory=list)
    proxy: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def replica_pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in self.replicas if p.pid}

    def start(self, timeout: float = 120) -> None:
        if len(self.ports) != len(REPLICA_NAMES):
            raise ValueError(f"haproxy.cfg names {len(REPLICA_NAMES)} replicas; got {len(self.ports)} ports")
        try:
            env = replica_env(database_url=self.database_url, data_dir=self.data_dir, settings=self.settings)
            for name, port in zip(REPLICA_NAMES, self.ports, strict=True):
                replica = Process(
                    name,
                    [
                        self.python,
                        "-m",
                        "streamlit",
                        "run",
                        "dashboard/server.py",
                        "--server.port",
                        str(port),
                        "--server.address",
                        "127.0.0.1",
                        "--server.headless",
                        "true",
                    ],
                    env,
                    self.log_dir / f"{name}.log",
                )
                replica.start()
                self.replicas.append(replica)
            for index, replica in enumerate(self.replicas):
                self._wait(lambda i=index: _healthy(self.replica_url(i))[0], replica, timeout)
            proxy_env = {
                **os.environ,
                "LABELDECK_PROXY_BIND": f"127.0.0.1:{self.proxy_port}",
                **{f"LABELDECK_REPLICA_{i + 1}": f"127.0.0.1:{port}" for i, port in enumerate(self.ports)},
            }
            self.proxy = Process(
                "haproxy", [haproxy_binary(), "-f", str(HAPROXY_CONFIG), "-db"], proxy_env, self.log_dir / "haproxy.log"
            )
            self.proxy.start()
            # up when the proxy has sent a request to each replica (round robin, no cookie): its health checks
            # found both
            seen: set[str] = set()

            def both_answer() -> bool:
                ok, replica = _healthy(self.url)
                if ok and replica:
                    seen.add(replica)
                return seen >= set(REPLICA_NAMES)

            self._wait(both_answer, self.proxy, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, ready, process: Process, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                code = process.popen.returncode if process.popen else None
                raise RuntimeError(
                    f"{process.name} exited with {code}; see {process.log_path}:\n" + _tail(process.log_path)
                )
            if ready():
                return
            time.sleep(0.25)
        raise RuntimeError(f"{process.name} was not ready within {timeout:.0f} s; see {process.log_path}")

    def dead(self) -> list[str]:
        """Names of the processes that have exited since start."""
        return [p.name for p in [*self.replicas, *([self.proxy] if self.proxy else [])] if not p.alive()]

    def stop(self) -> None:
        """The proxy first, then the replicas; each terminated, killed (with its process group) after 20 s."""
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        for replica in self.replicas:
            replica.stop()
        self.replicas = []

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
