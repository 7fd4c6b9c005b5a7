"""The query page at /sparql for browsers: its examples run, its results are text, never HTML."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from dakg.settings import Settings
from dakg.sparql.library import list_queries, run_query
from dakg.sparql.values import binding_points
from dakg.web.app import create_app
from dakg.web.endpoint.page import script_json
from fastapi.testclient import TestClient
from helpers.server import live_server_fixture

live_server = live_server_fixture()
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CONFIG = re.compile(r'<script id="dakg-config" type="application/json">(.*?)</script>', re.S)
MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"


@pytest.fixture(scope="module")
def client(service_store, root) -> Iterator[TestClient]:
    app = create_app(Settings.from_env(root=root), service_store.dataset())
    with TestClient(app) as test_client:  # the app's lifespan, as a server runs it
        yield test_client


@pytest.fixture(scope="module")
def config(client) -> dict:
    page = client.get("/sparql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    return json.loads(CONFIG.search(page.text).group(1))


def test_the_page_offers_every_saved_query(config, root):
    saved = list_queries(root / "queries")
    assert saved, "queries/ has saved queries"
    assert [e["name"] for e in config["examples"]] == [q.name for q in saved]
    assert [e["title"] for e in config["examples"]] == [q.title for q in saved]


def test_every_example_runs_as_its_saved_query_does(client, config, dataset, root):
    """The page binds a saved query's defaults with VALUES; the answer is the saved query's own."""
    saved = {q.name: q for q in list_queries(root / "queries")}
    for example in config["examples"]:
        response = client.get("/sparql", params={"query": example["query"]})
        assert response.status_code == 200, (example["name"], response.text)
        rows = response.json()["results"]["bindings"]
        result = run_query(dataset.store, saved[example["name"]], {})
        expected = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
        assert rows, f"{example['name']}: no rows with its defaults"
        assert canonical(rows) == canonical(expected["results"]["bindings"]), example["name"]


def canonical(bindings: list[dict]) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True, ensure_ascii=False) for b in bindings)


def test_config_json_cannot_close_its_script_element():
    text = script_json({"title": "</script><script>alert(1)</script>", "q": "a & b > c"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["title"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ["SELECT * WHERE {"]),
        (
            "PREFIX x: <http://x/#> SELECT ('{' AS ?b) WHERE { ?s x:p '}' }",
            ["PREFIX x: <http://x/#> SELECT ('{' AS ?b) WHERE {"],
        ),
        ("CONSTRUCT { ?s ?p ?lang } WHERE { ?s ?p ?o }", ["CONSTRUCT { ?s ?p ?lang } WHERE {"]),
        (
            "# { not this\nASK { { ?s ?p ?o } UNION { ?s ?p ?lang } }",
            ["# { not this\nASK {", "# { not this\nASK { { ?s ?p ?o } UNION {"],
        ),
        (
            "SELECT * { VALUES ?lang { 'ja' } { SELECT ?s { ?s ?p ?lang } } }",
            ["SELECT * {", "SELECT * { VALUES ?lang { 'ja' } { SELECT ?s {"],
        ),
        ("CONSTRUCT WHERE { ?s ?p ?lang }", []),
        # A BIND in an OPTIONAL sees only the OPTIONAL's own group: it needs a block there.
        (
            "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?l BIND (?lang AS ?x) } }",
            ["SELECT * WHERE {", "SELECT * WHERE { ?s ?p ?o OPTIONAL {"],
        ),
    ],
)
def test_binding_points_are_the_where_clause_and_the_groups_that_use_a_parameter(text, expected):
    points = binding_points(text, {"lang"})
    assert sorted(text[:point] for point in points) == sorted(expected)


def test_the_page_has_a_strict_content_security_policy(client):
    page = client.get("/sparql", headers={"accept": BROWSER_ACCEPT})
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "connect-src 'self'" in policy
    # no other origin anywhere in the policy: only 'self' and the hashes of two fixed styles
    sources = {word for part in policy.split(";") for word in part.split()[1:]}
    assert all(w in ("'self'", "'none'", "data:") or w.startswith("'sha256-") for w in sources)
    assert len([w for w in sources if w.startswith("'sha256-")]) == 2
    assert page.headers["x-content-type-options"] == "nosniff"
    again = client.get(
        "/sparql", headers={"accept": BROWSER_ACCEPT, "if-none-match": page.headers["etag"]}
    )
    assert again.status_code == 304


def test_the_page_needs_nothing_from_the_internet(client):
    page = client.get("/sparql", headers={"accept": BROWSER_ACCEPT}).text
    # what the page loads (scripts, styles, images, frames) comes from this origin
    loads = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page)
    assert loads and all(url.startswith("/") and not url.startswith("//") for url in loads)
    for url in loads:
        assert client.get(url).status_code == 200, url
    # no inline code: the page's script is a file; the configuration is JSON, not code
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [
        '<script id="dakg-config" type="application/json">',
        '<script id="dakg-messages" type="application/json">',
    ]
    assert "<style" not in page and " style=" not in page
    # the editor completes from the page's own lists, never from another server
    script = client.get("/static/sparql.js").text
    assert "fetch(" not in script and "XMLHttpRequest" not in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_the_page_offers_our_prefixes_and_vocabulary(config):
    from dakg.rdf.namespaces import canonical_prefixes

    assert config["prefixes"] == canonical_prefixes()
    assert "https://w3id.org/dakg/def/Initiative" in config["terms"]["classes"]
    assert "https://w3id.org/dakg/def/leadAgency" in config["terms"]["properties"]
    assert "https://w3id.org/dakg/def/Initiative" not in config["terms"]["properties"]


def test_the_page_speaks_the_readers_language(client):
    ja = client.get("/sparql", headers={"accept": BROWSER_ACCEPT, "accept-language": "ja"})
    en = client.get("/sparql?lang=en", headers={"accept": BROWSER_ACCEPT})
    assert '<html lang="ja">' in ja.text and "SPARQLで問い合わせる" in ja.text
    assert '<html lang="en">' in en.text and "Query with SPARQL" in en.text
    for page in (ja, en):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
        assert '<header class="site">' in page.text and 'class="lang-switch"' in page.text
    assert ja.headers["etag"] != en.headers["etag"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: run `make deps` as root")
    return found


def rendered(url: str) -> str:
    """The page's DOM after its script ran, from headless Chromium."""
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--virtual-time-budget=15000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_shared_link_runs_its_query_in_a_browser(live_server):
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f'SELECT ?label WHERE {{ <{MYNUMBER}> rdfs:label ?label FILTER (lang(?label) = "ja") }}'
    )
    dom = rendered(f"{live_server.sparql}?query={quote(query)}")
    assert '<span class="nonIri">"マイナンバーカードの普及"<sup>@ja</sup></span>' in dom
    assert "1 result in" in dom


def test_result_values_are_shown_as_text_not_html(live_server):
    attack = '<img src=x onerror="document.title=1">'
    query = f"SELECT ?x WHERE {{ BIND ({json.dumps(attack)} AS ?x) }}"
    dom = rendered(f"{live_server.sparql}?query={quote(query)}")
    assert '<span class="nonIri">&lt;img src=x onerror="document.title=1"&gt;</span>' in dom
    assert "<img" not in dom


def test_behind_a_root_path_the_page_loads_and_links_under_it(service_store):
    app = create_app(Settings.from_env(), service_store.dataset())
    with TestClient(app, root_path="/dakg") as prefixed:
        page = prefixed.get("/dakg/sparql", headers={"accept": BROWSER_ACCEPT}).text
        loads = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page)
        assert loads and all(url.startswith("/dakg/static/") for url in loads), loads
        assert 'href="/dakg/sparql?lang=en"' in page  # the language switch
        for url in loads:
            assert prefixed.get(url).status_code == 200, url
