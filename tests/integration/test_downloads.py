"""Dumps at /download/ and the VoID/DCAT description at /.well-known/void, from a real server."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from dakg.rdf.sources import graph_sources
from helpers.server import live_server_fixture
from rdflib.namespace import DCTERMS, OWL, RDF

live_server = live_server_fixture()

DAKG = rdflib.Namespace("https://w3id.org/dakg/def/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DATASET = rdflib.URIRef("https://w3id.org/dakg/.well-known/void#dataset")
LICENSE = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
DUMPS = {
    "dakg.ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "dakg.nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "dakg.nq": ("application/n-quads", ox.RdfFormat.N_QUADS),
    "dakg.trig": ("application/trig", ox.RdfFormat.TRIG),
    "dakg.jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
}


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.base, timeout=120.0) as http:
        yield http


@pytest.fixture(scope="module")
def health(client) -> dict:
    return client.get("/health").json()


def count(client: httpx.Client, query: str) -> int:
    response = client.get("/sparql", params={"query": query})
    (binding,) = response.json()["results"]["bindings"]
    return int(next(iter(binding.values()))["value"])


@pytest.fixture(scope="module")
def distinct_triples(client) -> int:
    return count(
        client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    )


def test_index_lists_every_dump(client):
    page = client.get("/download/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for name in DUMPS:
        assert f'href="/download/{name}"' in page.text
    assert '<meta name="viewport"' in page.text and '<header class="site">' in page.text
    listing = client.get("/download/", headers={"accept": "application/json"}).json()
    assert {d["file"] for d in listing["dumps"]} == set(DUMPS)
    for entry in listing["dumps"]:  # each dump's size and checksum are those of its file
        body = client.get(f"/download/{entry['file']}").content
        assert entry["size"] == len(body)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        assert entry["sha256"] in page.text
    assert client.get("/download", follow_redirects=False).status_code == 301


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_each_dump_parses_and_holds_the_whole_graph(client, name, distinct_triples, root):
    media, fmt = DUMPS[name]
    response = client.get(f"/download/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    quads = list(ox.parse(response.content, format=fmt))
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        graphs = {q.graph_name.value for q in quads}
        assert graphs == {s.graph for s in graph_sources(root)}
        assert len({q.triple for q in quads}) == distinct_triples
    else:
        assert len({q.triple for q in quads}) == len(quads) == distinct_triples
    label = ox.Literal("マイナンバーカードの普及", language="ja")
    assert any(q.subject == ox.NamedNode(MYNUMBER) and q.object == label for q in quads)


def test_a_dump_revalidates_with_its_etag(client):
    first = client.get("/download/dakg.nt")
    again = client.get("/download/dakg.nt", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_an_unknown_dump_is_404(client):
    assert client.get("/download/dakg.xlsx").status_code == 404
    assert client.get("/download/other.ttl").status_code == 404


@pytest.fixture(scope="module")
def void_graph(client) -> rdflib.Graph:
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    return rdflib.Graph().parse(data=response.content, format="turtle")


def test_void_counts_the_dataset(void_graph, health, distinct_triples, client):
    assert (DATASET, RDF.type, VOID.Dataset) in void_graph
    assert (DATASET, RDF.type, DCAT.Dataset) in void_graph
    assert int(void_graph.value(DATASET, VOID.triples)) == distinct_triples
    assert void_graph.value(DATASET, OWL.versionInfo) == rdflib.Literal(health["version"])
    assert void_graph.value(DATASET, DCAT.version) == rdflib.Literal(health["version"])
    assert (DATASET, DCTERMS.license, LICENSE) in void_graph
    initiatives = count(
        client,
        "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a <https://w3id.org/dakg/def/Initiative> }",
    )
    partitions = {
        void_graph.value(part, VOID["class"]): int(void_graph.value(part, VOID.entities))
        for part in void_graph.objects(DATASET, VOID.classPartition)
    }
    assert partitions[DAKG.Initiative] == initiatives > 0
    assert int(void_graph.value(DATASET, VOID.classes)) == len(partitions)
    properties = {
        void_graph.value(part, VOID.property): int(void_graph.value(part, VOID.triples))
        for part in void_graph.objects(DATASET, VOID.propertyPartition)
    }
    assert sum(properties.values()) == distinct_triples
    assert properties[rdflib.RDFS.label] > 100
    subsets = set(void_graph.objects(DATASET, VOID.subset))
    assert len(subsets) == health["graphs"]


def test_void_links_the_endpoint_and_the_dumps_of_this_server(void_graph, live_server, client):
    assert void_graph.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef(live_server.sparql)
    dumps = set(void_graph.objects(DATASET, VOID.dataDump))
    assert dumps == {rdflib.URIRef(live_server.url(f"/download/{name}")) for name in DUMPS}
    distributions = list(void_graph.objects(DATASET, DCAT.distribution))
    assert len(distributions) == len(DUMPS)
    for dist in distributions:
        url = void_graph.value(dist, DCAT.downloadURL)
        assert url in dumps
        assert client.head(str(url)).status_code == 200
        assert void_graph.value(dist, DCTERMS.license) == LICENSE
    services = list(void_graph.subjects(RDF.type, DCAT.DataService))
    assert len(services) == 1
    assert void_graph.value(services[0], DCAT.endpointURL) == rdflib.URIRef(live_server.sparql)


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_void_in_other_formats(client, void_graph, accept, parser):
    response = client.get("/.well-known/void", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    graph = rdflib.Graph().parse(data=response.content, format=parser)
    assert len(graph) == len(void_graph)
    assert graph.value(DATASET, VOID.triples) == void_graph.value(DATASET, VOID.triples)


def test_void_refuses_what_it_cannot_give(client):
    assert client.get("/.well-known/void", headers={"accept": "text/csv"}).status_code == 406


def test_void_is_a_dcat_ap_catalogue_published_by_this_project(void_graph, live_server):
    """tests/data/test_dcat_ap.py checks the description against DCAT-AP 3.0's shapes; here, that the
    server answers with it: the catalogue, its publisher, the EU authority's languages."""
    catalog = rdflib.URIRef("https://w3id.org/dakg/.well-known/void#catalog")
    publisher = rdflib.URIRef("https://w3id.org/dakg/.well-known/void#publisher")
    assert (catalog, RDF.type, DCAT.Catalog) in void_graph
    assert (catalog, DCAT.dataset, DATASET) in void_graph
    assert void_graph.value(catalog, DCTERMS.publisher) == publisher
    assert void_graph.value(DATASET, DCTERMS.publisher) == publisher
    assert void_graph.value(catalog, rdflib.FOAF.homepage) == rdflib.URIRef(live_server.base + "/")
    languages = set(void_graph.objects(DATASET, DCTERMS.language))
    authority = "http://publications.europa.eu/resource/authority/language/"
    assert languages == {rdflib.URIRef(authority + "JPN"), rdflib.URIRef(authority + "ENG")}


def test_the_dump_holds_every_source_quad_as_written(client, root):
    """What we publish is what we wrote: every quad of every source file (its graph, and each
    literal's lexical form and datatype as the file gives them) is in the N-Quads dump."""
    dump = set(ox.parse(client.get("/download/dakg.nq").content, format=ox.RdfFormat.N_QUADS))
    missing = []
    for source in graph_sources(root):
        graph = ox.NamedNode(source.graph)
        for quad in ox.parse(path=str(source.path), format=ox.RdfFormat.TURTLE):
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                continue  # published as skolem IRIs (tests/integration/test_stable_answers.py)
            if ox.Quad(quad.subject, quad.predicate, quad.object, graph) not in dump:
                missing.append((source.path.name, quad))
    assert not missing, missing[:5]


def test_the_dump_validates_against_our_own_shapes(client, tmp_path):
    dump = tmp_path / "dakg.ttl"
    dump.write_bytes(client.get("/download/dakg.ttl").content)
    dakg = Path(sys.executable).parent / "dakg"
    done = subprocess.run(
        [str(dakg), "validate", "--no-context", str(dump)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "\n0 violations" in done.stdout
