"""frozen.builder makes what the class itself makes: every builder citecheck uses is
held to its plain class on generated field values (issue 11's fast paths)."""

import copy
import dataclasses
import pickle
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck import check, judgement, recorder, titles, verdict
from citecheck.check import CheckRequest
from citecheck.fetch import progress
from citecheck.frozen import builder
from citecheck.models import (
    CheckResult,
    Citation,
    FetchOutcome,
    Hop,
    LinkState,
    PageInfo,
    PageSnapshot,
    Reason,
)
from citecheck.store import batches, rows
from citecheck.store.batches import LinkRead, PendingCheck

#: Each builder in use, with its class.
BUILDERS = [
    (verdict._link_state, LinkState),
    (rows._link_state, LinkState),
    (check._check_result, CheckResult),
    (judgement._page_snapshot, PageSnapshot),
    (titles._page_info, PageInfo),
    (batches._link_read, LinkRead),
    (batches.pending_check, PendingCheck),
    (recorder._check_request, CheckRequest),
    (progress._fetch_outcome, FetchOutcome),
]

#: Values of any field: the builder does not look at them, the class does not either.
VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=8),
    st.booleans(),
    st.just(datetime(2026, 12, 2, tzinfo=UTC)),
    st.tuples(st.integers()),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BUILDERS), st.data())
def test_a_builder_makes_what_its_class_makes(pair, data):
    make, cls = pair
    names = [field.name for field in dataclasses.fields(cls)]
    values = [data.draw(VALUES, label=name) for name in names]
    plain = cls(*values)
    built = make(*values)
    assert type(built) is cls
    assert vars(built) == vars(plain)
    assert list(vars(built)) == list(vars(plain))  # the same order, for pickle and copy
    assert built == plain
    assert repr(built) == repr(plain)
    assert hash(built) == hash(plain)
    assert make(**dict(zip(names, values, strict=True))) == plain
    assert pickle.loads(pickle.dumps(built)) == plain
    assert copy.copy(built) == plain


@pytest.mark.parametrize(("make", "cls"), BUILDERS)
def test_a_built_instance_is_frozen_and_takes_every_field(make, cls):
    names = [field.name for field in dataclasses.fields(cls)]
    built = make(*[None] * len(names))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(names[0], "changed")
    with pytest.raises(TypeError):
        make(*[None] * (len(names) - 1))  # nothing is defaulted
    with pytest.raises(TypeError):
        make(*[None] * (len(names) + 1))


def test_only_a_frozen_dataclass_that_only_sets_its_fields():
    @dataclasses.dataclass
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Mutable, Checked, Derived, Citation, str):  # Citation has slots
        with pytest.raises(TypeError):
            builder(cls)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "status_code": st.none() | st.integers(100, 599),
            "headers": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
            "body": st.binary(max_size=8),
            "body_truncated": st.booleans(),
            "error": st.none() | st.sampled_from(list(Reason)),
            "error_detail": st.none() | st.text(max_size=8),
        },
    ),
    st.integers(0, 3),
)
def test_a_fetch_outcome_is_the_one_the_plain_constructor_makes(values, attempts):
    state = progress.Progress("http://a.test/x", "http://b.test/y", attempts=attempts)
    state.hops.append(Hop("http://a.test/x", 301, "http://b.test/y"))
    built = state.outcome(**values)
    plain = FetchOutcome(
        url=state.url,
        final_url=state.current_url,
        hops=tuple(state.hops),
        attempts=max(state.attempts, 1),
        elapsed_ms=built.elapsed_ms,
        **values,
    )
    assert built == plain
    assert vars(built) == vars(plain)
    assert built.headers is not state.outcome().headers  # never one dict for two
