"""What the ML platform says, where decisions are made: the linked runs and model versions, the
success criteria against them, and the registry's news in the thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks import Block, Message, context, message, section
from bot.text import escape, truncate, user_mention
from mlplatform.client import Facts, RunFacts, VersionFacts
from storage.models import EvidenceLink
from workflow import criteria, review
from workflow import facts as platform
from workflow import vocabulary as v
from workflow.delivery import RegistryNews, RegistryNotice
from workflow.experiments import ExperimentDetail
from workflow.outcome import Outcome

# Without criteria naming what matters, a run shows this many of its metrics.
FIRST_METRICS = 4
_STATUS_ICON = {True: ":white_check_mark:", False: ":x:", None: ":hourglass_flowing_sand:"}


def _linked(text: str, url: str | None) -> str:
    return f"<{url}|{escape(text)}>" if url else escape(text)


def _run_line(link: EvidenceLink, run: RunFacts, *, named: Sequence[str], baseline: RunFacts | None) -> str:
    names = [n for n in named if n in run.metrics] or sorted(run.metrics)[:FIRST_METRICS]
    values = []
    for name in names:
        value = f"`{escape(name)}` {run.metrics[name]:g}"
        if baseline is not None and name in baseline.metrics and baseline.run_id != run.run_id:
            delta = run.metrics[name] - baseline.metrics[name]
            value += f" (baseline {baseline.metrics[name]:g}, {delta:+.4g})"
        values.append(value)
    head = f":test_tube: {_linked(f'run {run.name}', run.url)} · {link.role} · {run.status.lower()}"
    return head + ("\n   " + ", ".join(values) if values else " · no metrics logged")


def _version_line(version: VersionFacts) -> str:
    aliases = ", ".join(f"`@{escape(a)}`" for a in version.aliases) or "no alias"
    name = f"{version.model} v{version.version}"
    return f":package: {_linked(name, version.url)} · {aliases} · {version.status.lower()}"


def evidence_lines(d: ExperimentDetail) -> list[str]:
    """One line per linked run and model version, with the read's state when it failed."""
    named = [c.metric for c in criteria.parse(d.experiment.criteria or "")]
    base = platform.with_role(d.links, v.EvidenceRole.BASELINE)
    baseline = platform.run_of(base) if base is not None else None
    lines = []
    for link in d.links:
        facts: Facts | None = platform.decode(link.facts)
        if isinstance(facts, RunFacts):
            line = _run_line(link, facts, named=named, baseline=baseline)
        elif isinstance(facts, VersionFacts):
            line = _version_line(facts)
        else:
            line = f":grey_question: `{escape(link.label)}` (not read yet)"
        if link.read_error:
            when = f"{link.read_at:%H:%M} UTC" if link.read_at else "never"
            line += f"\n   :warning: _last read {when}; {escape(truncate(link.read_error, 200))}_"
        lines.append(line)
    return lines


def evidence_block(d: ExperimentDetail) -> Block | None:
    lines = evidence_lines(d)
    if not lines:
        return None
    return section("*Evidence in MLflow*\n" + "\n".join(lines))


def criteria_block(d: ExperimentDetail) -> Block | None:
    """Each criterion ✅ / ❌ with the value it was checked on; flagged when changed after submit."""
    checks = review.judge(d.experiment, d.links, d.metrics)
    if checks is None:
        return None
    lines = []
    for check in checks:
        c = check.criterion
        got = f"{check.value:g} ({escape(check.source or '')})" if check.value is not None else "no value yet"
        lines.append(f"{_STATUS_ICON[check.passed]} `{escape(str(c))}`: {got}")
    text = "*Success criteria*\n" + "\n".join(lines)
    if d.experiment.criteria_note:
        text += f"\n:warning: _Criteria {escape(d.experiment.criteria_note)}_"
    return section(truncate(text, 2900))


def computed_item_line(d: ExperimentDetail) -> str | None:
    """The checklist line the criteria decide, when there are criteria."""
    checks = review.judge(d.experiment, d.links, d.metrics)
    if checks is None:
        return None
    icon = ":ballot_box_with_check:" if criteria.all_pass(checks) else ":white_square:"
    return f"{icon} {v.CHECKLIST[criteria.COMPUTED_ITEM]} _(computed from the success criteria)_"


