"""Retros: notes collected silently, the board at the retro's time, action items tracked.

A note (went well, to improve, or an action item with its owner) is written through the
**Add a note** button on a retro's reminder. It waits, seen by nobody, until the retro's next
reminder is posted: in that transaction (`on_reminder_posted`) the waiting notes are claimed for
its run and the board is queued, to be posted in the reminder's thread. A note written while a
retro is under way (between its reminder and the end of its duration) joins that retro's board,
which is updated in place.

Anonymous notes (went well and to improve only) store no author: not in the note, not in the
audit trail, not in the delivery queue; nothing that reaches Slack can name them.

Action items are listed by `/ceremony actions [mine]`, and the next retro's reminder opens with
the last retro's items and their state (and any older ones still open). Only an item's owner may
mark it done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import audit
from storage import retros as queries
from storage.ceremonies import RunStatus
from storage.models import Ceremony, CeremonyRun, RetroNote
from workflow import ceremonies, delivery
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound

TEXT_MAX_CHARS = 3000

WENT_WELL = "went_well"
TO_IMPROVE = "to_improve"
ACTION_ITEM = queries.ACTION_ITEM
KINDS = (WENT_WELL, TO_IMPROVE, ACTION_ITEM)
LABEL = {WENT_WELL: "Went well", TO_IMPROVE: "To improve", ACTION_ITEM: "Action item"}

# The fields of the note modal, named for its errors.
KIND, TEXT, OWNER, ANONYMOUS = "kind", "text", "owner", "anonymous"

# Who the audit trail names for an anonymous note.
NOBODY = "anonymous"


class NoteInvalid(InvalidInput):
    """What is wrong with each field of a note, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class NotTheOwner(NotAllowed):
    def __init__(self, owner_id: str | None) -> None:
        super().__init__("Only the action item's owner can mark it done.")
        self.owner_id = owner_id


@dataclass(frozen=True)
class Note:
    kind: str
    text: str
    owner_id: str | None
    anonymous: bool


def validate_note(kind: str | None, text: str | None, owner_id: str | None, anonymous: bool) -> Note:
    errors: dict[str, str] = {}
    cleaned = (text or "").strip()
    if kind not in KINDS:
        errors[KIND] = "Choose went well, to improve or action item."
    if not cleaned:
        errors[TEXT] = "Write the note; it can't be empty."
    elif len(cleaned) > TEXT_MAX_CHARS:
        errors[TEXT] = f"This is {len(cleaned)} characters; keep it to {TEXT_MAX_CHARS}."
    if kind == ACTION_ITEM:
        if not owner_id:
            errors[OWNER] = "An action item needs an owner: who will do it?"
        if anonymous:
            errors[ANONYMOUS] = "An action item has an owner, so it can't be anonymous."
    if errors:
        raise NoteInvalid(errors)
    assert kind is not None
    return Note(kind, cleaned, owner_id if kind == ACTION_ITEM else None, anonymous)


def run_for_notes(session: Session, *, team_id: str, run_id: int) -> tuple[CeremonyRun, Ceremony]:
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.team_id != team_id:
        raise NotFound("That retro is gone (its ceremony was removed).")
    if ceremony.kind != ceremonies.RETROSPECTIVE:
        raise InvalidInput("This is not a retro; notes belong to retros.")
    return run, ceremony


def under_way(session: Session, ceremony: Ceremony, *, now: datetime) -> CeremonyRun | None:
    """The retro's run whose meeting is going on at `now`, if its reminder is out."""
    assert ceremony.id is not None
    run = queries.latest_posted_run(session, ceremony_id=ceremony.id)
    if run is None or not run.due_at <= now < run.due_at + timedelta(minutes=ceremony.duration_minutes):
        return None
    return run


