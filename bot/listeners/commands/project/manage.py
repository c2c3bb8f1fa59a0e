"""`/project` subcommands that change a project. Each is one transaction answered in the ack,
except an owner-or-admin step by someone the database knows as neither, which first asks Slack
whether they are a workspace admin or owner; the project card is updated by the delivery worker."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.projects import create_modal, created_confirmation
from bot.listeners.commands.admins import is_workspace_admin
from bot.listeners.commands.router import CommandRequest
from bot.text import escape, parse_user, truncate
from storage.types import utcnow
from workflow import projects
from workflow.errors import InvalidInput


def _users(tokens: list[str]) -> list[str]:
    """Mentions → user ids; anything that is not a user mention is refused, naming it."""
    if not tokens:
        raise InvalidInput("Mention at least one person, e.g. `@ana`.")
    users = []
    for token in tokens:
        user_id = parse_user(token)
        if user_id is None:
            raise InvalidInput(f"`{truncate(token, 40)}` is not a person; mention people like `@ana`.")
        users.append(user_id)
    return users


def create(request: CommandRequest) -> None:
    args = request.args
    if not args:
        request.later(_open_create_modal)
        return
    if len(args) > 2:
        raise InvalidInput(
            f"`{truncate(request.rest, 60)}` is not a project name: use letters, digits and `-` only, "
            "no spaces, then optionally a workstream (e.g. `/project create support-bot production`)."
        )
    with request.services.db.session() as session:
        project = projects.create(
            session,
            team_id=request.team_id,
            owner_id=request.user_id,
            name=args[0],
            workstream=args[1] if len(args) > 1 else "experimentation",
            channel_id=request.channel_id,
        )
        name = project.name
    request.reply(created_confirmation(name))


def _open_create_modal(request: CommandRequest) -> None:
    # The trigger lives 3 s from the command: the answers pool starts this at once.
    request.client.views_open(trigger_id=request.trigger_id, view=create_modal(channel_id=request.channel_id))


def _as_owner_or_admin(
    request: CommandRequest, name: str, step: Callable[[CommandRequest, bool], None]
) -> None:
    """Run a step for the project's owner or an admin: in the ack when the database decides it,
    else after asking Slack whether the person is a workspace admin or owner (`step` gets that)."""
    with request.services.db.read() as session:
        ask = projects.needs_workspace_admin(
            session,
            team_id=request.team_id,
            name=name,
            user_id=request.user_id,
            policy=request.services.policy,
        )
    if not ask:
        step(request, False)
        return
    request.later(lambda r: step(r, is_workspace_admin(r)))


def member(request: CommandRequest) -> None:
    args = request.args
    if len(args) < 3 or args[0].lower() not in ("add", "remove"):
        raise InvalidInput(
            "Use `/project member add <name> @user [@user…]` or `/project member remove <name> @user`."
        )
    verb, name, users = args[0].lower(), args[1], _users(args[2:])
    if verb == "remove" and len(users) != 1:
        raise InvalidInput("Remove one person at a time: `/project member remove <name> @user`.")
    _as_owner_or_admin(request, name, lambda r, admin: _member(r, verb, name, users, workspace_admin=admin))


def _member(
    request: CommandRequest, verb: str, name: str, users: list[str], *, workspace_admin: bool
) -> None:
    with request.services.db.session() as session:
        if verb == "add":
            outcome = projects.add_members(
                session,
                team_id=request.team_id,
                actor_id=request.user_id,
                name=name,
                user_ids=users,
                policy=request.services.policy,
                workspace_admin=workspace_admin,
            )
        else:
            outcome = projects.remove_member(
                session,
                team_id=request.team_id,
                actor_id=request.user_id,
                name=name,
                user_id=users[0],
                policy=request.services.policy,
                workspace_admin=workspace_admin,
            )
    if not outcome.changed:
        request.reply(f":information_source: {escape(outcome.note or 'Nothing changed.')}")
        return
    done = "added to" if verb == "add" else "removed from"
    request.reply(f":white_check_mark: {' '.join(f'<@{u}>' for u in users)} {done} *{escape(name)}*.")


def milestone(request: CommandRequest) -> None:
    args = request.args
    verb = args[0].lower() if args else ""
    today = projects.today_utc(utcnow())
    with request.services.db.session() as session:
        if verb == "add" and len(args) >= 4:
            row = projects.add_milestone(
                session,
                team_id=request.team_id,
                actor_id=request.user_id,
                name=args[1],
                due=args[2],
                title=request.rest.split(None, 3)[3],
                today=today,
            )
            request.reply(f":white_check_mark: M{row.number} added to *{escape(args[1])}*, due {row.due_on}.")
            return
        if verb == "done" and len(args) == 3:
            outcome = projects.complete_milestone(
                session, team_id=request.team_id, actor_id=request.user_id, name=args[1], milestone=args[2]
            )
            said = f"{args[2].upper()} of *{escape(args[1])}* is done."
        elif verb == "move" and len(args) == 4:
            outcome = projects.move_milestone(
                session,
                team_id=request.team_id,
                actor_id=request.user_id,
                name=args[1],
                milestone=args[2],
                due=args[3],
                today=today,
            )
            said = f"{args[2].upper()} of *{escape(args[1])}* is now due {escape(args[3])}."
        else:
            raise InvalidInput(
                "Use `/project milestone add <name> <YYYY-MM-DD> <title>`, "
                "`/project milestone done <name> M1` or `/project milestone move <name> M1 <YYYY-MM-DD>`."
            )
    if not outcome.changed:
        request.reply(f":information_source: {escape(outcome.note or 'Nothing changed.')}")
        return
    request.reply(f":white_check_mark: {said}")


def _link(request: CommandRequest, *, unlink: bool) -> None:
    args = request.args
    word = "unlink" if unlink else "link"
    if len(args) != 2:
        raise InvalidInput(f"Use `/project {word} <name> EXP-1`.")
    step = projects.unlink if unlink else projects.link
    with request.services.db.session() as session:
        outcome = step(
            session, team_id=request.team_id, actor_id=request.user_id, name=args[0], experiment_ref=args[1]
        )
    if not outcome.changed:
        request.reply(f":information_source: {escape(outcome.note or 'Nothing changed.')}")
        return
    request.reply(
        f":white_check_mark: {escape(args[1].upper())} {word}ed "
        f"{'from' if unlink else 'to'} *{escape(args[0])}*."
    )


def link(request: CommandRequest) -> None:
    _link(request, unlink=False)


def unlink(request: CommandRequest) -> None:
    _link(request, unlink=True)


def archive(request: CommandRequest) -> None:
    if len(request.args) != 1:
        raise InvalidInput("Use `/project archive <name>`.")
    _as_owner_or_admin(request, request.args[0], _archive)


def _archive(request: CommandRequest, workspace_admin: bool) -> None:
    with request.services.db.session() as session:
        projects.archive(
            session,
            team_id=request.team_id,
            actor_id=request.user_id,
            name=request.args[0],
            policy=request.services.policy,
            workspace_admin=workspace_admin,
        )
    request.reply(f":white_check_mark: *{escape(request.args[0])}* is archived; its history stays.")
