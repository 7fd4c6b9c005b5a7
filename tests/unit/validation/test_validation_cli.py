"""`dakg validate` as CI runs it: the real command, its exit status and every report format."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import rdflib
from helpers import ROOT
from rdflib.namespace import RDF, SH

DAKG = ROOT / ".venv" / "bin" / "dakg"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
CONTEXT = FIXTURES / "context.ttl"
INVALID = [
    FIXTURES / "invalid" / name
    for name in (
        "milestone-by-end-of-wrong-latest.ttl",
        "corporate-number-check-digit.ttl",
        "label-missing-ja.ttl",
        "observation-without-as-of.ttl",
        "reference-missing-entity.ttl",
    )
]
WARNING_ONLY = FIXTURES / "invalid" / "initiative-without-milestone.ttl"
INFO_ONLY = FIXTURES / "invalid" / "unused-indicator.ttl"


def dakg_command() -> list[str]:
    found = shutil.which("dakg")
    return [str(DAKG)] if DAKG.exists() else [found or "dakg"]


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `dakg validate ARGS` in a subprocess in `cwd` (the project root it validates), as CI would."""
    env = {**os.environ, "DAKG_ROOT": str(cwd), "PYTHONWARNINGS": "ignore"}
    command = [*dakg_command(), "validate", *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def invalid(*options: str) -> Callable[[], subprocess.CompletedProcess]:
    return lambda: run(CONTEXT, *INVALID, *options)


@pytest.fixture(scope="session")
def empty_input(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files that cannot be validated: a syntax error, a folder with no Turtle, a file with no triples."""
    folder = tmp_path_factory.mktemp("inputs")
    broken = folder / "broken.ttl"
    broken.write_text(
        'PREFIX dakg: <https://w3id.org/dakg/def/>\n\n<urn:a> dakg:wording "unclosed ;\n',
        encoding="utf-8",
    )
    (folder / "empty-folder").mkdir()
    no_triples = folder / "no-triples.ttl"
    no_triples.write_text("PREFIX dakg: <https://w3id.org/dakg/def/>\n", encoding="utf-8")
    return {"broken": broken, "empty-folder": folder / "empty-folder", "no-triples": no_triples}


@pytest.fixture(scope="session")
def runs(empty_input: dict[str, Path]) -> dict[str, subprocess.CompletedProcess]:
    """Every invocation the tests look at, run two at a time (each is a fresh interpreter)."""
    jobs: dict[str, Callable[[], subprocess.CompletedProcess]] = {
        "real": lambda: run(),
        "text": invalid(),
        "ja": invalid("--lang", "ja"),
        "turtle": invalid("--format", "turtle"),
        "json-ld": invalid("--format", "json-ld"),
        "github": invalid("--format", "github"),
        "junit": invalid("--format", "junit"),
        "sarif": invalid("--format", "sarif"),
        "warning-default": lambda: run(CONTEXT, WARNING_ONLY),
        "warning-fail-on-warning": lambda: run(CONTEXT, WARNING_ONLY, "--fail-on", "warning"),
        "info-fail-on-warning": lambda: run(CONTEXT, INFO_ONLY, "--fail-on", "warning"),
        "info-fail-on-info": lambda: run(CONTEXT, INFO_ONLY, "--fail-on", "info"),
        "syntax-error": lambda: run(CONTEXT, empty_input["broken"]),
        "missing-path": lambda: run(ROOT / "data" / "no-such-folder"),
        "empty-folder": lambda: run(empty_input["empty-folder"]),
        "no-triples": lambda: run(empty_input["no-triples"]),
        "rdfs": lambda: run(
            CONTEXT, FIXTURES / "valid" / "milestone-dates.ttl", "--inference", "rdfs"
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


# ---------------------------------------------------------------- exit status


def test_real_data_conforms(runs: dict) -> None:
    done = runs["real"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        r"^0 violations, \d+ warnings?, \d+ infos? \(\d+ files, \d+ triples\); passes",
        done.stdout,
        re.M,
    )


def test_violations_exit_1(runs: dict) -> None:
    assert runs["text"].returncode == 1
    assert "FAILS at --fail-on violation" in runs["text"].stdout


def test_warnings_pass_by_default_and_fail_on_warning(runs: dict) -> None:
    assert runs["warning-default"].returncode == 0
    assert "1 warning," in runs["warning-default"].stdout
    assert runs["warning-fail-on-warning"].returncode == 1


def test_infos_fail_only_at_fail_on_info(runs: dict) -> None:
    assert runs["info-fail-on-warning"].returncode == 0
    assert runs["info-fail-on-info"].returncode == 1
    assert "1 info " in runs["info-fail-on-info"].stdout


def test_syntax_error_exits_2_with_file_line_and_message(runs: dict, empty_input: dict) -> None:
    done = runs["syntax-error"]
    assert done.returncode == 2
    assert re.search(rf"{re.escape(str(empty_input['broken']))}:\d+:\d+: .+", done.stderr), (
        done.stderr
    )
    assert done.stdout == ""


@pytest.mark.parametrize("name", ["missing-path", "empty-folder", "no-triples"])
def test_missing_or_empty_input_is_an_error_never_conforms(runs: dict, name: str) -> None:
    done = runs[name]
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("dakg validate: ")
    assert "conforms" not in done.stdout


def test_rdfs_inference_keeps_valid_data_valid(runs: dict) -> None:
    assert runs["rdfs"].returncode == 0, runs["rdfs"].stdout


# ---------------------------------------------------------------- text


def test_text_groups_results_by_file_with_line_path_value_and_message(runs: dict) -> None:
    out = runs["text"].stdout
    by_end = FIXTURES / "invalid" / "milestone-by-end-of-wrong-latest.ttl"
    section = out.split(os.path.relpath(by_end, ROOT) + "\n", 1)[1].split("\n\n", 1)[0]
    line = next(
        n
        for n, text in enumerate(by_end.read_text().splitlines(), 1)
        if text.startswith("milestone:")
    )
    assert re.search(
        rf"^  {line}:\s+Violation\s+milestone:fixture-initiative-by-end-of-wrong$", section, re.M
    )
    assert 'path dakg:latestDate  value "2024-03-31"^^xsd:date' in section
    assert "it must be 2025-03-31" in section
    assert "[shapes:MilestoneShape-dates · sh:SPARQLConstraintComponent]" in section
    assert re.search(r"^\d+ violations, 1 warning, 0 infos", out, re.M)


def test_lang_ja_gives_japanese_messages(runs: dict) -> None:
    assert "参照期間の最終日 2025-03-31 でなければなりません" in runs["ja"].stdout
    assert "must be 2025-03-31" not in runs["ja"].stdout


# ---------------------------------------------------------------- the W3C validation report


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_report_graph_has_every_required_field(runs: dict, fmt: str) -> None:
    done = runs[fmt]
    assert done.returncode == 1
    graph = rdflib.Graph().parse(data=done.stdout, format=fmt)
    [report] = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms).toPython() is False
    results = list(graph.objects(report, SH.result))
    assert len(results) >= 6
    for result in results:
        assert (result, RDF.type, SH.ValidationResult) in graph
        for required in (
            SH.focusNode,
            SH.resultSeverity,
            SH.sourceConstraintComponent,
            SH.sourceShape,
        ):
            assert len(list(graph.objects(result, required))) == 1, required
        assert {m.language for m in graph.objects(result, SH.resultMessage)} >= {"en"}
    shapes = {str(graph.value(r, SH.sourceShape)) for r in results}
    assert "https://w3id.org/dakg/shapes/CorporateNumberShape" in shapes
    assert "https://w3id.org/dakg/checks/dangling-reference-violation" in shapes


def test_report_paths_keep_their_structure(runs: dict) -> None:
    graph = rdflib.Graph().parse(data=runs["turtle"].stdout, format="turtle")
    paths = set(graph.objects(None, SH.resultPath))
    assert rdflib.URIRef("https://w3id.org/dakg/def/latestDate") in paths


# ---------------------------------------------------------------- GitHub, JUnit, SARIF


def test_github_annotations(runs: dict) -> None:
    lines = runs["github"].stdout.splitlines()
    assert len(lines) >= 6
    pattern = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")
    for line in lines:
        match = pattern.match(line)
        assert match, line
        assert (ROOT / match.group(2)).is_file()
    assert any(line.startswith("::warning ") and "ObservationShape-when" in line for line in lines)
    assert any(line.startswith("::error ") and "CorporateNumberShape" in line for line in lines)


def test_junit_one_test_case_per_shape(runs: dict) -> None:
    root = ET.fromstring(runs["junit"].stdout)
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 100
    names = {c.get("name") for c in cases}
    assert {
        "MilestoneShape-dates",
        "InitiativeShape-closed",
        "dangling-reference-violation",
    } <= names
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert int(suite.get("failures")) == len(failed)
    assert {"MilestoneShape-dates", "CorporateNumberShape", "AgencyShape-label"} <= failed
    assert "ObservationShape-when" not in failed  # a warning: reported, not a failure
    when = next(c for c in cases if c.get("name") == "ObservationShape-when")
    assert "observation:without-as-of" in when.find("system-out").text


def test_sarif_2_1_0(runs: dict) -> None:
    sarif = json.loads(runs["sarif"].stdout)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "dakg validate"
    rules = {rule["id"] for rule in run_["tool"]["driver"]["rules"]}
    assert len(run_["results"]) >= 6
    for result in run_["results"]:
        assert result["ruleId"] in rules
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert (ROOT / location["artifactLocation"]["uri"]).is_file()
        assert location["region"]["startLine"] >= 1
    levels = {r["ruleId"]: r["level"] for r in run_["results"]}
    assert levels["MilestoneShape-dates"] == "error"
    assert levels["ObservationShape-when"] == "warning"


# ---------------------------------------------------------------- --changed-since


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's data, ontology, shapes and checks committed in a fresh repository."""
    repo = tmp_path_factory.mktemp("cli-repo")
    for folder in ("data", "ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, repo / folder)
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "data"]):
        subprocess.run([*git, *command], cwd=repo, check=True)
    return repo


def test_changed_since_reports_only_the_changed_nodes(git_repo: Path) -> None:
    unchanged = run("--changed-since", "HEAD", cwd=git_repo)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert "0 focus nodes (--changed-since)" in unchanged.stdout
    added = git_repo / "data" / "ttl" / "added.ttl"
    added.write_text(
        (FIXTURES / "invalid" / "label-missing-ja.ttl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    try:
        changed = run("data/ttl", "--changed-since", "HEAD", "--format", "github", cwd=git_repo)
    finally:
        added.unlink()
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert changed.stdout.splitlines() == [
        line for line in changed.stdout.splitlines() if "file=data/ttl/added.ttl" in line
    ]
    assert "AgencyShape-label" in changed.stdout


def test_changed_since_an_unknown_revision_exits_2(git_repo: Path) -> None:
    done = run("--changed-since", "no-such-revision", cwd=git_repo)
    assert done.returncode == 2
    assert "git" in done.stderr
