"""Accept by family and by q on every route that negotiates: `application/*`, `text/*` and
q-values pick a format of that family (and of that preference) everywhere, against a real server."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from helpers.server import live_server_fixture

live_server = live_server_fixture()

MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
SELECT = quote(f"SELECT ?p ?o WHERE {{ <{MYNUMBER}> ?p ?o }} LIMIT 3", safe="")
CONSTRUCT = quote(f"CONSTRUCT {{ <{MYNUMBER}> ?p ?o }} WHERE {{ <{MYNUMBER}> ?p ?o }}", safe="")

# Each route and the media types it answers in.
RESULTS = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF = {"text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"}
ROUTES = {
    "sparql-select": (f"/sparql?query={SELECT}", RESULTS),
    "sparql-construct": (f"/sparql?query={CONSTRUCT}", RDF),
    "sparql-description": ("/sparql", RDF | {"text/html"}),
    "doc": ("/doc/initiative/mynumber-card", RDF | {"text/html"}),
    "def": ("/def/", RDF | {"text/html"}),
    "id-type": ("/id/initiative", RDF | {"text/html"}),
    "void": ("/.well-known/void", RDF),
    "downloads": ("/download/", {"text/html", "application/json"}),
    "api": ("/api/initiatives", {"application/json", "text/csv", "text/tab-separated-values"}),
}
# Accept headers and the family the answer must be of.
ACCEPTS = {
    "application-any": ("application/*", "application"),
    "text-any": ("text/*", "text"),
    "application-by-q": ("text/*;q=0.3, application/*;q=0.9", "application"),
    "text-by-q": ("application/*;q=0.2, text/*", "text"),
    "application-over-any": ("*/*;q=0.1, application/*", "application"),
    "text-over-any": ("*/*;q=0.1, text/*;q=0.5", "text"),
}


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.base, timeout=60.0) as http:
        yield http


@pytest.mark.parametrize("accept", list(ACCEPTS))
@pytest.mark.parametrize("route", list(ROUTES))
def test_a_family_picks_a_format_of_that_family(client, route, accept):
    path, offered = ROUTES[route]
    header, family = ACCEPTS[accept]
    response = client.get(path, headers={"accept": header})
    assert response.status_code == 200, response.text
    media = response.headers["content-type"].split(";")[0].strip()
    assert media in offered
    assert media.split("/")[0] == family, f"{header} on {path} gave {media}"


# An exact type by q on each kind of route: the preferred one of two, whichever comes first.
BY_Q = {
    "sparql-select": ("text/csv;q=0.4, application/sparql-results+xml;q=0.8", "sparql-results+xml"),
    "sparql-construct": ("text/turtle;q=0.4, application/n-triples;q=0.8", "n-triples"),
    "doc": ("text/turtle;q=0.4, application/ld+json;q=0.8", "ld+json"),
    "def": ("application/rdf+xml;q=0.9, text/turtle", "turtle"),
    "id-type": ("text/html;q=0.1, application/n-triples;q=0.2", "n-triples"),
    "void": ("application/ld+json;q=0.3, text/turtle;q=0.2", "ld+json"),
    "api": ("application/json;q=0.5, text/tab-separated-values;q=0.6", "tab-separated-values"),
}


@pytest.mark.parametrize("route", list(BY_Q))
def test_q_values_pick_the_preferred_type(client, route):
    path, _ = ROUTES[route]
    header, subtype = BY_Q[route]
    response = client.get(path, headers={"accept": header})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0].split("/")[1] == subtype
