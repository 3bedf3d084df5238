"""Tests for citecheck.errors: one tree, drawn whole in the module's docstring."""

from __future__ import annotations

import importlib
import pkgutil

import citecheck
from citecheck import errors
from citecheck.errors import CitecheckError


def _every_subclass(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_every_subclass(sub)}
    return found


def test_every_citecheck_error_is_defined_in_errors_and_drawn_in_its_tree() -> None:
    for module in pkgutil.walk_packages(citecheck.__path__, "citecheck."):
        if module.name != "citecheck.__main__":
            importlib.import_module(module.name)
    subclasses = _every_subclass(CitecheckError)
    assert {cls.__module__ for cls in subclasses} == {"citecheck.errors"}
    tree = errors.__doc__ or ""
    for cls in subclasses:
        drawn = [line for line in tree.splitlines() if f"── {cls.__name__} " in line]
        assert len(drawn) == 1, f"{cls.__name__} is not drawn in errors.py's tree"
        parent = cls.__bases__[0].__name__
        if parent != "CitecheckError":
            assert tree.index(f"── {parent} ") < tree.index(drawn[0])
