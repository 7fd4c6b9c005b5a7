"""The service on OpenLink Virtuoso (Debian's `virtuoso-opensource`), set up as the README says.

A session fixture starts a Virtuoso of its own (`virtuoso-t +foreground`, a new database in a
temporary folder, its SQL and HTTP listeners on free 127.0.0.1 ports), waits until `/sparql`
answers and stops it at the end. The real `dakg load` fills it with Digest authentication (dba)
through the Graph Store Protocol at /sparql-graph-crud-auth or SPARQL Update at /sparql-auth;
then the app, on `sparql:http://127.0.0.1:PORT/sparql`, must answer as it does in memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx
import pyoxigraph as ox
import pytest
from dakg.rdf.namespaces import GRAPH
from dakg.settings import Settings
from dakg.sparql.library import list_queries
from dakg.store.base import graph_counts
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.engine import DAKG, dakg_load, stop_engine, wait_until_answering
from helpers.server import HOST, free_port
from test_stores import (
    ASK,
    CONSTRUCT,
    ENTITIES,
    GIVEN,
    QUERY_FILES,
    SELECT,
    answer_of,
    answers_on,
    bindings_for,
    given_bindings,
    normalised,
    term_key,
)

VIRTUOSO = "virtuoso-t"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
# The graph Virtuoso keeps its own metadata in (its quad maps): present in every database.
VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"
# Virtuoso's own graphs (its metadata, LDP, its service description) are in every new database
# and readable at /sparql; made private, the anonymous /sparql's default graph is the union of
# the loaded graphs alone (README).
PRIVATE = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
HIDE_OWN_GRAPHS = (
    f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE}', 1); "
    + "".join(
        f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE}', '{graph}'); "
        for graph in (VIRTRDF, "http://www.w3.org/ns/ldp#", "http://localuriqaserver/sparql")
    )
    + "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1); "
    + "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0);"
)

INI = """\
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort            = {host}:{sql_port}
DisableUnixSocket     = 1
DisableTcpSocket      = 0
MaxClientConnections  = 10
CheckpointInterval    = 0
CaseMode              = 2
DirsAllowed           = ., {folder}
NumberOfBuffers       = 10000
MaxDirtyBuffers       = 6000
ThreadsPerQuery       = 2
AsyncQueueMaxThreads  = 4

[HTTPServer]
ServerPort            = {host}:{http_port}
ServerRoot            = {folder}
MaxClientConnections  = 10
ServerThreads         = 10
Charset               = UTF-8
EnabledGzipContent    = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


# ---- the engine --------------------------------------------------------------------------------