def add_note(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    run_id: int,
    kind: str | None,
    text: str | None,
    owner_id: str | None,
    anonymous: bool,
    now: datetime,
) -> RetroNote:
    """Store a note for the retro under way, else for the next one (unseen until then)."""
    note = validate_note(kind, text, owner_id, anonymous)
    _, ceremony = run_for_notes(session, team_id=team_id, run_id=run_id)
    assert ceremony.id is not None
    current = under_way(session, ceremony, now=now)
    stored = RetroNote(
        team_id=team_id,
        ceremony_id=ceremony.id,
        run_id=current.id if current is not None else None,
        kind=note.kind,
        text=note.text,
        author_id=None if note.anonymous else user_id,
        owner_id=note.owner_id,
        created_at=now,
    )
    session.add(stored)
    session.flush()
    audit.record(
        session,
        team_id=team_id,
        actor_id=NOBODY if note.anonymous else user_id,
        action=v.AuditAction.RETRO_NOTE,
        detail=f"{ceremony.name}: {LABEL[note.kind].lower()}"
        + (f" for {note.owner_id}" if note.owner_id else ""),
    )
    if current is not None and current.id is not None:
        delivery.retro_board(session, team_id=team_id, run_id=current.id, channel_id=ceremony.channel_id)
    return stored


def on_reminder_posted(session: Session, *, run_id: int, now: datetime) -> None:
    """A retro's reminder is in the channel: the waiting notes go on its board, queued once."""
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or ceremony.kind != ceremonies.RETROSPECTIVE:
        return
    assert ceremony.id is not None
    if queries.claim_waiting(session, ceremony_id=ceremony.id, run_id=run_id, until=now):
        delivery.retro_board(session, team_id=run.team_id, run_id=run_id, channel_id=ceremony.channel_id)


@dataclass(frozen=True)
class Board:
    run: CeremonyRun
    ceremony: Ceremony
    notes: dict[str, list[RetroNote]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(n) for n in self.notes.values())


def board(session: Session, *, run_id: int) -> Board | None:
    run = session.get(CeremonyRun, run_id)
    ceremony = session.get(Ceremony, run.ceremony_id) if run else None
    if run is None or ceremony is None or run.message_ts is None or run.status != RunStatus.POSTED:
        return None
    notes: dict[str, list[RetroNote]] = {kind: [] for kind in KINDS}
    for note in queries.of_run(session, run_id=run_id):
        notes.setdefault(note.kind, []).append(note)
    return Board(run, ceremony, notes)


def board_posted(session: Session, *, run_id: int, ts: str) -> None:
    run = session.get(CeremonyRun, run_id)
    if run is not None and run.board_ts is None:
        run.board_ts = ts
        session.add(run)


# -- action items -----------------------------------------------------------------------------


def open_actions(session: Session, *, team_id: str, owner_id: str | None = None) -> Sequence[RetroNote]:
    return queries.open_actions(session, team_id=team_id, owner_id=owner_id)


@dataclass(frozen=True)
class Carried:
    """What a retro's reminder opens with: the last retro's action items, and older open ones."""

    last: Sequence[RetroNote] = ()
    older_open: Sequence[RetroNote] = ()


def carried(session: Session, ceremony: Ceremony, *, due_at: datetime) -> Carried:
    assert ceremony.id is not None
    previous = queries.previous_posted_run(session, ceremony_id=ceremony.id, before=due_at)
    if previous is None or previous.id is None:
        return Carried()
    last = [n for n in queries.of_run(session, run_id=previous.id) if n.kind == ACTION_ITEM]
    older = [
        n
        for n in queries.open_actions(session, team_id=ceremony.team_id, ceremony_id=ceremony.id)
        if n.run_id is not None and n.run_id != previous.id and n.created_at < previous.due_at
    ]
    return Carried(last, older)


def mark_done(session: Session, *, team_id: str, user_id: str, note_id: int, now: datetime) -> RetroNote:
    """The owner marks their action item done (a second click changes nothing)."""
    note = session.get(RetroNote, note_id)
    if note is None or note.team_id != team_id or note.kind != ACTION_ITEM:
        raise NotFound("That action item is gone.")
    if note.owner_id != user_id:
        raise NotTheOwner(note.owner_id)
    if not queries.mark_done(session, note_id=note_id, user_id=user_id, now=now):
        raise InvalidInput("This action item is already done.")
    session.refresh(note)
    ceremony = session.get(Ceremony, note.ceremony_id)
    audit.record(
        session,
        team_id=team_id,
        actor_id=user_id,
        action=v.AuditAction.RETRO_ACTION_DONE,
        detail=f"{ceremony.name if ceremony else 'retro'}: action item {note_id}",
    )
    run = session.get(CeremonyRun, note.run_id) if note.run_id is not None else None
    if run is not None and run.id is not None and ceremony is not None and run.message_ts is not None:
        delivery.retro_board(session, team_id=team_id, run_id=run.id, channel_id=ceremony.channel_id)
    return note
