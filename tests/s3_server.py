"""A real S3-compatible server on 127.0.0.1 for the object-storage tests: moto's server mode, one per test session,
on a free port. Nothing is patched into any client: LabelDeck's s3fs and the tests' boto3 talk HTTP to it.

Use it from a test module with `from tests.s3_server import s3_server, s3_root  # noqa: F401`."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.storage import remote

# moto accepts any credentials; these are in the environment only for the tests' processes.
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing-secret",
        )


@dataclass(frozen=True)
class Bucket:
    """A fresh bucket of the server, and its root URL `s3://name/images`."""

    server: S3Server
    name: str

    @property
    def root(self) -> str:
        return f"s3://{self.name}/images"

    def put(self, relative: str, data: bytes) -> None:
        self.server.client().put_object(Bucket=self.name, Key=f"images/{relative}", Body=data)

    def put_folder(self, folder: Path) -> None:
        """Every file under a local folder, at the same relative names under the root."""
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.put(path.relative_to(folder).as_posix(), path.read_bytes())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_root(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A new bucket, with LabelDeck's settings pointing at the server (LABELDECK_S3_ENDPOINT_URL) and the test
    credentials in the environment, where s3fs's standard chain finds them."""
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LABELDECK_S3_ENDPOINT_URL", s3_server.endpoint)
    bucket = Bucket(server=s3_server, name=f"labeldeck-{uuid.uuid4().hex[:12]}")
    s3_server.client().create_bucket(Bucket=bucket.name)
    remote.requests.clear()
    return bucket
