"""SERVICE and LOAD are spotted wherever they stand as keywords, and only there."""

from __future__ import annotations

import pytest
from dakg.negotiation import network_keywords


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { service silent <http://10.0.0.1/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?a ?b ?c . SERVICE<http://x/>{?s ?p ?o} }",
        "PREFIX e: <http://e/> SELECT * { OPTIONAL { Service ?endpoint { ?s ?p ?o } } }",
        "SELECT * WHERE { ?s a ?t .SERVICE SILENT <http://127.0.0.1:9/c> { ?a ?b ?c } }",
        "SELECT * WHERE { ?s ?p ?o.SERVICE <http://127.0.0.1:9/c> { ?a ?b ?c } }",
        "SELECT * WHERE { []SERVICE <http://127.0.0.1:9/c> { ?a ?b ?c } }",
    ],
)
def test_service_is_found(text: str) -> None:
    assert network_keywords(text) == {"SERVICE"}


def test_load_is_found() -> None:
    assert network_keywords("LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://g>") == {"LOAD"}


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }',
        "SELECT ?service WHERE { ?service a <http://example.org/SERVICE> }",
        "# SERVICE <http://x/>\nSELECT * WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:SERVICE ?o ; ex:load ?x }",
        "SELECT ?services ?loaded WHERE { ?services ?p ?loaded }",
        "SELECT * WHERE { ?s ?p '''LOAD <http://x/>''' }",
    ],
)
def test_words_in_strings_iris_comments_and_names_are_not_keywords(text: str) -> None:
    assert network_keywords(text) == set()


def test_the_endpoint_refuses_service_and_load_and_sends_nothing(tmp_path) -> None:
    """A SERVICE call to a loopback server is refused before the query runs: the server sees nothing."""
    import http.server
    import threading

    from dakg.app import create_app
    from dakg.settings import Settings
    from fastapi.testclient import TestClient

    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        client = TestClient(create_app(Settings.from_env(update_token="secret-token")))
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s a ?t .SERVICE SILENT <{target}> {{ ?a ?b ?c }} }} LIMIT 1",
        ):
            answer = client.get("/sparql", params={"query": query})
            assert answer.status_code == 403 and "SERVICE" in answer.text
        update = client.post(
            "/sparql",
            data={"update": f"LOAD <{target}>"},
            headers={"Authorization": "Bearer secret-token"},
        )
        assert update.status_code == 403 and "LOAD" in update.text
    finally:
        server.shutdown()
    assert seen == []
