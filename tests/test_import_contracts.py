"""The two programs stay apart: the import contracts hold (``lint-imports``, configured in pyproject.toml), and
what each install profile runs loads nothing of the other's code or libraries (docs/install.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from tests.conftest import PROJECT

SERVER_ONLY = ("sync.server", "fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "psycopg", "weasyprint")
KIOSK_ONLY = ("kivy", "vosk", "sounddevice", "piper", "pocketsphinx", "pyttsx3", "kiosk")

IMPORT_EVERY_MODULE = """
import importlib, json, sys
from pathlib import Path
for top in map(Path, sys.argv[1:]):
    for path in sorted(top.rglob("*.py")) if top.is_dir() else [top]:
        parts = path.with_suffix("").parts
        if "__main__" in parts or "migrations" in parts:  # __main__ runs a command; Alembic runs migrations
            continue
        importlib.import_module(".".join(parts).removesuffix(".__init__"))
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by_importing(*folders: str) -> list[str]:
    """Every module loaded by importing every module under ``folders``, in a fresh interpreter."""
    env_code = "import os; os.environ.update(KIVY_NO_ARGS='1', KIVY_NO_CONSOLELOG='1', SDL_VIDEODRIVER='offscreen');"
    result = subprocess.run([sys.executable, "-c", env_code + IMPORT_EVERY_MODULE, *folders], cwd=PROJECT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def within(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def test_the_import_contracts_hold():
    command = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", command], cwd=PROJECT, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    contracts = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert f"{len(contracts['contracts'])} kept, 0 broken" in result.stdout


def test_the_kiosk_and_its_sync_job_load_nothing_of_the_server():
    modules = loaded_by_importing("kiosk", "sync/core", "sync/cli.py", "sync/client.py", "sync/job.py")
    assert "kiosk.ui.app" in modules and "kivy" in modules and "sync.cli" in modules  # the kiosk was really loaded
    assert within(modules, SERVER_ONLY) == []


def test_the_server_loads_nothing_of_the_kiosk():
    modules = loaded_by_importing("sync/server")
    assert "sync.server.cli" in modules and "sync.server.app" in modules and "fastapi" in modules
    assert within(modules, KIOSK_ONLY) == []
