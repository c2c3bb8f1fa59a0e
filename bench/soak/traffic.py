"""Team traffic: people proposing, submitting, ticking checklists, reviewing, signing off,
recording metrics and learnings, running projects, answering standups and writing retro notes,
at a steady rate with bursts, over signed HTTP; clicks are built from the blocks the bot posted.

What each step does next is read from the database (the experiment's status, the ts of the
messages the bot posted), the way a person reads the channel: a step whose message is not in
Slack yet (Slack is down) is simply tried again later. Double clicks send the same payload twice
at once; stale clicks reuse a copy of a message taken before it changed.
"""

from __future__ import annotations

import random
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.soak.client import SlackSide
from bench.soak.database import SoakDatabase
from bench.soak.world import CHECKLIST, SIGN_OFFS, Team
from bot import ids

ARTIFACTS = "eval: https://wandb.example/run/{n} rollback: flip flag soak_{n} off"
EXP_NUMBER = re.compile(r"EXP-(\d+)")


@dataclass
class Exp:
    team: Team
    owner: str
    channel: str
    hypothesis: str
    number: int | None = None
    busy: bool = False
    stale_review: dict[str, Any] | None = None  # the review message before its reviews were decided
    stale_clicked: bool = False
    metrics: int = 0
    done: bool = False  # seen closed: nothing more to advance
    misses: int = 0


@dataclass
class Counts:
    actions: dict[str, int] = field(default_factory=dict)

    def add(self, name: str) -> None:
        self.actions[name] = self.actions.get(name, 0) + 1


