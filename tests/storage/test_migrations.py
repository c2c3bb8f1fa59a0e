"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import ceremonies, deliveries, experiments
from storage.db import Database, alembic_config
from storage.models import Experiment
from workflow import review
from workflow import vocabulary as v


def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
    assert diff == [], f"models and migrations disagree: {diff}"


def test_migrate_is_idempotent(db: Database) -> None:
    db.migrate()
    db.migrate()
    assert "experiment" in inspect(db.engine).get_table_names()


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrading_a_database_in_use_queues_what_the_previous_release_still_owed(db: Database) -> None:
    """Data written by the release before the delivery queue (revision 0001), then upgraded."""
    command.downgrade(alembic_config(db.url), "0001")
    at = "2026-11-24 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ceremony (id, team_id, name, kind, channel_id, schedule, timezone, "
                "duration_minutes, paused, created_by, created_at, updated_at) VALUES (1, 'T1', "
                f"'standup', 'standup', 'C1', 'daily 09:30', 'UTC', 15, false, 'U1', '{at}', '{at}')"
            )
        )
        for run_id, status, ts in [(1, "posted", "'1.1'"), (2, "retrying", "NULL"), (3, "claimed", "NULL")]:
            conn.execute(
                text(
                    "INSERT INTO ceremonyrun (id, team_id, ceremony_id, due_at, status, attempts, "
                    f"claimed_at, message_ts) VALUES ({run_id}, 'T1', 1, '2026-11-2{run_id} 09:30:00', "
                    f"'{status}', 1, '{at}', {ts})"
                )
            )
        experiments = [
            # number, status, card ts, review reply ts
            (1, "in_review", "'2.1'", "'2.2'"),  # everything posted: nothing owed
            (2, "proposed", "NULL", "NULL"),  # its card never made it
            (3, "in_review", "'3.1'", "'claim:1764000000.000'"),  # a publisher died mid-post
        ]
        for number, status, card, review in experiments:
            conn.execute(
                text(
                    "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, "
                    "status, timeline_weeks, channel_id, message_ts, review_message_ts, version, "
                    f"created_at, updated_at, status_changed_at) VALUES ({number}, 'T1', {number}, "
                    f"'H{number}', 'experimentation', 'U1', '{status}', 2, 'C1', {card}, {review}, 1, "
                    f"'{at}', '{at}', '{at}')"
                )
            )
    db.migrate()
    with db.engine.connect() as conn:
        runs = conn.execute(text("SELECT id, status, message_ts FROM ceremonyrun ORDER BY id")).all()
        experiments_after = conn.execute(
            text("SELECT number, message_ts, review_message_ts FROM experiment ORDER BY number")
        ).all()
        queued = conn.execute(
            text("SELECT kind, subject_id, channel_id, stream, state FROM delivery ORDER BY id")
        ).all()
    assert [tuple(r) for r in runs] == [(1, "posted", "1.1"), (2, "queued", None), (3, "queued", None)]
    assert [tuple(e) for e in experiments_after] == [(1, "2.1", "2.2"), (2, None, None), (3, "3.1", None)]
    assert [tuple(q) for q in queued] == [
        ("reminder", 2, "C1", "run:2", "pending"),
        ("reminder", 3, "C1", "run:3", "pending"),
        ("experiment", 2, "C1", "experiment:2", "pending"),
        ("experiment", 3, "C1", "experiment:3", "pending"),
    ]


def test_upgrading_to_projects_keeps_every_experiment_and_its_audit_trail(db: Database) -> None:
    """Experiments written before projects existed (revision 0002) survive the upgrade intact."""
    command.downgrade(alembic_config(db.url), "0002")
    at = "2026-11-24 09:30:00"
    with db.engine.begin() as conn:
        for number, status in [(1, "production"), (2, "in_review"), (3, "withdrawn")]:
            conn.execute(
                text(
                    "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, "
                    "status, timeline_weeks, channel_id, message_ts, version, created_at, updated_at, "
                    f"status_changed_at) VALUES ({number}, 'T1', {number}, 'H{number}', 'optimization', "
                    f"'U1', '{status}', 3, 'C1', '{number}.1', 2, '{at}', '{at}', '{at}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO auditevent (team_id, experiment_id, actor_id, action, created_at) "
                    f"VALUES ('T1', {number}, 'U1', 'proposed', '{at}')"
                )
            )
    db.migrate()
    with db.engine.connect() as conn:
        after = conn.execute(
            text(
                "SELECT number, hypothesis, status, timeline_weeks, message_ts, estimate_days "
                "FROM experiment ORDER BY number"
            )
        ).all()
        audit = conn.execute(
            text("SELECT experiment_id, action, project_id FROM auditevent ORDER BY id")
        ).all()
    assert [tuple(e) for e in after] == [
        (1, "H1", "production", 3, "1.1", None),
        (2, "H2", "in_review", 3, "2.1", None),
        (3, "H3", "withdrawn", 3, "3.1", None),
    ]
    assert [tuple(a) for a in audit] == [(1, "proposed", None), (2, "proposed", None), (3, "proposed", None)]
    assert {"project", "projectmember", "milestone", "projectexperiment"} <= set(
        inspect(db.engine).get_table_names()
    )


