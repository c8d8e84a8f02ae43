"""The README's Python snippets run as written, against real outputs of the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUN = "example"
"""The run folder the snippets' ``outputs/runs/<run>/`` stands for."""
ELSEWHERE = re.compile(r"# [\w.]+\.py: ")
"""A snippet opening with ``# name.py: ...`` is a file to save and run elsewhere (a cluster's login node)."""


def python_snippets(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)


SNIPPETS = [s for s in python_snippets(README.read_text()) if not ELSEWHERE.match(s)]


def test_snippets_are_found():
    snippets = python_snippets(README.read_text())
    assert len(SNIPPETS) >= 4
    assert [s.split("\n")[0] for s in snippets if ELSEWHERE.match(s)] == [
        "# slurm_cluster.py: start workers as SLURM jobs, then leave this running"]


def _cli(module: str, *args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def project_folder(tmp_path_factory):
    """A folder laid out as the project's after ``make run`` and the smoke sweep, for the snippets' paths."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "scenarios").symlink_to(ROOT / "scenarios")
    _cli("experiments.run", "scenario=classroom", "steps=12", "progress=false",
         f"hydra.run.dir={folder / 'outputs' / 'runs' / RUN}", cwd=folder)
    _cli("experiments.sweep", "experiment=smoke", "sweep.workers=1", "sweep.progress=false",
         f"hydra.run.dir={folder / 'outputs' / 'sweeps' / 'smoke'}", cwd=folder)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(SNIPPETS)))
def test_readme_python_snippet_runs(project_folder, number):
    snippet = SNIPPETS[number]
    code = snippet.replace("<run>", RUN)
    result = subprocess.run([sys.executable, "-c", code], cwd=project_folder, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    assert result.returncode == 0, f"README snippet {number}:\n{snippet}\n{result.stderr[-3000:]}"
