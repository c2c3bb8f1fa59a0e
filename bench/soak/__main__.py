"""Fault soak: minutes of team traffic while Slack flaps, processes die and the database drops
connections, then proof that nothing was lost or doubled.

    .venv/bin/python -m bench.soak [--minutes 10] [--seed N] [--teams 3] [--rate 3]
                                   [--database-url postgresql+psycopg://postgres@localhost:5432/postgres]
                                   [--log-dir DIR]

What runs is what a deployment runs: `python -m bot web` (gunicorn, WEB_CONCURRENCY=2) and
`python -m bot clock`, on a fresh SQLite file (or, with `--database-url`, a fresh PostgreSQL
database made beside the one named and dropped afterwards), against a fake Slack in its own
process on loopback (bench/soak/slack.py, built on tests/fakeslack.py) that keeps every message,
edit and DM as Slack would show them. The settings are the defaults, except
DELIVERY_LEASE_SECONDS=30 (`--lease`): a killed worker's claims are taken over after the lease,
and 120 s would make every short run wait two minutes for them.

1. Set up (no faults): each team's roles through `/aiteam role add`, its ceremonies through
   `/ceremony setup`, moved with `/ceremony edit` to whole minutes due during the run, a custom
   ceremony in a second channel, and on the last team a holiday today (its ceremonies must be
   skipped, with that reason).
2. Traffic (bench/soak/traffic.py) for `--minutes` (longer if the ceremonies come later): people
   propose, submit, tick checklists, approve reviews (with double clicks and clicks on stale
   copies), sign off at the same moment, record metrics and learnings, run projects, answer the
   standup and write retro notes, at `--rate` actions a second with bursts.
3. Faults (bench/soak/faults.py) on a schedule drawn from `--seed` and printed first: Slack slow,
   503 (JSON and HTML; for a minute on long runs), 429 with Retry-After on some channels, resets,
   answers lost after Slack applied the call; permanent refusals (a channel answering
   channel_not_found, is_archived or not_in_channel for a while; a share of posts and edits
   answered msg_too_long); kill -9 of a web worker (gunicorn starts another) and of clock
   (restarted after 1 s); on PostgreSQL, pg_terminate_backend on every bot connection.
4. Drain: faults off; wait (bounded by `--drain`) until the queue is empty and every ceremony
   step due has had its pass.
5. Check (bench/soak/invariants.py) and print each invariant PASS/FAIL with its counts, delivery
   latency outside the fault windows and peak RSS. A delivery that failed for good must have met
   a refusal a scheduled permanent fault caused and be listed by `python -m bot deliveries` (run
   against the soak's database); what it owed Slack is then listed as accounted for, not missing.
   Exit status 1 when an invariant fails, 2 when the soak itself could not run.

`--minutes 1` takes about 3 to 4 minutes all told (start, setup, the ceremonies' minute, drain).
The processes' logs are kept in `--log-dir` (else a temporary directory, removed), and the SQLite
database with them.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.soak import faults as fault_schedule
from bench.soak import invariants, report, setup, world
from bench.soak.client import SlackSide
from bench.soak.database import SoakDatabase
from bench.soak.invariants import Evidence, _utc
from bench.soak.refusals import Failures
from bench.soak.system import System
from bench.soak.traffic import Traffic

# A web worker being killed and replaced: requests in flight then may be lost.
KILL_WINDOW = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=None, help="draws the fault schedule (default: random)")
    parser.add_argument("--teams", type=int, default=3)
    parser.add_argument("--rate", type=float, default=3.0, help="steady actions per second, all teams")
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server (a fresh database beside it)"
    )
    parser.add_argument("--lease", type=int, default=30, help="DELIVERY_LEASE_SECONDS for the bot")
    parser.add_argument("--drain", type=float, default=300.0, help="longest wait for the queue to empty, s")
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        workdir = Path(tmp)
        log_dir = args.log_dir or workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        return soak(args, seed, workdir, log_dir)


def soak(args: argparse.Namespace, seed: int, workdir: Path, log_dir: Path) -> int:
    teams = world.build(args.teams)
    seconds = args.minutes * 60
    # With --log-dir, a SQLite database stays there too, for a look after a failure.
    db = SoakDatabase.fresh(args.log_dir or workdir, args.database_url, f"soak{seed}")
    channels = [c for t in teams for c in t.channels]
    schedule = fault_schedule.schedule(seed, seconds, channels, postgres=db.postgres)
    print(
        f"bench.soak: seed {seed}, {args.minutes:g} min, {len(teams)} teams ({len(channels)} channels, "
        f"{sum(len(t.people) for t in teams)} people), {args.rate:g} actions/s plus bursts, {db.name}, "
        f"web 2 workers + clock, DELIVERY_LEASE_SECONDS={args.lease}"
    )
    print("fault schedule (from the start of the traffic):")
    print("\n".join(report.schedule_lines(schedule)), flush=True)
    secret = secrets.token_hex(16)
    system = System(
        workdir=workdir,
        log_dir=log_dir,
        database_url=db.url,
        world=world.fake_world(teams),
        seed=seed,
        secret=secret,
        settings={"DELIVERY_LEASE_SECONDS": str(args.lease)},
    )
    try:
        system.start()
        side = SlackSide(system.web_url, system.slack_url, secret)
        setup.roles(side, db, teams)
        expected = setup.ceremonies(side, db, teams, first_due_after=15, run_seconds=seconds)
        setup_sent = len(side.log)
        last_due = max(e.due_at for e in expected)
        # Run at least until the last ceremony is under way, so its standup gets answers.
        traffic_seconds = max(seconds, (last_due - datetime.now(UTC)).total_seconds() + 30)
        print(
            f"setup done: {setup_sent} requests; ceremonies due "
            + ", ".join(sorted({f"{e.due_at:%H:%M}" for e in expected}))
            + " UTC; traffic for "
            f"{traffic_seconds:.0f} s",
            flush=True,
        )
        traffic = Traffic(side, db, teams, seed=seed, rate=args.rate)
        player = fault_schedule.Player(
            schedule,
            set_slack=side.set_faults,
            web_workers=system.web_workers,
            kill_clock=system.kill_clock,
            terminate=db.terminate_bot_connections if db.postgres else None,
            seed=seed,
        ).start(traffic_seconds)
        started = time.time()
        bursts = [seconds * f for f in (0.3, 0.7)]
        traffic.run(traffic_seconds, bursts)
        player.stop()
        ran = time.time() - started
        print(f"traffic done after {ran:.0f} s; draining", flush=True)
        drained = drain(db, settle_until=last_due.timestamp() + 60 + 70, bound=args.drain)
        print(
            f"drained in {drained:.0f} s" if drained >= 0 else f"drain gave up after {args.drain:g} s",
            flush=True,
        )
        state = side.state()
        kill_windows = [
            (f.started, f.started + KILL_WINDOW)
            for f in schedule
            if f.kind == "kill_web_worker" and f.started is not None
        ]
        evidence = Evidence(
            db=db,
            slack=state,
            log=side.log[setup_sent:],
            teams=teams,
            faults=schedule,
            ceremonies=expected,
            kill_windows=kill_windows,
            checked_at=datetime.now(UTC),
            failures=Failures(
                db,
                state["refusals"],
                schedule,
                "".join(system.deliveries("list", "--team", team.team_id) for team in teams),
            ),
        )
        checks = invariants.all_checks(evidence)
        web_mb, clock_mb = system.peak_mb()
        print("\ntraffic:")
        print("\n".join(report.traffic_lines(evidence.log, traffic.counts.actions, ran)))
        if traffic.skipped:
            print(f"  {traffic.skipped} actions not started: people were already that far behind")
        if traffic.errors:
            print(
                f"  soak errors (the soak's own, not the bot's): {len(traffic.errors)}; first: "
                f"{traffic.errors[0]}"
            )
        print("faults:")
        print(
            "\n".join(
                report.fault_lines(schedule, state["served"], system.web_restarts(), system.clock_starts)
            )
        )
        if player.errors:
            print("  fault player errors: " + "; ".join(player.errors))
        print("invariants:")
        print("\n".join(report.check_lines(checks)))
        print("delivery latency:")
        print("\n".join(report.latency_lines(*quiet_latencies(db, schedule, args.lease))))
        print(f"peak RSS: web {web_mb:.0f} MB (master and workers at one moment), clock {clock_mb:.0f} MB")
        failed = [c for c in checks if not c.ok]
        print(
            f"\n{'FAIL' if failed else 'PASS'}: {len(checks) - len(failed)} of {len(checks)} invariants hold"
            + (f"; logs in {log_dir}" if args.log_dir else "")
        )
        return 1 if failed else 0
    except RuntimeError as error:
        print(f"soak could not run: {error}", file=sys.stderr)
        return 2
    finally:
        system.stop()
        db.close()


def drain(db: SoakDatabase, *, settle_until: float, bound: float) -> float:
    """Wait until no delivery is pending or sending and the ceremonies' passes have come; the
    seconds it took, or -1 when `bound` ran out first."""
    start = time.time()
    while time.time() - start < bound:
        left = db.one("SELECT count(*) AS n FROM delivery WHERE state IN ('pending', 'sending')").n
        if left == 0 and time.time() >= settle_until:
            return time.time() - start
        time.sleep(1.0)
    return -1.0


def quiet_latencies(
    db: SoakDatabase, schedule: list[fault_schedule.Fault], lease: int
) -> tuple[list[float], int]:
    """Seconds from queued to delivered of the deliveries whose wait overlapped no fault (a
    channel gone holds up only that channel's)."""
    windows: list[tuple[float, float, str | None]] = []
    for fault in schedule:
        if fault.started is None:
            continue
        if fault.slack:
            channel = fault.detail["channel"] if fault.kind == "channel_gone" else None
            windows.append((fault.started, (fault.ended or fault.started) + 5, channel))
        else:
            windows.append((fault.started, fault.started + lease + 10, None))
    out, total = [], 0
    for r in db.rows(
        "SELECT channel_id, created_at, delivered_at FROM delivery "
        "WHERE state = 'delivered' AND delivered_at IS NOT NULL"
    ):
        total += 1
        lo, hi = _utc(r.created_at).timestamp(), _utc(r.delivered_at).timestamp()
        if not any(lo <= b and hi >= a and c in (None, r.channel_id) for a, b, c in windows):
            out.append(hi - lo)
    return out, total


if __name__ == "__main__":
    sys.exit(main())