def test_upgrading_the_claim_index_keeps_the_queue_and_its_order(db: Database) -> None:
    """A queue written by the previous release (revision 0007) is claimed, after the upgrade, in
    the same order and with nothing lost."""
    command.downgrade(alembic_config(db.url), "0007")
    at = "2026-12-01 09:30:00"
    rows = [
        # id, stream, state, claimed_until
        (1, "experiment:1", "delivered", "NULL"),
        (2, "experiment:1", "pending", "NULL"),  # head of experiment 1
        (3, "experiment:2", "sending", "'2026-12-01 09:31:00'"),  # its claimant died
        (4, "experiment:2", "pending", "NULL"),  # waits for 3
        (5, "run:7", "failed", "NULL"),
        (6, "run:8", "pending", "NULL"),
    ]
    with db.engine.begin() as conn:
        for row_id, stream, state, claimed_until in rows:
            conn.execute(
                text(
                    "INSERT INTO delivery (id, team_id, kind, subject_id, channel_id, stream, state, "
                    "attempts, claimed_until, created_at, updated_at) VALUES "
                    f"({row_id}, 'T1', 'experiment', 1, 'C1', '{stream}', '{state}', 0, {claimed_until}, "
                    f"'{at}', '{at}')"
                )
            )
    db.migrate()
    assert "ix_delivery_state_id" in {i["name"] for i in inspect(db.engine).get_indexes("delivery")}
    with db.engine.connect() as conn:
        after = conn.execute(text("SELECT id, stream, state FROM delivery ORDER BY id")).all()
    assert [tuple(r) for r in after] == [(r[0], r[1], r[2]) for r in rows]
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC) + timedelta(seconds=1)
    with db.read() as session:
        heads = deliveries.ready_heads(session, now=now, limit=10, lock=False)
    assert [r.id for r in heads] == [2, 3, 6]


def test_upgrading_to_sent_digests_keeps_cards_and_sends_each_once_more(db: Database) -> None:
    """Cards posted by the previous release (revision 0008) keep their ts; with no digest known
    yet, their next update goes out in full."""
    command.downgrade(alembic_config(db.url), "0008")
    at = "2026-12-01 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, status, "
                "timeline_weeks, channel_id, message_ts, review_message_ts, version, created_at, "
                f"updated_at, status_changed_at) VALUES (1, 'T1', 1, 'H1', 'experimentation', 'U1', "
                f"'in_review', 2, 'C1', '1.1', '1.2', 3, '{at}', '{at}', '{at}')"
            )
        )
    db.migrate()
    with db.engine.connect() as conn:
        card = conn.execute(text("SELECT message_ts, review_message_ts FROM experiment")).one()
        digests = conn.execute(text("SELECT count(*) FROM sentmessage")).scalar()
    assert tuple(card) == ("1.1", "1.2")
    assert digests == 0


def test_dropping_the_version_column_keeps_experiments_and_what_hangs_off_them(db: Database) -> None:
    """Revision 0010 drops a column of `experiment`: rows that reference it survive."""
    command.downgrade(alembic_config(db.url), "0009")
    at = "2026-12-01 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, status, "
                "timeline_weeks, channel_id, message_ts, version, created_at, updated_at, "
                f"status_changed_at) VALUES (1, 'T1', 1, 'H1', 'experimentation', 'U1', 'in_review', 2, "
                f"'C1', '1.1', 7, '{at}', '{at}', '{at}')"
            )
        )
        for kind in ("technical", "ethics", "business"):
            conn.execute(
                text(
                    "INSERT INTO review (team_id, experiment_id, kind, status) "
                    f"VALUES ('T1', 1, '{kind}', 'pending')"
                )
            )
    db.migrate()
    with db.engine.connect() as conn:
        experiment = conn.execute(text("SELECT number, status, message_ts FROM experiment")).one()
        reviews = conn.execute(text("SELECT kind FROM review ORDER BY kind")).scalars().all()
    assert tuple(experiment) == (1, "in_review", "1.1")
    assert reviews == ["business", "ethics", "technical"]
    assert "version" not in {c["name"] for c in inspect(db.engine).get_columns("experiment")}


