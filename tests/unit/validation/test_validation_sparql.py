"""The SPARQL side of `dakg validate`: SHACL's pre-binding, its syntax rules, sh:prefixes through
owl:imports, values as written, literals that do not fit their datatype, and no network from a
shape's SERVICE (DAKG_FEDERATION_ALLOW)."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dakg.validation.engine import validate
from dakg.validation.model import Inputs
from dakg.validation.rdfio import parse_files, to_rdflib
from dakg.validation.shapes import prebound
from helpers import ROOT
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import SH, XSD

DAKG = ROOT / ".venv" / "bin" / "dakg"
PREFIXES = """\
PREFIX ex: <http://example.org/>
PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(PREFIXES + text, encoding="utf-8")
    return path


def sparql_shape(select: str, shape: str = "ex:S", target: str = "ex:a") -> str:
    return f'{shape} a sh:NodeShape ; sh:targetNode {target} ;\n  sh:sparql [ sh:select """{select}""" ] .\n'


def run_cli(*args: str | Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DAKG_ROOT": str(ROOT), "PYTHONWARNINGS": "ignore"}
    environment.pop("DAKG_FEDERATION_ALLOW", None)
    environment.update(env or {})
    command = [str(DAKG), "validate", "--ontology", str(ROOT / "ontology"), *map(str, args)]
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


# ---------------------------------------------------------------- pre-binding


def test_prebinding_reaches_filters_in_nested_groups(tmp_path: Path) -> None:
    """pyoxigraph's substitution leaves a FILTER in an inner group unbound: the value is written."""
    data = write(tmp_path, "data.ttl", "ex:a ex:p 1 .\nex:b ex:p 2 .\n")
    shapes = write(
        tmp_path,
        "shapes.ttl",
        sparql_shape(
            "SELECT $this WHERE { { { FILTER ($this = <http://example.org/a>) } FILTER bound($this) } }",
            target="ex:a, ex:b",
        ),
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)))
    assert [r.focus for r in outcome.results] == [URIRef("http://example.org/a")]


def test_prebound_projection_and_bound() -> None:
    query, left = prebound(
        "SELECT $this ?v WHERE { { SELECT $this WHERE { ?x ?p $this } } FILTER bound($this) }",
        {"this": URIRef("http://example.org/a")},
    )
    assert left == {}
    assert "$this" not in query and "?this " not in query
    assert query.count("(<http://example.org/a> AS ?this)") == 2
    assert "FILTER (true)" in query


# ---------------------------------------------------------------- the syntax rules


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("$this ?p ?o . MINUS { $this ?p 1 }", "MINUS"),
        ("VALUES ?o { 1 } $this ?p ?o", "VALUES"),
        ("BIND (<http://example.org/a> AS $this)", "AS"),
        ("$this ?p ?o . FILTER (?o = ex:a)", "does not parse"),
        ("$this ?p ?o . { SELECT ?o WHERE { ?s ?p ?o } }", "sub-select"),
        ("$this ?p ?o . SERVICE <http://example.org/sparql> { ?s ?p ?o }", "SERVICE"),
    ],
)
def test_forbidden_sparql_is_an_input_error_naming_the_shape_and_file(
    tmp_path: Path, body: str, word: str
) -> None:
    data = write(tmp_path, "data.ttl", "ex:a ex:p 1 .\n")
    shapes = write(tmp_path, "shapes.ttl", sparql_shape(f"SELECT $this WHERE {{ {body} }}"))
    done = run_cli("--shapes", shapes, "--checks", tmp_path, data)
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(shapes) in done.stderr
    assert "<http://example.org/S>" in done.stderr and word in done.stderr
    assert "Traceback" not in done.stderr


def test_prefixes_follow_owl_imports(tmp_path: Path) -> None:
    """sh:prefixes names a node that imports another's declarations: a report, not a crash."""
    data = write(tmp_path, "data.ttl", "ex:a ex:p ex:bad .\n")
    shapes = write(
        tmp_path,
        "shapes.ttl",
        """<http://example.org/ontology> sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
<http://example.org/prefixes> owl:imports <http://example.org/ontology> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
  sh:sparql [ sh:prefixes <http://example.org/prefixes> ;
              sh:select "SELECT $this ?value WHERE { $this ex:p ?value FILTER (?value = ex:bad) }" ] .
""",
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)))
    assert [(r.focus, r.value) for r in outcome.results] == [
        (URIRef("http://example.org/a"), URIRef("http://example.org/bad"))
    ]


# ---------------------------------------------------------------- values and literals


def test_values_are_reported_as_written(tmp_path: Path) -> None:
    """rdflib would write "2011-01-01"^^xsd:dateTime as 2011-01-01T00:00:00: the report keeps it."""
    data = write(tmp_path, "data.ttl", 'ex:a ex:when "2011-01-01"^^xsd:dateTime .\n')
    shapes = write(
        tmp_path,
        "shapes.ttl",
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ;\n"
        '  sh:property [ sh:path ex:when ; sh:minInclusive "2020-01-01"^^xsd:date ] .\n',
    )
    [result] = validate(Inputs(data=(data,), shapes=(shapes,))).results
    assert str(result.value) == "2011-01-01"
    assert result.value.datatype == XSD.dateTime