class Traffic:
    """Drives every team's people from a pool of threads, one action at a time each."""

    def __init__(
        self,
        side: SlackSide,
        db: SoakDatabase,
        teams: list[Team],
        *,
        seed: int,
        rate: float,
        threads: int = 8,
    ) -> None:
        self.side = side
        self.db = db
        self.teams = teams
        self.rng = random.Random(seed)
        self.rate = rate
        self.threads = threads
        self.queued = 0
        self.skipped = 0
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="people")
        self.clicks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="clicks")
        self.lock = threading.Lock()
        self.exps: dict[str, list[Exp]] = {t.team_id: [] for t in teams}
        self.projects: dict[str, list[str]] = {t.team_id: [] for t in teams}
        self.counts = Counts()
        self.seq = 0
        self.answered: set[tuple[int, str]] = set()  # (run, user) standups answered (at least once)
        self.noted: dict[int, int] = {}  # retro run -> notes written
        self.errors: list[str] = []

    # -- the loop --------------------------------------------------------------------------------
    def run(self, seconds: float, bursts: list[float]) -> None:
        """A steady `rate` of actions per second for `seconds`, plus a burst of 3 s worth of
        actions at once at each offset in `bursts`."""
        start = time.monotonic()
        pending = sorted(bursts)
        next_at = start
        while True:
            now = time.monotonic()
            if now - start >= seconds:
                break
            if pending and now - start >= pending[0]:
                pending.pop(0)
                for _ in range(max(4, int(self.rate * 3))):
                    self._submit()
            if now >= next_at:
                self._submit()
                next_at += self.rng.expovariate(self.rate)
            time.sleep(min(0.05, max(0.0, next_at - time.monotonic())))
        self.pool.shutdown(wait=True)
        self.clicks.shutdown(wait=True)

    def _submit(self) -> None:
        """Queue one action, unless people are already this far behind (Slack is slow to open
        their modals): a backlog would run on past the end of the traffic."""
        with self.lock:
            if self.queued > self.threads * 3:
                self.skipped += 1
                return
            self.queued += 1
        self.pool.submit(self._one)

    def _one(self) -> None:
        with self.lock:
            self.queued -= 1
            team = self.rng.choice(self.teams)
            roll = self.rng.random()
            self.seq += 1
            seq = self.seq
        try:
            self._act(team, roll, seq)
        except Exception as error:  # a bug in the soak, not the bot: keep going, report it
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.errors.append(f"{type(error).__name__}: {error} ({where.filename}:{where.lineno})")

    def _act(self, team: Team, roll: float, seq: int) -> None:
        # Ceremony work first, when a ceremony is open: people answer the standup and the retro.
        if roll < 0.12 and self._standup(team, seq):
            return
        if roll < 0.18 and self._retro(team, seq):
            return
        if roll < 0.35:
            self._propose(team, seq)
        elif roll < 0.75:
            self._advance(team, seq)
        elif roll < 0.83:
            self._metric(team, seq)
        elif roll < 0.87:
            self._learn(team, seq)
        elif roll < 0.94:
            self._project(team, seq)
        else:
            self._read(team, seq)

    # -- experiments -------------------------------------------------------------------------------
    def _propose(self, team: Team, seq: int) -> None:
        owner = team.owners[seq % len(team.owners)]
        channel = team.channels[seq % 2]
        hypothesis = f"Soak {team.team_id}-{seq}: retrieval tweak {seq} improves accuracy by {seq % 9 + 1}%"
        projects = self.projects[team.team_id]
        prefix = f"project:{projects[seq % len(projects)]} " if projects and seq % 4 == 0 else ""
        sent = self.side.command(
            team.team_id,
            channel,
            owner,
            "/experiment",
            f"propose {prefix}{hypothesis}",
            kind="propose",
            key=hypothesis,
        )
        self.counts.add("propose")
        found = EXP_NUMBER.search(sent.answer)
        exp = Exp(team, owner, channel, hypothesis, int(found.group(1)) if found else None)
        with self.lock:
            self.exps[team.team_id].append(exp)

    def _claim(self, team: Team, want: Callable[[Exp], bool], *, oldest_first: bool = False) -> Exp | None:
        """An experiment nobody else is acting on; with `oldest_first`, usually one of the oldest
        (the furthest along), so that even a short run reaches sign-offs and production."""
        with self.lock:
            free = [e for e in self.exps[team.team_id] if not e.busy and want(e)]
            if not free:
                return None
            exp = self.rng.choice(free[:3] if oldest_first and self.rng.random() < 0.6 else free)
            exp.busy = True
            return exp

    def _row(self, exp: Exp) -> Any:
        """The experiment as stored (by its number, or its hypothesis when the ack was lost)."""
        if exp.number is None:
            row = self.db.one(
                "SELECT number FROM experiment WHERE team_id = :t AND hypothesis = :h",
                t=exp.team.team_id,
                h=exp.hypothesis,
            )
            if row is None:
                return None
            exp.number = int(row.number)
        return self.db.one(
            "SELECT id, number, status, channel_id, message_ts, review_message_ts, approval_message_ts "
            "FROM experiment WHERE team_id = :t AND number = :n",
            t=exp.team.team_id,
            n=exp.number,
        )

    def _advance(self, team: Team, seq: int) -> None:
        exp = self._claim(team, lambda e: not e.done, oldest_first=True)
        if exp is None:
            return
        try:
            row = self._row(exp)
            if row is None:
                exp.misses += 1
                exp.done = exp.misses >= 3  # its proposal was never stored (its answer was lost)
                return
            status = row.status
            exp.done = status in ("production", "withdrawn", "rejected")
            if status == "proposed":
                if seq % 23 == 0:
                    self._cmd(exp, "withdraw", f"withdraw EXP-{exp.number} soak changed its mind")
                else:
                    self._cmd(exp, "submit", f"submit EXP-{exp.number} {ARTIFACTS.format(n=seq)}")
            elif status == "in_review":
                self._review(exp, row, seq)
            elif status == "reviewed":
                self._stale_click(exp, row)
                self._cmd(exp, "promote", f"promote EXP-{exp.number}")
            elif status == "approved":
                self._sign_off(exp, row, seq)
        finally:
            exp.busy = False

    def _cmd(self, exp: Exp, kind: str, text: str, user: str | None = None) -> None:
        self.side.command(
            exp.team.team_id,
            exp.channel,
            user or exp.owner,
            "/experiment",
            text,
            kind=kind,
            key=f"EXP-{exp.number}",
        )
        self.counts.add(kind)

    def _double(self, payload: dict[str, Any], path: str, *, kind: str, key: str, double: bool) -> None:
        """Click; a double click sends the same payload again at the same moment."""
        if double:
            echo = self.clicks.submit(self.side.interact, payload, path, kind=kind, key=key, echo=1)
            self.side.interact(payload, path, kind=kind, key=key)
            echo.result()
            self.counts.add(kind + " (double)")
        else:
            self.side.interact(payload, path, kind=kind, key=key)
            self.counts.add(kind)

    def _review(self, exp: Exp, row: Any, seq: int) -> None:
        if row.review_message_ts is None:
            return  # the review message is not in Slack yet
        message = self.side.message(row.channel_id, row.review_message_ts)
        if message is None:
            return
        if exp.stale_review is None:
            exp.stale_review = message
        team = exp.team
        # The checklist as the owner sees it; a tick is the shown selection plus one item.
        shown = _checked(message)
        ticked = {
            r.key
            for r in self.db.rows(
                "SELECT key FROM checklistitem WHERE experiment_id = :e AND checked_by IS NOT NULL", e=row.id
            )
        }
        todo = [k for k in CHECKLIST if k not in ticked]
        if todo:
            item = todo[0]
            payload, path = self.side.click_payload(
                team.team_id, row.channel_id, message, ids.CHECKLIST, user=exp.owner, selected=[*shown, item]
            )
            self._double(
                payload, path, kind="checklist_tick", key=f"EXP-{exp.number}:{item}", double=seq % 5 == 0
            )
            return
        pending = self.db.rows(
            "SELECT kind FROM review WHERE experiment_id = :e AND status = 'pending'", e=row.id
        )
        for review in pending:
            kind = str(review.kind)
            try:
                payload, path = self.side.click_payload(
                    team.team_id,
                    row.channel_id,
                    message,
                    ids.REVIEW_APPROVE,
                    user=team.reviewers[kind],
                    value=f"{exp.number}:{kind}",
                )
            except AssertionError:
                continue  # Slack still shows an older render without that button: later
            self._double(
                payload, path, kind="review_approve", key=f"EXP-{exp.number}:{kind}", double=seq % 3 == 0
            )

    def _stale_click(self, exp: Exp, row: Any) -> None:
        """A reviewer clicks Approve again on the copy of the review message they still have open."""
        if exp.stale_review is None or exp.stale_clicked:
            return
        exp.stale_clicked = True
        kind = "technical"
        try:
            payload, path = self.side.click_payload(
                exp.team.team_id,
                row.channel_id,
                exp.stale_review,
                ids.REVIEW_APPROVE,
                user=exp.team.reviewers[kind],
                value=f"{exp.number}:{kind}",
            )
        except AssertionError:
            return
        self.side.interact(payload, path, kind="review_approve_stale", key=f"EXP-{exp.number}:{kind}")
        self.counts.add("review_approve_stale")

    def _sign_off(self, exp: Exp, row: Any, seq: int) -> None:
        if row.approval_message_ts is None:
            return
        message = self.side.message(row.channel_id, row.approval_message_ts)
        if message is None:
            return
        team = exp.team
        given = {r.role for r in self.db.rows("SELECT role FROM approval WHERE experiment_id = :e", e=row.id)}
        clicks = []
        for role in SIGN_OFFS:
            if role in given:
                continue
            users = [team.signers[role]]
            if role in team.extra_signers and seq % 2 == 0:
                users.append(team.extra_signers[role])  # two holders of the role click at once
            for user in users:
                try:
                    clicks.append(
                        self.side.click_payload(
                            team.team_id,
                            row.channel_id,
                            message,
                            ids.SIGNOFF_APPROVE,
                            user=user,
                            value=f"{exp.number}:{role}",
                        )
                    )
                except AssertionError:
                    return  # an older render without the button: try later
        # The approvers click at the same moment.
        futures = [
            self.clicks.submit(
                self.side.interact,
                p,
                path,
                kind="signoff_approve",
                key=f"EXP-{exp.number}:{p['actions'][0]['value'].split(':')[1]}",
            )
            for p, path in clicks
        ]
        for future in futures:
            future.result()
            self.counts.add("signoff_approve")

    def _metric(self, team: Team, seq: int) -> None:
        exp = self._claim(team, lambda e: e.number is not None)
        if exp is None:
            return
        try:
            exp.metrics += 1
            text = f"metric EXP-{exp.number} accuracy=0.{seq % 90 + 10} latency_ms={seq}"
            self.side.command(
                team.team_id,
                exp.channel,
                exp.owner,
                "/experiment",
                text,
                kind="metric",
                key=f"EXP-{exp.number}:{seq}",
            )
            self.counts.add("metric")
        finally:
            exp.busy = False

    def _learn(self, team: Team, seq: int) -> None:
        exp = self._claim(team, lambda e: e.number is not None)
        if exp is None:
            return
        try:
            text = f"learn EXP-{exp.number} Soak learning {team.team_id}-{seq}: smaller chunks helped"
            self.side.command(
                team.team_id,
                exp.channel,
                team.reviewers["technical"],
                "/experiment",
                text,
                kind="learn",
                key=f"Soak learning {team.team_id}-{seq}",
            )
            self.counts.add("learn")
        finally:
            exp.busy = False

    def _read(self, team: Team, seq: int) -> None:
        user = team.owners[seq % len(team.owners)]
        if seq % 2:
            self.side.command(team.team_id, team.channels[0], user, "/experiment", "list all", kind="list")
            self.counts.add("list")
        else:
            exps = [e for e in self.exps[team.team_id] if e.number is not None]
            if exps:
                exp = exps[seq % len(exps)]
                self.side.command(
                    team.team_id, exp.channel, user, "/experiment", f"show EXP-{exp.number}", kind="show"
                )
                self.counts.add("show")

    # -- projects ------------------------------------------------------------------------------------
    def _project(self, team: Team, seq: int) -> None:
        projects = self.projects[team.team_id]
        owner = team.owners[0]
        channel = team.channels[1]
        if len(projects) < 2 or seq % 7 == 0:
            name = f"soak-{team.number}-{seq}"
            sent = self.side.command(
                team.team_id, channel, owner, "/project", f"create {name}", kind="project_create", key=name
            )
            self.counts.add("project_create")
            if sent.status == 200 and not sent.refused_in_ack:
                with self.lock:
                    projects.append(name)
            return
        name = projects[seq % len(projects)]
        choice = seq % 3
        if choice == 0:
            due = (datetime.now(UTC) + timedelta(days=seq % 30 + 1)).date().isoformat()
            title = f"Soak milestone {team.team_id}-{seq}"
            self.side.command(
                team.team_id,
                channel,
                owner,
                "/project",
                f"milestone add {name} {due} {title}",
                kind="milestone_add",
                key=title,
            )
            self.counts.add("milestone_add")
        elif choice == 1:
            user = team.owners[seq % len(team.owners)]
            self.side.command(
                team.team_id,
                channel,
                owner,
                "/project",
                f"member add {name} <@{user}>",
                kind="member_add",
                key=f"{name}:{user}",
            )
            self.counts.add("member_add")
        else:
            with self.lock:
                free = [e for e in self.exps[team.team_id] if e.number is not None and e.owner == owner]
            if free:
                exp = free[seq % len(free)]
                self.side.command(
                    team.team_id,
                    channel,
                    owner,
                    "/project",
                    f"link {name} EXP-{exp.number}",
                    kind="project_link",
                    key=f"{name}:EXP-{exp.number}",
                )
                self.counts.add("project_link")

    # -- ceremonies -----------------------------------------------------------------------------------
    def _open_run(self, team: Team, kind: str) -> Any:
        return self.db.one(
            "SELECT r.id, r.message_ts, c.channel_id FROM ceremonyrun r "
            "JOIN ceremony c ON c.id = r.ceremony_id "
            "WHERE c.team_id = :t AND c.kind = :k AND r.message_ts IS NOT NULL "
            "ORDER BY r.id DESC LIMIT 1",
            t=team.team_id,
            k=kind,
        )

    def _modal(self, team: Team, run: Any, action_id: str, user: str, kind: str) -> dict[str, Any] | None:
        """Click the reminder's button and wait for the modal the bot opens."""
        message = self.side.message(run.channel_id, run.message_ts)
        if message is None:
            return None
        trigger = f"trigger-soak-{time.monotonic_ns()}"
        try:
            payload, path = self.side.click_payload(
                team.team_id, run.channel_id, message, action_id, user=user, trigger=trigger
            )
        except AssertionError:
            return None
        self.side.interact(payload, path, kind=kind, key=str(run.id))
        self.counts.add(kind)
        return self.side.wait_view(trigger, timeout=12.0)

    def _standup(self, team: Team, seq: int) -> bool:
        run = self._open_run(team, "standup")
        if run is None:
            return False
        with self.lock:
            waiting = [u for u in team.people if (run.id, u) not in self.answered]
            user = waiting[seq % len(waiting)] if waiting else team.people[seq % len(team.people)]
            self.answered.add((run.id, user))
        view = self._modal(team, run, ids.SHARE_UPDATE, user, "standup_click")
        if view is None:
            return True
        text = lambda value: {ids.STANDUP_INPUT: {"type": "plain_text_input", "value": value}}  # noqa: E731
        exps = [e for e in self.exps[team.team_id] if e.number is not None]
        blockers = f"waiting on EXP-{exps[seq % len(exps)].number}" if exps and seq % 3 == 0 else ""
        values = {
            ids.STANDUP_PROGRESS_BLOCK: text(f"Soak progress {user} {seq}"),
            ids.STANDUP_BLOCKERS_BLOCK: text(blockers),
            ids.STANDUP_HELP_BLOCK: text(""),
        }
        self.side.submit_view(
            team.team_id,
            user,
            view,
            values,
            kind="standup_answer",
            key=f"{run.id}:{user}:Soak progress {user} {seq}",
        )
        self.counts.add("standup_answer")
        return True

    def _retro(self, team: Team, seq: int) -> bool:
        run = self._open_run(team, "retrospective")
        if run is None:
            return False
        user = team.owners[seq % len(team.owners)]
        view = self._modal(team, run, ids.ADD_NOTE, user, "retro_click")
        if view is None:
            return True
        options = _options(view, ids.RETRO_KIND_BLOCK)
        kind = next((o for o in options if "action" not in o["value"]), options[0]) if options else None
        note = f"Soak note {team.team_id}-{seq}"
        values: dict[str, Any] = {
            ids.RETRO_TEXT_BLOCK: {ids.RETRO_TEXT_INPUT: {"type": "plain_text_input", "value": note}},
            ids.RETRO_ANONYMOUS_BLOCK: {
                ids.RETRO_ANONYMOUS_INPUT: {"type": "checkboxes", "selected_options": []}
            },
        }
        if kind is not None:
            values[ids.RETRO_KIND_BLOCK] = {
                ids.RETRO_KIND_INPUT: {"type": "radio_buttons", "selected_option": kind}
            }
        self.side.submit_view(team.team_id, user, view, values, kind="retro_note", key=note)
        self.counts.add("retro_note")
        return True


def _checked(message: dict[str, Any]) -> list[str]:
    """The checklist items the review message shows ticked."""
    for block in message.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.CHECKLIST:
            return [o["value"] for o in accessory.get("initial_options") or []]
    return []


def _options(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    for block in view.get("blocks") or []:
        if block.get("block_id") == block_id:
            return list((block.get("element") or {}).get("options") or [])
    return []
