"""AI projects: who is on them, their milestones (M1, M2…) and the experiments serving them.

Every change is audited against the project and queues the project card's update in the same
transaction. Refusals raise a WorkflowError before anything is written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import audit
from storage import projects as queries
from storage import roles as role_queries
from storage.models import AuditEvent, Experiment, Milestone, Project, ProjectExperiment, ProjectMember
from storage.types import utcnow
from workflow import delivery, experiments
from workflow import vocabulary as v
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.outcome import Outcome
from workflow.permissions import Policy

NAME_MAX_CHARS = 40
TITLE_MAX_CHARS = 150
DESCRIPTION_MAX_CHARS = 1000
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MILESTONE = re.compile(r"^M(\d{1,6})$", re.IGNORECASE)
# Broadcasts, as typed (`@channel`) or as Slack escapes them (`<!channel>`).
_PING = re.compile(r"<!(channel|here|everyone)[|>]|@(channel|here|everyone)\b", re.IGNORECASE)
LIST_FILTERS = ("mine", "all")


# -- parsing what people type ------------------------------------------------------------------------


def validate_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise InvalidInput("Name the project: a short slug like `support-bot`.")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput(
            f"A project name is at most {NAME_MAX_CHARS} characters; that one has {len(name)}."
        )
    if not _NAME.match(name):
        raise InvalidInput(
            f"`{name[:NAME_MAX_CHARS]}` is not a project name: use letters, digits and `-` only, no spaces "
            "(e.g. `support-bot`)."
        )
    return name


def refuse_pings(text: str) -> str:
    if _PING.search(text):
        raise InvalidInput("Text can't ping `@channel`, `@here` or `@everyone`; nothing was saved.")
    return text


def validate_title(text: str) -> str:
    title = refuse_pings(" ".join(text.split()))
    if not title:
        raise InvalidInput("Give the milestone a title, e.g. `Pilot with support team`.")
    if len(title) > TITLE_MAX_CHARS:
        raise InvalidInput(
            f"A milestone title is at most {TITLE_MAX_CHARS} characters; that one has {len(title)}."
        )
    return title


def parse_date(text: str, *, today: date) -> date:
    """`YYYY-MM-DD`, today or later."""
    raw = text.strip()
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"`{raw[:20]}` is not a date; write it as `YYYY-MM-DD`, e.g. `2026-12-15`."
        ) from None
    if day < today:
        raise InvalidInput(f"{day.isoformat()} is in the past; choose today ({today.isoformat()}) or later.")
    return day


def parse_milestone(text: str) -> int:
    match = _MILESTONE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"`{text.strip()[:20]}` is not a milestone; milestones are `M1`, `M2`…")
    return int(match.group(1))


# -- finding -----------------------------------------------------------------------------------------


def get(session: Session, *, team_id: str, name: str, for_update: bool = False) -> Project:
    project = queries.get_by_name(session, team_id=team_id, name=name.strip(), for_update=for_update)
    if project is None:
        raise NotFound(
            f"There is no project `{name.strip()[:NAME_MAX_CHARS]}` here. `/project list` shows them."
        )
    return project


def _active(session: Session, *, team_id: str, name: str, for_update: bool = True) -> Project:
    project = get(session, team_id=team_id, name=name, for_update=for_update)
    if project.archived_at is not None:
        raise InvalidInput(f"Project {project.name} is archived; its history stays, but it can't change.")
    return project


def _milestone(session: Session, project: Project, number: int) -> Milestone:
    assert project.id is not None
    milestone = queries.milestone(session, project_id=project.id, number=number)
    if milestone is None:
        raise NotFound(f"Project {project.name} has no milestone M{number}.")
    return milestone


# -- permissions -------------------------------------------------------------------------------------


def is_admin(session: Session, *, team_id: str, user_id: str, policy: Policy) -> bool:
    return user_id in policy.admin_user_ids or role_queries.has_role(
        session, team_id=team_id, user_id=user_id, role=v.Role.ADMIN
    )


def is_member(session: Session, project: Project, user_id: str) -> bool:
    assert project.id is not None
    return queries.is_member(session, project_id=project.id, user_id=user_id)


def _require_owner_or_admin(
    session: Session, project: Project, user_id: str, step: str, policy: Policy, workspace_admin: bool
) -> None:
    if (
        user_id != project.owner_id
        and not workspace_admin
        and not is_admin(session, team_id=project.team_id, user_id=user_id, policy=policy)
    ):
        raise NotAllowed(f"Only the owner of {project.name} (<@{project.owner_id}>) or an admin may {step}.")


def needs_workspace_admin(session: Session, *, team_id: str, name: str, user_id: str, policy: Policy) -> bool:
    """Whether an owner-or-admin step on the project turns on the actor being a Slack workspace
    admin or owner: True only when the database says they are neither its owner nor an admin, so
    Slack is asked only then. (An unknown or archived project is refused without asking.)"""
    project = queries.get_by_name(session, team_id=team_id, name=name.strip())
    if project is None or project.archived_at is not None:
        return False
    return user_id != project.owner_id and not is_admin(
        session, team_id=team_id, user_id=user_id, policy=policy
    )


def _require_member(session: Session, project: Project, user_id: str, step: str) -> None:
    if not is_member(session, project, user_id):
        raise NotAllowed(
            f"Only members of {project.name} may {step}. Its owner can add you with "
            f"`/project member add {project.name} @you`."
        )


# -- changes -----------------------------------------------------------------------------------------


def _changed(session: Session, project: Project, *, actor_id: str, action: str, detail: str | None) -> None:
    project.updated_at = utcnow()
    session.add(project)
    audit.record(
        session,
        team_id=project.team_id,
        project_id=project.id,
        actor_id=actor_id,
        action=action,
        detail=detail,
    )
    delivery.refresh_project(session, project, actor_id=actor_id)


def create(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    name: str,
    workstream: str = v.DEFAULT_WORKSTREAM,
    description: str | None = None,
    members: Collection[str] = (),
    channel_id: str | None = None,
) -> Project:
    """Create a project with its owner as first member, audit it and queue its card."""
    name = validate_name(name)
    workstream = experiments.validate_workstream(workstream)
    if description is not None:
        description = refuse_pings(description.strip())[:DESCRIPTION_MAX_CHARS] or None
    if queries.get_by_name(session, team_id=team_id, name=name) is not None:
        raise InvalidInput(f"There is already a project called `{name}`; choose another name.")
    project = Project(
        team_id=team_id,
        name=name,
        name_key=name.lower(),
        workstream=workstream,
        description=description,
        owner_id=owner_id,
        channel_id=channel_id,
    )
    try:
        with session.begin_nested():
            session.add(project)
            session.flush()
    except IntegrityError:
        raise InvalidInput(f"There is already a project called `{name}`; choose another name.") from None
    assert project.id is not None
    for user_id in dict.fromkeys([owner_id, *members]):
        session.add(ProjectMember(team_id=team_id, project_id=project.id, user_id=user_id, added_by=owner_id))
    _changed(
        session, project, actor_id=owner_id, action=v.ProjectAction.CREATED, detail=f"workstream {workstream}"
    )
    return project


def add_members(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    user_ids: Sequence[str],
    policy: Policy,
    workspace_admin: bool = False,
) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    _require_owner_or_admin(session, project, actor_id, "add members", policy, workspace_admin)
    assert project.id is not None
    current = {m.user_id for m in queries.members(session, project_id=project.id)}
    added = [u for u in dict.fromkeys(user_ids) if u not in current]
    if not added:
        return Outcome(project, changed=False, note="They are already members; nothing changed.")
    for user_id in added:
        session.add(ProjectMember(team_id=team_id, project_id=project.id, user_id=user_id, added_by=actor_id))
    _changed(
        session, project, actor_id=actor_id, action=v.ProjectAction.MEMBER_ADDED, detail=", ".join(added)
    )
    return Outcome(project)


def remove_member(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    name: str,
    user_id: str,
    policy: Policy,
    workspace_admin: bool = False,
) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    _require_owner_or_admin(session, project, actor_id, "remove members", policy, workspace_admin)
    if user_id == project.owner_id:
        raise InvalidInput(f"<@{user_id}> owns {project.name}; the owner stays a member.")
    assert project.id is not None
    member = next((m for m in queries.members(session, project_id=project.id) if m.user_id == user_id), None)
    if member is None:
        raise NotFound(f"<@{user_id}> is not a member of {project.name}; nothing changed.")
    session.delete(member)
    _changed(session, project, actor_id=actor_id, action=v.ProjectAction.MEMBER_REMOVED, detail=user_id)
    return Outcome(project)


def add_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, due: str, title: str, today: date
) -> Milestone:
    project = _active(session, team_id=team_id, name=name)
    _require_member(session, project, actor_id, "add milestones")
    due_on = parse_date(due, today=today)
    title = validate_title(title)
    assert project.id is not None
    milestone = Milestone(
        team_id=team_id,
        project_id=project.id,
        number=queries.next_milestone_number(session, project_id=project.id),
        title=title,
        due_on=due_on,
        created_by=actor_id,
    )
    session.add(milestone)
    _changed(
        session,
        project,
        actor_id=actor_id,
        action=v.ProjectAction.MILESTONE_ADDED,
        detail=f"M{milestone.number} {title} due {due_on.isoformat()}",
    )
    return milestone


def complete_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, milestone: str
) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    _require_member(session, project, actor_id, "change milestones")
    row = _milestone(session, project, parse_milestone(milestone))
    if row.done_at is not None:
        return Outcome(project, changed=False, note=f"M{row.number} is already done.")
    row.done_at = utcnow()
    row.done_by = actor_id
    session.add(row)
    _changed(
        session, project, actor_id=actor_id, action=v.ProjectAction.MILESTONE_DONE, detail=f"M{row.number}"
    )
    return Outcome(project)


def move_milestone(
    session: Session, *, team_id: str, actor_id: str, name: str, milestone: str, due: str, today: date
) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    _require_member(session, project, actor_id, "change milestones")
    row = _milestone(session, project, parse_milestone(milestone))
    due_on = parse_date(due, today=today)
    if due_on == row.due_on:
        return Outcome(project, changed=False, note=f"M{row.number} is already due {due_on.isoformat()}.")
    old = row.due_on
    row.due_on = due_on
    # A new date earns a new overdue reminder if it passes too.
    row.overdue_reminded_at = None
    session.add(row)
    _changed(
        session,
        project,
        actor_id=actor_id,
        action=v.ProjectAction.MILESTONE_MOVED,
        detail=f"M{row.number} {old.isoformat()} → {due_on.isoformat()}",
    )
    return Outcome(project)


def _may_link(session: Session, project: Project, experiment: Experiment, user_id: str, step: str) -> None:
    if user_id != experiment.owner_id and not is_member(session, project, user_id):
        raise NotAllowed(
            f"Only the owner of {experiments.ref(experiment.number)} or a member of {project.name} "
            f"may {step}."
        )


def link(session: Session, *, team_id: str, actor_id: str, name: str, experiment_ref: str) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    experiment = experiments.get(session, team_id=team_id, number=experiments.parse_ref(experiment_ref))
    _may_link(session, project, experiment, actor_id, "link it")
    assert experiment.id is not None and project.id is not None
    existing = queries.link_of(session, experiment_id=experiment.id)
    ref = experiments.ref(experiment.number)
    if existing is not None:
        if existing.project_id == project.id:
            return Outcome(project, changed=False, note=f"{ref} is already linked to {project.name}.")
        other = session.get(Project, existing.project_id)
        raise InvalidInput(
            f"{ref} already belongs to project {other.name if other else '?'}; an experiment serves one "
            f"project. Unlink it there first: `/project unlink {other.name if other else '?'} {ref}`."
        )
    try:
        with session.begin_nested():
            session.add(
                ProjectExperiment(
                    team_id=team_id, project_id=project.id, experiment_id=experiment.id, linked_by=actor_id
                )
            )
    except IntegrityError:
        raise InvalidInput(
            f"{ref} was just linked to another project; `/experiment show {ref}` says which."
        ) from None
    _changed(session, project, actor_id=actor_id, action=v.ProjectAction.LINKED, detail=ref)
    return Outcome(project)


def prepare_into(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    name: str,
    hypothesis: str,
    workstream: str | None = None,
    channel_id: str | None = None,
) -> experiments.Proposal:
    """The checks and the estimate of a proposal into a project: reads only, so
    a caller can do them before taking SQLite's write lock. It takes the project's workstream
    unless given one, and its estimate learns from the project's own history. An unknown or
    archived project is refused here, and again by `create_into`, which writes."""
    project = _active(session, team_id=team_id, name=name, for_update=False)
    assert project.id is not None
    return experiments.prepare(
        session,
        team_id=team_id,
        owner_id=owner_id,
        hypothesis=hypothesis,
        workstream=workstream or project.workstream,
        channel_id=channel_id,
        project_id=project.id,
    )


def create_into(session: Session, proposal: experiments.Proposal, *, name: str) -> tuple[Experiment, Project]:
    """Create a proposal `prepare_into` made, already serving its project. The proposer owns the
    experiment, so may link it. The project is locked and checked again: one archived (or
    replaced) since the proposal was prepared is refused, with nothing written."""
    project = _active(session, team_id=proposal.team_id, name=name)
    if project.id != proposal.project_id:
        raise InvalidInput(f"Project {project.name} changed while you proposed; please propose again.")
    experiment = experiments.create(session, proposal)
    assert experiment.id is not None
    session.add(
        ProjectExperiment(
            team_id=proposal.team_id,
            project_id=project.id,
            experiment_id=experiment.id,
            linked_by=proposal.owner_id,
        )
    )
    _changed(
        session,
        project,
        actor_id=proposal.owner_id,
        action=v.ProjectAction.LINKED,
        detail=experiments.ref(experiment.number),
    )
    return experiment, project


def unlink(session: Session, *, team_id: str, actor_id: str, name: str, experiment_ref: str) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    experiment = experiments.get(session, team_id=team_id, number=experiments.parse_ref(experiment_ref))
    _may_link(session, project, experiment, actor_id, "unlink it")
    assert experiment.id is not None
    existing = queries.link_of(session, experiment_id=experiment.id)
    ref = experiments.ref(experiment.number)
    if existing is None or existing.project_id != project.id:
        raise NotFound(f"{ref} is not linked to {project.name}; nothing changed.")
    session.delete(existing)
    _changed(session, project, actor_id=actor_id, action=v.ProjectAction.UNLINKED, detail=ref)
    return Outcome(project)


def archive(
    session: Session, *, team_id: str, actor_id: str, name: str, policy: Policy, workspace_admin: bool = False
) -> Outcome:
    project = _active(session, team_id=team_id, name=name)
    _require_owner_or_admin(session, project, actor_id, "archive it", policy, workspace_admin)
    project.archived_at = utcnow()
    _changed(session, project, actor_id=actor_id, action=v.ProjectAction.ARCHIVED, detail=None)
    return Outcome(project, moved_to="archived")


def record_posted(session: Session, *, project_id: int, ts: str) -> bool:
    """Remember where the project card was posted; False if it was recorded already."""
    return queries.store_card_ts(session, project_id=project_id, ts=ts)


# -- reading -----------------------------------------------------------------------------------------


def next_open(milestones: Sequence[Milestone]) -> Milestone | None:
    """The open milestone due soonest."""
    return min((m for m in milestones if m.done_at is None), key=lambda m: (m.due_on, m.number), default=None)


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: Sequence[str]


@dataclass(frozen=True)
class ProjectDetail:
    """A project with everything its card shows."""

    project: Project
    members: Sequence[Member]
    milestones: Sequence[Milestone]
    experiments: Sequence[Experiment]
    today: date

    @property
    def open_milestones(self) -> list[Milestone]:
        return [m for m in self.milestones if m.done_at is None]

    @property
    def next_milestone(self) -> Milestone | None:
        return next_open(self.milestones)

    @property
    def in_production(self) -> int:
        return sum(1 for e in self.experiments if e.status == v.Status.PRODUCTION)


def detail(session: Session, project: Project, *, today: date) -> ProjectDetail:
    assert project.id is not None
    members = [
        Member(m.user_id, sorted(role_queries.roles_of(session, team_id=project.team_id, user_id=m.user_id)))
        for m in queries.members(session, project_id=project.id)
    ]
    return ProjectDetail(
        project=project,
        members=members,
        milestones=queries.milestones(session, project_id=project.id),
        experiments=queries.experiments(session, project_id=project.id),
        today=today,
    )


def active_names(session: Session, *, team_id: str) -> list[str]:
    """The names of the workspace's active projects, for a select."""
    return [p.name for p in queries.listing(session, team_id=team_id)]


