"""The server-drawn charts: every bar stacks exactly its day's counts under an axis top
that fits the tallest, whatever the series (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from consentgate.web.charts import BOTTOM, HEIGHT, TOP, stacked_bars

DAYS = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
counts = st.dictionaries(st.sampled_from(DAYS), st.integers(min_value=0, max_value=10**6))
series = st.dictionaries(st.text(min_size=1, max_size=8), counts, max_size=9)


@given(series)
def test_each_bar_stacks_its_days_counts_under_the_axis_top(
    data: dict[str, dict[date, int]],
) -> None:
    chart = stacked_bars(DAYS, data, {k: k.upper() for k in data})
    plot_h = HEIGHT - TOP - BOTTOM
    assert len(chart.bars) == len(DAYS)
    tallest = max((sum(s.get(d, 0) for s in data.values()) for d in DAYS), default=0)
    assert chart.maximum >= max(tallest, 1)
    for bar in chart.bars:
        total = sum(s.get(bar.day, 0) for s in data.values())
        assert bar.total == total
        assert abs(sum(seg.height for seg in bar.segments) - plot_h * total / chart.maximum) < 1e-6
        assert all(seg.y >= TOP - 1e-6 for seg in bar.segments)
        assert [seg.label.rsplit(": ", 1)[1] for seg in bar.segments] == [
            str(c) for c in (data[k].get(bar.day, 0) for k in _order(data)) if c
        ]
    assert [name for name, _ in chart.series] == [k.upper() for k in _order(data)]


def _order(data: dict[str, dict[date, int]]) -> list[str]:
    return sorted(data, key=lambda k: (-sum(data[k].values()), k.upper()))
