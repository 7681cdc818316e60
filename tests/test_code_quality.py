"""Structure the project relies on: the flow never imports Kivy, and the code is ruff-clean."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT


def test_flow_store_and_commands_never_import_kivy():
    code = ("import sys, kiosk.session.flow, kiosk.session.store, sync.core.export, kiosk.session.simulate, "
            "kiosk.cli.main; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(PROJECT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
