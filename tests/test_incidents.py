"""incidents.py: the unit's last-resort guard writes the traceback to a bounded log."""

from __future__ import annotations

from pathlib import Path

from citecheck.incidents import IncidentLog, error_log_path


def _raise() -> None:
    raise RuntimeError("a bug")


def test_the_traceback_goes_to_the_log_and_one_line_to_the_unit(tmp_path: Path) -> None:
    log = IncidentLog(error_log_path(tmp_path / "archive.db"))
    try:
        _raise()
    except RuntimeError as exc:
        detail = log.record("check https://a.example/", exc)
    assert detail.startswith("citecheck failed: RuntimeError: a bug")
    assert str(tmp_path / "archive-errors.log") in detail
    text = (tmp_path / "archive-errors.log").read_text()
    assert "check https://a.example/" in text and "in _raise" in text
    assert log.count == 1


def test_the_log_is_rotated_once_past_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "archive-errors.log"
    log = IncidentLog(path, max_bytes=1000)
    for n in range(50):
        log.note(f"note {n} " + "x" * 100)
    assert path.stat().st_size < 2000
    assert (tmp_path / "archive-errors.log.1").stat().st_size < 2000


def test_an_unwritable_log_never_raises(tmp_path: Path) -> None:
    log = IncidentLog(tmp_path / "missing" / "archive-errors.log")
    detail = log.record("unit", ValueError("x"))
    assert "could not be written" in detail
    log.note("still fine")