def test_the_history_index_keeps_every_experiment_and_serves_the_estimate(db: Database) -> None:
    """Revision 0011 indexes experiments for the estimate's read; rows written before it stay,
    and the estimate's history read no longer walks the workspace's every experiment."""
    command.downgrade(alembic_config(db.url), "0010")
    at = "2026-11-02 09:30:00"
    with db.engine.begin() as conn:
        for number, status in enumerate(("production", "proposed", "withdrawn"), start=1):
            conn.execute(
                text(
                    "INSERT INTO experiment (team_id, number, hypothesis, workstream, owner_id, status, "
                    "timeline_weeks, created_at, updated_at, status_changed_at) VALUES "
                    f"('T1', {number}, 'H{number}', 'experimentation', 'U1', '{status}', 2, "
                    f"'{at}', '{at}', '{at}')"
                )
            )
    db.migrate()
    with db.session() as session:
        rows = experiments.finished_in_workstream(
            session,
            team_id="T1",
            workstream="experimentation",
            statuses=(v.Status.PRODUCTION, v.Status.REJECTED, v.Status.WITHDRAWN),
            reached_action=v.Step.status(v.Status.PRODUCTION),
        )
    assert sorted(status for status, *_ in rows) == ["production", "withdrawn"]
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("experiment")}
    assert indexes["ix_experiment_team_workstream_status"] == ["team_id", "workstream", "status"]
    if db.is_sqlite:
        with db.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT status FROM experiment WHERE team_id = 'T1' "
                "AND workstream = 'experimentation' AND status IN ('production', 'withdrawn')"
            ).all()
        assert "ix_experiment_team_workstream_status" in " ".join(str(row[-1]) for row in plan)


def test_the_gate_column_is_filled_from_the_previous_releases_audit_text(db: Database) -> None:
    """Revision 0012 names what a decision was about in `audit_event.gate`; decisions recorded by
    the previous release (revision 0011) get it from their detail text, other events none."""
    command.downgrade(alembic_config(db.url), "0011")
    at = "2026-11-02 09:30:00"
    events = [
        ("status:changes_requested", "in_review → changes_requested: ethics review: more data"),
        ("status:rejected", "in_review → rejected: technical review: abandoned"),
        ("status:rejected", "approved → rejected: at sign-off: unsafe"),
        ("status:in_review", "proposed → in_review"),
        ("review:business", "approved"),
    ]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, status, "
                "timeline_weeks, created_at, updated_at, status_changed_at) VALUES "
                f"(1, 'T1', 1, 'H1', 'experimentation', 'U1', 'rejected', 2, '{at}', '{at}', '{at}')"
            )
        )
        for action, detail in events:
            conn.execute(
                text(
                    "INSERT INTO auditevent (team_id, experiment_id, actor_id, action, detail, created_at) "
                    "VALUES ('T1', 1, 'U2', :action, :detail, :at)"
                ),
                {"action": action, "detail": detail, "at": at},
            )
    db.migrate()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT action, detail, gate FROM auditevent ORDER BY id")).all()
    assert [(action, detail) for action, detail, _ in rows] == events
    assert [gate for *_, gate in rows] == ["ethics", "technical", "sign-off", None, None]


