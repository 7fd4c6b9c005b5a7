"""Every IRI of our namespace that occurs in the data dereferences: 303, then 200, in every format.

The full sweep runs in-process (TestClient); a representative sample, with its headers, runs
against the real `dakg serve` over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from dakg.rdf.sources import GENID, graph_sources
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.server import live_server_fixture

BASE = "https://w3id.org/dakg/"
ONTOLOGY = BASE + "def/"
FORMATS = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
SAMPLE = (
    BASE + "id/initiative/mynumber-card",
    BASE + "id/agency/digital-agency",
    BASE + "id/fiscal-year/2022",
    BASE + "id/milestone/mynumber-card-smartphone",
    BASE + "id/observation/population",
    BASE + "id/section/activity-report-2021-2022-ch3-mynumber-card",
    BASE + "def/Initiative",
    BASE + "def/leadAgency",
)

live_server = live_server_fixture()


def namespace_iris() -> list[str]:
    """Every IRI under {base}id/ and {base}def/ in the served graph (subject, predicate or object)."""
    found: set[str] = set()
    for source in graph_sources(ROOT):
        for quad in ox.parse(path=str(source.path), format=ox.RdfFormat.TURTLE):
            for term in (quad.subject, quad.predicate, quad.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(
                    (BASE + "id/", ONTOLOGY)
                ):
                    found.add(term.value)
    found.discard(ONTOLOGY)
    return sorted(found)


def document_path(iri: str) -> str:
    """/doc/{type}/{key} for .../id/{type}/{key}, /doc/def/{Term} for .../def/{Term}."""
    rest = iri[len(BASE) :]
    return "/doc/" + (rest[len("id/") :] if rest.startswith("id/") else rest)


def triples_of(text: str, rdf_format: ox.RdfFormat, context: dict | None = None) -> set[tuple]:
    """An answer's triples (JSON-LD expanded with the published context inlined)."""
    if rdf_format == ox.RdfFormat.JSON_LD:
        document = json.loads(text)
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = context["@context"]
        text = json.dumps(document)
    return {(t.subject, t.predicate, t.object) for t in ox.parse(text, format=rdf_format)}


def ground(triples: set[tuple]) -> set[tuple]:
    return {t for t in triples if not any(isinstance(x, ox.BlankNode) for x in t)}


def expected_triples(dataset: Dataset, iri: str) -> set[tuple]:
    """The entity's own triples and blank nodes (its concise bounded description)."""
    found = dataset.query("DESCRIBE ?e", substitutions={ox.Variable("e"): ox.NamedNode(iri)})
    return {(t.subject, t.predicate, t.object) for t in found}


def replacement_of(dataset: Dataset, iri: str) -> str | None:
    """The replacement of a deprecated IRI (owl:deprecated true, dcterms:isReplacedBy), if any."""
    found = dataset.query(
        "SELECT ?new WHERE { ?e <http://www.w3.org/2002/07/owl#deprecated> true ; "
        "<http://purl.org/dc/terms/isReplacedBy> ?new }",
        substitutions={ox.Variable("e"): ox.NamedNode(iri)},
    )
    rows = [row["new"].value for row in found]
    return rows[0] if rows else None


def check_answer(triples: set[tuple], expected: set[tuple], iri: str) -> None:
    """The answer holds the entity's triples (blank nodes: as many as it owns) or, for an IRI
    that is only ever an object, the links that point to it."""
    assert ground(expected) <= triples, sorted(map(str, ground(expected) - triples))[:5]
    owned = len(expected) - len(ground(expected))
    assert len(triples) - len(ground(triples)) >= owned
    node = ox.NamedNode(iri)
    assert any(node in (s, o) for s, _, o in triples)


@pytest.fixture(scope="module")
def client(service_store) -> Iterator[TestClient]:
    with TestClient(create_app(Settings.from_env(), service_store.dataset())) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def context(client: TestClient) -> dict:
    return client.get("/context.jsonld").json()


def test_the_sweep_covers_the_namespace() -> None:
    iris = namespace_iris()
    assert BASE + "id/initiative/mynumber-card" in iris
    assert BASE + "def/Initiative" in iris
    assert len(iris) > 300


