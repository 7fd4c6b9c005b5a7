"""The W3C SHACL test suite (data-shapes-test-suite), as pySHACL's source distribution ships it, and
the comparison of validation reports the suite defines.

`suite_folder()` downloads the pinned sdist from PyPI into build/ once (reused afterwards) and
returns its test/resources/sht_tests/. `entries()` walks the manifests (mf:include, mf:entries)
to every sht:Validate entry. `normalised()` reduces a report to what the suite compares:
sh:conforms, and per result the focus node, path, value, source shape, constraint component and
severity, blank nodes replaced by the structure they head (their triples, followed through blank
nodes), so that two reports are equal when their normalised graphs are isomorphic.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from urllib.request import url2pathname

import pyoxigraph as ox
import rdflib
from dakg.validation.rdfio import rdflib_term
from rdflib import BNode, Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import RDF, SH

from helpers import ROOT

PYSHACL_VERSION = "0.40.1"  # pinned: the suite's files as this release ships them
BUILD = ROOT / "build"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")
# What the suite compares of each result (sh:resultMessage, sh:sourceConstraint, sh:detail are not).
RESULT_FIELDS = (
    SH.focusNode,
    SH.resultPath,
    SH.value,
    SH.sourceShape,
    SH.sourceConstraintComponent,
    SH.resultSeverity,
)


class SuiteUnavailable(Exception):
    """The suite's data could not be fetched from PyPI or read."""


def suite_folder() -> Path:
    """test/resources/sht_tests/ of the pinned pySHACL sdist, downloaded into build/ once."""
    unpacked = BUILD / f"pyshacl-{PYSHACL_VERSION}"
    folder = unpacked / "test" / "resources" / "sht_tests"
    if (folder / "manifest.ttl").is_file():
        return folder
    BUILD.mkdir(exist_ok=True)
    archive = BUILD / f"pyshacl-{PYSHACL_VERSION}.tar.gz"
    if not archive.is_file():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--quiet", f"pyshacl=={PYSHACL_VERSION}", "-d", str(BUILD)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not archive.is_file():
            raise SuiteUnavailable(
                f"could not download pyshacl=={PYSHACL_VERSION} (its sdist holds the W3C SHACL "
                f"test suite) from PyPI into {BUILD}: {done.stderr.strip()[-600:]}"
            )
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/test/resources/sht_tests/" in m.name]
            tar.extractall(BUILD, members=members, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise SuiteUnavailable(f"{archive}: cannot unpack: {error}") from None
    if not (folder / "manifest.ttl").is_file():
        raise SuiteUnavailable(f"{archive} holds no test/resources/sht_tests/manifest.ttl")
    return folder


# ---------------------------------------------------------------- reading files as written


def read(path: Path | None = None, text: str | None = None) -> rdflib.Graph:
    """A Turtle file (or text) as an rdflib graph, parsed by pyoxigraph with no literal rewritten."""
    graph = rdflib.Graph(bind_namespaces="none")
    if path is not None:
        quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
    else:
        quads = ox.parse(text, format=ox.RdfFormat.TURTLE)
    for q in quads:
        graph.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
    return graph


# ---------------------------------------------------------------- the manifests


@dataclass(frozen=True)
class Entry:
    """One sht:Validate entry: its IRI, files and expected result (sht:Failure or a report)."""

    iri: str
    name: str  # the path under sht_tests/ without .ttl, e.g. core/node/and-001
    file: Path  # the file that declares the entry (and holds its expected report)
    data: Path
    shapes: Path
    expects_failure: bool

    @property
    def sparql(self) -> bool:
        """Whether the entry is one of the SHACL-SPARQL part of the suite."""
        return self.name.startswith("sparql/")


def entries(folder: Path) -> list[Entry]:
    """Every sht:Validate entry reachable from the root manifest, in file order."""
    found: list[Entry] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        graph = read(path)
        for manifest in graph.subjects(RDF.type, MF.Manifest):
            for included in sorted(graph.objects(manifest, MF.include), key=str):
                visit(Path(url2pathname(str(included).removeprefix("file://"))))
            for listed in graph.objects(manifest, MF.entries):
                for node in graph.items(listed):
                    if (node, RDF.type, SHT.Validate) in graph:
                        found.append(entry(folder, path, graph, node))

    visit((folder / "manifest.ttl").resolve())
    return found


def entry(folder: Path, path: Path, graph: rdflib.Graph, node: URIRef) -> Entry:
    action = graph.value(node, MF.action)
    data = graph.value(action, SHT.dataGraph)
    shapes = graph.value(action, SHT.shapesGraph) or data

    def local(iri: rdflib.term.Node) -> Path:
        return Path(url2pathname(str(iri).removeprefix("file://")))

    return Entry(
        iri=str(node),
        name=path.relative_to(folder.resolve()).with_suffix("").as_posix(),
        file=path,
        data=local(data),
        shapes=local(shapes),
        expects_failure=graph.value(node, MF.result) == SHT.Failure,
    )


def expected_report(item: Entry) -> tuple[rdflib.Graph, rdflib.term.Node]:
    """The entry's file as a graph and its expected sh:ValidationReport node."""
    graph = read(item.file)
    return graph, graph.value(URIRef(item.iri), MF.result)


# ---------------------------------------------------------------- the comparison


def normalised(report: rdflib.Graph, node: rdflib.term.Node, context: rdflib.Graph) -> rdflib.Graph:
    """What the suite compares of a report: sh:conforms and, per result, RESULT_FIELDS.

    A blank node is replaced by a fresh one heading a copy of its structure: a result path's from
    the report, a focus node's, value's or shape's from `context` (the data and shapes graphs).
    """
    out = rdflib.Graph(bind_namespaces="none")
    top = BNode()
    out.add((top, RDF.type, SH.ValidationReport))
    conforms = report.value(node, SH.conforms)
    out.add((top, SH.conforms, Literal(str(conforms).strip().lower() in ("true", "1"))))
    for result in report.objects(node, SH.result):
        copy = BNode()
        out.add((top, SH.result, copy))
        out.add((copy, RDF.type, SH.ValidationResult))
        for field in RESULT_FIELDS:
            source = report if field == SH.resultPath else context
            for value in report.objects(result, field):
                out.add((copy, field, structure(source, value, out, {})))
    return out


def structure(
    source: rdflib.Graph, node: rdflib.term.Node, target: rdflib.Graph, done: dict
) -> rdflib.term.Node:
    """A node, a blank node replaced by a fresh one heading a copy of its triples (recursively)."""
    if not isinstance(node, BNode):
        return node
    if node in done:
        return done[node]
    copy = done[node] = BNode()
    for predicate, value in source.predicate_objects(node):
        target.add((copy, predicate, structure(source, value, target, done)))
    return copy


def same_report(actual: rdflib.Graph, expected: rdflib.Graph) -> bool:
    return isomorphic(actual, expected)


def describe(graph: rdflib.Graph) -> str:
    """A normalised report as sorted N-Triples-like lines with canonical blank nodes (for a diff)."""
    canonical = to_isomorphic(graph)
    return "\n".join(sorted(" ".join(t.n3() for t in triple) for triple in canonical))
