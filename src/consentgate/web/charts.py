"""Charts drawn on the server as inline SVG (no script, so they show with JavaScript off
and under the pages' CSP): ``stacked_bars`` lays out one bar per day, stacked by series,
with a legend; the page renders it with an accessible name and the same numbers as a
table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["PALETTE", "Bar", "Chart", "Segment", "stacked_bars"]

# colour-blind-safe (Okabe-Ito), dark enough against white
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 36


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # "<series>, <day>: <count>"


@dataclass(frozen=True)
class Bar:
    day: date
    x: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    series: tuple[tuple[str, str], ...]  # (name, colour), legend order
    ticks: tuple[tuple[float, int], ...]  # (y, value) of the axis labels
    maximum: int
    plot_left: int
    plot_bottom: int
    plot_right: int


def _nice(maximum: int) -> int:
    """The axis top: the smallest 1, 2 or 5 times 10^k at or above ``maximum``."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= maximum:
                return step * top
        top *= 10


def stacked_bars(
    days: Sequence[date], series: Mapping[str, Mapping[date, int]], names: Mapping[str, str]
) -> Chart:
    """One bar per day of ``days``, stacked by ``series`` (key → per-day counts), each
    series shown under ``names[key]``."""
    keys = sorted(series, key=lambda k: (-sum(series[k].values()), names.get(k, k)))
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}
    totals = [sum(series[k].get(day, 0) for k in keys) for day in days]
    top = _nice(max(totals, default=0) or 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    bars = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = float(TOP + plot_h)
        segments = []
        for key in keys:
            count = series[key].get(day, 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            label = f"{names.get(key, key)}, {day.isoformat()}: {count}"
            segments.append(Segment(x, y, bar_w, h, colours[key], label))
        bars.append(Bar(day, x, totals[i], tuple(segments)))
    ticks = tuple((TOP + plot_h - plot_h * v / top, v) for v in sorted({0, top // 2, top}))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=tuple(bars),
        series=tuple((names.get(k, k), colours[k]) for k in keys),
        ticks=ticks,
        maximum=top,
        plot_left=LEFT,
        plot_bottom=TOP + plot_h,
        plot_right=WIDTH - RIGHT,
    )
