"""The endpoint's predeclared prefixes: those the graph publishes (service/rdf/namespaces.py) need no
PREFIX line, on the embedded store and on an external engine; an unknown one is named."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from dakg.rdf.namespaces import canonical_prefixes
from dakg.settings import Settings
from dakg.store.backends import undeclared_prefixes, unknown_prefix_message, with_prefixes
from dakg.web.app import create_app
from fastapi.testclient import TestClient

SH = "http://www.w3.org/ns/shacl#"
COUNT = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a dakg:Initiative ; dakg:leadAgency agency:digital-agency }"
DECLARED = (
    "PREFIX dakg: <https://w3id.org/dakg/def/>\n"
    "PREFIX agency: <https://w3id.org/dakg/id/agency/>\n" + COUNT
)


@pytest.fixture(scope="module")
def client(service_store, root) -> Iterator[TestClient]:
    app = create_app(Settings.from_env(root=root), service_store.dataset())
    with TestClient(app) as test_client:
        yield test_client


def count(client: TestClient, query: str) -> int:
    response = client.post("/sparql", data={"query": query}, headers={"accept": "application/json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_query_may_use_our_prefixes_without_declaring_them(client):
    declared = count(client, DECLARED)
    assert declared > 0
    assert count(client, COUNT) == declared


def test_a_declaration_of_its_own_wins(client):
    other = "PREFIX dakg: <http://example.org/not-ours/>\n" + COUNT.replace(
        "agency:digital-agency", "<https://w3id.org/dakg/id/agency/digital-agency>"
    )
    assert count(client, other) == 0


def test_an_unknown_prefix_is_named_in_one_line(client):
    response = client.post(
        "/sparql",
        data={"query": "SELECT * WHERE {\n  ?s a dakg:Initiative ;\n    nosuch:p ?o }"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    text = response.text.strip()
    assert "\n" not in text
    assert "Unknown prefix 'nosuch:' (line 3)" in text
    assert "Prefix not found" not in text


def test_the_service_description_lists_the_predeclared_prefixes(client):
    response = client.get("/sparql", headers={"accept": "application/n-triples"})
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.N_TRIPLES)
    rows = graph.query(
        f"SELECT ?p ?ns WHERE {{ ?svc <{SH}declare> ?d . ?d <{SH}prefix> ?p ; <{SH}namespace> ?ns }}"
    )
    found = {row["p"].value: row["ns"].value for row in rows}
    assert found == canonical_prefixes()


def test_an_external_engine_is_sent_the_prefix_lines_a_query_uses():
    text = with_prefixes(COUNT)
    assert text.startswith(
        "PREFIX dakg: <https://w3id.org/dakg/def/>\n"
        "PREFIX agency: <https://w3id.org/dakg/id/agency/>\n"
    )
    assert text.endswith(COUNT)
    assert with_prefixes(DECLARED) == DECLARED
    # names in strings and comments, and PREFIX names themselves, are not uses
    assert (
        undeclared_prefixes(
            "# skos:x\nPREFIX ex: <http://x/> SELECT ('rdfs:y' AS ?v) { ?s ex:p ?o }"
        )
        == []
    )
    assert unknown_prefix_message(COUNT) is None
    assert "'ex:'" in unknown_prefix_message("SELECT * { ?s ex:p ?o }")
