"""`dakg validate FILE`: FILE validated with the rest of the project's data/ttl/ as context, its
results only, as the full run gives them for what FILE describes."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from dakg.settings import Settings
from dakg.validation.command import add_arguments, inputs_from
from dakg.validation.engine import described_in, validate
from dakg.validation.rdfio import load_store
from helpers import ROOT

DAKG = ROOT / ".venv" / "bin" / "dakg"
DATA = ROOT / "data" / "ttl"
ONE = DATA / "initiatives" / "digital-day.ttl"
DANGLING = "Refers to an entity that is described nowhere"


def cli(root: Path, *args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAKG_ROOT": str(root), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [str(DAKG), "validate", *map(str, args)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def arguments(*argv: str | Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args([str(a) for a in argv])


def key(result) -> tuple:
    return tuple(
        map(str, (result.focus, result.path, result.value, result.source, result.severity))
    )


def test_one_file_has_no_false_dangling_references() -> None:
    done = cli(ROOT, ONE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert DANGLING not in done.stdout
    others = len(list((ROOT / "data" / "ttl").rglob("*.ttl"))) - 1
    assert f"{others} other files loaded as context" in done.stdout
    assert "only the results about what the given file describes" in done.stdout
    alone = cli(ROOT, "--no-context", ONE)  # what it gave before: every other file's entity missing
    assert alone.returncode == 1 and DANGLING in alone.stdout


@pytest.mark.parametrize(
    "name", ["organisation.ttl", "references.ttl", "initiatives/mynumber-card.ttl"]
)
def test_one_file_gives_the_full_runs_results_for_what_it_describes(name: str) -> None:
    settings = Settings.from_env(root=ROOT)
    full_inputs, _ = inputs_from(arguments(), settings)
    store = load_store(full_inputs.loaded)
    path = DATA / name
    described = described_in(store, [path])
    full = validate(full_inputs, store=store)
    expected = sorted(key(r) for r in full.results if r.focus in described)
    inputs, _ = inputs_from(arguments(path), settings)
    assert path not in inputs.context and len(inputs.context) == len(full_inputs.data) - 1
    outcome = validate(inputs)
    assert sorted(map(key, outcome.results)) == expected
    assert outcome.triples < full.triples


def test_a_real_dangling_reference_is_the_one_result(tmp_path: Path) -> None:
    """A copy of the project where one file refers to an entity nobody describes."""
    for folder in ("ontology", "shapes", "queries/checks", "data/ttl"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    broken = tmp_path / "data" / "ttl" / ONE.relative_to(DATA)
    text = broken.read_text(encoding="utf-8")
    assert "dakg:initiative initiative:digital-day ;" in text
    broken.write_text(
        text.replace(
            "dakg:initiative initiative:digital-day ;",
            "dakg:initiative initiative:digital-day-misspelt ;",
            1,
        ),
        encoding="utf-8",
    )
    done = cli(tmp_path, broken)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count(DANGLING) == 1
    sarif = json.loads(cli(tmp_path, "--format", "sarif", broken).stdout)
    results = sarif["runs"][0]["results"]
    # the check's result and the shape's (sh:class): both about the one misspelt value
    assert {r["properties"]["value"] for r in results} == {"initiative:digital-day-misspelt"}
    assert {r["properties"]["focusNode"] for r in results} == {
        "https://w3id.org/dakg/id/event/digital-day-2021"
    }
    assert {r["ruleId"] for r in results} >= {"dangling-reference-violation"}
