"""`dakg validate` on the W3C SHACL test suite: every sht:Validate entry, core and SHACL-SPARQL.

Each entry runs through the functions `dakg validate` runs (validate, then the Turtle report of
dakg.validation.reports) with the entry's data and shapes graphs and nothing else (no ontology, no checks);
its report is compared with the expected one as the suite defines (tests/helpers/shacl_suite.py). An
entry whose expected result is sht:Failure passes when the validation stops with an input error
(what `dakg validate` exits 2 on). The suite's files come from pySHACL's pinned sdist on PyPI.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import rdflib
from dakg.rdf.sources import RdfSourceError
from dakg.validation.engine import pyshacl_results, validate
from dakg.validation.model import Inputs
from dakg.validation.rdfio import parse_files, to_rdflib
from dakg.validation.reports import render, report_graph
from helpers import shacl_suite
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

try:
    FOLDER = shacl_suite.suite_folder()
    ENTRIES = shacl_suite.entries(FOLDER)
    UNAVAILABLE = ""
except shacl_suite.SuiteUnavailable as error:  # fails every test below, never skips them
    FOLDER, ENTRIES, UNAVAILABLE = None, [], str(error)

PARAMS = [pytest.param(e, id=e.name) for e in ENTRIES] or [pytest.param(None, id="suite")]
SPARQL = [pytest.param(e, id=e.name) for e in ENTRIES if e.sparql] or [
    pytest.param(None, id="suite")
]


def available(item: shacl_suite.Entry | None) -> shacl_suite.Entry:
    if item is None:
        pytest.fail(f"the W3C SHACL test suite is not available: {UNAVAILABLE}")
    return item


def run(item: shacl_suite.Entry):
    """The outcome of `dakg validate --shapes SHAPES DATA` on an entry (no ontology, no checks)."""
    return validate(Inputs(data=(item.data,), shapes=(item.shapes,)))


def context(paths) -> rdflib.Graph:
    """The data and shapes graphs as dakg reads them: what the report's blank nodes refer to."""
    graph = rdflib.Graph(bind_namespaces="none")
    for path in dict.fromkeys(paths):
        graph += to_rdflib(parse_files([path]))
    return graph


