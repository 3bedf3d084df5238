"""judges.py: the judges, imported late, are the modules' own."""

import importlib
import subprocess
import sys

import pytest

from citecheck import judges


def test_each_judge_is_the_one_of_its_module() -> None:
    for name, module in judges._JUDGES.items():
        home = importlib.import_module(f"citecheck.{module}")
        assert getattr(judges, name) is getattr(home, name), name


def test_a_judge_asked_for_before_the_warm_up_imports_them_all() -> None:
    code = (
        "import sys\n"
        "from citecheck import judges\n"
        "before = [m for m in ('citecheck.classify', 'citecheck.sites') if m in sys.modules]\n"
        "judges.next_state\n"
        "print(before, 'citecheck.classify' in sys.modules, 'citecheck.sites' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["[]", "True", "True"]


def test_a_name_that_is_no_judge_is_refused() -> None:
    with pytest.raises(AttributeError, match="no attribute 'clasify'"):
        judges.clasify  # noqa: B018
