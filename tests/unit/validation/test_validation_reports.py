"""`dakg validate`'s reports cannot be forged by a file name or a text of the data: a name holding a
line break and `::` (a GitHub workflow command), a literal holding one and a terminal escape, are
escaped as each format requires (text, github, junit, sarif, json-ld, turtle) and read back as
they are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import pytest
import rdflib
from helpers import ROOT
from rdflib.namespace import SH

DAKG = ROOT / ".venv" / "bin" / "dakg"
NAME = "bad\n::warning file=forged.ttl,line=1::forged result ::.ttl"
VALUE = "short\n::error file=x.ttl,line=2::forged\r\n\x1b[31mred"
SHAPES = """\
PREFIX ex: <http://example.org/>
PREFIX sh: <http://www.w3.org/ns/shacl#>
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
  sh:property [ sh:path ex:p ; sh:minLength 100 ; sh:message "too short: {$value}"@en ] .
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forged")
    literal = VALUE.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    literal = literal.replace("\x1b", "\\u001B")
    (folder / NAME).write_text(
        f'PREFIX ex: <http://example.org/>\n\nex:a ex:p "{literal}" .\n', encoding="utf-8"
    )
    (folder / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    return folder


def validate(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAKG_ROOT": str(ROOT), "PYTHONWARNINGS": "ignore"}
    command = [str(DAKG), "validate", "--shapes", "shapes.ttl", "--checks", ".", *args]
    command += ["--ontology", "shapes.ttl"]  # no project ontology: only the data at hand
    return subprocess.run(
        [*command, NAME], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def no_forged_line(output: str) -> None:
    """No line of the output starts a workflow command or holds a raw terminal escape."""
    for line in output.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\x1b" not in output and "\r" not in output


def test_text_escapes_the_file_name_and_the_value(folder: Path) -> None:
    done = validate(folder)
    assert done.returncode == 1, done.stderr
    no_forged_line(done.stdout)
    assert "bad\\n::warning file=forged.ttl" in done.stdout
    assert "short\\n::error" in done.stdout and "\\u001B[31m" in done.stdout


def test_github_has_one_command_per_result(folder: Path) -> None:
    done = validate(folder, "--format", "github")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error ")
    assert "short\\n::error file=x.ttl" in lines[0] and "\\u001B[31m" in lines[0]
    assert (
        "file=bad%0A%3A%3Awarning file=forged.ttl%2Cline=1%3A%3Aforged result %3A%3A.ttl"
        in (lines[0])
    )
    assert "\x1b" not in lines[0] and "\r" not in lines[0]


def test_junit_is_xml_with_the_name_escaped(folder: Path) -> None:
    done = validate(folder, "--format", "junit")
    assert done.returncode == 1, done.stderr
    no_forged_line(done.stdout)
    failure = ET.fromstring(done.stdout).find(".//failure")
    assert failure is not None and "bad\\n::warning" in failure.text


def test_sarif_percent_encodes_the_uri(folder: Path) -> None:
    done = validate(folder, "--format", "sarif")
    assert done.returncode == 1, done.stderr
    no_forged_line(done.stdout)
    [result] = json.loads(done.stdout)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == quote(NAME) and "\n" not in uri
    assert "forged\r\\n\x1b[31mred" in result["message"]["text"]  # JSON escapes, gives back


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_rdf_reports_keep_the_value_on_one_line(folder: Path, fmt: str) -> None:
    done = validate(folder, "--format", fmt)
    assert done.returncode == 1, done.stderr
    no_forged_line(done.stdout)
    if fmt == "turtle":
        values = [
            q.object.value
            for q in ox.parse(done.stdout.encode(), format=ox.RdfFormat.TURTLE)
            if q.predicate.value == str(SH.value)
        ]
    else:
        graph = rdflib.Graph().parse(data=done.stdout, format="json-ld")
        values = [str(v) for v in graph.objects(None, SH.value)]
    assert values == [VALUE]


def test_an_input_error_names_the_file_on_one_line(tmp_path: Path) -> None:
    (tmp_path / NAME).write_text('<urn:a> <urn:p> "unclosed .\n', encoding="utf-8")
    (tmp_path / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    done = validate(tmp_path)
    assert done.returncode == 2
    no_forged_line(done.stderr)
    assert "bad\\n::warning" in done.stderr