def test_the_suite_has_every_entry() -> None:
    """98 core and 23 SHACL-SPARQL entries, as the suite's manifests list them."""
    if UNAVAILABLE:
        pytest.fail(f"the W3C SHACL test suite is not available: {UNAVAILABLE}")
    core = [e for e in ENTRIES if e.name.startswith("core/")]
    sparql = [e for e in ENTRIES if e.sparql]
    assert (len(core), len(sparql)) == (98, 23)
    assert len({e.iri for e in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("item", PARAMS)
def test_suite_entry(item: shacl_suite.Entry | None) -> None:
    item = available(item)
    if item.expects_failure:
        with pytest.raises(RdfSourceError):
            run(item)
        return
    outcome = run(item)
    graph = report_graph(outcome)
    # The Turtle report is this graph, written out.
    written = shacl_suite.read(text=render(outcome, "turtle"))
    assert isomorphic(written, graph)
    report = next(graph.subjects(rdflib.RDF.type, SH.ValidationReport))
    actual = shacl_suite.normalised(graph, report, context([item.data, item.shapes]))
    expected_graph, expected_node = shacl_suite.expected_report(item)
    expected_context = expected_graph + shacl_suite.read(item.data) + shacl_suite.read(item.shapes)
    expected = shacl_suite.normalised(expected_graph, expected_node, expected_context)
    assert shacl_suite.same_report(actual, expected), (
        f"{item.name}: the report differs from the suite's\n--- expected\n"
        f"{shacl_suite.describe(expected)}\n--- dakg validate\n{shacl_suite.describe(actual)}"
    )


@pytest.mark.parametrize("item", SPARQL)
def test_both_engines_agree_on_shacl_sparql(item: shacl_suite.Entry | None) -> None:
    """pySHACL with every shape (its SPARQL constraints included) and dakg's split (pySHACL for the
    core constraints, the SPARQL constraints on pyoxigraph) give the same results."""
    item = available(item)
    if item.expects_failure:
        with pytest.raises(RdfSourceError):
            run(item)
        return
    outcome = run(item)
    full = pyshacl_graph(item.shapes)
    data = full if item.data == item.shapes else pyshacl_graph(item.data)
    if item.name in PYSHACL_CANNOT:  # dakg's own result is held to the suite's by test_suite_entry
        with pytest.raises(PYSHACL_CANNOT[item.name]):
            pyshacl_results(data, full, None)
        return
    reference = pyshacl_results(data, full, None)
    assert sorted(map(key, outcome.results)) == sorted(map(key, reference))


# Entries pySHACL does not evaluate (its error): $shapesGraph is not supported.
PYSHACL_CANNOT = {"sparql/pre-binding/shapesGraph-001": NotImplementedError}


def pyshacl_graph(path) -> rdflib.Graph:
    """A file as dakg reads it (the same blank nodes), named and bound as pySHACL's loader does:
    the graph's name is the file's `# baseURI:` and its prefixes are bound (pySHACL reads the
    sh:declare of the graph's name, not of what sh:prefixes imports)."""
    header = re.match(r"#\s*baseURI:\s*(\S+)", path.read_text(encoding="utf-8"))
    graph = rdflib.Graph(identifier=URIRef(header.group(1)) if header else None)
    graph += to_rdflib(parse_files([path]))
    for prefix, namespace in rdflib.Graph().parse(path, format="turtle").namespaces():
        graph.bind(prefix, namespace)
    return graph


def key(result) -> tuple:
    return tuple(
        str(x)
        for x in (result.focus, result.path, result.value, result.source, result.component,
                  result.severity, result.constraint)
    )  # fmt: skip


def test_a_failed_download_is_a_clear_error(tmp_path, monkeypatch) -> None:
    """No suite, no pass: the reason names the package, the version and build/."""
    monkeypatch.setattr(shacl_suite, "BUILD", tmp_path)
    monkeypatch.setattr(shacl_suite, "PYSHACL_VERSION", "0.0.0.post999")
    with pytest.raises(shacl_suite.SuiteUnavailable, match=r"pyshacl==0\.0\.0\.post999.*PyPI"):
        shacl_suite.suite_folder()


CLI_SAMPLE = [
    "core/node/datatype-001",
    "core/path/path-strange-001",
    "core/complex/personexample",
    "sparql/pre-binding/pre-binding-003",
    "sparql/pre-binding/unsupported-sparql-001",
]


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_the_command_gives_the_same_report(name: str, tmp_path) -> None:
    """`dakg validate --shapes SHAPES --format turtle DATA` (no ontology, no checks) writes the
    report the functions above give: what the suite's entries are run through."""
    if UNAVAILABLE:
        pytest.fail(f"the W3C SHACL test suite is not available: {UNAVAILABLE}")
    [item] = [e for e in ENTRIES if e.name == name]
    command = [str(shacl_suite.ROOT / ".venv" / "bin" / "dakg"), "validate", "--format", "turtle"]
    command += [
        "--shapes",
        str(item.shapes),
        "--ontology",
        str(item.data),
        "--checks",
        str(tmp_path),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("DAKG_FEDERATION_ALLOW", None)
    done = subprocess.run(
        [*command, str(item.data)], capture_output=True, text=True, timeout=120, env=env
    )
    if item.expects_failure:
        assert done.returncode == 2 and done.stdout == ""
        assert str(item.shapes) in done.stderr and "Traceback" not in done.stderr
        return
    assert done.returncode in (0, 1), done.stderr
    expected = render(run(item), "turtle")
    assert isomorphic(shacl_suite.read(text=done.stdout), shacl_suite.read(text=expected))
