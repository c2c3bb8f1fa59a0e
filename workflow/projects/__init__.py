"""AI projects: who is on them, their milestones (M1, M2…) and the experiments serving them.

Every change is audited against the project and queues the project card's update in the same
transaction. Refusals raise a WorkflowError before anything is written.

Where things are: `parsing` (what people type), `access` (finding a project, who may change it),
`changes` (how a change is recorded), `projects` (creating one, its members, archiving), `links`
(the experiments serving it), `milestones`, `reading` (its card, the listings, its history),
`views` (what ceremonies, the overdue reminder and App Home show). Callers use this package:
`projects.create(...)`.
"""

from workflow.projects.access import get, is_admin, is_member, needs_workspace_admin
from workflow.projects.links import create_into, link, prepare_into, unlink
from workflow.projects.milestones import (
    add_milestone,
    complete_milestone,
    milestone_label,
    move_milestone,
    next_open,
)
from workflow.projects.parsing import (
    DESCRIPTION_MAX_CHARS,
    NAME_MAX_CHARS,
    TITLE_MAX_CHARS,
    parse_date,
    parse_milestone,
    refuse_pings,
    validate_name,
    validate_title,
)
from workflow.projects.projects import add_members, archive, create, record_posted, remove_member
from workflow.projects.reading import (
    LIST_FILTERS,
    Member,
    ProjectDetail,
    active_names,
    detail,
    history,
    list_projects,
    project_of,
    today_utc,
)
from workflow.projects.views import (
    AGENDA_LIMIT,
    HOME_DAYS_AHEAD,
    STANDUP_DAYS_AHEAD,
    MilestoneDue,
    MyProject,
    ProjectStatus,
    milestones_due,
    overdue_to_post,
    projects_of_person,
    standup_milestones,
    status_lines,
)
from workflow.vocabulary import ProjectAction

__all__ = [
    "AGENDA_LIMIT",
    "DESCRIPTION_MAX_CHARS",
    "HOME_DAYS_AHEAD",
    "LIST_FILTERS",
    "NAME_MAX_CHARS",
    "STANDUP_DAYS_AHEAD",
    "TITLE_MAX_CHARS",
    "Member",
    "MilestoneDue",
    "MyProject",
    "ProjectAction",
    "ProjectDetail",
    "ProjectStatus",
    "active_names",
    "add_members",
    "add_milestone",
    "archive",
    "complete_milestone",
    "create",
    "create_into",
    "detail",
    "get",
    "history",
    "is_admin",
    "is_member",
    "link",
    "list_projects",
    "milestone_label",
    "milestones_due",
    "move_milestone",
    "needs_workspace_admin",
    "next_open",
    "overdue_to_post",
    "parse_date",
    "parse_milestone",
    "prepare_into",
    "project_of",
    "projects_of_person",
    "record_posted",
    "refuse_pings",
    "remove_member",
    "standup_milestones",
    "status_lines",
    "today_utc",
    "unlink",
    "validate_name",
    "validate_title",
]
