"""A fresh, empty PostgreSQL database per benchmark round, dropped afterwards."""

from __future__ import annotations

import os
import time

import psycopg
from sqlalchemy.engine import make_url

from bot.settings import normalise_database_url


def _admin_conninfo(url: str) -> str:
    plain = make_url(normalise_database_url(url)).set(drivername="postgresql")
    return plain.render_as_string(hide_password=False)


def create_fresh(url: str, tag: str) -> str:
    """Create an empty database beside the one `url` names; return its URL."""
    name = f"bench_load_{os.getpid()}_{tag}_{int(time.time())}"
    with psycopg.connect(_admin_conninfo(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(normalise_database_url(url)).set(database=name).render_as_string(hide_password=False)


def drop(admin_url: str, url: str) -> None:
    """Drop the database `url` names, connected through the one `admin_url` names."""
    name = make_url(url).database
    with psycopg.connect(_admin_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
