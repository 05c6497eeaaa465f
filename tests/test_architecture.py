"""The project's structural promises, checked: the core stays headless, only the gateway (the
twilio package's SDK adapter modules) talks to twilio, the layers import only downwards
(import-linter's contracts in pyproject.toml), and the command line starts without the heavy
imports."""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import campaigns

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "campaigns"


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(campaigns.__path__, prefix="campaigns."):
        names.append(info.name)
    return sorted(names)


def _modules_loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_core_has_modules_to_check() -> None:
    modules = _core_modules()
    assert "campaigns.errors" in modules and "campaigns.cli.main" in modules


def test_importing_the_whole_core_does_not_import_textual() -> None:
    imports = "\n".join(f"import {name}" for name in _core_modules())
    loaded = _modules_loaded_after(imports)
    assert "textual" not in loaded
    assert not any(name.startswith("tui") for name in loaded)


def test_only_the_gateway_imports_twilio() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "twilio" or n.startswith("twilio.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert set(offenders) <= {
        "campaigns/twilio/gateway.py",
        "campaigns/twilio/http_clients.py",
        "campaigns/twilio/session.py",
        "campaigns/twilio/signatures.py",
        "campaigns/twilio/translate.py",
    }


def test_help_imports_neither_textual_nor_twilio_nor_pandas() -> None:
    loaded = _modules_loaded_after(
        "import contextlib, io\nfrom campaigns.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    )
    assert "textual" not in loaded
    assert "twilio" not in loaded
    assert "pandas" not in loaded


def _lint_imports() -> list[str]:
    """The `lint-imports` command beside this python (the test extra installs it)."""
    script = Path(sys.executable).with_name("lint-imports")
    found = str(script) if script.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: pip install -e '.[test]' installs import-linter"
    return [found]


def test_the_import_contracts_hold() -> None:
    # the checkout's packages first on the path, whatever is installed (editable or not)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    result = subprocess.run(
        [*_lint_imports(), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=300,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 broken" in report, report