def list_projects(session: Session, *, team_id: str, user_id: str, filter: str = "all") -> Sequence[Project]:
    key = filter.strip().lower() or "all"
    if key not in LIST_FILTERS:
        raise InvalidInput(f"Unknown filter `{filter[:20]}`; use `mine` or `all`.")
    return queries.listing(session, team_id=team_id, member_id=user_id if key == "mine" else None)


def history(session: Session, *, team_id: str, name: str) -> tuple[Project, Sequence[AuditEvent]]:
    project = get(session, team_id=team_id, name=name)
    assert project.id is not None
    return project, queries.history(session, team_id=team_id, project_id=project.id)


def project_of(session: Session, experiment: Experiment) -> Project | None:
    assert experiment.id is not None
    found = queries.projects_of_experiment(session, experiment_id=experiment.id)
    return found[0] if found else None


def today_utc(now: datetime | None = None) -> date:
    return (now or utcnow()).date()


def milestone_label(session: Session, milestone_id: int) -> str:
    """`support-bot M2`, for logs and the command line."""
    milestone = session.get(Milestone, milestone_id)
    project = session.get(Project, milestone.project_id) if milestone else None
    if milestone is None or project is None:
        return f"a deleted milestone ({milestone_id})"
    return f"{project.name} M{milestone.number}"


