"""The fault schedule, drawn from `--seed` and printed before the run, and the thread that plays
it: Slack slow, answering 5xx, rate-limiting some channels, resetting connections, losing answers
to calls it applied; Slack refusing for good (a channel the bot was removed from, archived or
gone; a share of posts too long); a web worker and the clock killed with SIGKILL; on PostgreSQL,
every bot connection terminated."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Slack's faults, each for a window of time; the process faults are moments. The transient ones
# take turns; the permanent ones overlap them, each refusing calls another attempt cannot fix.
TRANSIENT_KINDS = ("slow", "server_error_json", "server_error_html", "ratelimited", "reset", "lost")
PERMANENT_KINDS = ("channel_gone", "too_long")
SLACK_KINDS = TRANSIENT_KINDS + PERMANENT_KINDS
PROCESS_KINDS = ("kill_web_worker", "kill_clock", "pg_terminate")
# What Slack answers about a channel the bot can no longer post in, and about a post too long.
GONE_ERRORS = ("channel_not_found", "is_archived", "not_in_channel")
TOO_LONG_ERROR = "msg_too_long"


@dataclass
class Fault:
    at: float  # seconds after the traffic starts
    kind: str
    duration: float = 0.0  # Slack's faults: how long the window lasts
    detail: dict[str, Any] = field(default_factory=dict)
    # Placed to end with the traffic (whose length setup decides), so that nothing after it
    # supersedes what it refused: those failures stay, for the checks to find explained.
    last: bool = False
    # What playing it did (filled in by the player): wall-clock start and end, and a note.
    started: float | None = None
    ended: float | None = None
    note: str = ""

    @property
    def slack(self) -> bool:
        return self.kind in SLACK_KINDS

    def faults(self) -> dict[str, Any]:
        """What the fake Slack is told while the window lasts."""
        if self.kind == "slow":
            return {"slow": self.detail["seconds"]}
        if self.kind.startswith("server_error_"):
            return {"server_error": self.kind.removeprefix("server_error_")}
        if self.kind == "ratelimited":
            return {"ratelimited": self.detail["channels"]}
        if self.kind == "channel_gone":
            return {"gone": {self.detail["channel"]: self.detail["error"]}}
        return {self.kind: self.detail["share"]}

    def explains(self, channel: str | None, error: str, at: float) -> bool:
        """Whether this fault, as played, made Slack answer `error` about `channel` at `at`."""
        if self.kind not in PERMANENT_KINDS or self.started is None:
            return False
        if not self.started <= at <= (self.ended or self.started):
            return False
        if self.kind == "channel_gone":
            return channel == self.detail["channel"] and error == self.detail["error"]
        return error == TOO_LONG_ERROR

    def describe(self) -> str:
        if self.kind == "slow":
            what = f"Slack answers {self.detail['seconds']:.1f} s late"
        elif self.kind == "server_error_json":
            what = "Slack answers HTTP 503 (JSON body)"
        elif self.kind == "server_error_html":
            what = "Slack answers HTTP 503 (HTML page)"
        elif self.kind == "ratelimited":
            channels = ", ".join(f"{c} Retry-After {s}" for c, s in self.detail["channels"].items())
            what = f"HTTP 429 on {channels}"
        elif self.kind == "reset":
            what = f"{self.detail['share']:.0%} of calls: connection reset before Slack applies them"
        elif self.kind == "lost":
            what = f"{self.detail['share']:.0%} of calls: applied, then the answer lost (reset)"
        elif self.kind == "channel_gone":
            what = f"every call about {self.detail['channel']} answers {self.detail['error']} (permanent)"
        elif self.kind == "too_long":
            what = f"{self.detail['share']:.0%} of posts and edits answer {TOO_LONG_ERROR} (permanent)"
        elif self.kind == "kill_web_worker":
            what = "kill -9 a web worker (gunicorn starts another)"
        elif self.kind == "kill_clock":
            what = "kill -9 clock (restarted after 1 s, as a supervisor would)"
        else:
            what = "pg_terminate_backend every bot connection"
        start = "the last" if self.last else f"+{self.at:5.1f} s"
        span = start + (f" for {self.duration:4.1f} s" if self.duration else "        ")
        return f"{span}  {what}"


def schedule(seed: int, seconds: float, channels: list[str], *, postgres: bool) -> list[Fault]:
    """Slack's transient faults one after another with quiet gaps between, each kind in turn (in
    an order the seed shuffles), 5xx for a minute on long runs; its permanent ones, kills and
    connection cuts at moments the seed draws."""
    rng = random.Random(seed)
    faults: list[Fault] = []
    longest = min(40.0, max(6.0, seconds / 10))
    outage = min(60.0, max(6.0, seconds / 10))
    t = rng.uniform(2.0, 4.0)
    kinds: list[str] = []
    while t < seconds - 6:
        if not kinds:
            kinds = list(TRANSIENT_KINDS)
            rng.shuffle(kinds)
        kind = kinds.pop()
        drawn = outage if kind.startswith("server_error_") else rng.uniform(longest / 2, longest)
        duration = min(drawn, seconds - 3 - t)
        detail: dict[str, Any] = {}
        if kind == "slow":
            detail["seconds"] = round(rng.uniform(2.0, 5.0), 1)
        elif kind == "ratelimited":
            picked = rng.sample(channels, k=max(1, len(channels) // 3))
            detail["channels"] = {c: rng.randint(1, 4) for c in sorted(picked)}
        else:
            detail["share"] = round(rng.uniform(0.2, 0.5), 2)
        faults.append(Fault(round(t, 1), kind, round(duration, 1), detail))
        # Quiet gaps between, long enough on long runs that deliveries are timed outside faults too.
        t += duration + rng.uniform(min(5.0, seconds / 30), max(3.0, seconds / 15))
    minutes = seconds / 60
    # The permanent faults: a channel the bot cannot post in for a while, and posts too long.
    refusal = min(30.0, max(6.0, seconds / 20))
    for n in range(1 + int(minutes // 5)):
        for kind in PERMANENT_KINDS:
            at = rng.uniform(5.0, max(6.0, seconds - refusal - 3))
            if kind == "channel_gone":
                refused: dict[str, Any] = {"channel": rng.choice(channels), "error": rng.choice(GONE_ERRORS)}
            else:
                refused = {"share": round(rng.uniform(0.1, 0.3), 2)}
            # The first channel gone ends with the traffic; the others are followed by traffic
            # whose changes bring what they refused up to date.
            last = kind == "channel_gone" and n == 0
            faults.append(Fault(round(seconds - refusal if last else at, 1), kind, refusal, refused, last))
    moments = [("kill_web_worker", 1 + int(minutes // 4)), ("kill_clock", 1 + int(minutes // 5))]
    if postgres:
        moments.append(("pg_terminate", 2 + int(minutes // 4)))
    for kind, count in moments:
        for _ in range(count):
            faults.append(Fault(round(rng.uniform(5.0, max(6.0, seconds - 5)), 1), kind))
    return sorted(faults, key=lambda f: f.at)


def merged(active: list[Fault]) -> dict[str, Any]:
    """What the fake Slack is told while these windows are all open."""
    out: dict[str, Any] = {}
    for fault in active:
        for key, value in fault.faults().items():
            if isinstance(value, dict):
                out[key] = {**out.get(key, {}), **value}
            else:
                out[key] = value
    return out


class Player:
    """Plays a schedule from the moment `start()` is called; `stop()` turns every fault off."""

    def __init__(
        self,
        faults: list[Fault],
        *,
        set_slack: Callable[[dict[str, Any]], None],
        web_workers: Callable[[], list[int]],
        kill_clock: Callable[[], int | None],
        terminate: Callable[[], int] | None,
        seed: int,
    ) -> None:
        self.faults = faults
        self.set_slack = set_slack
        self.web_workers = web_workers
        self.kill_clock = kill_clock
        self.terminate = terminate
        self.rng = random.Random(seed + 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)
        self.errors: list[str] = []
        self._active: list[Fault] = []  # Slack's windows now open (permanent ones overlap others)

    def start(self, traffic_seconds: float) -> Player:
        for fault in self.faults:
            if fault.last:
                fault.at = round(max(0.0, traffic_seconds - fault.duration), 1)
        self.t0 = time.time()
        self._thread.start()
        return self

    def _wait_until(self, offset: float) -> bool:
        return not self._stop.wait(max(0.0, self.t0 + offset - time.time()))

    def _run(self) -> None:
        # Events in time order: a Slack window's start and end, and the moments.
        events: list[tuple[float, int, Fault]] = []
        for fault in self.faults:
            events.append((fault.at, 1, fault))
            if fault.slack:
                events.append((fault.at + fault.duration, 0, fault))
        events.sort(key=lambda e: (e[0], e[1]))
        for offset, starting, fault in events:
            if not self._wait_until(offset):
                return
            try:
                self._play(fault, starting=bool(starting))
            except Exception as error:
                self.errors.append(f"{fault.kind}: {type(error).__name__}: {error}")

    def _play(self, fault: Fault, *, starting: bool) -> None:
        now = time.time()
        if fault.slack:
            if starting:
                fault.started = now
                self._active.append(fault)
            else:
                self._active.remove(fault)
            self.set_slack(merged(self._active))
            if not starting:
                # Ended once Slack is told: a call refused until then lies within the window.
                fault.ended = time.time()
            return
        fault.started = fault.ended = now
        if fault.kind == "kill_web_worker":
            workers = self.web_workers()
            if not workers:
                fault.note = "no worker to kill"
                return
            pid = self.rng.choice(workers)
            os.kill(pid, signal.SIGKILL)
            fault.note = f"killed worker {pid}"
        elif fault.kind == "kill_clock":
            pid = self.kill_clock()
            fault.note = f"killed clock {pid}" if pid else "clock was not running"
        elif fault.kind == "pg_terminate" and self.terminate is not None:
            fault.note = f"terminated {self.terminate()} connections"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.set_slack({})
        end = time.time()
        for fault in self.faults:
            if fault.slack and fault.started is not None and fault.ended is None:
                fault.ended = end
