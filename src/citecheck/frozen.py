"""Frozen dataclass instances built in one step, for the few made once or more a link.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
(its own ``__setattr__`` refuses): a call per field, 1.5 to 3 µs for a LinkState or
a CheckResult, and a check made about ten such objects a link (issue 11: the
dataclass ``__init__`` was the top entry of a 20,000-link check's profile).
:func:`builder` makes a function that gives an instance its whole ``__dict__`` at
once (or, for a class with slots, sets each slot by its descriptor): the same
object (same fields, equal, same hash, same repr), the type unchanged, a third of
the cost (two thirds with slots). It takes every field, positionally, in field
order: nothing is defaulted, so a call that forgets a field fails as a call to
any function does (tests/test_frozen.py holds each builder to the plain class).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """``make(*values)``: what ``cls(*values)`` returns, given every field of ``cls``
    in order. Only for a frozen dataclass whose ``__init__`` does nothing else (no
    ``__post_init__``, no field outside ``__init__``)."""
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    fields = dataclasses.fields(cls)
    if (
        hasattr(cls, "__post_init__")
        or any(not field.init for field in fields)
        or any("__slots__" in vars(base) for base in cls.__mro__[1:-1])
    ):
        raise TypeError(f"{cls.__name__}'s __init__ does more than set its fields")
    names = [field.name for field in fields]
    namespace: dict[str, Any] = {"new": object.__new__, "set_dict": object.__setattr__, "cls": cls}
    if "__slots__" in vars(cls):
        # No __dict__: each field's slot is set by its own descriptor, without the
        # look-up of it that object.__setattr__ makes.
        slots = {name: vars(cls).get(name) for name in names}
        if set(cls.__slots__) != set(names) or not all(  # type: ignore[attr-defined]
            hasattr(slot, "__set__") for slot in slots.values()
        ):
            raise TypeError(f"{cls.__name__}'s slots are not its fields")
        namespace.update({f"set_{name}": slot.__set__ for name, slot in slots.items()})  # type: ignore[union-attr]
        body = "".join(f"    set_{name}(instance, {name})\n" for name in names)
    else:
        values = ", ".join(f"{name!r}: {name}" for name in names)
        body = f"    set_dict(instance, '__dict__', {{{values}}})\n"
    # The shape dataclasses and namedtuple generate their methods in: a function with
    # one parameter per field, so that its call costs no more than any function's.
    source = (
        f"def make_{cls.__name__}({', '.join(names)}):\n"
        f"    instance = new(cls)\n{body}"
        f"    return instance\n"
    )
    exec(source, namespace)  # noqa: S102  (the names are a dataclass's own field names)
    make: Callable[..., T] = namespace[f"make_{cls.__name__}"]
    make.__doc__ = f"{cls.__name__}(*values), built in one step (citecheck.frozen)."
    return make


__all__ = ["builder"]