def overdue_to_post(
    session: Session, *, milestone_id: int, today: date
) -> tuple[Milestone, ProjectDetail] | None:
    """The overdue reminder as it stands when sent; None if the milestone was done, moved to a
    later date or its project archived meanwhile."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.done_at is not None or milestone.due_on >= today:
        return None
    project = session.get(Project, milestone.project_id)
    if project is None or project.archived_at is not None:
        return None
    return milestone, detail(session, project, today=today)


# -- what ceremonies and App Home show ----------------------------------------------------------------

# The standup lists milestones due within this many days, and every overdue one.
STANDUP_DAYS_AHEAD = 2
# App Home lists milestones due within this many days.
HOME_DAYS_AHEAD = 14
# More lines than this make a reminder nobody reads; the rest is counted.
AGENDA_LIMIT = 10


@dataclass(frozen=True)
class MilestoneDue:
    """An open milestone as a reminder or App Home shows it, with its project."""

    milestone: Milestone
    project: Project
    today: date

    @property
    def days(self) -> int:
        """Days until it is due: 0 today, negative when overdue."""
        return (self.milestone.due_on - self.today).days


@dataclass(frozen=True)
class ProjectStatus:
    """One line of the experiment review: a project's experiments by status, its next milestone."""

    project: Project
    by_status: Sequence[tuple[str, int]]  # in lifecycle order, only statuses with experiments
    next_milestone: Milestone | None
    today: date


