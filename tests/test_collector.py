"""collector.py: the cyclic garbage collector is off while a command imports, then
frozen and back on for its work."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from citecheck import collector
from citecheck.collector import paused_while_importing


@pytest.fixture
def collector_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The collector on, as a process starts; freezing as in citecheck's own process
    (collector.freeze_imports), undone after the test."""
    monkeypatch.setattr(collector, "_freeze_after_imports", True)
    was, threshold = gc.isenabled(), gc.get_threshold()
    gc.enable()
    try:
        yield
    finally:
        gc.unfreeze()  # (what the test froze goes back to the collections)
        gc.set_threshold(*threshold)
        if not was:
            gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_citecheck_s_process_collects_its_young_objects_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "_freeze_after_imports", False)
    gc.set_threshold(700, 10, 10)
    collector.set_for_this_process()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    assert collector._freeze_after_imports


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_off_inside_and_on_again_with_what_was_built_frozen() -> None:
    frozen_before = gc.get_freeze_count()
    with paused_while_importing():
        assert not gc.isenabled()
        built = [[index] for index in range(100)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)


@pytest.mark.usefixtures("collector_on")
def test_outside_citecheck_s_own_process_nothing_is_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "_freeze_after_imports", False)
    frozen_before = gc.get_freeze_count()
    with paused_while_importing():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


@pytest.mark.usefixtures("collector_on")
def test_a_nested_block_leaves_the_collector_to_the_outer_one() -> None:
    with paused_while_importing():
        with paused_while_importing():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_collector_turned_off_elsewhere_stays_off_and_nothing_is_frozen() -> None:
    gc.disable()
    frozen_before = gc.get_freeze_count()
    with paused_while_importing():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


@pytest.mark.usefixtures("collector_on")
def test_an_import_that_fails_still_turns_the_collector_back_on() -> None:
    with pytest.raises(ImportError), paused_while_importing():
        import citecheck._no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert gc.isenabled()


#: Run in a fresh Python as ``python -m citecheck`` runs: records whether the
#: collector was on when each watched module was imported, runs ``citecheck check``
#: (or ``run``, the scheduled job) on a sources.csv that is not there (it imports the
#: pipeline, then stops with exit code 2), and prints whether the collector is on at
#: the end, how many objects are frozen, its young threshold, the modules imported
#: while it was on and all those watched.
_WATCH_IMPORTS = """
import atexit, gc, runpy, sys
watched = {"click", "citecheck.cli.commands", "citecheck.pipeline", "asyncio",
           "citecheck.check", "citecheck.store"}
seen = {}
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in watched and name not in seen:
            seen[name] = gc.isenabled()
        return None
sys.meta_path.insert(0, Watch())
def report():
    print(gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()[0],
          ",".join(sorted(name for name, on in seen.items() if on)) or "-",
          ",".join(sorted(seen)))
atexit.register(report)
sys.argv = ["citecheck", sys.argv[3], "--sources", sys.argv[1], "--db", sys.argv[2]]
runpy.run_module("citecheck", run_name="__main__")
"""


@pytest.mark.parametrize("command", ["check", "run"])
def test_citecheck_s_process_imports_its_cli_and_pipeline_with_the_collector_off(
    tmp_path: Path, command: str
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _WATCH_IMPORTS,
            str(tmp_path / "sources.csv"),
            str(tmp_path / "archive.db"),
            command,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr  # the missing sources.csv, after the imports
    enabled_after, frozen, young_threshold, imported_while_on, imported = done.stdout.split()
    assert enabled_after == "True"
    assert int(young_threshold) == collector.YOUNG_THRESHOLD
    assert int(frozen) > 10_000  # the imports' objects
    assert imported_while_on == "-"
    assert set(imported.split(",")) == {
        "asyncio",
        "citecheck.check",
        "citecheck.cli.commands",
        "citecheck.pipeline",
        "citecheck.store",
        "click",
    }
    assert not (tmp_path / "archive.db").exists()


_IMPORTED_BY_A_SCRIPT = """
import gc, sys
threshold = gc.get_threshold()
from citecheck.cli import cli
try:
    cli.main(["check", "--sources", sys.argv[1], "--db", sys.argv[2]])
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count(), gc.get_threshold() == threshold)
"""


def test_a_script_that_runs_the_cli_keeps_its_own_collector_settings(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORTED_BY_A_SCRIPT,
            str(tmp_path / "sources.csv"),
            str(tmp_path / "archive.db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["True", "0", "True"]
