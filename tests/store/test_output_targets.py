"""Where `export --out` and `backup --out` may write (issue 11, findings 13 and 14): the new file is made under a
name nobody can plant a link at, a link to a regular file is replaced as a link, and a target that is not a
regular file (a device, a pipe) or sits in a folder that takes no file (/proc) is refused with exit 2, left as it
was. Exports on SQLite and PostgreSQL; backups copy SQLite stores only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core import cli
from core.exports import write_export
from core.ops.backup import backup_sqlite
from tests.builders import ADMIN
from tests.store.test_datalog import resultset  # noqa: F401  (the fixture: ResultSet 'all' of the catalog job)

EXPORT_NAME = "street-all.csv"  # the download's name of the `resultset` fixture's CSV


def planted_link(folder: Path, name: str, victim: Path) -> Path:
    """A symbolic link where the old code put its temporary file, pointing at a file someone wants overwritten."""
    link = folder / name
    link.symlink_to(victim)
    return link


def test_an_export_never_writes_through_a_link(engine, resultset, tmp_path):  # noqa: F811
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    folder = tmp_path / "out"
    folder.mkdir()
    planted = planted_link(folder, f".{EXPORT_NAME}.{os.getpid()}.tmp", victim)

    path = write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="csv", out=folder)
    assert path == folder / EXPORT_NAME and path.read_text().startswith("result_id,")
    (tmp_path / "plain").write_text("")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)  # as any new file
    assert victim.read_text() == "keep me" and planted.readlink() == victim
    assert sorted(p.name for p in folder.iterdir()) == sorted([EXPORT_NAME, planted.name])  # nothing else left

    # A target that is a link to a regular file: the link is replaced by the export, the file it named is kept.
    link = tmp_path / "latest.csv"
    link.symlink_to(victim)
    assert write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="csv", out=link) == link
    assert not link.is_symlink() and link.read_text() == path.read_text()
    assert victim.read_text() == "keep me"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe")
    return folder / "pipe"


def _link_to_fifo(folder: Path) -> Path:
    (folder / "to-pipe").symlink_to(_fifo(folder))
    return folder / "to-pipe"


def _char_device(folder: Path) -> Path:
    """A node of /dev/null's kind in the test's own folder: the real one must not be at stake if this fails."""
    try:
        os.mknod(folder / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return folder / "null"


@pytest.mark.parametrize(
    ("make_target", "kind"),
    [
        (_fifo, "is a named pipe, not a regular file"),
        (_link_to_fifo, "is a named pipe (through a symbolic link), not a regular file"),
        (_char_device, "is a device, not a regular file"),
    ],
)
def test_export_to_a_device_or_a_pipe_is_refused_with_exit_2_and_left_alone(
    engine,
    store_url,
    resultset,
    tmp_path,
    capsys,
    make_target,
    kind,  # noqa: F811
):
    folder = tmp_path / "targets"
    folder.mkdir()
    target = make_target(folder)
    before = {p.name: os.lstat(p) for p in folder.iterdir()}

    rc = cli.main(["export", str(resultset.id), "--format", "csv", "--out", str(target), "--db", store_url])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"error: --out {target}: {target} {kind}; name a new file or a folder" in err
    after = {p.name: os.lstat(p) for p in folder.iterdir()}
    assert {n: (s.st_mode, s.st_ino) for n, s in after.items()} == {n: (s.st_mode, s.st_ino) for n, s in before.items()}


def test_export_into_a_folder_that_takes_no_file_is_refused_with_exit_2(
    engine,
    store_url,
    resultset,
    capsys,  # noqa: F811
):
    rc = cli.main(["export", str(resultset.id), "--format", "coco", "--out", "/proc/version", "--db", store_url])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "error: --out /proc/version: cannot write a file in /proc (" in err


def test_a_backup_never_writes_through_a_link_and_refuses_what_is_not_a_file(sqlite_engine, data_dir, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    folder = tmp_path / "backups"
    folder.mkdir()
    planted = planted_link(folder, ".labeldeck.db.partial", victim)
    url = str(sqlite_engine.url)

    out = backup_sqlite(url=url, out=folder)
    assert out == folder / "labeldeck.db" and out.read_bytes().startswith(b"SQLite format 3\x00")
    assert victim.read_text() == "keep me" and planted.readlink() == victim

    pipe = _fifo(folder)
    for target, message in (
        (pipe, f"{pipe} is a named pipe, not a regular file"),
        (Path("/proc/version"), "cannot write a file in /proc ("),
    ):
        assert cli.main(["backup", "--out", str(target), "--db", url]) == 2
        assert f"error: --out {target}: {message}" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
