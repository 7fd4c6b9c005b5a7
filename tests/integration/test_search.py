"""/search: parts of labels, other names and keys in both scripts, ranked, as HTML and JSON, on
the store under test (DAKG_TEST_STORE)."""

from __future__ import annotations

import sqlite3
from html.parser import HTMLParser

import pytest
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ID = "https://w3id.org/dakg/id/"


@pytest.fixture(scope="module")
def client(service_store) -> TestClient:
    with TestClient(create_app(Settings.from_env(root=ROOT), service_store.dataset())) as client:
        yield client


def found(client: TestClient, q: str, **params: str) -> list[str]:
    answer = client.get("/search", params={"q": q, "format": "json", **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return [r["iri"].removeprefix(ID) for r in answer.json()["results"]]


def test_sqlite_has_the_trigram_tokenizer() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")


def test_a_japanese_fragment_finds_its_entities(client) -> None:
    hits = found(client, "マイナ", limit="100")
    assert {"system/mynumber-card", "initiative/mynaportal", "system/mynaportal"} <= set(hits)
    assert "system/government-cloud" not in hits
    assert found(client, "クラウド")[0] == "system/government-cloud"


def test_an_english_fragment_finds_the_government_cloud(client) -> None:
    hits = found(client, "cloud")
    assert hits[0] == "system/government-cloud"
    assert "initiative/government-cloud" in hits
    # Case and width do not matter: full-width Latin is the same word.
    assert found(client, "ＣＬＯＵＤ") == hits
    assert "initiative/mynumber-card" not in hits


def test_short_words_alternative_labels_and_keys(client) -> None:
    # Two characters: under the trigram's reach, matched by LIKE; "EU" is an alternative label.
    assert found(client, "EU")[0] == "international-organisation/european-union"
    assert "agency/mext" in found(client, "文科省")  # 文部科学省's alternative label
    assert "agency/digital-agency" in found(client, "庁", limit="100")
    # A key (the last part of the IRI), with or without its hyphens.
    licence = "milestone/mynumber-card-drivers-licence-integration"
    assert licence in found(client, "drivers-licence")
    assert licence in found(client, "drivers licence")
    assert found(client, "zzzqqq") == []


def test_every_word_must_match(client) -> None:
    hits = found(client, "government security")
    assert hits[0] == "system/local-government-security-cloud"
    assert "system/government-cloud" not in hits


def test_the_exact_label_ranks_first(client) -> None:
    # ガバメントクラウド is the system's label and a part of the initiative's (ガバメントクラウドの整備).
    assert found(client, "ガバメントクラウド")[:2] == [
        "system/government-cloud",
        "initiative/government-cloud",
    ]
    assert found(client, "マイナンバーカード")[0] == "system/mynumber-card"
    assert found(client, "マイナンバーカードの普及")[0] == "initiative/mynumber-card"
    assert found(client, "government cloud")[0] == "system/government-cloud"


def test_the_json_answer(client) -> None:
    answer = client.get(
        "/search", params={"q": "cloud", "lang": "en"}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["q"] == "cloud" and body["total"] >= len(body["results"]) > 3
    first = body["results"][0]
    assert first == {
        "iri": ID + "system/government-cloud",
        "key": "government-cloud",
        "type": "system",
        "label": "Government Cloud",
        "lang": "en",
        "matched": "Government Cloud",
        "matchedLang": "en",
        "field": "label",
    }
    ja = client.get("/search", params={"q": "cloud", "format": "json"}).json()["results"][0]
    assert ja["label"] == "ガバメントクラウド" and ja["matched"] == "Government Cloud"
    limited = client.get("/search", params={"q": "マイナ", "format": "json", "limit": "2"}).json()
    assert len(limited["results"]) == 2 and limited["total"] > 2


class Page(HTMLParser):
    """The links and forms of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self.in_header = False
        self.header_forms: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "header":
            self.in_header = True
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self.forms.append(attributes)
            if self.in_header:
                self.header_forms.append(attributes.get("action"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self.in_header = False


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def test_the_html_page_lists_the_hits_in_the_site_layout(client) -> None:
    answer = client.get("/search", params={"q": "ガバメントクラウド"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src 'none'" in answer.headers["content-security-policy"]
    page = parse(answer.text)
    assert page.header_forms == ["/search"]
    hits = [link for link in page.links if link.startswith("/id/") and "/id/" != link]
    assert hits[0] == "/id/system/government-cloud"
    assert "/id/initiative/government-cloud" in hits
    english = client.get("/search", params={"q": "cloud", "lang": "en"})
    assert 'lang="en"' in english.text and ">Government Cloud</span></a>" in english.text
    # The chosen language is kept by the search box.
    assert '<input type="hidden" name="lang" value="en">' in english.text
    nothing = client.get("/search", params={"q": "zzzqqq"})
    assert nothing.status_code == 200 and "該当するものはありません" in nothing.text
    form = client.get("/search")
    assert form.status_code == 200 and 'name="q"' in form.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/",
        "/id/initiative",
        "/doc/initiative/mynumber-card",
        "/def/",
        "/doc/initiative/no-such",
        "/sparql",
    ],
)
def test_every_page_has_the_search_box_and_a_link_to_the_api(client, path) -> None:
    page = parse(client.get(path, headers={"Accept": "text/html"}).text)
    assert page.header_forms == ["/search"]
    assert "/api/" in page.links


@pytest.mark.parametrize(
    ("params", "parameter", "words"),
    [
        ({"q": ""}, "q", "empty"),
        ({"q": "   "}, "q", "empty"),
        ({"q": "あ" * 201}, "q", "at most 200"),
        ({}, "q", "missing"),
        ({"q": "cloud", "limit": "0"}, "limit", "from 1 to 100"),
        ({"q": "cloud", "limit": "many"}, "limit", "from 1 to 100"),
        ({"q": "cloud", "lang": "fr"}, "lang", "ja, en"),
        ({"q": "cloud", "sort": "name"}, "sort", "unknown parameter"),
        ({"q": "cloud", "format": "xml"}, "format", "html or json"),
    ],
)
def test_bad_requests_get_422_naming_the_parameter(client, params, parameter, words) -> None:
    answer = client.get("/search", params=params, headers={"Accept": "application/json"})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"][0]
    assert detail["loc"][-1] == parameter and parameter in detail["msg"] and words in detail["msg"]


def test_a_bad_request_from_a_browser_gets_the_page_with_the_message(client) -> None:
    answer = client.get("/search", params={"q": "x" * 300}, headers={"Accept": "text/html"})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "parameter &#39;q&#39; is 300 characters long" in answer.text
    assert client.get("/search", params={"q": ""}).status_code == 422


def test_search_answers_carry_an_etag_and_answer_304(client) -> None:
    first = client.get("/search", params={"q": "cloud", "format": "json"})
    again = client.get(
        "/search",
        params={"q": "cloud", "format": "json"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert "Accept" in first.headers["vary"]


@pytest.mark.memory_only(reason="an update through /sparql on a store of its own, in memory")
def test_the_index_follows_an_update_of_the_dataset() -> None:
    settings = Settings.from_env(root=ROOT, update_token="secret-token", query_processes=0)
    app = create_app(settings, Dataset.load(ROOT))
    update = (
        "INSERT DATA { GRAPH <http://example.org/g> { <https://w3id.org/dakg/id/system/quokka> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "クオッカ基盤"@ja } }'
    )
    with TestClient(app) as client:
        assert found(client, "クオッカ") == []
        version = app.state.search_index.version
        answer = client.post(
            "/sparql", data={"update": update}, headers={"authorization": "Bearer secret-token"}
        )
        assert answer.status_code == 204
        assert found(client, "クオッカ") == ["system/quokka"]
        assert found(client, "quokka") == ["system/quokka"]  # its key
        assert app.state.search_index.version != version


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=30), limit=st.integers(min_value=1, max_value=100))
def test_no_query_makes_a_server_error(client, q, limit) -> None:
    answer = client.get("/search", params={"q": q, "limit": str(limit), "format": "json"})
    assert answer.status_code in (200, 422), (q, answer.text)
    if answer.status_code == 200:
        assert len(answer.json()["results"]) <= limit


def test_search_is_documented_in_openapi(client) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/search"]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert set(documented) == {"q", "lang", "limit", "format"}
    assert documented["q"]["required"] and documented["q"]["schema"]["maxLength"] == 200
