"""The retro's flow chart: time per stage as a PNG, drawn with matplotlib.

matplotlib is imported inside `draw`, so the processes that never draw (the web workers) never
pay its import time or memory. Only the object-oriented `Figure` is used, never pyplot: no
global figure state, and the PNG comes from the Agg renderer whatever backend is configured.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from workflow.insights import Flow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MEDIAN_LABEL = "median"
P80_LABEL = "80th percentile"
_DAY = timedelta(days=1)
# matplotlib's font and text caches are shared: two delivery threads never draw at once.
_drawing = threading.Lock()


@dataclass(frozen=True)
class Bar:
    """One stage: its median and 80th percentile in days, or None with too few samples."""

    label: str
    n: int
    median_days: float | None
    p80_days: float | None


def stage_bars(flow: Flow) -> list[Bar]:
    bars = []
    for stage, spread in flow.stages:
        median, p80 = spread.median, spread.p80
        bars.append(
            Bar(
                label=stage.label,
                n=spread.n,
                median_days=None if median is None else median / _DAY,
                p80_days=None if p80 is None else p80 / _DAY,
            )
        )
    return bars


def _tick(bar: Bar) -> str:
    start, _, end = bar.label.partition(" → ")
    return f"{start} →\n{end}\n(n={bar.n})"


def draw(bars: Sequence[Bar], *, title: str) -> Figure:
    """Two bars per stage with enough samples (median, 80th percentile); a note where too few."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100, layout="constrained")
    axes = figure.subplots()
    width = 0.38
    timed = [
        (i, b.median_days, b.p80_days)
        for i, b in enumerate(bars)
        if b.median_days is not None and b.p80_days is not None
    ]
    medians = axes.bar(
        [i - width / 2 for i, _, _ in timed],
        [median for _, median, _ in timed],
        width,
        label=MEDIAN_LABEL,
        color="#2E86AB",
    )
    p80s = axes.bar(
        [i + width / 2 for i, _, _ in timed],
        [p80 for _, _, p80 in timed],
        width,
        label=P80_LABEL,
        color="#A5C8DA",
    )
    axes.bar_label(medians, fmt="%.1f", padding=2, fontsize=8)
    axes.bar_label(p80s, fmt="%.1f", padding=2, fontsize=8)
    for i, bar in enumerate(bars):
        if bar.median_days is None:
            axes.text(
                i, 0, f"not enough data\n(n={bar.n})", ha="center", va="bottom", fontsize=8, color="gray"
            )
    axes.set_xticks(range(len(bars)), [_tick(b) for b in bars])
    axes.tick_params(axis="x", labelsize=8)
    axes.set_xlim(-0.6, len(bars) - 0.4)
    axes.set_ylabel("days")
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.legend(loc="best", fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def render_png(bars: Sequence[Bar], *, title: str) -> bytes:
    """The chart as PNG bytes: figures in, image out, nothing else touched."""
    with _drawing:
        buffer = io.BytesIO()
        draw(bars, title=title).savefig(buffer, format="png")
    return buffer.getvalue()
