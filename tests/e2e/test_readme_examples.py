"""The README's example outputs are what `examples/demo.py` prints, ports and timings
aside: the demo runs the README's commands against the fake web and fake Wayback."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("citecheck_demo", ROOT / "examples/demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_examples_are_what_the_demo_prints() -> None:
    demo = _demo()
    printed = subprocess.run(
        [str(ROOT / "examples/demo.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    chunks = ("\n\n" + printed.strip()).split("\n\n$ ")[1:]
    blocks = {demo.normalise("$ " + chunk.split("\n", 1)[0]): "$ " + chunk for chunk in chunks}
    readme = demo.readme_examples((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme, "the README has no examples under ## Commands"
    for command, shown in readme.items():
        assert command in blocks, f"the demo does not run {command!r}"
        assert demo.normalise(shown) == demo.normalise(blocks[command]), command
    assert len(readme) == 7  # every command the README shows under ## Commands


def test_the_demo_runs_from_any_folder(tmp_path: Path) -> None:
    """`examples/demo.sh` finds the repository from its own path."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples/demo.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--write-readme" in result.stdout
