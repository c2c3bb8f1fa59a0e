"""Setting the teams up as people would, before the faults start: roles granted with `/aiteam`,
ceremonies installed with `/ceremony setup` and moved to times due in the next minutes, a custom
ceremony, and on the last team a holiday today, so its ceremonies are skipped with that reason."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.soak.client import Sent, SlackSide
from bench.soak.database import SoakDatabase
from bench.soak.invariants import Expected
from bench.soak.world import Team

SETUP_TIMEOUT = 60.0
HOLIDAY = "Soak day"


def _wait(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"setup: {what} not done in {SETUP_TIMEOUT:g} s")
        time.sleep(0.2)


def _ok(sent: Sent, what: str) -> None:
    if sent.status != 200 or sent.refused_in_ack:
        raise RuntimeError(f"setup: {what} answered {sent.status} {sent.answer!r}")


def roles(side: SlackSide, db: SoakDatabase, teams: list[Team]) -> None:
    for team in teams:
        grants = [(u, f"{k}_reviewer") for k, u in team.reviewers.items()]
        grants += list((u, r) for r, u in team.signers.items())
        grants += list((u, r) for r, u in team.extra_signers.items())
        for user, role in grants:
            sent = side.command(
                team.team_id,
                team.channels[0],
                team.admin,
                "/aiteam",
                f"role add <@{user}|{user.lower()}> {role}",
                kind="setup",
            )
            _ok(sent, f"role add {user} {role}")
        want = len(grants)
        _wait(
            f"{team.team_id} roles",
            lambda t=team.team_id, n=want: (
                db.one("SELECT count(*) AS n FROM roleassignment WHERE team_id = :t", t=t).n >= n
            ),
        )


def ceremonies(
    side: SlackSide, db: SoakDatabase, teams: list[Team], *, first_due_after: float, run_seconds: float
) -> list[Expected]:
    """Install each team's ceremonies, due at whole minutes from `first_due_after` seconds from now
    on, spread over the run; return the occurrences that must happen."""
    now = datetime.now(UTC)
    first = (now + timedelta(seconds=first_due_after)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    # Short runs have everything due in one minute; longer ones the rest halfway through.
    later = first + timedelta(minutes=int(run_seconds // 120))
    expected: list[Expected] = []
    for team in teams:
        channel, lab = team.channels
        say = lambda text, t=team, c=channel: side.command(  # noqa: E731
            t.team_id, c, t.admin, "/ceremony", text, kind="setup"
        )
        _ok(say(f"setup <#{channel}|{channel.lower()}> UTC"), "ceremony setup")
        _wait(
            f"{team.team_id} ceremonies",
            lambda t=team.team_id: (
                db.one("SELECT count(*) AS n FROM ceremony WHERE team_id = :t", t=t).n >= 4
            ),
        )
        plan = {"standup": first, "retro": first, "experiment-review": later, "ethics-review": later}
        for name, due in plan.items():
            _ok(say(f"edit {name} schedule daily {due:%H:%M} UTC"), f"edit {name}")
        _ok(say("edit standup close 1"), "standup close")
        custom = f"sync-{team.number}"
        _ok(say(f"add {custom} <#{lab}|{lab.lower()}> daily {later:%H:%M} UTC"), f"add {custom}")
        _wait(
            f"{team.team_id} {custom}",
            lambda t=team.team_id: (
                db.one("SELECT count(*) AS n FROM ceremony WHERE team_id = :t", t=t).n >= 5
            ),
        )
        skip = None
        if team is teams[-1] and len(teams) > 1:
            _ok(say(f"holiday add {first:%Y-%m-%d} {HOLIDAY}"), "holiday add")
            skip = "holiday"
        for name, due in [*plan.items(), (custom, later)]:
            expected.append(Expected(team.team_id, name, due, skip))
    return expected
