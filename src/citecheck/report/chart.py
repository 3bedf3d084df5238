"""The HTML report's health chart: a stacked bar per run, its statuses' counts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..models import Status

#: The statuses drawn in the health chart, bottom of each bar first.
CHART_SERIES = (Status.OK, Status.REDIRECTED, Status.BLOCKED, Status.FAILING, Status.BROKEN)
#: The chart's width and height, and the box its bars are drawn in (left, right, top, bottom).
CHART_SIZE = (800, 220)
PLOT_BOX = (48, 790, 12, 190)
_PLOT_LEFT, _PLOT_RIGHT, _PLOT_TOP, _PLOT_BOTTOM = PLOT_BOX


@dataclass(frozen=True)
class _Segment:
    css: str
    y: float
    height: float


@dataclass(frozen=True)
class _Bar:
    x: float
    width: float
    label: str
    segments: tuple[_Segment, ...]


@dataclass(frozen=True)
class _RunCounts:
    when: datetime
    counts: tuple[int, ...]  # in CHART_SERIES order


@dataclass(frozen=True)
class Chart:
    bars: tuple[_Bar, ...]
    runs: tuple[_RunCounts, ...]
    max_total: int


def health_chart(
    timeline: Sequence[tuple[datetime, Mapping[str, int]]],
    *,
    css: Mapping[Status, str],
    when: Callable[[datetime], str],
) -> Chart:
    """Stacked bars, one per run, scaled to the largest run; ``css`` names each
    status's class, ``when`` writes a run's time in a bar's label."""
    runs = tuple(
        _RunCounts(when, tuple(int(counts.get(s.value, 0)) for s in CHART_SERIES))
        for when, counts in timeline
    )
    max_total = max((sum(run.counts) for run in runs), default=0)
    if not runs:
        return Chart(bars=(), runs=(), max_total=0)
    slot = (_PLOT_RIGHT - _PLOT_LEFT) / len(runs)
    scale = (_PLOT_BOTTOM - _PLOT_TOP) / max_total if max_total else 0.0
    bars = []
    for index, run in enumerate(runs):
        y = float(_PLOT_BOTTOM)
        segments = []
        for status, count in zip(CHART_SERIES, run.counts, strict=True):
            height = count * scale
            if height > 0:
                y -= height
                segments.append(_Segment(css[status], round(y, 2), round(height, 2)))
        label = ", ".join(
            f"{count} {status.value}"
            for status, count in zip(CHART_SERIES, run.counts, strict=True)
        )
        bars.append(
            _Bar(
                x=round(_PLOT_LEFT + index * slot + slot * 0.1, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                label=f"{when(run.when)}: {label}",
                segments=tuple(segments),
            )
        )
    return Chart(bars=tuple(bars), runs=runs, max_total=max_total)
