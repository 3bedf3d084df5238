"""frozen.builder makes what the class itself makes: every builder citecheck uses is
held to its plain class on generated field values (issue 11's fast paths)."""

import copy
import dataclasses
import pickle
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck import check, judgement, recorder, sourcerows, titles, verdict
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
    (sourcerows._citation, Citation),  # a class with slots
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
    assert _fields(built) == _fields(plain)
    if hasattr(plain, "__dict__"):
        assert list(vars(built)) == list(vars(plain))  # the same order, for pickle and copy
    else:
        assert not hasattr(built, "__dict__")
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

    @dataclasses.dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    @dataclasses.dataclass(frozen=True)
    class OnSlots(Slotted):  # a __dict__, but its base's field in a slot
        b: int

    for cls in (Mutable, Checked, Derived, OnSlots, str):
        with pytest.raises(TypeError):
            builder(cls)
    assert builder(Slotted)(1) == Slotted(1)


def _fields(instance: object) -> list:
    return [getattr(instance, field.name) for field in dataclasses.fields(instance)]


def _plain_citation(row: dict[str, str]) -> Citation:
    """sourcerows.row_to_citation as it was written before its Citation was built in one
    step (its checks restated: an empty url, a bad date, in that order)."""
    url = row["url"].strip()
    if not url:
        raise ValueError("the url cell is empty")
    values = {
        name: row[name].strip() or None for name in ("title", "context", "page") if name in row
    }
    if "accessed" in row:
        values["accessed"] = sourcerows._check_accessed(row["accessed"])
    extra = {name: cell for name, cell in row.items() if name not in sourcerows.SOURCE_COLUMNS}
    if extra:
        values["extra"] = extra
    if "cited_in" not in row:
        return Citation(url=url, **values)
    document, line = sourcerows._parse_cited_in(row["cited_in"])
    return Citation(url=url, document=document, line=line, **values)


CELLS = st.one_of(
    st.sampled_from(["", " ", "x", " https://a.org/p ", "d.md:3", "a:b:12", "2024-05-06", "9"]),
    st.text(alphabet=st.sampled_from(list("ab :1-.٣ \t")), max_size=10),
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([*sourcerows.SOURCE_COLUMNS, "note", "Other"]), min_size=1, unique=True
    ).map(lambda names: names if "url" in names else ["url", *names]),
    st.data(),
)
def test_a_row_reads_as_the_plain_reader_read_it(names, data):
    row = {name: data.draw(CELLS, label=name) for name in names}
    try:
        plain = _plain_citation(row)
    except ValueError as error:
        with pytest.raises(ValueError, match=re.escape(str(error))):
            sourcerows.row_to_citation(row)
        return
    built = sourcerows.row_to_citation(row)
    assert built == plain
    assert _fields(built) == _fields(plain)


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