def test_decisions_given_before_evidence_was_kept_survive_the_upgrade_without_it(db: Database) -> None:
    """Revision 0013 adds the evidence of each decision and what went stale; reviews, sign-offs
    and audit records the previous release (revision 0012) wrote keep every value, with no
    evidence, so they never go stale retroactively."""
    command.downgrade(alembic_config(db.url), "0012")
    at = "2026-11-02 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, status, "
                "timeline_weeks, created_at, updated_at, status_changed_at) VALUES "
                f"(1, 'T1', 1, 'H1', 'experimentation', 'U1', 'approved', 2, '{at}', '{at}', '{at}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO review (team_id, experiment_id, kind, status, reviewer_id, decided_at) "
                f"VALUES ('T1', 1, 'ethics', 'approved', 'U2', '{at}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO approval (team_id, experiment_id, role, approver_id, approved_at) "
                f"VALUES ('T1', 1, 'security', 'U3', '{at}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO auditevent (team_id, experiment_id, actor_id, action, detail, created_at) "
                f"VALUES ('T1', 1, 'U3', 'sign-off:security', 'approved', '{at}')"
            )
        )
    db.migrate()
    with db.engine.connect() as conn:
        columns = "kind, status, reviewer_id, evidence, stale_note"
        review = conn.execute(text(f"SELECT {columns} FROM review")).one()
        experiment = conn.execute(text("SELECT number, status, signoff_note FROM experiment")).one()
        approval = conn.execute(text("SELECT role, approver_id, evidence FROM approval")).one()
        event = conn.execute(text("SELECT action, detail, evidence_digest FROM auditevent")).one()
    assert tuple(review) == ("ethics", "approved", "U2", None, None)
    assert tuple(experiment) == (1, "approved", None)
    assert tuple(approval) == ("security", "U3", None)
    assert tuple(event) == ("sign-off:security", "approved", None)


def test_upgrading_to_oauth_installs_keeps_the_single_workspace_as_installed(db: Database) -> None:
    """A single-token deployment's data (revision 0015) upgrades to OAuth-ready: its workspace is
    not marked uninstalled (its ceremonies keep running) and Slack's tables start empty."""
    command.downgrade(alembic_config(db.url), "0015")
    at = "2026-11-24 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO workspace (team_id, experiment_seq, created_at) VALUES ('T1', 4, '{at}')")
        )
        conn.execute(
            text(
                "INSERT INTO ceremony (id, team_id, name, kind, channel_id, schedule, timezone, "
                "duration_minutes, paused, close_minutes, local, created_by, created_at, updated_at) VALUES "
                f"(1, 'T1', 'standup', 'standup', 'C1', 'daily 09:30', 'UTC', 15, false, 120, false, 'U1', "
                f"'{at}', '{at}')"
            )
        )
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT experiment_seq, uninstalled_at FROM workspace")).one() == (4, None)
        for table in ("slack_bots", "slack_installations", "slack_oauth_states"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    with db.read() as session:
        assert [c.name for c in ceremonies.active(session)] == ["standup"]


def test_experiments_in_use_upgrade_to_mlflow_evidence_with_no_links_and_no_criteria(db: Database) -> None:
    """Revision 0016 adds linked MLflow evidence and success criteria; an experiment the previous
    release (revision 0015) wrote keeps every value and its hand-ticked checklist, with no
    criteria (so nothing is computed for it) and nothing linked, and can link evidence after."""
    command.downgrade(alembic_config(db.url), "0015")
    at = "2026-12-01 09:30:00"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment (id, team_id, number, hypothesis, workstream, owner_id, status, "
                "timeline_weeks, artifacts, nudge_count, created_at, updated_at, status_changed_at) "
                f"VALUES (1, 'T1', 1, 'H1', 'experimentation', 'U1', 'in_review', 2, 'eval.md', 2, "
                f"'{at}', '{at}', '{at}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO checklistitem (team_id, experiment_id, key, checked_by, checked_at) "
                f"VALUES ('T1', 1, 'model_performance', 'U1', '{at}')"
            )
        )
    db.migrate()
    with db.engine.begin() as conn:
        row = conn.execute(
            text("SELECT status, artifacts, nudge_count, criteria, criteria_note FROM experiment")
        ).one()
        assert tuple(row) == ("in_review", "eval.md", 2, None, None)
        assert conn.execute(text("SELECT key, checked_by FROM checklistitem")).one() == (
            "model_performance",
            "U1",
        )
        assert conn.execute(text("SELECT count(*) FROM evidencelink")).scalar() == 0
        conn.execute(
            text(
                "INSERT INTO evidencelink (team_id, experiment_id, role, label, run_id, linked_by, "
                f"linked_at) VALUES ('T1', 1, 'candidate', 'runs:/abc', 'abc', 'U1', '{at}')"
            )
        )
    with db.read() as session:
        experiment = session.get(Experiment, 1)
        assert experiment is not None and experiment.criteria is None
        # No criteria: the performance item stays ticked by hand, as it was.
        assert review.missing_reviews(session, experiment) == [
            f"checklist: {label}" for key, label in v.CHECKLIST.items() if key != "model_performance"
        ]
