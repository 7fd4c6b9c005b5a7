"""/def/ as docs to write SPARQL from: the generated model diagram, the PREFIX block, each class's
properties as CURIEs with range and cardinality, example queries that run, the properties of other
vocabularies, the date model, and the modelling guide (data/README.md) at /def/modelling."""

from __future__ import annotations

import html as htmllib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import rdflib
from dakg.rdf.namespaces import canonical_prefixes
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from dakg.web.linked_data.guide import render as render_guide
from dakg.web.linked_data.views import compact
from fastapi.testclient import TestClient
from helpers import ROOT

DEF = "https://w3id.org/dakg/def/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client(service_store) -> Iterator[TestClient]:
    with TestClient(create_app(Settings.from_env(), service_store.dataset())) as test_client:
        yield test_client


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text[:300]
    return response.text


def diagram(text: str) -> ET.Element:
    """The page's model diagram, parsed as XML (so it is well-formed)."""
    start, end = text.index("<svg"), text.index("</svg>") + len("</svg>")
    return ET.fromstring(text[start:end])


def shapes_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in (ROOT / "shapes").glob("*.ttl"):
        graph.parse(path, format="turtle")
    return graph


def ontology_classes() -> set[str]:
    graph = rdflib.Graph().parse(ROOT / "ontology" / "dakg.ttl", format="turtle")
    return {
        str(c)
        for c in graph.subjects(rdflib.RDF.type, rdflib.OWL.Class)
        if isinstance(c, rdflib.URIRef) and str(c).startswith(DEF)
    }


def class_section(text: str, name: str) -> str:
    start = text.index(f'<article class="term" id="{name}"')
    return text[start : text.index("</article>", start)]


# -- the diagram -------------------------------------------------------------------------------


def test_the_diagram_has_every_class_and_every_object_property_of_the_shapes(
    client: TestClient,
) -> None:
    svg = diagram(page(client, "/def/?lang=en"))
    links = {a.get("href") for a in svg.iter(f"{SVG}a")}
    for cls in ontology_classes():
        assert f"/def/?lang=en#{cls[len(DEF) :]}" in links, cls
    texts = {t.text for t in svg.iter(f"{SVG}text")}
    shapes = shapes_graph()
    object_paths = {
        str(path)
        for shape in set(shapes.subjects(SH["class"], None)) | set(shapes.subjects(SH.node, None))
        for path in shapes.objects(shape, SH.path)
        if isinstance(path, rdflib.URIRef)
    }
    assert {DEF + "leadAgency", "http://purl.org/dc/terms/isPartOf"} <= object_paths
    for path in object_paths:
        assert compact(path) in texts, path
    # each box links to a section of the page that exists
    text = page(client, "/def/?lang=en")
    for cls in ontology_classes():
        assert f'id="{cls[len(DEF) :]}"' in text


def test_the_diagram_is_the_same_each_time_and_bilingual(client: TestClient) -> None:
    first = page(client, "/def/?lang=ja")
    again = page(client, "/def/?lang=ja")
    ja = first[first.index("<svg") : first.index("</svg>")]
    assert ja == again[again.index("<svg") : again.index("</svg>")]
    english = page(client, "/def/?lang=en")
    en = english[english.index("<svg") : english.index("</svg>")]
    assert ">取組<" in ja and ">Initiative<" not in ja
    assert ">Initiative<" in en and ">取組<" not in en
    assert 'lang="ja"' in ja and 'lang="en"' in en
    # no script in the picture, and it scrolls on a narrow screen rather than shrinks
    assert "<script" not in ja and "javascript:" not in ja
    assert '<div class="scroll diagram">' in first


# -- the PREFIX block ------------------------------------------------------------------------


