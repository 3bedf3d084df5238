"""outputs.py: standard output, devices in place, files atomically, errors named."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from citecheck.errors import OutputError
from citecheck.outputs import check_output_path, open_output


def test_a_missing_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="the folder .*missing does not exist"):
        check_output_path(tmp_path / "missing" / "r.md")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path)


def test_standard_output_and_devices_pass(tmp_path: Path) -> None:
    check_output_path(Path("-"))
    check_output_path(Path("/dev/null"))
    check_output_path(tmp_path / "new.md")


def test_dash_writes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    with open_output(Path("-")) as out:
        out.write("hello\n")
    assert capsys.readouterr().out == "hello\n"


def test_dev_null_stays_a_device() -> None:
    with open_output(Path("/dev/null")) as out:
        out.write("x")
    assert Path("/dev/null").is_char_device()


def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n")

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"), open_output(target) as out:
        out.write("new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
