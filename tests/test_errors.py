"""Every user mistake ends with ONE line on stderr and exit code 2, never a traceback.

The contract (experiments/config.py): a bad override, scenario file, rule name
or rule parameter prints exactly

    error: <file or override>: field '<field>': bad value <value>: allowed: <what is allowed>

on stderr and exits with code 2.  Most cases run ``experiments.run.cli()``
in-process (fast); a few run the real command line in a subprocess.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hydra.core.global_hydra import GlobalHydra

from experiments import run as run_module
from experiments.config import PROJECT_ROOT, scenario_data

LINE = re.compile(r"^error: (?P<where>.+?): field '(?P<field>[^']*)': bad value (?P<value>.+?)"
                  r": allowed: (?P<allowed>.*)$")
CLASSROOM = scenario_data(PROJECT_ROOT / "scenarios" / "classroom.yaml")  # its catalogue entries written out
CLASSROOM_INCLUDES = yaml.safe_load((PROJECT_ROOT / "scenarios" / "classroom.yaml").read_text(encoding="utf-8"))


def includes(mutate: Callable[[dict], Any]) -> str:
    """The classroom scenario file as it is shipped (``include:`` of the catalogue), after ``mutate``."""
    data = copy.deepcopy(CLASSROOM_INCLUDES)
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
TMP = "@TMP@"  # replaced by the test's tmp_path in file texts and arguments
FILE = f"{TMP}/scenario.yaml"


def broken(mutate: Callable[[dict], Any]) -> str:
    """The classroom scenario as YAML text, after ``mutate`` broke it in place."""
    data = copy.deepcopy(CLASSROOM)
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def sub(i: int, **fields: Any) -> Callable[[dict], None]:
    return lambda d: d["subnationals"][i].update(fields)


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    field: str
    names: str | None = None
    """The override the line must name (``override '<names>'``); None: the scenario file."""
    text: str | bytes | None = None
    """Contents written to FILE before the run; None: no file (a missing one)."""
    where: str | None = None
    """Exact ``where`` part, when it is neither the file nor ``override '<names>'``."""
    allowed: str = ""
    """A piece of text the ``allowed`` part must contain."""


def file_case(id: str, text: str | bytes | None, field: str, allowed: str = "") -> Case:
    return Case(id, (f"scenario_file={FILE}",), field, text=text, allowed=allowed)


def override_case(id: str, override: str, field: str, *more: str, allowed: str = "") -> Case:
    """``override`` is the culprit; ``more`` are further (valid) arguments."""
    return Case(id, (*more, override), field, names=override, allowed=allowed)


PYTHON_TAG = f'!!python/object/apply:os.system ["echo hacked > {TMP}/hacked"]\n'

FILE_CASES = [
    file_case("unknown-top-level-field", broken(lambda d: d.update(colour="red")), "colour",
              allowed="known fields are name"),
    file_case("unknown-actor-field", broken(sub(0, mayor="Ada Colau")), "subnationals[0].mayor",
              allowed="population"),
    file_case("string-population", broken(sub(0, population="many")), "subnationals[0].population",
              allowed="integer"),
    file_case("negative-population", broken(sub(2, population=-5)), "subnationals[2].population",
              allowed="[0, inf]"),
    file_case("autonomy-above-1", broken(sub(0, autonomy=1.5)), "subnationals[0].autonomy",
              allowed="[0, 1]"),
    file_case("autonomy-below-0", broken(sub(1, autonomy=-0.1)), "subnationals[1].autonomy",
              allowed="[0, 1]"),
    file_case("unknown-country", broken(sub(0, country="XX")), "subnationals[0].country",
              allowed="ISO 3166"),
    file_case("agreement-unknown-actor",
              broken(lambda d: d["agreements"][0].update(parties=["barcelona", "atlantis"])),
              "agreements[0].parties"),
    file_case("membership-unknown-network", broken(sub(0, memberships=["uclg", "nope_net"])),
              "subnationals[0].memberships", allowed="iclei, uclg"),
    file_case("network-seat-not-an-actor", broken(lambda d: d["networks"][0].update(seat="atlantis")),
              "networks[0].seat"),
    file_case("network-seat-is-a-government", broken(lambda d: d["networks"][1].update(seat="gov_US")),
              "networks[1].seat"),
    file_case("duplicate-actor-id", broken(sub(1, id="barcelona")), "subnationals[1].id"),
    file_case("id-shared-by-actor-and-government", broken(lambda d: d["nationals"][0].update(id="shanghai")),
              "nationals[0].id"),
    file_case("unknown-domain-in-interests",
              broken(lambda d: d["subnationals"][0]["interests"].update(cooking=0.5)),
              "subnationals[0].interests", allowed="economy"),
    file_case("unknown-kind", broken(sub(0, kind="village")), "subnationals[0].kind",
              allowed="'city', 'region'"),
    file_case("include-unknown-id", includes(lambda d: d["include"]["subnationals"].append("atlantis")),
              "include.subnationals[8]", allowed="ids of the catalogue's subnationals"),
    file_case("include-unknown-section", includes(lambda d: d["include"].update(mayors=["colau"])),
              "include.mayors", allowed="catalogue sections subnationals"),
    file_case("include-twice", includes(lambda d: d["include"]["subnationals"].append("barcelona")),
              "include.subnationals[8]", allowed="included once"),
    file_case("change-not-included", includes(lambda d: d.setdefault("changes", {}).update(tokyo={"capacity": 3})),
              "changes.tokyo", allowed="ids listed under include"),
    file_case("change-unknown-field", includes(lambda d: d.setdefault("changes", {}).update(
        barcelona={"mayor": "Ada Colau"})), "subnationals[0].mayor", allowed="population"),
    file_case("changes-without-include", broken(lambda d: d.update(changes={"barcelona": {"capacity": 3}})),
              "changes", allowed="entries listed under include"),
    file_case("missing-file", None, "file", allowed="existing YAML file"),
    file_case("bad-indentation", "name: x\n  subnationals:\n - id: a\n", "line 2, column 15",
              allowed="well-formed YAML"),
    file_case("unclosed-bracket", "name: x\nsubnationals: [a, b\n", "line 3, column 1",
              allowed="well-formed YAML"),
    file_case("top-level-list", "- name: x\n- name: y\n", "(top level)", allowed="a mapping"),
    file_case("python-object-tag", PYTHON_TAG, "line 1, column 1", allowed="well-formed YAML"),
    file_case("python-object-tag-in-a-field", f"name: {PYTHON_TAG}", "line 1, column 7"),
    file_case("non-string-key", "name: x\n1: 2\n", "1", allowed="known fields are"),
    file_case("no-actors-at-all", "name: x\n", "subnationals", allowed="at least one"),
    file_case("empty-file", "", "name", allowed="required"),
    file_case("not-utf8", b"\xff\xfe name: x\n", "(encoding)", allowed="UTF-8"),
]

OVERRIDE_CASES = [
    override_case("unknown-rule-name", "rules/oversight=nope", "rules/oversight", "scenario=classroom",
                  allowed="permissive, restrictive, supervisory"),
    override_case("unknown-rule-name-by-key", "rules.partner.name=nope", "rules.partner.name",
                  "scenario=classroom", allowed="gravity"),
    override_case("unknown-scenario-option", "scenario=nope", "scenario", allowed="one of article, "),
    override_case("unknown-rule-group", "rules/nope=x", "rules/nope", "scenario=classroom",
                  allowed="rules/oversight"),
    override_case("negative-alpha", "rules.partner.alpha=-1", "rules.partner.alpha", "scenario=classroom",
                  allowed="[0, inf]"),
    override_case("string-tau", "rules.utility.tau=abc", "rules.utility.tau", "scenario=classroom",
                  allowed="number"),
    override_case("unknown-rule-parameter", "rules.partner.nope=1", "rules.partner.nope",
                  "scenario=classroom", allowed="alpha"),
    override_case("negative-domain-cost", "rules.utility.cost.economy=-1", "rules.utility.cost.economy",
                  "scenario=classroom"),
    override_case("unknown-top-level-key", "foo=1", "foo", "scenario=classroom", allowed="seed"),
    override_case("appended-unknown-key", "+foo=1", "foo", "scenario=classroom"),
    override_case("non-integer-seed", "seed=1.5", "seed", "scenario=classroom", allowed="integer"),
    override_case("negative-steps", "steps=-3", "steps", "scenario=classroom", allowed="[0, inf]"),
    override_case("min-population-too-small", "scenario.min_population=10", "scenario.min_population",
                  allowed="15000"),
    override_case("not-a-boolean", "plots=maybe", "plots", "scenario=classroom", allowed="true or false"),
    override_case("scenario-file-not-a-string", "scenario_file=[a,b]", "scenario_file", "scenario=classroom"),
    override_case("unresolvable-interpolation", "steps=${nope}", "steps", "scenario=classroom",
                  allowed="interpolation"),
    override_case("sweep-without-multirun", "seed=1,2", "seed", "scenario=classroom",
                  allowed="--multirun"),
    override_case("bad-value-in-multirun-sweep", "rules/oversight=permissive,nope", "rules/oversight",
                  "--multirun", "scenario=classroom", allowed="supervisory"),
    override_case("bad-hydra-group-option", "hydra/launcher=nope", "hydra/launcher", "scenario=classroom"),
    override_case("bad-hydra-setting", "hydra.job.chdir=maybe", "hydra.job.chdir", "scenario=classroom"),
    override_case("min-population-after-scenario-choice", "scenario.min_population=10",
                  "scenario.min_population", "scenario=classroom"),
    override_case("rules-is-not-a-group", "rules=3", "rules", "scenario=classroom", allowed="rules/oversight"),
    override_case("override-syntax", "seed=[1", "(override syntax)", "scenario=classroom"),
]

ALL_CASES = [pytest.param(c, id=c.id) for c in FILE_CASES + OVERRIDE_CASES]


def _key(arg: str) -> str:
    return arg.split("=", 1)[0].lstrip("+~")


def command_line(case: Case, tmp_path: Path) -> list[str]:
    """The case's arguments after settings that make a mistakenly valid case fast and contained."""
    args = [a.replace(TMP, str(tmp_path)) for a in case.args]
    safe = ["plots=false", "progress=false", "steps=1", f"hydra.run.dir={tmp_path / 'run'}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    return [a for a in safe if _key(a) not in {_key(x) for x in args}] + args


def write_input(case: Case, tmp_path: Path) -> Path:
    path = Path(FILE.replace(TMP, str(tmp_path)))
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    elif case.text is not None:
        path.write_text(case.text.replace(TMP, str(tmp_path)), encoding="utf-8")
    return path


def check_output(case: Case, code: Any, stdout: str, stderr: str, tmp_path: Path) -> None:
    assert "Traceback" not in stdout + stderr, stderr
    assert code == 2, f"exit code {code!r}; stderr:\n{stderr}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    line = lines[0]
    assert line.startswith("error: "), line
    match = LINE.match(line)
    assert match, f"not 'error: <where>: field '<f>': bad value <v>: allowed: <a>': {line}"
    if case.where is not None:
        assert match["where"] == case.where, line
    elif case.names is not None:
        assert match["where"] == f"override '{case.names}'", line
    else:
        assert match["where"] == str(Path(FILE.replace(TMP, str(tmp_path))).resolve()), line
    if case.names is not None:
        assert case.names in line, line
    assert match["field"] == case.field, line
    allowed = match["allowed"]
    assert allowed.strip() and allowed == allowed.rstrip(), f"empty or cut-off 'allowed': {line}"
    assert case.allowed in allowed, line
    assert not (tmp_path / "hacked").exists(), "the YAML file ran a command"
    assert "hacked" not in stdout
    assert not (tmp_path / "run" / "manifest.json").exists(), "the run went ahead"


@pytest.fixture(autouse=True)
def fresh_hydra():
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


@pytest.mark.parametrize("case", ALL_CASES)
def test_one_line_error_in_process(case: Case, tmp_path, monkeypatch, capfd):
    write_input(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["experiments.run", *command_line(case, tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        run_module.cli()
    out, err = capfd.readouterr()
    check_output(case, exit_info.value.code, out, err, tmp_path)


SUBPROCESS_CASES = ["python-object-tag", "missing-file", "unknown-rule-name", "bad-value-in-multirun-sweep",
                    "unresolvable-interpolation"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in FILE_CASES + OVERRIDE_CASES
                                  if c.id in SUBPROCESS_CASES])
def test_one_line_error_on_the_real_command_line(case: Case, tmp_path):
    write_input(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.run([sys.executable, "-m", "experiments.run", *command_line(case, tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    check_output(case, proc.returncode, proc.stdout, proc.stderr, tmp_path)


def test_cases_cover_enough_inputs():
    assert len(FILE_CASES) + len(OVERRIDE_CASES) >= 20
    assert len({c.id for c in FILE_CASES + OVERRIDE_CASES}) == len(FILE_CASES) + len(OVERRIDE_CASES)
    assert set(SUBPROCESS_CASES) <= {c.id for c in FILE_CASES + OVERRIDE_CASES}
