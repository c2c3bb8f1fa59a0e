"""What must hold after the drain: nothing acked was lost, nothing was done twice, every card and
reply Slack shows is what the database says, every ceremony due happened once, the queue is
empty, nothing failed for good but what a scheduled permanent fault caused, and the acks kept
Slack's deadline. Each check returns a Check with its counts and, when it fails, the first few
examples; what a permanent fault rightly kept from Slack is listed as accounted for."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from bench.soak.client import Sent, is_refusal
from bench.soak.database import SoakDatabase
from bench.soak.faults import Fault
from bench.soak.refusals import Failures, _utc
from bench.soak.world import Team
from bot.blocks.experiments import card
from bot.blocks.projects import card as project_card
from bot.delivery.senders.experiments import REPLIES
from bot.settings import normalise_database_url
from storage.db import Database
from storage.experiments import Slot
from storage.models import Project
from tests.harness import all_text
from workflow import experiments, projects
from workflow.permissions import Policy

SLACK_DEADLINE_MS = 3000.0
EXAMPLES = 5

# The soak's bot runs with the default rules (no MLflow): the replies render as they did for it.
POLICY = Policy()


@dataclass
class Check:
    name: str
    checked: int = 0
    bad: list[str] = field(default_factory=list)
    note: str = ""
    # What Slack lacks or shows out of date because a scheduled permanent fault refused it.
    excused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad

    def fail(self, example: str) -> None:
        self.bad.append(example)


@dataclass
class Expected:
    """A ceremony occurrence due during the run."""

    team_id: str
    name: str
    due_at: datetime
    skip_reason: str | None = None  # set when it must be skipped (a holiday)


@dataclass
class Evidence:
    db: SoakDatabase
    slack: dict[str, Any]  # the fake Slack's /soak/state
    log: list[Sent]
    teams: list[Team]
    faults: list[Fault]
    ceremonies: list[Expected]
    kill_windows: list[tuple[float, float]]  # wall-clock spans when a web worker was being replaced
    checked_at: datetime
    failures: Failures

    def posts_by_key(self) -> Counter[str]:
        return Counter(p["key"] for p in self.slack["posts"] if p["key"])

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self._messages().get((channel, ts))

    def _messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        cached = getattr(self, "_by_ts", None)
        if cached is None:
            cached = {(m["channel"], m["ts"]): m for m in self.slack["messages"]}
            self._by_ts = cached
        return cached

    def refused(self) -> set[str]:
        """Response paths that carried a refusal (clicks answer privately after the ack)."""
        return {r["path"] for r in self.slack["responses"] if is_refusal(r["text"])}


def _accepted(sent: Sent, refused: set[str]) -> bool:
    return sent.status == 200 and not sent.refused_in_ack and sent.response_path not in refused


def _by_key(log: Iterable[Sent], kind: str) -> dict[tuple[str, str], list[Sent]]:
    out: dict[tuple[str, str], list[Sent]] = defaultdict(list)
    for sent in log:
        if sent.kind == kind:
            out[(sent.team_id, sent.key)].append(sent)
    return out


# -- nothing acked lost, nothing stored without its request -------------------------------------------
def acked_changes(ev: Evidence) -> tuple[Check, Check]:
    """Per kind of change: every accepted request's change is stored (once), and every change
    stored came from a request that was sent."""
    stored_check = Check("every acked change is stored (once)")
    orphan_check = Check("no change stored without its request")
    refused = ev.refused()
    db = ev.db

    def unique(kind: str, rows: Iterable[tuple[str, str]], match: Callable[[str], str] = lambda k: k) -> None:
        sent = _by_key(ev.log, kind)
        stored = Counter((team, match(key)) for team, key in rows)
        for (team, key), requests in sent.items():
            n = stored.get((team, key), 0)
            stored_check.checked += 1
            if any(_accepted(s, refused) for s in requests) and n != 1:
                stored_check.fail(f"{kind} {team} {key!r}: acked, stored {n}×")
            elif n > 1:
                stored_check.fail(f"{kind} {team} {key!r}: stored {n}×")
            elif n and all(s.status == 200 and not _accepted(s, refused) for s in requests):
                orphan_check.fail(f"{kind} {team} {key!r}: stored, though every answer said it was not")
        for team, key in stored:
            orphan_check.checked += 1
            if (team, key) not in sent:
                orphan_check.fail(f"{kind} {team} {key!r}: stored with no request")

    unique(
        "propose", [(r.team_id, r.hypothesis) for r in db.rows("SELECT team_id, hypothesis FROM experiment")]
    )
    unique(
        "learn",
        [(r.team_id, r.text) for r in db.rows("SELECT team_id, text FROM learning")],
        match=lambda text: text.split(":")[0],
    )
    unique("project_create", [(r.team_id, r.name) for r in db.rows("SELECT team_id, name FROM project")])
    unique("milestone_add", [(r.team_id, r.title) for r in db.rows("SELECT team_id, title FROM milestone")])
    unique("retro_note", [(r.team_id, r.text) for r in db.rows("SELECT team_id, text FROM retronote")])

    numbers = {
        (r.team_id, r.number): r for r in db.rows("SELECT id, team_id, number, status FROM experiment")
    }

    def experiment_of(team: str, key: str) -> Any:
        found = re.match(r"EXP-(\d+)", key)
        return numbers.get((team, int(found.group(1)))) if found else None

    # Metrics: the value stored is the last accepted request's (one person at a time per experiment).
    latest: dict[tuple[str, str], Sent] = {}
    for sent in ev.log:
        if sent.kind == "metric" and _accepted(sent, refused):
            exp_key = sent.key.split(":")[0]
            if (sent.team_id, exp_key) not in latest or latest[(sent.team_id, exp_key)].at < sent.at:
                latest[(sent.team_id, exp_key)] = sent
    metrics = {
        (r.experiment_id, r.name): r.value for r in db.rows("SELECT experiment_id, name, value FROM metric")
    }
    for (team, exp_key), sent in latest.items():
        stored_check.checked += 1
        row = experiment_of(team, exp_key)
        want = float(sent.key.split(":")[1])
        got = metrics.get((row.id, "latency_ms")) if row is not None else None
        if got != want:
            stored_check.fail(f"metric {team} {exp_key}: last acked latency_ms={want:g}, stored {got}")

    # Clicks: an accepted tick is ticked, an accepted approval approved, a sign-off given once.
    ticked = {
        (r.experiment_id, r.key)
        for r in db.rows("SELECT experiment_id, key FROM checklistitem WHERE checked_by IS NOT NULL")
    }
    reviews = {
        (r.experiment_id, r.kind): r
        for r in db.rows("SELECT experiment_id, kind, status, reviewer_id FROM review")
    }
    approvals = Counter(
        (r.experiment_id, r.role) for r in db.rows("SELECT experiment_id, role FROM approval")
    )
    clicked: set[tuple[str, str, str]] = set()
    for sent in ev.log:
        if sent.kind not in ("checklist_tick", "review_approve", "review_approve_stale", "signoff_approve"):
            continue
        clicked.add((sent.kind.removesuffix("_stale"), sent.team_id, sent.key))
        if not _accepted(sent, refused) or sent.kind.endswith("_stale"):
            continue
        exp_key, arg = sent.key.split(":")
        row = experiment_of(sent.team_id, exp_key)
        if row is None:
            continue
        stored_check.checked += 1
        if sent.kind == "checklist_tick" and (row.id, arg) not in ticked:
            stored_check.fail(f"tick {sent.team_id} {sent.key}: acked, not ticked")
        elif sent.kind == "review_approve" and reviews.get((row.id, arg)) is None:
            stored_check.fail(f"approve {sent.team_id} {sent.key}: acked, no review")
        elif sent.kind == "review_approve" and reviews[(row.id, arg)].status != "approved":
            stored_check.fail(
                f"approve {sent.team_id} {sent.key}: acked, review {reviews[(row.id, arg)].status}"
            )
        elif sent.kind == "signoff_approve" and approvals.get((row.id, arg), 0) != 1:
            stored_check.fail(
                f"sign-off {sent.team_id} {sent.key}: acked, {approvals.get((row.id, arg), 0)} stored"
            )
    by_id = {r.id: r for r in numbers.values()}
    for (exp_id, kind), review in reviews.items():
        if review.status == "approved":
            orphan_check.checked += 1
            exp = by_id[exp_id]
            if ("review_approve", exp.team_id, f"EXP-{exp.number}:{kind}") not in clicked:
                orphan_check.fail(f"review EXP-{exp.number} {kind} approved with no click")
    for exp_id, role in approvals:
        orphan_check.checked += 1
        exp = by_id[exp_id]
        if ("signoff_approve", exp.team_id, f"EXP-{exp.number}:{role}") not in clicked:
            orphan_check.fail(f"sign-off EXP-{exp.number} {role} with no click")

    # Standup answers: the one stored per run and person is the last accepted submission's.
    last: dict[tuple[str, str], Sent] = {}
    for sent in ev.log:
        if sent.kind == "standup_answer" and _accepted(sent, refused):
            run, user, _ = sent.key.split(":", 2)
            if (run, user) not in last or last[(run, user)].at < sent.at:
                last[(run, user)] = sent
    answers = {
        (str(r.run_id), r.user_id): r.progress
        for r in db.rows("SELECT run_id, user_id, progress FROM standupanswer")
    }
    sent_progress = {s.key.split(":", 2)[2] for s in ev.log if s.kind == "standup_answer"}
    for (run, user), sent in last.items():
        stored_check.checked += 1
        want = sent.key.split(":", 2)[2]
        if answers.get((run, user)) != want:
            stored_check.fail(
                f"standup run {run} {user}: last acked {want!r}, stored {answers.get((run, user))!r}"
            )
    for (run, user), progress in answers.items():
        orphan_check.checked += 1
        if progress not in sent_progress:
            orphan_check.fail(f"standup run {run} {user}: answer {progress!r} with no request")
    return stored_check, orphan_check


# -- Slack shows what the database says, once ---------------------------------------------------------
def _same(shown: dict[str, Any] | None, payload: dict[str, Any]) -> bool:
    if shown is None:
        return False
    norm = lambda value: json.dumps(value, sort_keys=True)  # noqa: E731
    return norm(shown.get("blocks")) == norm(payload.get("blocks")) and shown.get("text") == payload.get(
        "text"
    )


def _difference(shown: dict[str, Any] | None, payload: dict[str, Any]) -> str:
    """The first line that differs between what Slack shows and what the database renders."""
    if shown is None:
        return "not in Slack"
    have, want = all_text(shown.get("blocks")).splitlines(), all_text(payload.get("blocks")).splitlines()
    for a, b in zip(have, want, strict=False):
        if a != b:
            return f"Slack shows {a[:120]!r}, the database says {b[:120]!r}"
    if len(have) != len(want):
        extra = (have if len(have) > len(want) else want)[min(len(have), len(want))]
        return f"Slack shows {len(have)} lines, the database {len(want)}, first extra {extra[:120]!r}"
    return "same text, different blocks"


def cards(ev: Evidence) -> tuple[Check, Check]:
    """Each experiment and project: one card, its ts stored, its last render what the database
    renders now; and each thread reply its status owes, once, up to date too."""
    card_check = Check("one card per experiment and project, matching the database")
    reply_check = Check("every thread reply owed exists once, matching the database")
    posts = ev.posts_by_key()
    database = Database(normalise_database_url(ev.db.url))
    try:
        with database.read() as session:
            ids = [r.id for r in ev.db.rows("SELECT id FROM experiment ORDER BY id")]
            for exp_id in ids:
                d = experiments.detail_of(session, exp_id)
                if d is None:
                    continue
                e = d.experiment
                key = f"{e.team_id}:{e.id}:{Slot.CARD.value}"
                card_check.checked += 1
                name = f"{e.team_id} EXP-{e.number}"
                # The card and its replies are one kind of row: when the newest failed for good,
                # Slack rightly lacks what it owed (or shows the render before it).
                stuck = ev.failures.stuck("experiment", e.id) if e.id is not None else None
                if posts[key] > 1:
                    card_check.fail(f"{name}: card posted {posts[key]}×")
                elif posts[key] != 1 or e.message_ts is None:
                    _owed(card_check, stuck, f"{name}: card posted {posts[key]}×, ts stored {e.message_ts}")
                elif not _same(shown := ev.message(e.channel_id or "", e.message_ts), card(d)):
                    _owed(card_check, stuck, f"{name} ({e.status}): {_difference(shown, card(d))}")
                for slot in d.replies_due():
                    reply_check.checked += 1
                    key = f"{e.team_id}:{e.id}:{slot.value}"
                    ts = getattr(e, slot.value)
                    what = f"{name}: {slot.name.lower()} reply"
                    if posts[key] > 1:
                        reply_check.fail(f"{what} posted {posts[key]}×")
                    elif posts[key] != 1 or ts is None:
                        _owed(reply_check, stuck, f"{what} posted {posts[key]}×, ts {ts}")
                    elif not _same(shown := ev.message(e.channel_id or "", ts), REPLIES[slot](d, POLICY)):
                        _owed(reply_check, stuck, f"{what}: {_difference(shown, REPLIES[slot](d, POLICY))}")
            for project in session.exec(select(Project)).all():
                d = projects.detail(session, project, today=ev.checked_at.date())
                key = f"{project.team_id}:project:{project.id}"
                card_check.checked += 1
                name = f"{project.team_id} {project.name}"
                stuck = ev.failures.stuck("project", project.id) if project.id is not None else None
                if posts[key] > 1:
                    card_check.fail(f"{name}: card posted {posts[key]}×")
                elif posts[key] != 1 or project.message_ts is None:
                    _owed(card_check, stuck, f"{name}: card posted {posts[key]}×")
                elif not _same(
                    shown := ev.message(project.channel_id or "", project.message_ts), project_card(d)
                ):
                    _owed(card_check, stuck, f"{name}: {_difference(shown, project_card(d))}")
    finally:
        database.engine.dispose()
    # Learnings: each posted once in its experiment's thread.
    texts = Counter()
    for m in ev.slack["messages"]:
        if m.get("thread_ts") and "recorded a learning" in json.dumps(m.get("blocks")):
            found = re.search(r"Soak learning T0SOAK\d+-\d+", json.dumps(m.get("blocks")))
            if found:
                texts[found.group(0)] += 1
    for r in ev.db.rows("SELECT id, experiment_id, text FROM learning"):
        reply_check.checked += 1
        head = r.text.split(":")[0]
        if texts[head] > 1:
            reply_check.fail(f"learning {head!r} shown {texts[head]}× in its thread")
        elif texts[head] != 1:
            refused = ev.failures.any_of("notice", r.experiment_id, learning_id=str(r.id))
            _owed(reply_check, refused, f"learning {head!r} shown {texts[head]}× in its thread")
    return card_check, reply_check


def _owed(check: Check, refused: Any, problem: str) -> None:
    """A problem with what Slack shows: accounted for when a permanent fault refused the row that
    owed it (`refused`, from Failures), else a failure."""
    if refused is not None:
        check.excused.append(f"{problem} (delivery {refused.describe()})")
    else:
        check.fail(problem)


def no_double_posts(ev: Evidence) -> tuple[Check, Check]:
    """No post (each carries its delivery's key) appears twice; no DM twice."""
    doubled = Check("no message posted twice (by its delivery key)")
    dms = Check("no DM twice")
    for key, n in ev.posts_by_key().items():
        doubled.checked += 1
        if n > 1:
            doubled.fail(f"{key} posted {n}×")
    # A DM is one delivery's (its key names the row): the same news twice is two DMs when it
    # happened twice (an experiment reviewed, made stale by new metrics, reviewed again).
    seen: Counter[tuple[str, str]] = Counter()
    for post in ev.slack["posts"]:
        if post["channel"].startswith("D"):
            if post["key"]:
                seen[(post["channel"], post["key"])] += 1
                continue
            shown = ev.message(post["channel"], post["ts"]) or {}
            seen[
                (post["channel"], json.dumps(shown.get("blocks"), sort_keys=True) + str(shown.get("text")))
            ] += 1
    for (channel, _), n in seen.items():
        dms.checked += 1
        if n > 1:
            dms.fail(f"the same DM posted {n}× to {channel}")
    return doubled, dms


# -- the scheduler ----------------------------------------------------------------------------------
def ceremonies(ev: Evidence) -> Check:
    check = Check("every ceremony due during the run posted once (or skipped, with its reason)")
    posts = ev.posts_by_key()
    for want in ev.ceremonies:
        check.checked += 1
        runs = ev.db.rows(
            "SELECT r.id, r.status, r.message_ts, r.error, r.due_at FROM ceremonyrun r JOIN ceremony c ON "
            "c.id = r.ceremony_id WHERE c.team_id = :t AND c.name = :n",
            t=want.team_id,
            n=want.name,
        )
        due = [r for r in runs if _utc(r.due_at) == want.due_at]
        name = f"{want.team_id} {want.name} due {want.due_at:%H:%M}"
        if len(due) != 1:
            check.fail(f"{name}: {len(due)} runs ({[(r.status, str(r.due_at)) for r in runs]})")
            continue
        run = due[0]
        key = f"{want.team_id}:run:{run.id}"
        if want.skip_reason is not None:
            if run.status != "skipped" or want.skip_reason not in (run.error or ""):
                check.fail(f"{name}: expected skipped ({want.skip_reason}), is {run.status} {run.error!r}")
        elif posts[key] > 1:
            check.fail(f"{name}: reminder posted {posts[key]}×")
        elif run.status == "failed" and posts[key] == 0:
            refused = ev.failures.stuck("reminder", run.id)
            _owed(check, refused, f"{name}: failed ({run.error or ''})")
        elif run.status != "posted" or posts[key] != 1 or run.message_ts is None:
            check.fail(f"{name}: {run.status}, reminder posted {posts[key]}× ({run.error or ''})")
    # A standup whose close has come has its summary.
    for r in ev.db.rows(
        "SELECT r.id, r.closes_at, r.closed_at FROM ceremonyrun r JOIN ceremony c ON c.id = r.ceremony_id "
        "WHERE c.kind = 'standup' AND r.status = 'posted'"
    ):
        if r.closes_at is not None and (ev.checked_at - _utc(r.closes_at)).total_seconds() > 75:
            check.checked += 1
            if r.closed_at is None:
                check.fail(f"standup run {r.id}: closed at {r.closes_at}, no summary")
    return check


# -- the queue ---------------------------------------------------------------------------------------
def queue_empty(ev: Evidence) -> Check:
    check = Check("no delivery left pending, claimed or sending")
    for r in ev.db.rows(
        "SELECT id, kind, state, attempts, last_error FROM delivery WHERE state IN "
        "('pending', 'sending') OR claimed_until IS NOT NULL ORDER BY id"
    ):
        check.fail(f"#{r.id} {r.kind} {r.state} after {r.attempts} attempts ({r.last_error})")
    check.checked = int(ev.db.one("SELECT count(*) AS n FROM delivery").n)
    return check


def failures(ev: Evidence) -> Check:
    """Every delivery that failed for good met a permanent refusal a scheduled fault caused, and
    `python -m bot deliveries` lists it."""
    check = Check("failures only the permanent ones the faults caused, each in `python -m bot deliveries`")
    for row in ev.failures.rows:
        check.checked += 1
        if row.cause is None:
            check.fail(f"{row.describe()}: no scheduled fault refused it so")
        elif row.id not in ev.failures.listed:
            check.fail(f"{row.describe()}: not listed by python -m bot deliveries")
    errors = ev.failures.by_error()
    check.note = f"{len(ev.failures.rows)} failed for good" + (
        " (" + ", ".join(f"{e} {n}" for e, n in sorted(errors.items())) + "), all listed"
        if errors and check.ok
        else ""
    )
    return check


def audit(ev: Evidence) -> Check:
    """Each experiment's status changes, replayed from its audit trail, end at its status; each
    review's decision and each sign-off is the last its trail says of it."""
    check = Check("each status change has its audit event")
    trail: dict[int, list[str]] = defaultdict(list)
    for r in ev.db.rows(
        "SELECT experiment_id, detail FROM auditevent WHERE action LIKE 'status:%' ORDER BY id"
    ):
        trail[r.experiment_id].append(r.detail or "")
    for r in ev.db.rows("SELECT id, team_id, number, status FROM experiment"):
        check.checked += 1
        status = "proposed"
        for detail in trail[r.id]:
            previous, _, rest = detail.partition(" → ")
            if previous != status:
                check.fail(f"{r.team_id} EXP-{r.number}: audit says {detail!r} after {status}")
                break
            status = rest.split(":")[0]
        if status != r.status:
            check.fail(f"{r.team_id} EXP-{r.number}: is {r.status}, its audit trail ends at {status}")
    # Each review decided and each sign-off given: its trail's last word on it is its state.
    last: dict[tuple[int, str], str] = {}
    for r in ev.db.rows(
        "SELECT experiment_id, action, detail FROM auditevent WHERE action LIKE 'review:%' "
        "OR action LIKE 'sign-off:%' ORDER BY id"
    ):
        last[(r.experiment_id, r.action)] = r.detail or ""
    numbers = {
        r.id: f"{r.team_id} EXP-{r.number}" for r in ev.db.rows("SELECT id, team_id, number FROM experiment")
    }
    for r in ev.db.rows("SELECT experiment_id, kind, status FROM review WHERE status <> 'pending'"):
        check.checked += 1
        said = last.get((r.experiment_id, f"review:{r.kind}"))
        if said != r.status:
            check.fail(
                f"{numbers[r.experiment_id]} {r.kind} review is {r.status}, its audit trail says {said}"
            )
    for r in ev.db.rows("SELECT experiment_id, role FROM approval"):
        check.checked += 1
        said = last.get((r.experiment_id, f"sign-off:{r.role}"))
        if said != "approved":
            check.fail(f"{numbers[r.experiment_id]} {r.role} signed off, its audit trail says {said}")
    return check


# -- the acks --------------------------------------------------------------------------------------------
def in_windows(sent: Sent, windows: list[tuple[float, float]]) -> bool:
    end = sent.at + sent.ms / 1000
    return any(sent.at <= hi and end >= lo for lo, hi in windows)


def acks(ev: Evidence) -> tuple[Check, Check]:
    slow = Check("no ack over 3 s")
    bad = Check("no non-200 answer outside the moments a web worker was killed")
    for sent in ev.log:
        slow.checked += 1
        bad.checked += 1
        if sent.ms > SLACK_DEADLINE_MS:
            slow.fail(
                f"{sent.kind} {sent.key[:40]!r}: {sent.ms:.0f} ms (status {sent.status}) at "
                f"{datetime.fromtimestamp(sent.at, UTC):%H:%M:%S}"
            )
        if sent.status != 200 and not in_windows(sent, ev.kill_windows):
            bad.fail(
                f"{sent.kind} {sent.key[:40]!r}: status {sent.status} after {sent.ms:.0f} ms at "
                f"{datetime.fromtimestamp(sent.at, UTC):%H:%M:%S}"
            )
    killed = sum(1 for s in ev.log if s.status != 200 and in_windows(s, ev.kill_windows))
    bad.note = f"{killed} non-200 while a worker was being replaced"
    return slow, bad


def all_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    out.extend(acked_changes(ev))
    out.extend(cards(ev))
    out.extend(no_double_posts(ev))
    out.append(ceremonies(ev))
    out.append(queue_empty(ev))
    out.append(failures(ev))
    out.append(audit(ev))
    out.extend(acks(ev))
    return out


def today(now: datetime) -> date:
    return now.astimezone(UTC).date()
