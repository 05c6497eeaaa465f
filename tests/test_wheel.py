"""The wheel works on its own: built from the sources, installed into a fresh virtual
environment and run from a folder that is not a checkout, `smscast check` reads the packaged
sample and the demo's contacts lookup (the one the TUI's demo uses) finds it.

The virtual environment sees the system's site-packages (the dependencies are installed there,
so no network is needed) but gets the wheel installed into its own, which comes first on its
path; the editable install's finder is appended after the path finder, so the venv imports the
wheel's `campaigns` and `tui` (checked, not assumed). The build runs on a copy of what an sdist
holds, so the checkout gets no `build/` or `*.egg-info` and no stale file can slip in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What the build needs from the checkout (the packages, their metadata and the readme).
SOURCES = ("pyproject.toml", "README.md", "campaigns", "tui")


def _clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on the venv's path."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True
    )


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the freshly built smscast wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, source / name)
    dist = base / "dist"
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], base))
    (wheel,) = dist.glob("smscast-*.whl")
    env_dir = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--system-site-packages", env_dir], base))
    _ok(_run([_bin(env_dir, "python"), "-m", "pip", "install", "--no-deps", "-q", wheel], base))
    return env_dir


def _bin(env_dir: Path, name: str) -> Path:
    return env_dir / ("Scripts" if os.name == "nt" else "bin") / name


def _venv_python(venv: Path, code: str, cwd: Path) -> dict[str, str]:
    """Run `code` with the venv's python in `cwd`; it prints one JSON object."""
    out = _ok(_run([_bin(venv, "python"), "-c", code], cwd))
    return json.loads(out.strip().splitlines()[-1])


def test_the_venv_imports_the_wheel_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    found = _venv_python(
        venv,
        "import json, campaigns, tui\n"
        "print(json.dumps({'campaigns': campaigns.__file__, 'tui': tui.__file__}))",
        tmp_path,
    )
    for module in ("campaigns", "tui"):
        path = Path(found[module]).resolve()
        assert path.is_relative_to(venv.resolve()), (module, path)
        assert not path.is_relative_to(ROOT), (module, path)


def test_the_wheel_holds_the_sample_and_the_stylesheet(venv: Path, tmp_path: Path) -> None:
    found = _venv_python(
        venv,
        "import json\nfrom importlib import resources\n"
        "sample = resources.files('campaigns.pipeline') / 'sample_contacts.csv'\n"
        "css = resources.files('tui') / 'app.tcss'\n"
        "print(json.dumps({'sample': str(sample), 'sample_ok': sample.is_file(),\n"
        "                  'css': str(css), 'css_ok': css.is_file()}))",
        tmp_path,
    )
    assert found["sample_ok"] and found["css_ok"]
    for key in ("sample", "css"):
        assert Path(found[key]).resolve().is_relative_to(venv.resolve())
    packaged = Path(found["sample"]).read_bytes()
    assert packaged == (ROOT / "sample_contacts.csv").read_bytes()


def test_smscast_check_reads_the_packaged_sample_from_any_folder(
    venv: Path, tmp_path: Path
) -> None:
    found = _venv_python(
        venv,
        "import json\nfrom importlib import resources\n"
        "print(json.dumps({'sample': str(resources.files('campaigns.pipeline')"
        " / 'sample_contacts.csv')}))",
        tmp_path,
    )
    assert not (tmp_path / "sample_contacts.csv").exists()
    report = json.loads(
        _ok(_run([_bin(venv, "smscast"), "check", found["sample"], "--json"], tmp_path))
    )
    assert report["file"] == found["sample"]
    assert report["phone_column"] == "Phone"
    assert report["rows"] == 25 and report["valid"] == 23
    # the same contacts as a workbook and a vCard ship beside it (scripts/make_sample_contacts)
    folder = Path(found["sample"]).parent
    for name, fmt in (("sample_contacts.xlsx", "Excel"), ("sample_contacts.vcf", "vCard")):
        other = json.loads(
            _ok(_run([_bin(venv, "smscast"), "check", folder / name, "--json"], tmp_path))
        )
        assert other["format"].startswith(fmt) and other["valid"] == 23, name


def test_the_demo_finds_the_packaged_sample_from_any_folder(venv: Path, tmp_path: Path) -> None:
    # the lookup itself, and the demo environment the TUI's `smscast demo` starts with it
    found = _venv_python(
        venv,
        "import json\nfrom importlib import resources\n"
        "from campaigns.pipeline.demo import DemoEnvironment, sample_contacts_path\n"
        "with DemoEnvironment.start() as env:\n"
        "    chosen = env.contacts_file\n"
        "print(json.dumps({'lookup': str(sample_contacts_path()), 'demo': chosen,\n"
        "    'packaged': str(resources.files('campaigns.pipeline') / 'sample_contacts.csv')}))",
        tmp_path,
    )
    assert found["lookup"] == found["demo"] == found["packaged"]
    assert Path(found["demo"]).resolve().is_relative_to(venv.resolve())