def milestones_due(
    session: Session,
    *,
    team_id: str,
    today: date,
    days_ahead: int,
    overdue: bool,
    channel_id: str | None = None,
    project_ids: Collection[int] | None = None,
    limit: int = AGENDA_LIMIT,
) -> list[MilestoneDue]:
    """Open milestones of active projects due from today (or any time before, with `overdue`)
    to `days_ahead` days on, soonest first; of projects whose card is in `channel_id` if given."""
    rows = queries.due_between(
        session,
        team_id=team_id,
        first=None if overdue else today,
        last=today + timedelta(days=days_ahead),
        channel_id=channel_id,
        project_ids=project_ids,
        limit=limit,
    )
    return [MilestoneDue(milestone, project, today) for milestone, project in rows]


def standup_milestones(session: Session, *, team_id: str, channel_id: str, today: date) -> list[MilestoneDue]:
    """What the standup in `channel_id` should hear about: milestones overdue or due within
    STANDUP_DAYS_AHEAD days, of the projects whose card is in that channel."""
    return milestones_due(
        session,
        team_id=team_id,
        today=today,
        days_ahead=STANDUP_DAYS_AHEAD,
        overdue=True,
        channel_id=channel_id,
    )


def status_lines(
    session: Session, *, team_id: str, today: date, limit: int = AGENDA_LIMIT
) -> tuple[list[ProjectStatus], int]:
    """The first `limit` active projects (by name) for the experiment review, and how many there are."""
    active = queries.listing(session, team_id=team_id)
    lines = []
    for project in active[:limit]:
        assert project.id is not None
        counts = Counter(e.status for e in queries.experiments(session, project_id=project.id))
        lines.append(
            ProjectStatus(
                project=project,
                by_status=[(s, counts[s]) for s in v.Status if counts[s]],
                next_milestone=next_open(queries.milestones(session, project_id=project.id)),
                today=today,
            )
        )
    return lines, len(active)


@dataclass(frozen=True)
class MyProject:
    project: Project
    next_milestone: Milestone | None


def projects_of_person(session: Session, *, team_id: str, user_id: str) -> list[MyProject]:
    """The active projects a person is a member of, each with its next open milestone."""
    mine = []
    for project in queries.listing(session, team_id=team_id, member_id=user_id):
        assert project.id is not None
        mine.append(MyProject(project, next_open(queries.milestones(session, project_id=project.id))))
    return mine
