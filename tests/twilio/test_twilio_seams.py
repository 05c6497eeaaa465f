"""The twilio package's promises to the layers above: its values, protocols, credentials and
limits load without the SDK, and it imports nothing from a higher layer."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TWILIO = ROOT / "campaigns" / "twilio"

#: What the twilio package sits above: only the foundation (campaigns.errors, untrusted,
#: files, secrets) and itself may be imported from it.
HIGHER = ("config", "send", "store", "pipeline", "cli", "audience", "compose", "contacts")


def test_the_sdk_free_modules_load_no_twilio() -> None:
    code = (
        "import campaigns.secrets, campaigns.twilio.models, campaigns.twilio.protocols, "
        "campaigns.twilio.credentials, campaigns.twilio.limits, campaigns.twilio.convert, "
        "campaigns.twilio.errors\n"
        "import sys, json; print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not {name for name in loaded if name == "twilio" or name.startswith("twilio.")}


def test_the_twilio_package_imports_no_higher_layer() -> None:
    offenders = []
    for path in sorted(TWILIO.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                if parts[0] == "campaigns" and len(parts) > 1 and parts[1] in HIGHER:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