@pytest.mark.parametrize("iri", namespace_iris(), ids=lambda iri: iri[len(BASE) :])
def test_every_iri_dereferences_in_every_format(
    client: TestClient, dataset: Dataset, context: dict, iri: str
) -> None:
    path = "/" + iri[len(BASE) :]
    redirect = client.get(path, headers={"Accept": "text/turtle"}, follow_redirects=False)
    replacement = replacement_of(dataset, iri)
    if replacement is not None:  # a deprecated IRI keeps answering: 301 to its replacement
        assert redirect.status_code == 301, redirect.text[:300]
        assert redirect.headers["location"] == "/" + replacement[len(BASE) :]
        return
    assert redirect.status_code == 303, redirect.text[:300]
    location = redirect.headers["location"]
    assert location == document_path(iri)
    expected = expected_triples(dataset, iri)
    answers = {}
    for media_type, rdf_format in FORMATS.values():
        response = client.get(location, headers={"Accept": media_type})
        assert response.status_code == 200, (media_type, response.text[:300])
        assert response.headers["content-type"].split(";")[0] == media_type
        answers[media_type] = triples_of(response.text, rdf_format, context)
        check_answer(answers[media_type], expected, iri)
    # every format says the same (JSON-LD expanded with the published context included)
    turtle = answers["text/turtle"]
    for media_type, triples in answers.items():
        assert ground(triples) == ground(turtle), media_type
        assert len(triples) == len(turtle), media_type
    page = client.get(location, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'<code class="iri">{iri}</code>' in page.text


def test_the_ontology_iri_answers_in_every_format(client: TestClient, context: dict) -> None:
    for ext, (media_type, rdf_format) in FORMATS.items():
        response = client.get("/def/", headers={"Accept": media_type})
        assert response.status_code == 200
        assert response.headers["content-location"] == f"/def/index.{ext}"
        triples = triples_of(response.text, rdf_format, context)
        ontology = ox.NamedNode(ONTOLOGY)
        assert (
            ontology,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology"),
        ) in triples
    assert client.get("/def/", headers={"Accept": "text/html"}).status_code == 200


# -- the real server ---------------------------------------------------------------------------


@pytest.mark.parametrize("iri", SAMPLE, ids=lambda iri: iri[len(BASE) :])
def test_real_server_dereferences(live_server, dataset: Dataset, iri: str) -> None:
    path = "/" + iri[len(BASE) :]
    with httpx.Client(base_url=live_server.base, timeout=30.0) as http:
        context = http.get("/context.jsonld").json()
        expected = expected_triples(dataset, iri)
        for ext, (media_type, rdf_format) in FORMATS.items():
            redirect = http.get(path, headers={"Accept": media_type})
            assert redirect.status_code == 303
            location = redirect.headers["location"]
            assert location == document_path(iri)
            response = http.get(location, headers={"Accept": media_type})
            assert response.status_code == 200
            assert response.headers["content-type"].split(";")[0] == media_type
            assert response.headers["content-location"] == f"{location}.{ext}"
            assert "Accept" in response.headers["vary"]
            link = response.headers["link"]
            assert 'rel="license"' in link and "void#sparqlEndpoint" in link
            for other in FORMATS:
                if other != ext:
                    assert f'<{location}.{other}>; rel="alternate"' in link
            check_answer(triples_of(response.text, rdf_format, context), expected, iri)
        suffixed = http.get(path + ".ttl")
        assert (
            suffixed.status_code == 303
            and suffixed.headers["location"] == document_path(iri) + ".ttl"
        )


def test_real_server_serves_people_html(live_server) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    with httpx.Client(base_url=live_server.base, timeout=30.0, follow_redirects=True) as http:
        page = http.get(
            "/id/initiative/mynumber-card", headers={"Accept": browser, "Accept-Language": "en"}
        )
        assert page.status_code == 200
        assert page.history[0].status_code == 303
        assert '<html lang="en">' in page.text
        assert "script-src 'none'" in page.headers["content-security-policy"]
        assert {"Accept", "Accept-Language"} <= {v.strip() for v in page.headers["vary"].split(",")}
        script = http.get("/id/initiative/mynumber-card", headers={"Accept": "*/*"})
        assert script.headers["content-type"].startswith("text/turtle")
        bare = http.build_request("GET", "/doc/initiative/mynumber-card")
        bare.headers.pop("accept", None)
        assert http.send(bare).headers["content-type"].startswith("text/html")
        missing = http.get("/id/initiative/no-such-initiative", headers={"Accept": "text/turtle"})
        assert missing.status_code == 404 and missing.headers["content-type"].startswith(
            "text/turtle"
        )
        assert http.head("/doc/initiative/mynumber-card.ttl").status_code == 200
        assert http.get("/").status_code == 200


@pytest.mark.parametrize(
    ("owner", "predicate"),
    # The data has no blank node left; the ontology keeps OWL's own list of facets as one.
    [("def/CorporateNumber", "http://www.w3.org/2002/07/owl#withRestrictions")],
)
def test_a_skolem_iri_leads_to_the_document_of_its_owner(live_server, owner, predicate) -> None:
    """A source's blank node, published as its skolem IRI, dereferences: 303 to the document
    whose description holds it (through the nodes between, as a list's cells)."""
    with httpx.Client(base_url=live_server.base, timeout=30.0) as http:
        document = document_path(BASE + owner)
        triples = triples_of(http.get(document + ".nt").text, ox.RdfFormat.N_TRIPLES)
        nodes = [o for s, p, o in triples if p.value == predicate]
        assert nodes and all(o.value.startswith(GENID) for o in nodes)
        # The last cell of a list, two skolem IRIs away from its owner, leads there too.
        deepest = max({s for s, _, _ in triples if s.value.startswith(GENID)}, key=str)
        for node in (*nodes, deepest):
            path = node.value[len(BASE) - 1 :]
            answer = http.get(path, headers={"accept": "text/turtle"})
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"] == document
        unknown = http.get("/.well-known/genid/" + "0" * 32, headers={"accept": "text/turtle"})
        assert unknown.status_code == 404
