"""The linked-data pages: content negotiation, 303s, descriptions, JSON-LD, HTML, 404/301/410."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from dakg.rdf.sources import GENID
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from dakg.web.linked_data.describe import PAGE_SIZE
from dakg.web.linked_data.routes import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, negotiate
from fastapi.testclient import TestClient
from helpers import ROOT
from rdflib.compare import isomorphic

BASE = "https://w3id.org/dakg/"
MNC = BASE + "id/initiative/mynumber-card"
DA = BASE + "id/agency/digital-agency"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)

# A small graph of its own for what the real data does not have yet: deprecated IRIs, hostile
# labels, an entity with more incoming links than one page holds.
SMALL = """
PREFIX dakg: <https://w3id.org/dakg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX initiative: <https://w3id.org/dakg/id/initiative/>
PREFIX observation: <https://w3id.org/dakg/id/observation/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

initiative:old a dakg:Initiative ;
    rdfs:label "Old name"@en , "旧名称"@ja ;
    owl:deprecated true ;
    dcterms:isReplacedBy initiative:new .

initiative:new a dakg:Initiative ;
    rdfs:label "New name"@en , "新名称"@ja .

initiative:gone a dakg:Initiative ;
    rdfs:label "A withdrawn initiative"@en , "取り下げられた取組"@ja ;
    dakg:aim "What it was for."@en ;
    owl:deprecated true .

initiative:hostile a dakg:Initiative ;
    rdfs:label "<script>alert('label')</script>"@en , "<b>太字</b>"@ja ;
    dakg:aim "\\"quoted\\" & <img src=x onerror=alert(1)>"@en ;
    dakg:tagline "</span><script>alert(2)</script>"@ja .
