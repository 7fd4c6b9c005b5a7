"""The REST API of saved queries and the pictures, checked against the report's own words."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest
from dakg.settings import Settings
from dakg.sparql.library import list_queries
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.server import live_server_fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ID = "https://w3id.org/dakg/id/"
SVG = "{http://www.w3.org/2000/svg}"
INJECTIONS = [
    '" } UNION { ?s ?p ?o } #',
    "'; DROP ALL; #",
    "} UNION { ?s ?p ?o",
    "mynumber-card> } UNION { ?s ?p ?o . <x",
    "line\nbreak",
    "{}",
    "\\u0022",
    "%22%7D",
]


@pytest.fixture(scope="module")
def client(service_store) -> TestClient:
    return TestClient(create_app(Settings.from_env(root=ROOT), service_store.dataset()))


def test_the_catalogue_lists_every_saved_query_with_its_parameters(client) -> None:
    catalogue = client.get("/api/queries").json()
    names = {q["name"] for q in catalogue}
    assert names == {q.name for q in list_queries(ROOT / "queries")}
    milestones = next(q for q in catalogue if q["name"] == "milestones")
    assert milestones["route"] == "/api/milestones"
    assert [p["name"] for p in milestones["parameters"]] == [
        "fiscal_year",
        "from",
        "to",
        "initiative",
        "lang",
    ]


def test_milestones_due_in_fiscal_2022(client) -> None:
    answer = client.get("/api/milestones", params={"fiscal_year": "2022", "limit": "1000"}).json()
    wordings = [m["wording"] for m in answer]
    assert "マイナンバーカード機能のスマートフォン搭載 (2022年度内)" in wordings
    assert "オープンデータ・カタログのリニューアル（2022年度末）" in wordings
    assert not any("運転免許証" in w for w in wordings)
    dues = [m["latestDate"] for m in answer]
    assert dues == sorted(dues) and all("2022-04-01" <= d <= "2023-03-31" for d in dues)


def test_milestones_between_two_dates_in_english(client) -> None:
    answer = client.get(
        "/api/milestones", params={"from": "2025-03-31", "to": "2025-03-31", "lang": "en"}
    ).json()
    assert {m["milestone"].removeprefix(ID) for m in answer} == {
        "milestone/mynumber-card-drivers-licence-integration",
        "milestone/mynaportal-national-qualification-procedures-online",
    }
    assert all(m["initiativeLabel"].isascii() for m in answer)


def test_initiatives_filtered_by_pillar_and_agency(client) -> None:
    pillar3 = client.get("/api/initiatives", params={"pillar": "digital-resilience"}).json()
    assert [i["number"] for i in pillar3] == [17, 18, 19]
    assert pillar3[0]["label_ja"] == "ガバメントクラウドの整備"
    assert isinstance(pillar3[0]["number"], int)
    mext = client.get("/api/initiatives", params={"agency": "mext", "lang": "en"}).json()
    assert [i["label_ja"] for i in mext] == ["教育分野のデジタル化"]


def test_an_initiative_with_its_milestones_and_figures(client) -> None:
    rows = client.get("/api/initiatives/mynumber-card").json()
    parts = [r["part"] for r in rows]
    assert parts[0] == "initiative" and parts.count("milestone") == 5
    figures = {r["value"]: r for r in rows if r["part"] == "figure"}
    assert figures[18330000]["asOf"] == "2022-08-21"
    assert figures[45.8]["unit"] == "％"
    assert client.get("/api/initiatives/no-such-initiative").status_code == 404


def test_agencies_and_an_agency(client) -> None:
    agencies = {a["agency"].removeprefix(ID): a for a in client.get("/api/agencies").json()}
    assert agencies["agency/digital-agency"]["initiatives"] == 19
    assert agencies["agency/mhlw"]["label_ja"] == "厚生労働省"
    mhlw = client.get("/api/agencies/mhlw").json()
    assert [(r["label"], r["role"]) for r in mhlw] == [("医療DXの推進", "partner")]


def test_observations_of_an_indicator_with_targets(client) -> None:
    rows = client.get(
        "/api/indicators/gbizid-prime-accounts-issued/observations", params={"lang": "en"}
    ).json()
    # A fiscal year is its number, not its IRI.
    targets = {r["value"]: r["referencePeriod"] for r in rows if r["kind"] == "target"}
    assert targets == {1000000: 2022, 2800000: 2025}


def test_standards(client) -> None:
    standards = {s["standard"].removeprefix(ID): s for s in client.get("/api/standards").json()}
    assert standards["standard/jp-pint"]["basedOn"] == ID + "standard/peppol"
    assert standards["standard/gif"]["issued"] == "2022-03-31"


def test_csv_with_a_byte_order_mark_tsv_and_sparql_json(client) -> None:
    raw = client.get("/api/initiatives", params={"format": "csv", "bom": "1"}).content
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 19 and table[0]["label"] == "マイナンバーカードの普及"
    tsv = client.get("/api/initiatives", headers={"Accept": "text/tab-separated-values"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert len(tsv.text.strip().split("\n")) == 20
    sparql = client.get("/api/initiatives", params={"format": "sparql-json"}).json()
    first = sparql["results"]["bindings"][0]
    assert first["label"] == {
        "type": "literal",
        "value": "マイナンバーカードの普及",
        "xml:lang": "ja",
    }


def milestone_count(dataset) -> int:
    query = "SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://w3id.org/dakg/def/Milestone> }"
    return int(next(iter(dataset.query(query)))["n"].value)


def test_pages_follow_link_next(client, dataset) -> None:
    total = milestone_count(dataset)
    seen, url, params = [], "/api/milestones", {"limit": "25"}
    while url:
        response = client.get(url, params=params)
        assert int(response.headers["x-total-count"]) == total
        seen.extend(m["milestone"] for m in response.json())
        link = response.headers.get("link")
        url, params = (link.split(">")[0].lstrip("<"), None) if link else (None, None)
    assert len(seen) == total == len(set(seen)) > 50


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/api/milestones", {"fiscal_year": "twenty"}, "fiscal_year"),
        ("/api/milestones", {"from": "2022-02-30"}, "from"),
        ("/api/milestones", {"lang": "fr"}, "lang"),
        ("/api/milestones", {"limit": "0"}, "limit"),
        ("/api/milestones", {"format": "xml"}, "format"),
        ("/api/milestones", {"colour": "red"}, "colour"),
        ("/api/initiatives", {"pillar": "http://example.org/p"}, "pillar"),
        ("/api/queries/due-in-fiscal-year", {"fiscal_year": "2022", "lang": "de"}, "lang"),
    ],
)
def test_bad_parameters_get_422_naming_the_parameter(client, url, params, parameter) -> None:
    response = client.get(url, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == parameter
    assert parameter in response.json()["detail"][0]["msg"]


def query_parameters(client) -> list[tuple[str, str]]:
    """Every (route, parameter) pair of the OpenAPI document."""
    spec = client.get("/openapi.json").json()
    pairs = []
    for path, item in spec["paths"].items():
        for p in item.get("get", {}).get("parameters", []):
            if p["in"] == "query":
                pairs.append((path, p["name"]))
    return pairs


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_every_parameter_is_refused_or_harmless(client, attack) -> None:
    for path, name in query_parameters(client):
        if "{" in path:
            continue
        response = client.get(path, params={name: attack})
        assert response.status_code in (200, 422), (path, name, response.status_code)
        if response.status_code == 200 and response.headers["content-type"].startswith(
            "application/json"
        ):
            # Bound harmlessly: a string parameter is a literal, so it matches nothing it should not.
            body = response.json()
            assert not any(
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" in json.dumps(r) for r in body
            )


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_a_path_parameter_is_refused_or_not_found(client, attack) -> None:
    response = client.get(f"/api/initiatives/{quote(attack, safe='')}")
    assert response.status_code in (404, 422)


def test_every_route_is_documented_with_types_and_an_example(client) -> None:
    spec = client.get("/openapi.json").json()
    for query in list_queries(ROOT / "queries"):
        operation = spec["paths"][f"/api/queries/{query.name}"]["get"]
        assert operation["summary"] == query.title
        documented = {p["name"]: p for p in operation["parameters"]}
        for param in query.parameters:
            assert documented[param.name]["description"]
            assert "type" in documented[param.name]["schema"]
        if not any(p.required for p in query.parameters):
            assert operation["responses"]["200"]["content"]["application/json"]["example"]
    milestones = spec["paths"]["/api/milestones"]["get"]["parameters"]
    fy = next(p for p in milestones if p["name"] == "fiscal_year")
    assert fy["schema"]["type"] == "integer"


def test_a_new_query_file_becomes_a_route_without_code(tmp_path, service_store) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "pillar-count.rq").write_text(
        "# title: How many pillars\n# description: The number of pillars.\n# route: /api/pillar-count\n"
        "SELECT (COUNT(?p) AS ?pillars) WHERE { ?p a <https://w3id.org/dakg/def/Pillar> }\n",
        encoding="utf-8",
    )
    for folder in (ROOT / "queries").iterdir():
        if folder.is_dir():
            (queries / folder.name).symlink_to(folder)
    for name in ("milestones", "indicator-observations"):
        (queries / f"{name}.rq").symlink_to(ROOT / "queries" / f"{name}.rq")
    app = create_app(Settings.from_env(root=tmp_path), service_store.dataset())
    client = TestClient(app)
    assert client.get("/api/pillar-count").json() == [{"pillars": 3}]
    assert "/api/pillar-count" in client.get("/openapi.json").json()["paths"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_input_makes_a_server_error(client, data) -> None:
    pairs = query_parameters(client)
    path, name = data.draw(st.sampled_from(pairs))
    value = data.draw(st.text(max_size=40))
    if "{" in path:
        path = path.split("{")[0] + data.draw(st.text(alphabet="abc-{}'\"<>/ ", max_size=20)) or "x"
    response = client.get(path, params={name: value})
    assert response.status_code < 500


def svg_root(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg"
    return root


def test_the_timeline_links_every_milestone_to_its_initiative(client, dataset) -> None:
    response = client.get("/pictures/timeline.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    root = svg_root(response.text)
    links = root.findall(f".//{SVG}a")
    assert len(links) == milestone_count(dataset)
    assert "/id/initiative/mynumber-card" in {a.get("href") for a in links}
    colours = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {"#1a5fb4", "#c64600", "#26a269"} <= colours
    english = svg_root(client.get("/pictures/timeline.svg", params={"lang": "en"}).text)
    assert english.get(
        "lang"
    ) == "en" and "Delivering Citizen-Centric Public Service" in ET.tostring(
        english, encoding="unicode"
    )


def test_an_initiatives_timeline_holds_only_its_milestones(client) -> None:
    root = svg_root(client.get("/pictures/timeline.svg", params={"initiative": "mynaportal"}).text)
    hrefs = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert hrefs == {"/id/initiative/mynaportal"}
    assert len(root.findall(f".//{SVG}a")) == 8


def test_an_indicator_chart_shows_targets_against_actuals(client) -> None:
    root = svg_root(
        client.get(
            "/pictures/indicators/gbizid-prime-accounts-issued.svg", params={"lang": "en"}
        ).text
    )
    text = ET.tostring(root, encoding="unicode")
    assert "target" in text and "change" in text
    assert "1,000,000" in text and "2,800,000" in text
    assert client.get("/pictures/indicators/no-such-indicator.svg").status_code == 404


def test_labels_in_pictures_are_escaped(tmp_path) -> None:
    from dakg.web.linked_data.pictures import chart_svg

    text = chart_svg(
        "<script>alert(1)</script>",
        [{"value": 1, "unit": "<b>", "kind": "actual", "label": "a & b", "wording": "</title>"}],
        "en",
    )
    root = svg_root(text)
    assert root.find(f".//{SVG}script") is None
    assert "<script>" in ET.tostring(root, encoding="unicode", method="text")


live_server = live_server_fixture()


def test_the_api_through_the_real_server(live_server) -> None:
    """The same answers over a real uvicorn server and a real HTTP client."""
    with httpx.Client(timeout=30) as http:
        rows = http.get(live_server.url("/api/milestones"), params={"fiscal_year": "2022"}).json()
        assert "マイナンバーカード機能のスマートフォン搭載 (2022年度内)" in [
            r["wording"] for r in rows
        ]
        bad = http.get(live_server.url("/api/milestones"), params={"fiscal_year": "} UNION {"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "fiscal_year"
        svg = http.get(live_server.url("/pictures/timeline.svg"))
        assert svg.headers["content-type"] == "image/svg+xml"
        ET.fromstring(svg.text)


def test_an_entity_with_nothing_to_list_is_an_empty_answer_not_a_404(client) -> None:
    # The Children and Families Agency is named in the report but takes part in no initiative.
    answer = client.get("/api/agencies/children-and-families-agency")
    assert answer.status_code == 200 and answer.json() == []
    missing = client.get("/api/agencies/no-such-agency")
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["loc"][-1] == "agency"


def test_the_api_honours_accept_quality_and_says_it_varies(client) -> None:
    answer = client.get("/api/standards", headers={"Accept": "text/csv;q=0, application/json"})
    assert answer.headers["content-type"].startswith("application/json")
    assert "Accept" in answer.headers["vary"]
    preferred = client.get(
        "/api/standards", headers={"Accept": "application/json;q=0.5, text/csv;q=0.9"}
    )
    assert preferred.headers["content-type"].startswith("text/csv")


def test_pictures_carry_an_etag_and_answer_304(client) -> None:
    first = client.get("/pictures/timeline.svg", params={"lang": "en"})
    etag = first.headers["etag"]
    again = client.get(
        "/pictures/timeline.svg", params={"lang": "en"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    other = client.get(
        "/pictures/timeline.svg", params={"lang": "ja"}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/api/", "/pictures/"])
def test_the_api_and_the_pictures_have_an_index(client, path) -> None:
    index = client.get(path)
    assert index.status_code == 200 and index.headers["content-type"] == "application/json"
    links = index.json()["links"]
    assert links and all(link["title"] for link in links)
    for link in links:
        assert client.get(link["href"]).status_code == 200, link["href"]
    page = client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in links:
        assert f'href="{link["href"]}"' in page.text
    assert client.get(path.rstrip("/")).status_code == 200  # redirected to the index
    assert "Accept" in index.headers["vary"]


def test_the_api_index_lists_every_route_and_the_docs(client) -> None:
    hrefs = {link["href"] for link in client.get("/api/").json()["links"]}
    assert {"/docs", "/openapi.json", "/api/queries", "/api/milestones"} <= hrefs
    assert "/api/initiatives/mynumber-card" in hrefs  # a path parameter at its default
    assert {f"/api/queries/{q.name}" for q in list_queries(ROOT / "queries")} <= hrefs
    charts = client.get("/pictures/", params={"lang": "en"}).json()["links"]
    assert charts[0] == {
        "href": "/pictures/timeline.svg",
        "title": "When the planned items are due",
        "type": "image/svg+xml",
    }
    assert "/pictures/indicators/gbizid-prime-accounts-issued.svg" in {c["href"] for c in charts}


def test_the_home_page_links_to_the_api_and_the_pictures(client) -> None:
    home = client.get("/").text
    assert 'href="/api/"' in home and 'href="/pictures/"' in home


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/api/initiatives", {"pillar": "nosuch"}, "pillar"),
        ("/api/initiatives", {"agency": "no-such-agency", "lang": "en"}, "agency"),
        ("/api/milestones", {"initiative": "nosuch"}, "initiative"),
        ("/api/queries/initiatives-by-pillar", {"pillar": "nosuch"}, "pillar"),
        ("/api/initiatives/nosuch", {}, "initiative"),
    ],
)
def test_a_key_the_graph_does_not_have_is_404_naming_it(client, url, params, parameter) -> None:
    answer = client.get(url, params=params)
    assert answer.status_code == 404
    detail = answer.json()["detail"][0]
    assert (
        detail["loc"][-1] == parameter and "nosuch" in detail["msg"] or "no-such" in detail["msg"]
    )
    assert parameter in detail["msg"]


def test_answers_have_the_answers_columns_only_with_plain_values(client) -> None:
    raw = client.get(
        "/api/milestones", params={"from": "2025-03-31", "to": "2025-03-31", "format": "csv"}
    ).text
    header = next(csv.reader(io.StringIO(raw)))
    assert not {"from", "to", "lang", "fiscal_year"} & set(header)
    assert {"milestone", "latestDate", "initiative"} <= set(header)  # initiative is data here
    rows = client.get("/api/milestones", params={"fiscal_year": "2022", "lang": "en"}).json()
    assert rows and not {"fiscal_year", "lang", "from", "to"} & set(rows[0])
    initiatives = client.get("/api/initiatives", params={"pillar": "digital-resilience"}).json()
    assert set(initiatives[0]) >= {"number", "pillar", "leadAgency"}
    assert not {"agency", "lang"} & set(initiatives[0])
    due = client.get("/api/queries/due-in-fiscal-year", params={"format": "csv"}).text
    assert "fiscal_year" not in due.splitlines()[0] and "lang" not in due.splitlines()[0]
    # A fiscal year is its number, in CSV as in JSON.
    observations = client.get(
        "/api/indicators/gbizid-prime-accounts-issued/observations", params={"format": "csv"}
    ).text
    table = list(csv.DictReader(io.StringIO(observations)))
    assert {r["referencePeriod"] for r in table if r["kind"] == "target"} == {"2022", "2025"}
    assert "indicator" not in table[0] and "lang" not in table[0]


def test_lang_follows_accept_language_when_not_given(client) -> None:
    english = client.get("/api/initiatives", headers={"Accept-Language": "en-GB,en;q=0.9,ja;q=0.5"})
    assert english.json()[0]["label"] == "Promoting the My Number Card"
    assert "Accept-Language" in english.headers["vary"]
    japanese = client.get("/api/initiatives", headers={"Accept-Language": "ja,en;q=0.5"})
    assert japanese.json()[0]["label"] == "マイナンバーカードの普及"
    asked = client.get("/api/initiatives", params={"lang": "ja"}, headers={"Accept-Language": "en"})
    assert asked.json()[0]["label"] == "マイナンバーカードの普及"
    assert client.get("/api/initiatives").json()[0]["label"] == "マイナンバーカードの普及"


class Assets(HTMLParser):
    """Every address a page loads or links to."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.addresses += [v for k, v in attrs if k in ("src", "href") and v]


