"""The retro's flow chart, drawn from figures with no database or Slack: the expected bars, the
"not enough data" stages, and PNG bytes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.charts import MEDIAN_LABEL, P80_LABEL, PNG_SIGNATURE, Bar, draw, render_png, stage_bars
from workflow import insights
from workflow.insights import Flow, Spread

DAY = timedelta(days=1)
BARS = [
    Bar("proposed → submitted", n=4, median_days=2.5, p80_days=10.0),
    Bar("submitted → reviewed", n=2, median_days=None, p80_days=None),
    Bar("reviewed → approved", n=5, median_days=0.75, p80_days=2.0),
    Bar("approved → production", n=3, median_days=2.5, p80_days=4.0),
]


def test_each_timed_stage_gets_its_median_and_80th_percentile_bars() -> None:
    (axes,) = draw(BARS, title="Time per stage").axes
    medians, p80s = axes.containers
    assert medians.get_label() == MEDIAN_LABEL and p80s.get_label() == P80_LABEL
    assert [p.get_height() for p in medians] == [2.5, 0.75, 2.5]
    assert [p.get_height() for p in p80s] == [10.0, 2.0, 4.0]
    # Bars stand over their stage's tick (median left of it, p80 right); stage 1 has none.
    centres = [round(p.get_x() + p.get_width() / 2) for p in medians]
    assert centres == [0, 2, 3]
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert ticks == [
        "proposed →\nsubmitted\n(n=4)",
        "submitted →\nreviewed\n(n=2)",
        "reviewed →\napproved\n(n=5)",
        "approved →\nproduction\n(n=3)",
    ]
    # Each bar is labelled with its value; the stage without one says why.
    notes = [t.get_text() for t in axes.texts]
    assert notes == ["2.5", "0.8", "2.5", "10.0", "2.0", "4.0", "not enough data\n(n=2)"]
    assert axes.get_ylabel() == "days" and axes.get_title() == "Time per stage"


def test_the_png_is_a_png() -> None:
    png = render_png(BARS, title="Time per stage")
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000


def test_bars_come_from_the_flow_figures() -> None:
    samples = Spread.of([DAY, 2 * DAY, 4 * DAY])
    stages = tuple((s, samples if i == 0 else Spread.of([DAY])) for i, s in enumerate(insights.STAGES))
    flow = Flow(since=None, until=datetime.fromisoformat("2026-12-01T00:00:00+00:00"), stages=stages)
    bars = stage_bars(flow)
    assert bars[0] == Bar("proposed → submitted", n=3, median_days=2.0, p80_days=4.0)
    assert bars[1] == Bar("submitted → reviewed", n=1, median_days=None, p80_days=None)
    assert len(bars) == 4
