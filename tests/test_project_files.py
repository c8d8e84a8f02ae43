"""Project metadata and set-up: citation, changelog, the lock, the browser tests' no-skip switch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_citation_file_has_the_required_fields_and_the_project_version():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license"} <= set(citation)
    assert citation["version"] == PROJECT["version"] and citation["license"] == PROJECT["license"]


def test_changelog_has_an_unreleased_section_and_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[([^\]]+)\]", text, flags=re.M)
    assert versions[0] == "Unreleased" and PROJECT["version"] in versions


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_every_locked_package_is_installed_at_its_locked_version():
    """The environment the tests run in holds the lock's versions (``make check-lock``: exactly these)."""
    locked = _pins((ROOT / "requirements.lock").read_text().splitlines())
    installed = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in metadata.distributions()}
    assert len(locked) > 100
    wrong = {name: (version, installed.get(name)) for name, version in locked.items()
             if installed.get(name) != version}
    assert wrong == {}


def test_every_declared_dependency_is_locked():
    locked = _pins((ROOT / "requirements.lock").read_text().splitlines())
    declared = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]
    names = {re.sub(r"[-_.]+", "-", re.match(r"[\w.-]+", d).group()).lower() for d in declared}
    assert names - set(locked) == set()


@pytest.mark.slow
def test_a_browser_test_that_skips_fails_under_make_test(tmp_path):
    """With CITYDIPLOMACY_REQUIRE_BROWSER=1 (``make test``) a skipped browser test fails, keeping the reason."""
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_needs_chromium.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.browser\n"
        "def test_drives_chromium():\n"
        "    pytest.skip('/nonexistent/chromium is missing: apt-get install chromium')\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbmake",
               "-o", "addopts=", "-o", "markers=browser", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "CITYDIPLOMACY_REQUIRE_BROWSER"}  # make test sets it
    env["PYTHONPATH"] = str(ROOT)
    plain = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)
    required = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              env={**env, "CITYDIPLOMACY_REQUIRE_BROWSER": "1"})
    assert plain.returncode == 0 and "1 skipped" in plain.stdout, plain.stdout
    assert required.returncode == 1, required.stdout
    assert "browser test cannot run under make test" in required.stdout
    assert "/nonexistent/chromium is missing: apt-get install chromium" in required.stdout