def test_the_openapi_docs_load_only_from_our_own_origin(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = Assets()
    assets.feed(page.text)
    # what the page loads comes from this origin (its links, e.g. the licence, may lead out)
    loads = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page.text)
    assert len(loads) >= 4
    assert not re.search(r"<script>|<script [^>]*>[^<]", page.text), "no inline script"
    for address in loads:
        assert address.startswith("/") and not address.startswith("//"), address
        assert client.get(address).status_code == 200, address
    script = next(a for a in loads if a.endswith("swagger-ui-bundle.js"))
    bundle = client.get(script)
    assert "javascript" in bundle.headers["content-type"] and "SwaggerUIBundle" in bundle.text
    assert 'data-openapi="/openapi.json"' in page.text
    assert "SwaggerUIBundle(" in client.get("/static/docs.js").text
    # the site's header and language switch
    assert '<header class="site">' in page.text and 'class="lang-switch"' in page.text
    assert client.get("/openapi.json").json()["paths"]
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code == 301 and redoc.headers["location"] == "/docs"


@pytest.mark.embedded_only(reason="a query worker stops it; an engine would run on, unwatched")
def test_the_api_runs_saved_queries_under_the_endpoints_limits(tmp_path, service_store) -> None:
    """A saved query runs as a client's /sparql query does: past the time limit it is stopped and
    answered 503 (its worker replaced, on the embedded stores), and the other routes answer."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "everything-thrice.rq").write_text(
        "# title: Every triple three times over\n# description: A query that never ends here.\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n",
        encoding="utf-8",
    )
    for name in ("milestones", "indicator-observations", "initiatives"):
        (queries / f"{name}.rq").symlink_to(ROOT / "queries" / f"{name}.rq")
    app = create_app(Settings.from_env(root=tmp_path, query_timeout=1), service_store.dataset())
    with TestClient(app) as local:
        slow = local.get("/api/queries/everything-thrice")
        assert slow.status_code in (503, 504), slow.text
        assert "took longer" in slow.text or "did not answer" in slow.text
        assert local.get("/api/queries/initiatives").status_code == 200


def test_api_answers_are_validated_and_cached(client) -> None:
    first = client.get("/api/initiatives", params={"lang": "en", "limit": "5"})
    assert first.status_code == 200 and first.headers["etag"] and first.headers["last-modified"]
    again = client.get(
        "/api/initiatives",
        params={"lang": "en", "limit": "5"},
        headers={"if-none-match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    hits = client.app.state.cache.hits
    cached = client.get("/api/initiatives", params={"lang": "en", "limit": "5"})
    assert client.app.state.cache.hits == hits + 1
    assert cached.content == first.content
    assert cached.headers["x-total-count"] == first.headers["x-total-count"] == "19"
    assert cached.headers["link"] == first.headers["link"]
    other = client.get("/api/initiatives", params={"lang": "ja", "limit": "5"})
    assert other.headers["etag"] != first.headers["etag"]


def test_the_store_pages_the_answer(client) -> None:
    """limit and offset reach the store (LIMIT/OFFSET in the query; the total from a COUNT): a
    page is the same rows as that slice of the whole answer, in the same order."""
    whole = client.get("/api/milestones", params={"limit": "1000", "lang": "en"})
    rows = whole.json()
    assert int(whole.headers["x-total-count"]) == len(rows) > 20
    for limit, offset in ((7, 0), (7, 5), (1, len(rows) - 1), (5, len(rows))):
        page = client.get(
            "/api/milestones", params={"limit": str(limit), "offset": str(offset), "lang": "en"}
        )
        assert page.json() == rows[offset : offset + limit]
        assert page.headers["x-total-count"] == str(len(rows))
        assert ("link" in page.headers) == (offset + limit < len(rows))


def test_paging_is_written_into_the_query() -> None:
    from dakg.sparql.form import counted, paged

    query = "PREFIX a: <http://a/>\n# a comment\nSELECT ?x WHERE { ?x a:p ?y } ORDER BY ?x"
    assert paged(query, 5, 10).endswith("ORDER BY ?x\nLIMIT 5 OFFSET 10\n")
    limited = paged(query + " LIMIT 3", 5, 0)
    assert "SELECT * WHERE { SELECT ?x" in limited and limited.endswith("LIMIT 5 OFFSET 0\n")
    assert counted(query).startswith("PREFIX a: <http://a/>\n# a comment\n")
    assert "SELECT (COUNT(*) AS ?total) WHERE { SELECT ?x" in counted(query)