def test_an_ill_typed_date_is_reported_by_the_shapes_and_compared(tmp_path: Path) -> None:
    """No triple removed, no result from a shape outside the shapes graph: sh:datatype reports
    the date, and sh:lessThanOrEquals, which cannot compare it, gives its result too."""
    data = write(
        tmp_path,
        "data.ttl",
        'ex:a ex:start "2022-13-01"^^xsd:date ; ex:end "2022-01-01"^^xsd:date .\n',
    )
    shapes = write(
        tmp_path,
        "shapes.ttl",
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ;\n"
        "  sh:property [ sh:path ex:start ; sh:datatype xsd:date ; sh:lessThanOrEquals ex:end ] .\n",
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)))
    components = sorted(str(r.component) for r in outcome.results)
    assert components == [
        str(SH.DatatypeConstraintComponent),
        str(SH.LessThanOrEqualsConstraintComponent),
    ]
    named = {s for s in outcome.shapes.subjects() if isinstance(s, URIRef)}
    assert all(r.source in named or not isinstance(r.source, URIRef) for r in outcome.results)
    assert {r.value for r in outcome.results} == {Literal("2022-13-01", datatype=XSD.date)}


# ---------------------------------------------------------------- no network from shapes


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Recorder.requests.append(f"{self.command} {self.path} {body[:200]!r}")
        answer = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    """A loopback HTTP server that records every request it gets: its base address."""
    Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("nested", [False, True], ids=["node-shape", "nested-property-shape"])
def test_a_service_in_the_shapes_fetches_nothing(tmp_path: Path, listener: str, nested) -> None:
    data = write(tmp_path, "data.ttl", "ex:a ex:p 1 .\n")
    select = f"SELECT $this WHERE {{ SERVICE <{listener}> {{ ?s ?p ?o }} }}"
    text = sparql_shape(select)
    if nested:  # pySHACL (rdflib) would run it: it must be refused before
        text = (
            "ex:S a sh:NodeShape ; sh:targetNode ex:a ;\n"
            f'  sh:property [ sh:path ex:p ; sh:sparql [ sh:select """{select}""" ] ] .\n'
        )
    shapes = write(tmp_path, "shapes.ttl", text)
    done = run_cli("--shapes", shapes, "--checks", tmp_path, data)
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(shapes) in done.stderr and "SERVICE" in done.stderr
    assert "<http://example.org/S>" in done.stderr
    assert Recorder.requests == []
    other = run_cli(
        "--shapes", shapes, "--checks", tmp_path, data,
        env={"DAKG_FEDERATION_ALLOW": "http://example.org/sparql"},
    )  # fmt: skip
    assert other.returncode == 2 and "fetch from the network (SERVICE)" in other.stderr
    assert Recorder.requests == []


def test_a_service_on_the_allow_list_runs(tmp_path: Path, listener: str) -> None:
    data = write(tmp_path, "data.ttl", "ex:a ex:p 1 .\n")
    shapes = write(
        tmp_path,
        "shapes.ttl",
        sparql_shape(f"SELECT $this WHERE {{ SERVICE <{listener}> {{ ?s ?p ?o }} }}"),
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)), allow=[listener])
    assert len(Recorder.requests) == 1, Recorder.requests
    assert [r.focus for r in outcome.results] == [URIRef("http://example.org/a")]


def test_a_service_in_a_check_fetches_nothing(tmp_path: Path, listener: str) -> None:
    data = write(tmp_path, "data.ttl", "ex:a ex:p 1 .\n")
    shapes = write(tmp_path, "shapes.ttl", "ex:S a sh:NodeShape ; sh:targetNode ex:a .\n")
    check = tmp_path / "fetch-violation.rq"
    check.write_text(f"SELECT ?this WHERE {{ SERVICE <{listener}> {{ ?this ?p ?o }} }}\n")
    done = run_cli("--shapes", shapes, "--checks", check, data)
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(check) in done.stderr and "SERVICE" in done.stderr
    assert Recorder.requests == []


def test_prebinding_a_blank_node_reaches_nested_filters(tmp_path: Path) -> None:
    """A blank node focus node cannot be written in a query: it is pre-bound all the same, in an
    inner group's FILTER too, and isBlank / isIRI still tell it is a blank node."""
    data = write(
        tmp_path,
        "data.ttl",
        "ex:a ex:part [ a ex:Part ; ex:n 1 ] , [ a ex:Part ; ex:n 2 ] .\nex:b a ex:Part ; ex:n 1 .\n",
    )
    shapes = write(
        tmp_path,
        "shapes.ttl",
        """ex:S a sh:NodeShape ; sh:targetClass ex:Part ;
  sh:sparql [ sh:select \"\"\"SELECT $this ?value WHERE {
      $this <http://example.org/n> ?value .
      { { FILTER (isBlank($this) && !isIRI($this)) } FILTER bound($this) }
      { FILTER NOT EXISTS { $this <http://example.org/n> 2 } }
  }\"\"\" ] .
""",
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)))
    [result] = outcome.results
    assert isinstance(result.focus, BNode)
    assert result.value == Literal(1)
    # the node is the data's own: its triples are found under the same blank node
    graph = to_rdflib(parse_files([data]))
    assert (result.focus, URIRef("http://example.org/n"), Literal(1)) in graph


def test_names_that_spell_a_keyword_are_not_the_keyword(tmp_path: Path) -> None:
    """ex:service, ex:values, ?minus: names, not SERVICE, VALUES, MINUS."""
    data = write(tmp_path, "data.ttl", "ex:a ex:service 1 ; ex:values 2 .\n")
    shapes = write(
        tmp_path,
        "shapes.ttl",
        """ex:S a sh:NodeShape ; sh:targetNode ex:a ;
  sh:sparql [ sh:prefixes ex:p ;
    sh:select "SELECT $this ?minus WHERE { $this ex:service ?minus ; ex:values ?as }" ] .
ex:p sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
""",
    )
    outcome = validate(Inputs(data=(data,), shapes=(shapes,)))
    assert [r.focus for r in outcome.results] == [URIRef("http://example.org/a")]
