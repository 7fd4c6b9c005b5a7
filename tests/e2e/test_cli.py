"""The `dakg` command as a user runs it: query, fmt, and clear errors for bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

DAKG = str(Path(sys.executable).parent / "dakg")


def dakg(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DAKG, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def make_project(tmp_path: Path, data: str) -> Path:
    """A minimal project folder: the real ontology and one data file."""
    (tmp_path / "ontology").mkdir()
    (tmp_path / "ontology" / "dakg.ttl").write_text(
        (ROOT / "ontology" / "dakg.ttl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "data" / "ttl").mkdir(parents=True)
    (tmp_path / "data" / "ttl" / "bad.ttl").write_text(data, encoding="utf-8")
    (tmp_path / "queries").symlink_to(ROOT / "queries")
    return tmp_path


def test_all_hand_edited_turtle_is_in_canonical_layout() -> None:
    result = dakg("fmt", "--check")
    assert result.returncode == 0, result.stderr


def test_fmt_check_names_a_file_out_of_layout_and_fmt_mends_it(tmp_path: Path) -> None:
    path = tmp_path / "messy.ttl"
    path.write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/dakg/id/agency/x> rdfs:label "x"@en , "エックス"@ja .\n',
        encoding="utf-8",
    )
    check = dakg("fmt", "--check", str(path))
    assert check.returncode == 1
    assert "messy.ttl" in check.stderr
    assert dakg("fmt", str(path)).returncode == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("PREFIX agency: <https://w3id.org/dakg/id/agency/>")
    assert "agency:x\n    rdfs:label\n" in text
    assert dakg("fmt", "--check", str(path)).returncode == 0


def test_a_turtle_syntax_error_stops_the_load_with_file_and_line(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/dakg/id/agency/x> rdfs:label "x"@en .\n'
        '<https://w3id.org/dakg/id/agency/y> rdfs:label "unterminated .\n',
    )
    env = {"DAKG_ROOT": str(project), "PATH": "/usr/bin:/bin"}
    result = dakg("query", "initiatives-by-pillar", env=env)
    assert result.returncode == 2
    assert "bad.ttl:3:" in result.stderr
    assert result.stdout == ""


def test_an_unknown_query_or_parameter_is_exit_2_and_named() -> None:
    result = dakg("query", "no-such-query")
    assert result.returncode == 2 and "no-such-query" in result.stderr
    result = dakg("query", "initiatives-by-pillar", "--param", "colour=red")
    assert result.returncode == 2 and "colour" in result.stderr
    result = dakg("query", "due-in-fiscal-year", "--param", "fiscal_year=next")
    assert result.returncode == 2 and "fiscal_year" in result.stderr


def test_query_by_file_path_and_every_output_format(tmp_path: Path) -> None:
    args = ["query", str(ROOT / "queries" / "initiatives-by-pillar.rq"), "-p", "lang=en"]
    table = dakg(*args).stdout
    assert "Promoting the My Number Card" in table and "(7 rows)" in table
    rows = json.loads(dakg(*args, "--format", "json").stdout)["results"]["bindings"]
    assert [int(r["number"]["value"]) for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    parsed_csv = list(csv.DictReader(io.StringIO(dakg(*args, "--format", "csv").stdout)))
    tsv_lines = dakg(*args, "--format", "tsv").stdout.splitlines()
    assert len(parsed_csv) == 7 and len(tsv_lines) == 8
    assert parsed_csv[0]["label"] == "Promoting the My Number Card"
    assert tsv_lines[1].split("\t")[2] == '"Promoting the My Number Card"@en'


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv"])
def test_every_format_of_an_empty_answer_is_still_well_formed(fmt: str) -> None:
    result = dakg("query", "milestones-due-before", "-p", "date=1999-01-01", "--format", fmt)
    assert result.returncode == 0
    if fmt == "json":
        assert json.loads(result.stdout)["results"]["bindings"] == []
    elif fmt == "table":
        assert "(0 rows)" in result.stdout
    else:
        assert len(result.stdout.strip().splitlines()) == 1


PILLARS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/dakg/def/Pillar> }\n"


def test_a_plain_query_file_without_a_header_runs(tmp_path: Path) -> None:
    plain = tmp_path / "pillars.rq"
    plain.write_text(PILLARS, encoding="utf-8")
    result = dakg("query", str(plain), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "3"]
    # A header of parameters alone (no title) still binds them.
    with_param = tmp_path / "label.rq"
    with_param.write_text(
        "# param: pillar iri(pillar) : the pillar\n"
        "SELECT ?label WHERE { ?pillar <http://www.w3.org/2000/01/rdf-schema#label> ?label "
        'FILTER(lang(?label) = "en") }\n',
        encoding="utf-8",
    )
    result = dakg("query", str(with_param), "-p", "pillar=digital-resilience", "-f", "csv")
    assert result.returncode == 0, result.stderr
    assert "Digital Resilience" in result.stdout
    assert dakg("query", str(with_param)).returncode == 2  # the parameter is still required


def test_a_query_on_standard_input_or_as_text() -> None:
    result = subprocess.run(
        [DAKG, "query", "-", "--format", "csv"],
        cwd=ROOT,
        input=PILLARS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "3"]
    result = dakg("query", "-q", PILLARS, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"] == "3"
    ask = dakg("query", "--query-text", "ASK { ?p a <https://w3id.org/dakg/def/Pillar> }")
    assert ask.returncode == 0 and ask.stdout == "true\n"


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        ((), None, "give one query"),
        (("initiatives", "-q", PILLARS), None, "give one query"),
        (("-q", "  "), None, "empty"),
        (("-",), "", "empty"),
        (("-q", "SELECT * WHERE { ?s ?p "), None, "-q: the query does not parse"),
    ],
)
def test_no_query_two_queries_or_a_bad_one_is_exit_2(args, stdin, words) -> None:
    result = subprocess.run(
        [DAKG, "query", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_query_file_that_does_not_parse_is_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rq"
    broken.write_text("# title: Broken\nSELECT * WHERE { ?s ?p \n", encoding="utf-8")
    result = dakg("query", str(broken))
    assert result.returncode == 2 and "broken.rq" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_the_graph_does_not_have_is_exit_2_and_named() -> None:
    result = dakg("query", "initiatives", "-p", "pillar=nosuch")
    assert result.returncode == 2
    assert "pillar" in result.stderr and "nosuch" in result.stderr and result.stdout == ""
    result = dakg("query", "initiative-figures", "-p", "initiative=no-such-initiative")
    assert result.returncode == 2 and "initiative" in result.stderr
    known = dakg("query", "initiatives", "-p", "pillar=digital-resilience", "-f", "csv")
    assert known.returncode == 0 and len(known.stdout.splitlines()) == 4


def test_a_setting_that_is_not_of_its_type_is_named_and_exits_2() -> None:
    env = {**os.environ, "DAKG_QUERY_TIMEOUT": "ten"}
    done = subprocess.run([DAKG, "query", "-q", "ASK {}"], env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "DAKG_QUERY_TIMEOUT: expected a number, not 'ten'" in done.stderr
    assert "Traceback" not in done.stderr
