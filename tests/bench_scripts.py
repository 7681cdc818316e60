"""The scripts in bench/, imported from their files for tests (bench/ is not a package)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import PROJECT


def bench_script(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module, run afresh: its functions can be tested without a subprocess."""
    spec = importlib.util.spec_from_file_location(name, PROJECT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
