"""Shared fixtures: the real default config, a clock the test moves, and a flow wired to a real store."""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kiosk.session.flow import Flow
from kiosk.session.settings import KioskConfig, load_config
from kiosk.session.simulate import SimulatedClock
from kiosk.session.store import Store
from sync.core.privacy import scrub
from sync.core.privacy.concerns import read_concerns
from sync.server.storage.db import metadata

PROJECT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgresql+psycopg://feedback:feedback@127.0.0.1:5432/feedback_test"
"""The throwaway database `.ci/setup --test` creates; used unless FEEDBACK_TEST_POSTGRES_URL says otherwise."""
FAST_SPEECH = ("--speech-speed", "20")
"""For kiosk.ui.autopilot with --speech-log: the same prompts, synthesised for real, played 20 times faster, so
steps that wait for the kiosk to finish speaking do not wait for minutes of speech."""


def _postgres_listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return False
    return True


def _for_this_worker(url: str) -> str:
    """Under pytest-xdist each worker gets its own database beside the one named (feedback_test_gw0, ...), as
    PostgreSQL tests empty the server's tables and one even locks every other connection out of its database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = sa.make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


if "FEEDBACK_TEST_POSTGRES_URL" not in os.environ and _postgres_listening():
    os.environ["FEEDBACK_TEST_POSTGRES_URL"] = POSTGRES_URL
if os.environ.get("FEEDBACK_TEST_POSTGRES_URL"):  # set here, so the servers and commands tests start use it too
    os.environ["FEEDBACK_TEST_POSTGRES_URL"] = _for_this_worker(os.environ["FEEDBACK_TEST_POSTGRES_URL"])


@functools.cache
def _create_database_if_missing(url: str) -> None:
    """A worker's own database is made on first use: the role needs CREATEDB (.ci/setup grants it)."""
    wanted = sa.make_url(url)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the database named is the one `.ci/setup --test` or the developer made
    name = wanted.database
    base = wanted.set(database=name.removesuffix("_" + os.environ["PYTEST_XDIST_WORKER"]))
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first():
                return
            try:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            except sa.exc.ProgrammingError as exc:
                if "already exists" in str(exc):  # another run made it a moment ago
                    return
                pytest.fail(f"Cannot make the PostgreSQL database {name} for this test worker: give the role "
                            f"CREATEDB (ALTER ROLE {wanted.username} CREATEDB), or run pytest with -n 0 ({exc.orig})")
    finally:
        engine.dispose()


STANDARD_SET = Path(__file__).parent / "data" / "standard-set-config"
"""A config folder choosing the standard FFT wording (config/questions/default.toml) over the built-in Easy Read
set, for ``kiosk run --config``."""


@pytest.fixture(scope="session")
def config() -> KioskConfig:
    """The built-in settings asking the standard FFT wording. The flow, voice and export tests were written on
    it and keep testing it (NHS returns need it); the Easy Read default is covered by test_easy_read.py,
    test_config.py and the whole-app GUI tests."""
    return load_config(STANDARD_SET)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = Store(tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def make_flow(config: KioskConfig, clock: SimulatedClock, store: Store):  # type: ignore[no-untyped-def]
    """A flow on the default questions saving into a real SQLite store; settings can be overridden."""

    def build(room: Callable[[], bool] = lambda: True, **changes: dict) -> Flow:
        settings = config.settings
        for section, values in changes.items():
            settings = settings.model_copy(update={section: getattr(settings, section).model_copy(update=values)})
        return Flow(questions=config.questions, settings=settings, save=store.save, scrub=scrub, concerns=read_concerns,
                    clock=clock, room=room)

    return build


@pytest.fixture
def kiosk_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the kiosk in a subprocess: headless SDL, private Kivy home, no stray args."""
    env = dict(os.environ)
    env.update(KIVY_NO_ARGS="1", KIVY_HOME=str(tmp_path / "kivy-home"), KIVY_NO_FILELOG="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"),  # the speech prompt cache
               KIVY_NO_CONSOLELOG="1", SDL_VIDEODRIVER=env.get("SDL_VIDEODRIVER", "offscreen"))
    return env


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL database for the server, emptied of the server's tables first."""
    url = os.environ.get("FEEDBACK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the PostgreSQL path: run .ci/setup --test or set FEEDBACK_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL tests need FEEDBACK_TEST_POSTGRES_URL=postgresql+psycopg://user:password@host/db")
    _create_database_if_missing(url)
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)  # also proves PostgreSQL is reachable: unreachable fails the test, never skips
        with engine.begin() as connection:  # else the emptied database would still claim to be migrated
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
    yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The central server's database for tests that must pass on both: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "central.db")
    return request.getfixturevalue("postgres")