def test_the_prefix_block_has_every_prefix_and_a_copy_button(client: TestClient) -> None:
    response = client.get("/def/?lang=en", headers={"Accept": "text/html"})
    text = response.text
    block = text[
        text.index('<pre id="prefix-block"') : text.index("</pre>", text.index("prefix-block"))
    ]
    lines = re.findall(r"PREFIX (\w+): &lt;([^&]+)&gt;", block)
    assert dict(lines) == canonical_prefixes()
    assert 'data-copy="prefix-block"' in text
    # the button's script is a file of this origin, and the only script the page has
    scripts = re.findall(r"<script[^>]*>", text)
    assert scripts == ['<script src="/static/resources-copy.js" defer>']
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    script = client.get("/static/resources-copy.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "clipboard" in script.text


def test_the_prefix_block_runs_as_the_head_of_a_query(client: TestClient) -> None:
    text = page(client, "/def/?lang=en")
    start = text.index('<pre id="prefix-block"')
    block = htmllib.unescape(re.sub(r"<[^>]+>", "", text[start : text.index("</pre>", start)]))
    query = block + "SELECT ?i WHERE { ?i a dakg:Initiative ; dakg:pillar ?p } LIMIT 1"
    response = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["results"]["bindings"]


# -- each class's properties and example queries -------------------------------------------


def test_a_class_lists_its_properties_as_curies_with_range_and_cardinality(
    client: TestClient,
) -> None:
    section = class_section(page(client, "/def/?lang=en"), "Initiative")
    table = section[section.index('class="class-properties"') :]
    rows = dict(
        (htmllib.unescape(re.sub(r"<[^>]+>", "", m[0])).split(" ")[0], m)
        for m in re.findall(
            r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td><td>(.*?)</td></tr>", table
        )
    )
    shapes = shapes_graph()
    lead = rdflib.URIRef("https://w3id.org/dakg/shapes/InitiativeShape-lead-agency")
    low, high = shapes.value(lead, SH.minCount), shapes.value(lead, SH.maxCount)
    assert "dakg:leadAgency" in rows
    assert "dakg:Agency" in rows["dakg:leadAgency"][1]
    assert f"<code>{low}..{high}</code>" == rows["dakg:leadAgency"][2]
    # the properties of other vocabularies by their CURIEs, not their labels
    assert "dcterms:source" in rows and "rdfs:label" in rows
    assert "rdf:langString" in rows["rdfs:label"][1]
    assert "<code>2..*</code>" == rows["rdfs:label"][2]
    assert "part of" not in rows
    section = class_section(page(client, "/def/?lang=en"), "Section")
    assert "dcterms:isPartOf" in section and "<code>1..1</code>" in section


def example_queries(text: str) -> list[tuple[str, str]]:
    found = []
    for name in re.findall(r'<article class="term" id="(\w+)"', text):
        section = class_section(text, name)
        for href in re.findall(r'<a href="([^"]+)" class="run-query">', section):
            url = urlsplit(htmllib.unescape(href))
            assert url.path == "/sparql"
            found.append((name, parse_qs(url.query)["query"][0]))
    return found


def test_every_example_query_runs_and_returns_rows(client: TestClient, dataset: Dataset) -> None:
    examples = example_queries(page(client, "/def/?lang=en"))
    by_class: dict[str, int] = {}
    for name, query in examples:
        by_class[name] = by_class.get(name, 0) + 1
        rows = list(dataset.query(query))
        assert rows, f"the example query of {name} returns no rows:\n{query}"
    assert by_class["Initiative"] == 3 and by_class["Milestone"] == 3
    assert {k: n for k, n in by_class.items() if not 2 <= n <= 3} == {}
    assert len(by_class) >= 15
    # and at /sparql, as the link runs it
    name, query = next(e for e in examples if e[0] == "Milestone" and "?linked" in e[1])
    response = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    assert response.json()["results"]["bindings"]


def test_the_properties_of_other_vocabularies_are_listed(client: TestClient) -> None:
    text = page(client, "/def/?lang=en")
    section = text[text.index('<section id="external"') :]
    section = section[: section.index("</section>")]
    for curie in (
        "rdfs:label",
        "dcterms:isPartOf",
        "dcterms:source",
        "skos:inScheme",
        "qb:dataSet",
    ):
        assert f"<code>{curie}</code>" in section, curie
    assert "dakg:leadAgency" not in section


# -- the date model and the modelling guide ------------------------------------------------


@pytest.mark.parametrize(
    "lang, words", [("ja", "文言にない日付は作りません"), ("en", "No date is invented")]
)
def test_the_date_model_is_explained(client: TestClient, lang: str, words: str) -> None:
    text = page(client, f"/def/?lang={lang}")
    section = text[text.index('<section id="dates"') :]
    section = section[: section.index("</section>")]
    assert words in section
    for term in (
        "dakg:dateQualifier",
        "dakg:earliestDate",
        "dakg:latestDate",
        "dakg:referencePeriod",
    ):
        assert term in section
    assert f'href="/def/modelling?lang={lang}"' in section


def test_the_modelling_guide_is_served(client: TestClient) -> None:
    source = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    text = page(client, "/def/modelling?lang=en")
    assert "<h1" in text and "data/ttl — how the report becomes RDF" in text
    assert '<th scope="col"><code>dakg:dateQualifier</code></th>' in text
    assert "<li>" in text and '<table tabindex="0">' in text
    markdown = client.get("/def/modelling.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text == source
    assert (
        "script-src 'none'"
        in client.get("/def/modelling", headers={"Accept": "text/html"}).headers[
            "content-security-policy"
        ]
    )


def test_the_guide_renderer_writes_only_its_own_markup() -> None:
    out = render_guide(
        "# Title <b>x</b>\n\nText <script>alert(1)</script> and `<code>` and **bold**.\n\n"
        "- [ok](https://example.org/) and [bad](javascript:alert(1))\n"
        "  - nested\n- second\n\n| a | b |\n|---|---|\n| <i>1</i> | `2` |\n"
    )
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<b>" not in out and "<i>" not in out
    assert "<code>&lt;code&gt;</code>" in out and "<strong>bold</strong>" in out
    assert '<a href="https://example.org/">ok</a>' in out
    assert "javascript:" not in out.split("bad")[0][-40:] and 'href="javascript' not in out
    assert out.count("<ul>") == 2 and out.count("</ul>") == 2
    assert "<td>&lt;i&gt;1&lt;/i&gt;</td><td><code>2</code></td>" in out


def test_the_diagram_has_the_links_the_ontology_gives_by_domain_and_range(
    client: TestClient,
) -> None:
    graph = rdflib.Graph().parse(ROOT / "ontology" / "dakg.ttl", format="turtle")
    classes = ontology_classes()
    expected = {
        compact(str(p))
        for p in graph.subjects(rdflib.RDF.type, rdflib.OWL.ObjectProperty)
        if str(graph.value(p, rdflib.RDFS.domain)) in classes
        and str(graph.value(p, rdflib.RDFS.range)) in classes
    }
    assert "dakg:hasMilestone" in expected  # stated by the ontology, not by a shape
    texts = {t.text for t in diagram(page(client, "/def/?lang=en")).iter(f"{SVG}text")}
    assert expected <= texts, expected - texts


def test_the_diagram_does_not_depend_on_the_order_it_is_given() -> None:
    import random

    from dakg.web.linked_data.diagram import Arrow, Box
    from dakg.web.linked_data.diagram import render as render_diagram

    boxes = [Box(f"urn:c{n}", f"C{n} <&>", f"#C{n}", f"class {n}") for n in range(14)]
    arrows = [
        Arrow(f"urn:c{n}", f"p{n}", f"urn:c{(n * 5 + 1) % 14}", f"property {n}") for n in range(20)
    ] + [Arrow("urn:c3", "self", "urn:c3", "a loop")]
    first = render_diagram(boxes, arrows, "Model", "en")
    shuffled = random.Random(7)
    for _ in range(5):
        b, a = boxes[:], arrows[:]
        shuffled.shuffle(b)
        shuffled.shuffle(a)
        assert render_diagram(b, a, "Model", "en") == first
    svg = ET.fromstring(first)  # well-formed, the labels escaped
    assert [t.text for t in svg.iter(f"{SVG}text")].count("C0 <&>") == 1
    assert len(list(svg.iter(f"{SVG}a"))) == 14
    # no two boxes in one place
    rects = {(r.get("x"), r.get("y")) for r in svg.iter(f"{SVG}rect") if r.get("rx")}
    assert len(rects) == 14


def test_an_inverse_path_of_the_shapes_is_listed_as_one(client: TestClient) -> None:
    shapes = shapes_graph()
    milestones = rdflib.URIRef("https://w3id.org/dakg/shapes/InitiativeShape-milestones")
    path = shapes.value(milestones, SH.path)
    inverse = shapes.value(path, SH.inversePath)
    assert str(inverse) == DEF + "initiative"
    section = class_section(page(client, "/def/?lang=en"), "Initiative")
    assert "<code>^dakg:initiative</code>" in section
    # and it is no arrow of the diagram's own: the diagram draws dakg:initiative from its subjects
    assert "^dakg:initiative" not in page(client, "/def/?lang=en").split("</svg>")[0]
