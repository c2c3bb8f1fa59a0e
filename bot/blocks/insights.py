"""Flow insights as people read them: `/aiteam insights`, App Home's compact section, and the
retro reminder's opening line."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks import Block, Message, context, message, section
from bot.blocks.experiments import card_link
from bot.text import user_mention
from workflow import insights
from workflow.insights import Flow, Spread

# Reviewers listed by name; the rest are counted.
MAX_REVIEWERS = 15
HOME_HINT = "`/aiteam insights [30d|90d|all]`: each stage, each review and reviewer"


def span(duration: timedelta) -> str:
    """`40 min`, `5 hours`, `1.2 days`, `12 days`: as precise as a team needs to compare."""
    minutes = duration.total_seconds() / 60
    if minutes < 60:
        return f"{max(1, round(minutes))} min"
    if minutes < 24 * 60:
        hours = round(minutes / 60)
        return f"{hours} hour" + ("" if hours == 1 else "s")
    days = minutes / (24 * 60)
    text = f"{days:.1f}".removesuffix(".0") if days < 10 else str(round(days))
    return f"{text} day" + ("" if text == "1" else "s")


def not_enough(spread: Spread) -> str:
    return f"not enough data (n={spread.n})"


def figures(spread: Spread) -> str:
    """`median 2.5 days · 80th pct 10 days (n=4)`, or why there is no figure."""
    if spread.median is None or spread.p80 is None:
        return not_enough(spread)
    return f"median {span(spread.median)} · 80th pct {span(spread.p80)} (n={spread.n})"


def _to_production(flow: Flow) -> str:
    median = flow.to_production.median
    if median is None:
        return f"time to production: {not_enough(flow.to_production)}"
    return f"median {span(median)} to production"


def _review_wait(flow: Flow) -> str:
    median = flow.reviews.median
    if median is None:
        return f"review wait: {not_enough(flow.reviews)}"
    slowest = flow.slowest_kind
    return f"reviews waited {span(median)}" + (f" ({slowest} slowest)" if slowest else "")


def retro_line(flow: Flow) -> str:
    """`3 shipped · median 9 days to production · reviews waited 1.2 days (ethics slowest)`."""
    return " · ".join((f"{flow.shipped} shipped", _to_production(flow), _review_wait(flow)))


def _share(flow: Flow) -> str:
    if not flow.closed:
        return "none closed"
    percent = round(100 * flow.shipped / flow.closed)
    return f"*{flow.shipped} of {flow.closed}* closed reached production ({percent}%)"


def _in_progress(flow: Flow) -> str:
    counts = [f"{n} {status.replace('_', ' ')}" for status, n in flow.in_progress.items() if n]
    return " · ".join(counts) if counts else "nothing open"


def _oldest(flow: Flow) -> str | None:
    e = flow.oldest
    if e is None:
        return None
    waited = span(flow.until - e.status_changed_at)
    return (
        f"*{card_link(e)}* {e.status.replace('_', ' ')} for {waited} (since {e.status_changed_at:%a %d %b})"
    )


def _window_title(window: str, since: datetime | None) -> str:
    if since is None:
        return "*Team flow · all time*"
    return f"*Team flow · last {window.removesuffix('d')} days* (since {since:%a %d %b %Y})"


def _slowest_first(flow: Flow) -> list[tuple[str, Spread]]:
    # Those with a figure, slowest first; then those without, busiest first.
    return sorted(
        flow.by_reviewer.items(),
        key=lambda item: (
            item[1].median is None,
            -(item[1].median or timedelta()).total_seconds(),
            -item[1].n,
            item[0],
        ),
    )


def insights_message(flow: Flow, window: str) -> Message:
    """The private answer to `/aiteam insights`."""
    stages = [f"• {stage.label}: {figures(spread)}" for stage, spread in flow.stages]
    stages.append(f"• proposal → production: {figures(flow.to_production)}")
    kinds = [f"• {kind}: {figures(spread)}" for kind, spread in flow.by_kind.items()]
    slowest_kind = flow.slowest_kind
    if slowest_kind is not None:
        median = flow.by_kind[slowest_kind].median
        assert median is not None
        kinds.append(f"Slowest review: *{slowest_kind}*, median {span(median)}.")
    ranked = _slowest_first(flow)
    people = [f"• {user_mention(who)}: {figures(spread)}" for who, spread in ranked[:MAX_REVIEWERS]]
    if len(ranked) > MAX_REVIEWERS:
        people.append(f"…and {len(ranked) - MAX_REVIEWERS} more")
    slowest_reviewer = flow.slowest_reviewer
    if slowest_reviewer is not None:
        median = flow.by_reviewer[slowest_reviewer].median
        assert median is not None
        people.append(f"Slowest reviewer: {user_mention(slowest_reviewer)}, median {span(median)}.")
    now_lines = [f"*In progress now:* {_in_progress(flow)}"]
    oldest = _oldest(flow)
    if oldest:
        now_lines.append(f"Waiting longest: {oldest}")
    blocks: list[Block] = [
        section(
            f"{_window_title(window, flow.since)}\n"
            f"*{flow.proposed}* proposed · *{flow.closed}* closed · {_share(flow)}"
        ),
        section("*Time per stage*\n" + "\n".join(stages)),
        section("*Review wait*, submission to decision, per review\n" + "\n".join(kinds)),
        section(
            "*Review wait per reviewer*\n" + ("\n".join(people) or "No review decisions in this window.")
        ),
        section("\n".join(now_lines)),
        context(
            f"Medians and 80th percentiles (nearest rank); fewer than {insights.MIN_SAMPLES} samples "
            "give no figure. From the audit trail; a stage counts in the window it ends in."
        ),
    ]
    fallback = f"Team flow: {flow.proposed} proposed, {flow.closed} closed, {flow.shipped} reached production"
    return message(fallback, blocks)


def home_blocks(flow: Flow) -> list[Block]:
    """App Home's compact "Team flow (30 days)" section."""
    first = f"{flow.proposed} proposed · {flow.closed} closed, {flow.shipped} reached production"
    second = f"{_review_wait(flow)} · {flow.open_total} in progress"
    oldest = _oldest(flow)
    if oldest:
        second += f", longest waiting {oldest}"
    title = f"*Team flow ({insights.HOME_WINDOW.removesuffix('d')} days)*"
    return [
        section(f"{title}\n{first} · {_to_production(flow)}\n{second}"),
        context(HOME_HINT),
    ]