def registry_notice(ref: str, notice: RegistryNotice) -> Message:
    """A reply in the thread (or the alert channel) about the experiment's model in the registry."""
    model = f"{escape(notice.model)}" + (f" v{escape(notice.version)}" if notice.version else "")
    people = " ".join(user_mention(p) for p in notice.people)
    alias = f"`@{escape(notice.alias or '')}`"
    match notice.news:
        case RegistryNews.VERSION_LINKED:
            text = f":package: Model *{model}* was registered in MLflow and is now linked to {ref}."
        case RegistryNews.OUTSIDE_APPROVAL:
            whose = f"{ref} is not in production with its three sign-offs" if ref else "no experiment owns it"
            text = (
                f":rotating_light: *Guarded alias set outside approval*: {alias} now points at *{model}*, "
                f"but {whose}. {people or 'Nobody holds `security` or `technical_lead` yet.'} please check "
                "who set it in MLflow, and move it back unless it was meant."
            )
        case RegistryNews.DEPLOYED:
            text = f":rocket: The bot set {alias} on *{model}* in MLflow: {ref} is deployed."
        case RegistryNews.ALIAS_REMOVED:
            text = f":warning: {alias} was removed from *{model}* in MLflow while {ref} is in production."
    return message(truncate(text, 300), [section(text)])


def unfurl_of(facts: Facts) -> dict[str, Any]:
    """The preview of an MLflow run or model version link: its status and key metrics."""
    if isinstance(facts, RunFacts):
        metrics = ", ".join(f"`{escape(k)}` {x:g}" for k, x in sorted(facts.metrics.items())[:6])
        head = f":test_tube: *MLflow run {escape(facts.name)}* · {facts.status.lower()}"
        text = f"{head}\n{metrics or 'no metrics logged'}"
    else:
        aliases = ", ".join(f"`@{escape(a)}`" for a in facts.aliases) or "no alias"
        text = (
            f":package: *{escape(facts.model)} v{escape(facts.version)}* · {facts.status.lower()} · {aliases}"
        )
    return {"blocks": [section(text)]}


def unfurl_missing(why: str) -> dict[str, Any]:
    return {"blocks": [context(f":grey_question: {escape(why)}")]}


def _after(d: ExperimentDetail, outcome: Outcome) -> str:
    """What the step also did: made decisions stale, or completed the review."""
    if outcome.note:
        return f"\n:warning: {escape(outcome.note)}"
    if outcome.moved_to == v.Status.REVIEWED:
        return f"\n:tada: That completed the review: {d.ref} is reviewed."
    return ""


def linked_confirmation(d: ExperimentDetail, outcome: Outcome) -> str:
    """The private answer to `/experiment evidence`: what is linked now."""
    if not outcome.changed:
        return f":information_source: {escape(outcome.note or 'Nothing to change.')}"
    names = []
    for link in d.links:
        facts = platform.decode(link.facts)
        if isinstance(facts, RunFacts):
            names.append(f"{_linked(f'run {facts.name}', facts.url)} ({link.role})")
        elif isinstance(facts, VersionFacts):
            names.append(_linked(f"{facts.model} v{facts.version}", facts.url))
    return (
        f":white_check_mark: Linked. {d.ref}'s evidence in MLflow: {', '.join(names)}. "
        f"`/experiment show {d.ref}` shows the values." + _after(d, outcome)
    )


def criteria_confirmation(d: ExperimentDetail, outcome: Outcome) -> str:
    """The private answer to `/experiment criteria`: the criteria, each against the evidence now."""
    if not outcome.changed:
        return f":information_source: {escape(outcome.note or 'Nothing to change.')}"
    checks = review.judge(d.experiment, d.links, d.metrics)
    if checks is None:
        return f":white_check_mark: {d.ref} has no success criteria now." + _after(d, outcome)
    lines = [
        f"{_STATUS_ICON[c.passed]} `{escape(str(c.criterion))}`"
        + (f": {c.value:g} ({escape(c.source or '')})" if c.value is not None else ": no value yet")
        for c in checks
    ]
    return f":white_check_mark: Success criteria of {d.ref}:\n" + "\n".join(lines) + _after(d, outcome)