"""


def small_graph(count: int) -> str:
    """SMALL plus `count` observations that link to initiative:new."""
    lines = [SMALL]
    for n in range(count):
        lines.append(
            f'observation:o{n:04d} a dakg:Observation ; rdfs:label "Figure {n}"@en ; '
            "dakg:initiative initiative:new ."
        )
    return "\n".join(lines)


def build_client(stores, tmp: Path, turtle: str, base: str = BASE) -> TestClient:
    """An app over the ontology and one data file, with the given base IRI, on the store under
    test (`service_store`)."""
    shutil.copytree(ROOT / "ontology", tmp / "ontology")
    (tmp / "data" / "ttl").mkdir(parents=True)
    (tmp / "data" / "ttl" / "small.ttl").write_text(turtle, encoding="utf-8")
    settings = dataclasses.replace(Settings.from_env(), root=ROOT, base_iri=base)
    return TestClient(create_app(settings, stores.load(tmp)))


@pytest.fixture(scope="module")
def client(service_store) -> Iterator[TestClient]:
    """The app over the real graph."""
    with TestClient(create_app(Settings.from_env(), service_store.dataset())) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, service_store) -> Iterator[TestClient]:
    small_root = tmp_path_factory.mktemp("small")
    with build_client(service_store, small_root, small_graph(450)) as test_client:
        yield test_client


def parse(response, media_type: str, context: dict | None = None) -> rdflib.Graph:
    """An RDF answer as an rdflib graph (JSON-LD expanded with the published context)."""
    text = response.text
    if media_type == "application/ld+json":
        document = json.loads(text)
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = context["@context"]
        text = json.dumps(document)
    return rdflib.Graph().parse(data=text, format=RDF_TYPES[media_type])


def store_description(dataset: Dataset, iri: str) -> rdflib.Graph:
    """What the store says about an IRI as subject (its concise bounded description)."""
    triples = dataset.query("DESCRIBE ?e", substitutions={ox.Variable("e"): ox.NamedNode(iri)})
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return rdflib.Graph().parse(data=text, format="nt")


def contains(graph: rdflib.Graph, part: rdflib.Graph) -> bool:
    """Every triple of part is in graph (blank nodes matched by isomorphism of the owned parts)."""
    ground = [t for t in part if not any(isinstance(x, rdflib.BNode) for x in t)]
    if not all(t in graph for t in ground):
        return False
    with_blanks = rdflib.Graph()
    for t in part:
        if any(isinstance(x, rdflib.BNode) for x in t):
            with_blanks.add(t)
    return len(with_blanks) <= len(
        [t for t in graph if any(isinstance(x, rdflib.BNode) for x in t)]
    )


# -- content negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, HTML),
        ("", HTML),
        ("*/*", TURTLE),
        (BROWSER_ACCEPT, HTML),
        ("text/html", HTML),
        ("application/xhtml+xml", HTML),
        ("text/turtle", TURTLE),
        ("application/ld+json", JSONLD),
        ("application/json", JSONLD),
        ("application/n-triples", NTRIPLES),
        ("application/rdf+xml", RDFXML),
        ("text/turtle;q=0.5, application/ld+json", JSONLD),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.8, */*;q=0.1", RDFXML),
        ("text/html;q=0.1, application/n-triples;q=0.2", NTRIPLES),
        ("text/*", TURTLE),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("text/turtle;q=0, */*", JSONLD),
    ],
)
def test_negotiation(accept: str | None, expected) -> None:
    assert negotiate(accept) is expected


@pytest.mark.parametrize(
    ("path", "headers", "location"),
    [
        (
            "/id/initiative/mynumber-card",
            {"Accept": "text/turtle"},
            "/doc/initiative/mynumber-card",
        ),
        ("/id/initiative/mynumber-card", {"Accept": "text/html"}, "/doc/initiative/mynumber-card"),
        ("/id/initiative/mynumber-card.ttl", {}, "/doc/initiative/mynumber-card.ttl"),
        ("/id/initiative/mynumber-card.jsonld", {}, "/doc/initiative/mynumber-card.jsonld"),
        ("/id/initiative/mynumber-card.nt", {}, "/doc/initiative/mynumber-card.nt"),
        ("/id/initiative/mynumber-card.rdf", {}, "/doc/initiative/mynumber-card.rdf"),
        ("/id/initiative/mynumber-card.html", {}, "/doc/initiative/mynumber-card.html"),
        (
            "/id/initiative/mynumber-card?format=jsonld",
            {},
            "/doc/initiative/mynumber-card?format=jsonld",
        ),
        ("/id/initiative/mynumber-card?lang=en", {}, "/doc/initiative/mynumber-card?lang=en"),
        ("/def/Initiative", {"Accept": "text/turtle"}, "/doc/def/Initiative"),
        ("/def/Initiative.ttl", {}, "/doc/def/Initiative.ttl"),
    ],
)
def test_id_answers_303_keeping_the_format(
    client: TestClient, path: str, headers: dict, location: str
) -> None:
    response = client.get(path, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == location


@pytest.mark.parametrize(
    ("headers", "suffix", "media_type"),
    [
        ({"Accept": "text/turtle"}, "", "text/turtle"),
        ({"Accept": "application/ld+json"}, "", "application/ld+json"),
        ({"Accept": "application/n-triples"}, "", "application/n-triples"),
        ({"Accept": "application/rdf+xml"}, "", "application/rdf+xml"),
        ({"Accept": "text/html"}, "", "text/html"),
        ({"Accept": "*/*"}, "", "text/turtle"),
        ({"Accept": BROWSER_ACCEPT}, "", "text/html"),
        ({"Accept": "text/html"}, ".ttl", "text/turtle"),
        ({"Accept": "text/turtle"}, ".jsonld", "application/ld+json"),
        ({}, ".nt", "application/n-triples"),
        ({}, ".rdf", "application/rdf+xml"),
        ({"Accept": "text/turtle"}, ".html", "text/html"),
        ({"Accept": "text/html"}, "?format=ttl", "text/turtle"),
        ({}, "?format=json-ld", "application/ld+json"),
    ],
)
def test_doc_serves_the_negotiated_format(
    client: TestClient, headers: dict, suffix: str, media_type: str
) -> None:
    response = client.get("/doc/initiative/mynumber-card" + suffix, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type


def test_no_accept_header_gets_html(service_store) -> None:
    with TestClient(create_app(Settings.from_env(), service_store.dataset())) as bare:
        bare.headers.pop("accept", None)
        response = bare.get("/id/initiative/mynumber-card")
    assert response.headers["content-type"].startswith("text/html")
    assert response.history[0].status_code == 303


def test_unacceptable_format_is_406_with_alternates(client: TestClient) -> None:
    response = client.get("/doc/initiative/mynumber-card", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert '</doc/initiative/mynumber-card.ttl>; rel="alternate"' in response.headers["link"]


def test_unknown_format_parameter_is_400(client: TestClient) -> None:
    response = client.get(
        "/doc/initiative/mynumber-card?format=pdf", headers={"Accept": "text/turtle"}
    )
    assert response.status_code == 400
    assert "pdf" in response.text


def test_document_headers(client: TestClient) -> None:
    response = client.get("/doc/initiative/mynumber-card", headers={"Accept": "text/turtle"})
    assert response.headers["vary"].startswith("Accept")
    assert response.headers["content-location"] == "/doc/initiative/mynumber-card.ttl"
    link = response.headers["link"]
    for ext, media in (("jsonld", JSONLD), ("nt", NTRIPLES), ("rdf", RDFXML), ("html", HTML)):
        expected = (
            f'</doc/initiative/mynumber-card.{ext}>; rel="alternate"; type="{media.media_type}"'
        )
        assert expected in link
    assert '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in link
    assert '</sparql>; rel="http://rdfs.org/ns/void#sparqlEndpoint"' in link
    assert f'<{MNC}>; rel="describes"' in link
    assert response.headers["etag"].startswith('W/"')


def test_html_headers(client: TestClient) -> None:
    response = client.get("/doc/initiative/mynumber-card", headers={"Accept": "text/html"})
    assert set(response.headers["vary"].replace(" ", "").split(",")) >= {
        "Accept",
        "Accept-Language",
    }
    assert response.headers["content-location"] == "/doc/initiative/mynumber-card.html?lang=ja"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp


def test_conditional_request_gets_304(client: TestClient) -> None:
    first = client.get("/doc/initiative/mynumber-card.ttl")
    again = client.get(
        "/doc/initiative/mynumber-card.ttl", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]


def test_head_answers_like_get(client: TestClient) -> None:
    response = client.head("/doc/initiative/mynumber-card.ttl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")


# -- the description -------------------------------------------------------------------------


def test_description_holds_the_entity_its_links_and_what_links_to_it(
    client: TestClient, dataset: Dataset
) -> None:
    graph = parse(client.get("/doc/initiative/mynumber-card.ttl"), "text/turtle")
    assert contains(graph, store_description(dataset, MNC))
    label = rdflib.RDFS.label
    # the labels and types of what it links to
    assert (rdflib.URIRef(DA), label, rdflib.Literal("デジタル庁", lang="ja")) in graph
    assert (rdflib.URIRef(DA), rdflib.RDF.type, rdflib.URIRef(BASE + "def/Agency")) in graph
    # what links to it, with the label of the linking thing
    milestone = rdflib.URIRef(BASE + "id/milestone/mynumber-card-smartphone")
    assert (milestone, rdflib.URIRef(BASE + "def/initiative"), rdflib.URIRef(MNC)) in graph
    assert any(graph.objects(milestone, label))


def test_an_identifier_is_linked_by_its_iri_and_described_there(client: TestClient) -> None:
    """The corporate number is an entity of its own (no blank node): the agency's description links
    it, and its own description gives the notation and where the number was found."""
    graph = parse(client.get("/doc/agency/digital-agency.ttl"), "text/turtle")
    identifier = graph.value(
        rdflib.URIRef(DA), rdflib.URIRef("http://www.w3.org/ns/adms#identifier")
    )
    assert identifier == rdflib.URIRef(BASE + "id/identifier/corporate-number-8000012010038")
    own = parse(client.get("/doc/identifier/corporate-number-8000012010038.ttl"), "text/turtle")
    assert str(own.value(identifier, rdflib.SKOS.notation)) == "8000012010038"
    # ... and the agency's own description carries it too, as its page shows it
    assert str(graph.value(identifier, rdflib.SKOS.notation)) == "8000012010038"
    assert any(own.objects(identifier, rdflib.DCTERMS.source))


def blank_again(graph: rdflib.Graph) -> rdflib.Graph:
    """A graph with the skolem IRIs of its blank nodes turned back into blank nodes."""

    def term(t):
        return rdflib.BNode(str(t)[len(GENID) :]) if str(t).startswith(GENID) else t

    found = rdflib.Graph()
    for s, p, o in graph:
        found.add((term(s), p, term(o)))
    return found


@pytest.mark.parametrize(
    "path",
    [
        "/doc/initiative/mynumber-card",
        "/doc/agency/digital-agency",
        "/doc/fiscal-year/2022",
        "/doc/def/Initiative",
        "/doc/def/CorporateNumber",
    ],
)
def test_jsonld_expands_to_the_turtle_answer(client: TestClient, path: str) -> None:
    context = client.get("/context.jsonld").json()
    jsonld = parse(client.get(path + ".jsonld"), "application/ld+json", context)
    turtle = parse(client.get(path + ".ttl"), "text/turtle")
    assert len(turtle) > 0
    assert isomorphic(jsonld, turtle)


def test_jsonld_is_compact(client: TestClient) -> None:
    document = client.get(
        "/doc/initiative/mynumber-card.jsonld", headers={"host": "localhost:8000"}
    ).json()
    assert document["@context"] == "http://localhost:8000/context.jsonld"
    node = document["@graph"][0]
    assert node["id"] == MNC
    assert node["type"] == "Initiative"
    assert node["label"] == {"en": "Promoting the My Number Card", "ja": "マイナンバーカードの普及"}
    assert node["leadAgency"] == DA
    assert node["number"] == "1"


def test_context_is_generated_from_the_ontology(client: TestClient, dataset: Dataset) -> None:
    response = client.get("/context.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.headers["access-control-allow-origin"] == "*"
    context = response.json()["@context"]
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    assert context["definition"] == {"@id": "skos:definition", "@container": "@language"}
    assert context["leadAgency"] == {"@id": "dakg:leadAgency", "@type": "@id"}
    assert context["aim"] == {"@id": "dakg:aim", "@container": "@language"}
    assert context["earliestDate"] == {"@id": "dakg:earliestDate", "@type": "xsd:date"}
    assert context["Initiative"] == "dakg:Initiative"
    assert context["dakg"] == BASE + "def/"
    terms = dataset.query(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?t WHERE { ?t a ?kind . "
        "FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty)) "
        "FILTER(STRSTARTS(STR(?t), 'https://w3id.org/dakg/def/')) }"
    )
    for row in terms:
        assert row["t"].value[len(BASE + "def/") :] in context


def test_paging_of_incoming_links(small: TestClient) -> None:
    first = small.get("/doc/initiative/new.ttl")
    graph = parse(first, "text/turtle")
    new = rdflib.URIRef(BASE + "id/initiative/new")
    # 450 figures and the deprecated initiative it replaces link to it: 451 links, 3 pages
    assert len(list(graph.subject_predicates(new))) == PAGE_SIZE
    assert '</doc/initiative/new.ttl?page=2>; rel="next"' in first.headers["link"]
    assert '</doc/initiative/new.ttl?page=3>; rel="last"' in first.headers["link"]
    last = small.get("/doc/initiative/new.ttl?page=3")
    assert last.status_code == 200
    assert '</doc/initiative/new.ttl?page=2>; rel="prev"' in last.headers["link"]
    assert len(list(parse(last, "text/turtle").subject_predicates(new))) == 451 - 2 * PAGE_SIZE
    # the entity's own triples are on every page
    assert (
        rdflib.URIRef(BASE + "id/initiative/new"),
        rdflib.RDFS.label,
        rdflib.Literal("New name", lang="en"),
    ) in parse(last, "text/turtle")
    assert small.get("/doc/initiative/new.ttl?page=4").status_code == 404
    assert small.get("/doc/initiative/new.ttl?page=zero").status_code == 400
    html = small.get("/doc/initiative/new?page=2", headers={"Accept": "text/html"}).text
    assert 'rel="next"' in html and 'rel="prev"' in html


# -- 404, 301, 410 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/initiative/no-such-thing",
        "/doc/initiative/no-such-thing",
        "/def/NoSuchTerm",
        "/id/no-such-type",
    ],
)
def test_unknown_iri_is_404_html_or_rdf(client: TestClient, path: str) -> None:
    html = client.get(path, headers={"Accept": "text/html"})
    assert html.status_code == 404
    assert html.headers["content-type"].startswith("text/html")
    assert '<html lang="' in html.text
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 404
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=turtle.text, format="turtle")) == 0
    assert turtle.text.startswith("# 404")


def test_deprecated_with_replacement_is_301(small: TestClient) -> None:
    response = small.get("/id/initiative/old", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/id/initiative/new"
    document = small.get("/doc/initiative/old.ttl?lang=en", follow_redirects=False)
    assert document.status_code == 301
    assert document.headers["location"] == "/doc/initiative/new.ttl?lang=en"


def test_deprecated_without_replacement_is_410_saying_what_it_was(small: TestClient) -> None:
    page = small.get(
        "/id/initiative/gone?lang=en", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 410
    assert "A withdrawn initiative" in page.text
    assert "What it was for." in page.text
    assert "deprecated" in page.text
    turtle = small.get("/doc/initiative/gone.ttl")
    assert turtle.status_code == 410
    graph = parse(turtle, "text/turtle")
    assert (
        rdflib.URIRef(BASE + "id/initiative/gone"),
        rdflib.OWL.deprecated,
        rdflib.Literal(True),
    ) in graph


def test_labels_and_values_are_escaped(small: TestClient) -> None:
    for lang in ("en", "ja"):
        page = small.get(
            f"/doc/initiative/hostile?lang={lang}", headers={"Accept": "text/html"}
        ).text
        assert "<script" not in page
        assert "<img" not in page
        assert "<b>太字" not in page
        assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in page
        assert "&lt;b&gt;太字&lt;/b&gt;" in page
        assert "&#34;quoted&#34; &amp; &lt;img src=x onerror=alert(1)&gt;" in page
    index = small.get("/id/initiative?lang=en", headers={"Accept": "text/html"}).text
    assert "<script" not in index and "&lt;script&gt;" in index


def test_base_iri_is_configurable(tmp_path: Path, service_store) -> None:
    base = "http://example.org/kg/"
    turtle = (
        "<http://example.org/kg/id/initiative/alpha> a <https://w3id.org/dakg/def/Initiative> ;\n"
        '  <http://www.w3.org/2000/01/rdf-schema#label> "Alpha"@en .\n'
    )
    with build_client(service_store, tmp_path, turtle, base) as local:
        response = local.get("/id/initiative/alpha", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        assert response.history[0].headers["location"] == "/doc/initiative/alpha"
        graph = parse(response, "text/turtle")
        assert (
            rdflib.URIRef(base + "id/initiative/alpha"),
            rdflib.RDFS.label,
            rdflib.Literal("Alpha", lang="en"),
        ) in graph
        # our default namespace is not this service's: it is unknown here
        assert local.get("/id/initiative/mynumber-card").status_code == 404
        assert local.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_root_path_prefixes_links(service_store) -> None:
    app = create_app(Settings.from_env(), service_store.dataset())
    with TestClient(app, root_path="/dakg") as prefixed:
        response = prefixed.get("/dakg/id/initiative/mynumber-card", follow_redirects=False)
        assert response.headers["location"] == "/dakg/doc/initiative/mynumber-card"
        page = prefixed.get(
            "/dakg/doc/initiative/mynumber-card", headers={"Accept": "text/html"}
        ).text
        assert 'href="/dakg/id/agency/digital-agency"' in page
        assert 'href="/dakg/static/resources.css"' in page


# -- HTML ------------------------------------------------------------------------------------


def html(client: TestClient, path: str, **headers: str) -> str:
    response = client.get(path, headers={"Accept": "text/html", **headers})
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_initiative_page_in_japanese(client: TestClient) -> None:
    page = html(client, "/id/initiative/mynumber-card", **{"Accept-Language": "ja"})
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="ja">' in page
    assert '<h1><span lang="ja">マイナンバーカードの普及</span></h1>' in page
    assert 'href="/def/Initiative"' in page  # the type, linked
    assert '<span lang="ja">マイナンバーカードの利用によって' in page  # the aim as description
    assert ">ねらい<" in page  # property labels from the ontology, in Japanese
    assert ">主担当機関<" in page
    assert 'href="/id/agency/digital-agency"><span lang="ja">デジタル庁</span>' in page
    assert 'href="/id/section/activity-report-2021-2022-ch3-mynumber-card"' in page  # its source


def test_initiative_page_in_english(client: TestClient) -> None:
    for page in (
        html(client, "/id/initiative/mynumber-card?lang=en"),
        html(
            client, "/id/initiative/mynumber-card", **{"Accept-Language": "en-GB,en;q=0.9,ja;q=0.5"}
        ),
    ):
        assert '<html lang="en">' in page
        assert '<h1><span lang="en">Promoting the My Number Card</span></h1>' in page
        assert ">lead agency<" in page
        # Japanese-only literals keep their language
        assert '<span lang="ja">一人ひとりに最適なサービスを。</span>' in page


def test_language_choice_is_kept_in_links(client: TestClient) -> None:
    page = html(client, "/id/initiative/mynumber-card?lang=en")
    assert 'href="/id/agency/digital-agency?lang=en"' in page
    assert 'href="/doc/initiative/mynumber-card?lang=ja"' in page  # the language switch


def test_figures_table_with_units_and_dates(client: TestClient) -> None:
    page = html(client, "/id/initiative/mynumber-card?lang=en")
    figures = page[page.index('id="figures"') : page.index('id="milestones"')]
    assert '<th scope="col"' in figures
    assert "18,330,000" in figures
    assert '<time datetime="2022-08-21" lang="en">21 August 2022</time>' in figures
    assert ">cases<" in figures
    assert '<q lang="ja">1,833 万件 健康保険証利用申込数</q>' in figures
    japanese = html(client, "/id/initiative/mynumber-card?lang=ja")
    assert "2022年8月21日" in japanese


def test_milestones_in_date_order_with_the_reports_wording(
    client: TestClient, dataset: Dataset
) -> None:
    page = html(client, "/id/initiative/mynumber-card?lang=ja")
    section = page[page.index('id="milestones"') : page.index('id="properties"')]
    wordings = re.findall(r'<q lang="ja">([^<]+)</q>', section)
    rows = dataset.query(
        "PREFIX dakg: <https://w3id.org/dakg/def/> "
        "SELECT ?w ?early ?late WHERE { ?m dakg:initiative <"
        + MNC
        + "> ; a dakg:Milestone ; dakg:wording ?w . "
        "OPTIONAL { ?m dakg:earliestDate ?early } OPTIONAL { ?m dakg:latestDate ?late } }"
    )
    expected = sorted(
        rows,
        key=lambda r: (
            r["late"] is None,
            r["late"].value if r["late"] else "",
            r["early"] is None,
            r["early"].value if r["early"] else "",
        ),
    )
    assert len(wordings) == len(expected) > 0
    # the same dates in the same order (rows with equal dates may come in either order)
    dates = {
        r["w"].value: (r["late"] and r["late"].value, r["early"] and r["early"].value)
        for r in expected
    }
    assert [dates[w] for w in wordings] == [dates[r["w"].value] for r in expected]
    assert wordings[-1] == "公的個人認証機能を利用する民間サービスの拡大を目指す"  # undated: last


def test_identifiers_with_their_schemes(client: TestClient) -> None:
    page = html(client, "/id/agency/digital-agency?lang=ja")
    section = page[page.index('id="identifiers"') : page.index('id="properties"')]
    assert "法人番号" in section
    assert "8000012010038" in section
    assert "国税庁" in section
    law = html(client, "/id/law/cashless-payment-act?lang=ja")
    section = law[law.index('id="identifiers"') : law.index('id="properties"')]
    assert "e-Gov 法令ID" in section and "504AC0000000039" in section


def test_downloads_and_the_sparql_that_returns_the_description(client: TestClient) -> None:
    page = html(client, "/id/initiative/mynumber-card")
    for ext, media in (("ttl", TURTLE), ("jsonld", JSONLD), ("nt", NTRIPLES), ("rdf", RDFXML)):
        href = f"/doc/initiative/mynumber-card.{ext}"
        assert f'<a href="{href}" type="{media.media_type}">' in page
        assert f'<link rel="alternate" type="{media.media_type}" href="{href}">' in page
    links = re.findall(r'href="(/sparql\?query=[^"]+)"', page)
    assert len(links) == 3
    queries = [parse_qs(urlsplit(link.replace("&amp;", "&")).query)["query"][0] for link in links]
    assert queries[0].startswith("CONSTRUCT { ?entity ?p ?o")
    assert all(f"VALUES (?entity) {{ (<{MNC}>) }}" in q for q in queries)


def test_queries_shown_return_the_description(client: TestClient, dataset: Dataset) -> None:
    page = html(client, "/id/agency/digital-agency")
    links = re.findall(r'href="/sparql\?query=([^"]+)"', page)
    queries = [parse_qs("query=" + link.replace("&amp;", "&"))["query"][0] for link in links]
    union = rdflib.Graph()
    for query in queries:
        text = ox.serialize(dataset.query(query), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        union.parse(data=text, format="nt")
    served = parse(client.get("/doc/agency/digital-agency.ttl"), "text/turtle")
    assert isomorphic(union, served)


def test_semantic_html(client: TestClient) -> None:
    page = html(client, "/id/initiative/mynumber-card")
    assert page.count("<h1>") == 1
    assert '<main id="main">' in page and "<nav" in page and "<footer" in page
    assert '<th scope="row">' in page and '<th scope="col">' in page
    assert "<script" not in page and "style=" not in page
    assert 'hreflang="en"' in page


def test_index_page_lists_every_entity_of_the_type(client: TestClient, dataset: Dataset) -> None:
    page = html(client, "/id/initiative?lang=en")
    initiatives = {
        r["i"].value
        for r in dataset.query("SELECT ?i WHERE { ?i a <https://w3id.org/dakg/def/Initiative> }")
    }
    for iri in initiatives:
        assert f'href="/{iri[len(BASE) :]}?lang=en"' in page
    assert "Promoting the My Number Card" in page
    turtle = parse(client.get("/id/initiative.ttl"), "text/turtle")
    assert set(str(s) for s in turtle.subjects(rdflib.RDF.type, None)) >= initiatives
    kinds = html(client, "/id/")
    assert 'href="/id/initiative"' in kinds and 'href="/id/agency"' in kinds


def test_home_page(client: TestClient, dataset: Dataset) -> None:
    page = html(client, "/?lang=en")
    assert "Digital Agency activity knowledge graph" in page
    assert f"{dataset.triples:,}" in page
    for path in ("/sparql", "/download/", "/def/?lang=en", "/id/initiative?lang=en"):
        assert f'href="{path}"' in page
    pillars = page[page.index('id="pillars"') : page.index('id="counts"')]
    assert pillars.count('class="pillar"') == 3
    assert 'href="/id/initiative/mynumber-card?lang=en"' in pillars
    assert "Delivering Citizen-Centric Public Service" in pillars


def test_static_stylesheet(client: TestClient) -> None:
    response = client.get("/static/resources.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert client.get("/static/secret.txt").status_code == 404


# -- the ontology ----------------------------------------------------------------------------


def test_ontology_documentation(client: TestClient, dataset: Dataset) -> None:
    page = html(client, "/def/?lang=en")
    classes = page[page.index('id="classes"') : page.index('id="properties"')]
    for name, ja, en in (("Initiative", "取組", "Initiative"), ("Agency", "行政機関", "Agency")):
        assert f'id="{name}"' in classes
        assert f'<dd lang="ja">{ja}</dd>' in classes and f'<dd lang="en">{en}</dd>' in classes
    assert "ic:活動型" in classes  # alignment to IMI
    assert "prov:Activity" in classes  # and to international vocabularies
    assert 'id="leadAgency"' in page
    assert "One of the programmes of work the Digital Agency pursues" in page


def test_ontology_shows_the_shapes_of_each_class(client: TestClient, root: Path) -> None:
    assert any((root / "shapes").glob("*.ttl")), "no SHACL shapes in shapes/"
    shapes = rdflib.Graph()
    for path in (root / "shapes").glob("*.ttl"):
        shapes.parse(path, format="turtle")
    target = rdflib.URIRef(BASE + "def/Initiative")
    names = [
        s for s in shapes.subjects(rdflib.SH.targetClass, target) if isinstance(s, rdflib.URIRef)
    ]
    assert names, "no shape targets dakg:Initiative"
    page = html(client, "/def/Initiative?lang=en")
    for shape in names:
        assert f'title="{shape}"' in page


def test_ontology_as_rdf(client: TestClient, root: Path) -> None:
    source = rdflib.Graph().parse(root / "ontology" / "dakg.ttl", format="turtle")
    turtle = parse(client.get("/def/", headers={"Accept": "text/turtle"}), "text/turtle")
    assert isomorphic(source, blank_again(turtle))
    context = client.get("/context.jsonld").json()
    jsonld = parse(client.get("/def/index.jsonld"), "application/ld+json", context)
    assert isomorphic(source, blank_again(jsonld))


def test_term_page(client: TestClient) -> None:
    page = html(client, "/def/leadAgency?lang=ja")
    assert '<html lang="ja">' in page
    assert "主担当機関" in page
    assert 'href="/def/#leadAgency"' in page or 'href="/def/?lang=ja#leadAgency"' in page