@dataclass
class VirtuosoServer:
    """A running `virtuoso-t` with a database of its own, and the dakg settings that reach it."""

    folder: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen | None = None

    @classmethod
    def start(cls, folder: Path) -> VirtuosoServer:
        binary = shutil.which(VIRTUOSO)
        if binary is None:
            pytest.fail(f"{VIRTUOSO} is missing: apt-get install virtuoso-opensource")
        server = cls(folder, free_port(), free_port())
        ini = folder / "virtuoso.ini"
        ini.write_text(
            INI.format(
                folder=folder, host=HOST, sql_port=server.sql_port, http_port=server.http_port
            ),
            encoding="utf-8",
        )
        log = open(folder / "virtuoso.out", "ab")  # noqa: SIM115
        server.process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=str(folder),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        server.wait_ready()
        server.sql(HIDE_OWN_GRAPHS)
        return server

    def sql(self, statements: str) -> None:
        """SQL statements run as dba by `isql-vt` on the SQL port."""
        isql = shutil.which("isql-vt") or "isql-vt"
        done = subprocess.run(
            [isql, f"{HOST}:{self.sql_port}", "dba", "dba", f"exec={statements}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def store(self) -> str:
        return "sparql:" + self.query_url

    @property
    def update_env(self) -> dict[str, str]:
        """The README's settings for Virtuoso, updates by SPARQL Update (no GSP)."""
        return {
            "DAKG_SPARQL_AUTH": "digest",
            "DAKG_SPARQL_USER": "dba",
            "DAKG_SPARQL_PASSWORD": "dba",
            "DAKG_SPARQL_UPDATE_URL": self.base + "/sparql-auth",
        }

    @property
    def env(self) -> dict[str, str]:
        """The README's settings for Virtuoso, with the Graph Store Protocol."""
        return {**self.update_env, "DAKG_SPARQL_GSP_URL": self.base + "/sparql-graph-crud-auth"}

    def log(self) -> str:
        text = ""
        for name in ("virtuoso.out", "virtuoso.log"):
            path = self.folder / name
            if path.is_file():
                text += path.read_text(encoding="utf-8", errors="replace")[-2000:]
        return text

    def wait_ready(self) -> None:
        """Wait until /sparql answers a query (a new database takes some seconds to create)."""
        wait_until_answering(self.process, self.query_url, "virtuoso-t", START_TIMEOUT, self.log)

    def stop(self) -> None:
        """SIGTERM (Virtuoso checkpoints and exits), then kill if it does not stop in time."""
        stop_engine(self.process, STOP_TIMEOUT)

    def select(self, query: str, dba: bool = False) -> list[dict[str, str]]:
        """A SELECT asked of the engine directly, anonymously at /sparql (what the service sees)
        or as dba at /sparql-auth (every graph): rows of plain values."""
        answer = httpx.post(
            self.base + "/sparql-auth" if dba else self.query_url,
            data={"query": query},
            headers={"accept": "application/sparql-results+json"},
            auth=httpx.DigestAuth("dba", "dba") if dba else None,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()["results"]["bindings"]
        return [{name: cell["value"] for name, cell in row.items()} for row in rows]

    def update(self, update: str) -> None:
        """An update sent to the engine directly, as dba (Digest) at /sparql-auth."""
        answer = httpx.post(
            self.base + "/sparql-auth",
            data={"update": update},
            auth=httpx.DigestAuth("dba", "dba"),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text

    def graph_counts(self, dba: bool = False) -> dict[str, int]:
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = self.select(query, dba)
        return {row["g"]: int(row["n"]) for row in rows}


def own_graphs(counts: dict[str, int]) -> dict[str, int]:
    """The graphs `dakg load` writes (the project's namespace), without the engine's own."""
    return {graph: n for graph, n in counts.items() if graph.startswith(GRAPH)}


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    server = VirtuosoServer.start(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def first_load(virtuoso: VirtuosoServer) -> str:
    """The report of the first `dakg load` into the new database (Graph Store Protocol)."""
    return dakg_load(virtuoso.store, virtuoso.env)


@pytest.fixture(scope="session")
def expected_counts(dataset: Dataset) -> dict[str, int]:
    """The triples of each named graph, as the service holds them in memory."""
    return graph_counts(dataset.store)


def report_line(report: str) -> re.Match[str]:
    found = re.search(
        r"dakg load: (\d+) graphs, (\d+) triples into (\S+) in [\d.]+ s; (.*)", report
    )
    assert found, report
    return found


# ---- dakg load ---------------------------------------------------------------------------------


def test_load_reports_and_checks_the_counts(
    virtuoso: VirtuosoServer, first_load: str, expected_counts: dict[str, int]
) -> None:
    line = report_line(first_load)
    assert int(line[1]) == len(expected_counts)
    assert int(line[2]) == sum(expected_counts.values())
    assert line[3] == virtuoso.store
    assert line[4] == "counts checked"
    assert f"{len(expected_counts)}/{len(expected_counts)} graphs" in first_load
    assert own_graphs(virtuoso.graph_counts()) == expected_counts


def test_a_second_load_changes_nothing(
    virtuoso: VirtuosoServer, first_load: str, expected_counts: dict[str, int]
) -> None:
    before = virtuoso.graph_counts()
    line = report_line(dakg_load(virtuoso.store, virtuoso.env))
    assert (int(line[1]), int(line[2])) == (len(expected_counts), sum(expected_counts.values()))
    assert line[4] == "counts checked"
    assert virtuoso.graph_counts() == before


def test_a_load_through_sparql_update_gives_the_same_graphs(
    virtuoso: VirtuosoServer, first_load: str, expected_counts: dict[str, int]
) -> None:
    """No GSP URL: DROP SILENT GRAPH and INSERT DATA at /sparql-auth. The ontology's graphs hold
    blank nodes, which Virtuoso refuses in INSERT DATA (SP031) but takes in an INSERT template."""
    before = virtuoso.graph_counts()
    try:
        line = report_line(dakg_load(virtuoso.store, virtuoso.update_env))
        assert line[4] == "counts checked"
        assert virtuoso.graph_counts() == before
    finally:  # the graphs as the first load left them, for the tests that follow
        dakg_load(virtuoso.store, virtuoso.env)


def test_a_large_graph_loads_through_sparql_update(
    virtuoso: VirtuosoServer, first_load: str, tmp_path: Path
) -> None:
    """A source of 6,000 triples, sent by SPARQL Update in chunks: Virtuoso's SPARQL parser gives
    up ("SP030 ... memory exhausted") on an INSERT DATA of about 5,000 triples."""
    source = tmp_path / "large.ttl"
    lines = [
        f'<https://example.org/s{i}> <https://example.org/p> "value {i}" .' for i in range(6000)
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    graph = GRAPH + "large"
    try:
        report = dakg_load(virtuoso.store, virtuoso.update_env, str(source))
        assert report_line(report)[4] == "counts checked"
        assert virtuoso.graph_counts()[graph] == 6000
    finally:
        virtuoso.update(f"DROP SILENT GRAPH <{graph}>")


def test_the_credentials_are_needed_to_load(virtuoso: VirtuosoServer, first_load: str) -> None:
    """Without them Virtuoso's writable endpoints refuse: the load fails and says so."""
    env = {**virtuoso.env, "DAKG_SPARQL_PASSWORD": "wrong"}
    done = subprocess.run(
        [str(DAKG), "load", "--to", virtuoso.store],
        env={**os.environ, "DAKG_ROOT": str(ROOT), **env},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "credentials" in done.stderr and "wrong" not in done.stderr
    assert "Traceback" not in done.stderr


# ---- the service on Virtuoso -------------------------------------------------------------------


@pytest.fixture(scope="session")
def clients(
    dataset: Dataset, virtuoso: VirtuosoServer, first_load: str
) -> Iterator[dict[str, TestClient]]:
    """The app in memory and on Virtuoso (the DAKG_SPARQL_* settings read from the environment)."""
    memory_app = create_app(Settings.from_env(root=ROOT, query_processes=0), dataset)
    with mock.patch.dict(os.environ, virtuoso.env):
        settings = Settings.from_env(root=ROOT, store=virtuoso.store, query_processes=0)
        virtuoso_app = create_app(settings)
    with TestClient(memory_app) as memory, TestClient(virtuoso_app) as remote:
        yield {"memory": memory, "virtuoso": remote}


@pytest.fixture(scope="session")
def stores(clients: dict[str, TestClient]) -> dict[str, object]:
    return {name: client.app.state.dataset.store for name, client in clients.items()}


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_saved_query_gives_the_same_answer(stores, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    bound = bindings_for(path)
    answers = answers_on(stores, text, bound)
    assert answers["virtuoso"] == answers["memory"]


@pytest.mark.parametrize(("name", "values"), GIVEN, ids=lambda v: str(v))
def test_saved_queries_with_their_optional_parameters_answer_the_same(
    stores, name: str, values: dict[str, str]
) -> None:
    text, bound = given_bindings(name, values)
    answers = answers_on(stores, text, bound)
    assert answers["virtuoso"] == answers["memory"]
    assert answers["memory"]


@pytest.mark.parametrize("name", [q.name for q in list_queries(ROOT / "queries")])
def test_every_api_route_answers_the_same(clients, name: str) -> None:
    answers = {}
    for store, client in clients.items():
        response = client.get(f"/api/queries/{name}", params={"limit": "1000"})
        assert response.status_code == 200, (store, response.text)
        answers[store] = sorted(json.dumps(row, sort_keys=True) for row in response.json())
    assert answers["virtuoso"] == answers["memory"]
    assert answers["memory"]


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT, "application/sparql-results+json"),
        (SELECT, "application/sparql-results+xml"),
        (SELECT, "text/csv"),
        (SELECT, "text/tab-separated-values"),
        (CONSTRUCT, "text/turtle"),
        (CONSTRUCT, "application/n-triples"),
        (CONSTRUCT, "application/ld+json"),
        (CONSTRUCT, "application/rdf+xml"),
        (ASK, "application/sparql-results+json"),
        (ASK, "application/sparql-results+xml"),
    ],
)
def test_sparql_answers_the_same(clients, query: str, accept: str) -> None:
    answers = {}
    for store, client in clients.items():
        get = client.get("/sparql", params={"query": query}, headers={"accept": accept})
        post = client.post(
            "/sparql",
            content=query,
            headers={"accept": accept, "content-type": "application/sparql-query"},
        )
        form = client.post("/sparql", data={"query": query}, headers={"accept": accept})
        for response in (get, post, form):
            assert response.status_code == 200, (store, response.text)
            assert response.headers["content-type"].startswith(accept), store
        answers[store] = [comparable(r, accept) for r in (get, post, form)]
    assert answers["virtuoso"] == answers["memory"]
    assert len({json.dumps(a, default=str) for a in answers["memory"]}) == 1


def comparable(response: httpx.Response, accept: str) -> object:
    """An answer as a value that compares across stores, whatever the engine's way of writing
    it (quoting in CSV, `typed-literal` in SPARQL JSON): the terms themselves."""
    results = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }
    if accept in results:
        return answer_of(ox.parse_query_results(response.content, format=results[accept]))
    if accept == "text/csv":  # CSV drops the kind of term: compare the values
        rows = list(csv.reader(io.StringIO(response.text)))
        return rows[0], sorted(map(tuple, rows[1:]))
    rdf = ox.RdfFormat.from_media_type(accept)
    return sorted(
        " ".join(term_key(t) for t in (x.subject, x.predicate, x.object))
        for x in ox.parse(response.content, format=rdf)
    )


def test_the_protocol_checks_stay_local(clients) -> None:
    client = clients["virtuoso"]
    assert client.get("/sparql", params={"query": "SELEKT"}).status_code == 400
    assert client.put("/sparql").status_code == 405
    assert (
        client.post("/sparql", content="x", headers={"content-type": "text/plain"}).status_code
        == 415
    )
    assert (
        client.get("/sparql", params={"query": SELECT}, headers={"accept": "image/png"}).status_code
        == 406
    )
    assert client.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403


@pytest.mark.parametrize("entity", ENTITIES)
def test_id_and_doc_answer_the_same(clients, entity: str) -> None:
    turtle, html = {}, {}
    for store, client in clients.items():
        redirect = client.get(f"/id/{entity}", follow_redirects=False)
        assert redirect.status_code == 303, store
        location = redirect.headers["location"]
        response = client.get(location, headers={"accept": "text/turtle"})
        assert response.status_code == 200, store
        turtle[store] = normalised(response)
        page = client.get(location, headers={"accept": "text/html"})
        assert page.status_code == 200, store
        html[store] = page.text.replace(client.app.state.dataset.version, "VERSION")
    assert turtle["virtuoso"] == turtle["memory"]
    assert turtle["memory"]
    assert html["virtuoso"] == html["memory"]


def test_health(clients, virtuoso: VirtuosoServer) -> None:
    health = {store: client.get("/health") for store, client in clients.items()}
    for store, response in health.items():
        assert response.status_code == 200, store
        assert response.json()["status"] == "ok", store
    body = health["virtuoso"].json()
    assert body["store"] == virtuoso.store
    assert "dba" not in json.dumps(body)
    memory = health["memory"].json()
    assert (body["triples"], body["graphs"]) == (memory["triples"], memory["graphs"])


def test_the_nquads_dump_has_the_same_quads(clients) -> None:
    dumps = {}
    for store, client in clients.items():
        response = client.get("/download/dakg.nq")
        assert response.status_code == 200, store
        dumps[store] = sorted(
            " ".join(term_key(t) for t in q)
            for q in ox.parse(response.content, format=ox.RdfFormat.N_QUADS)
        )
    assert dumps["virtuoso"] == dumps["memory"]


# ---- last: a load that replaces ----------------------------------------------------------------


def test_load_replace_drops_only_the_projects_graphs(
    virtuoso: VirtuosoServer, first_load: str, clients, expected_counts: dict[str, int]
) -> None:
    """`--replace` drops a graph of the project that no source feeds any more, and no graph of the
    engine's own (Virtuoso's metadata) nor of anyone else. Last in this file: it writes."""
    stale = GRAPH + "data/removed-since"
    foreign = "https://example.org/someone-elses-graph"
    update = (
        f'INSERT DATA {{ GRAPH <{stale}> {{ <urn:a> <urn:b> "stale" }} '
        f'GRAPH <{foreign}> {{ <urn:a> <urn:b> "kept" }} }}'
    )
    virtuoso.update(update)
    before = virtuoso.graph_counts(dba=True)
    assert VIRTRDF in before and VIRTRDF not in virtuoso.graph_counts()
    assert stale in before and foreign in before
    report = dakg_load(virtuoso.store, virtuoso.env, "--replace")
    dropped = re.findall(r"dakg load: dropped (\S+)", report)
    assert dropped == [stale]
    after = virtuoso.graph_counts(dba=True)
    assert own_graphs(after) == expected_counts
    assert {g: n for g, n in after.items() if not g.startswith(GRAPH)} == {
        g: n for g, n in before.items() if not g.startswith(GRAPH)
    }
