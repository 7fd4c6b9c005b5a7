"""Where the graph lives: in memory, in pyoxigraph's on-disk store, or in an external SPARQL engine.

The store setting (DAKG_STORE, `--store`) names one of them:

- `memory`: pyoxigraph in memory, loaded from ontology/ and data/ttl/ at start;
- `oxigraph:PATH`: pyoxigraph's persistent store in the folder PATH, filled by `dakg load`;
- `sparql:QUERY_URL`: any SPARQL 1.1 engine, with DAKG_SPARQL_UPDATE_URL, DAKG_SPARQL_GSP_URL,
  and its credentials: DAKG_SPARQL_USER and DAKG_SPARQL_PASSWORD (HTTP Basic, or Digest with
  DAKG_SPARQL_AUTH=digest), or DAKG_SPARQL_TOKEN (a Bearer token). Credentials are never logged.

Every route reaches the graph through the few methods of pyoxigraph's Store that `RemoteStore`
also has (`query`, `update`, `named_graphs`, `quads_for_pattern`, `len`), so one code path serves
all three: the first two are a pyoxigraph Store, the third speaks the SPARQL 1.1 Protocol and
parses the engine's answers back into pyoxigraph's result objects.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox
from dakg.errors import GatewayTimeout, InputError, Unavailable
from dakg.rdf.namespaces import RDF_TYPE, SH, XSD, canonical_prefixes
from dakg.sparql.form import query_shape
from dakg.sparql.lexer import PNAME, WORD, declared_prefixes, tokens
from dakg.sparql.values import bind_values
from dakg.store.base import (
    LOAD_MARKER_GRAPH,
    Store,
    StoreKind,
    graph_counts,
    service_query,
    service_update,
)
from dakg.store.embedded import EmbeddedStore

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
XSD_BOOLEAN = XSD + "boolean"
BNODE_LABEL = re.compile(r"[A-Za-z0-9_]+")
# Triples per INSERT DATA request when an engine has no Graph Store Protocol.
INSERT_CHUNK = 1_000


class StoreError(Unavailable):
    """The store cannot answer now: the HTTP status to answer with and a message for people."""

    status = 503


class StoreUnavailable(StoreError):
    """The engine cannot be reached, or answered with a server error (503)."""

    status = 503


class StoreTimeout(StoreError, GatewayTimeout):
    """The engine did not answer within the configured timeout (504)."""

    status = 504


class StoreSettingError(InputError, ValueError):
    """A store setting that names no known kind of store (a setting at fault: exit 2)."""


class EngineRefused(InputError, ValueError):
    """The engine refused the request itself (a 4xx other than a refusal of the credentials):
    the request is at fault, with the engine's own status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoreConfig:
    """A parsed store setting, with the engine's other URLs and credentials for `sparql:`."""

    kind: StoreKind
    location: str = ""
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    digest: bool = False

    def __post_init__(self) -> None:
        # Told once, here: a kind given by its setting word becomes the enum callers ask.
        object.__setattr__(self, "kind", StoreKind(self.kind))

    @property
    def folder(self) -> Path | None:
        """The on-disk store's folder (None for the other kinds)."""
        return Path(self.location) if self.kind.on_disk else None

    @classmethod
    def parse(cls, text: str, env: Mapping[str, str] | None = None) -> StoreConfig:
        """`memory`, `oxigraph:PATH` or `sparql:QUERY_URL` (the rest from DAKG_SPARQL_*)."""
        env = os.environ if env is None else env
        word, _, location = text.strip().partition(":")
        kind = StoreKind(word) if word in StoreKind._value2member_map_ else None
        if kind is StoreKind.MEMORY and not location:
            return cls(kind)
        if kind is StoreKind.OXIGRAPH and location:
            return cls(kind, location)
        if kind is StoreKind.SPARQL and location.startswith(("http://", "https://")):
            return cls(
                kind,
                location,
                update_url=env.get("DAKG_SPARQL_UPDATE_URL") or None,
                gsp_url=env.get("DAKG_SPARQL_GSP_URL") or None,
                user=env.get("DAKG_SPARQL_USER") or None,
                password=env.get("DAKG_SPARQL_PASSWORD") or None,
                token=env.get("DAKG_SPARQL_TOKEN") or None,
                digest=env.get("DAKG_SPARQL_AUTH", "basic").strip().lower() == "digest",
            )
        raise StoreSettingError(
            f"store {text!r}: expected memory, oxigraph:PATH or sparql:http(s)://QUERY_URL"
        )

    def auth(self) -> httpx.Auth | None:
        """How to sign in to the engine: a Bearer token, else Basic or Digest, else nothing."""
        if self.token:
            return BearerAuth(self.token)
        if self.user:
            kind = httpx.DigestAuth if self.digest else httpx.BasicAuth
            return kind(self.user, self.password or "")
        return None

    def describe(self) -> str:
        """The setting as it may be shown and logged (never the credentials)."""
        if not self.kind.persistent:
            return str(self.kind)
        parts = urlsplit(self.location)
        if parts.username or parts.password:  # never show credentials written into the URL
            parts = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))
        return f"{self.kind}:{urlunsplit(parts)}"


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request (QLever's access token, for instance)."""

    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request):
        request.headers["authorization"] = self._header
        yield request


# The prefixes a query may use without declaring them: those the graph publishes
# (service/rdf/namespaces.py). pyoxigraph takes them as its parser's defaults; an external engine is
# sent the PREFIX lines a query uses and does not declare.
PREDECLARED: dict[str, str] = canonical_prefixes()


def undeclared_prefixes(text: str) -> list[str]:
    """The prefixes (without their colon) the query's prefixed names use and its PREFIX lines do
    not declare, in the order they first appear."""
    stream = list(tokens(text))
    declared = declared_prefixes(stream)
    found: list[str] = []
    for index, token in enumerate(stream):
        if token.kind != PNAME:
            continue
        before = stream[index - 1] if index else None
        if before is not None and before.kind == WORD and before.text.upper() == "PREFIX":
            continue
        prefix = token.text.partition(":")[0]
        if prefix + ":" not in declared and prefix not in found:
            found.append(prefix)
    return found


def with_prefixes(text: str) -> str:
    """The query with a PREFIX line first for each predeclared prefix it uses and does not
    declare (for an engine that has no default prefixes of its own)."""
    missing = [p for p in undeclared_prefixes(text) if p in PREDECLARED]
    if not missing:
        return text
    return "".join(f"PREFIX {p}: <{PREDECLARED[p]}>\n" for p in missing) + text


def unknown_prefix_message(text: str) -> str | None:
    """One line naming the first prefix the query uses that is neither declared nor predeclared
    (None when there is none)."""
    unknown = [p for p in undeclared_prefixes(text) if p not in PREDECLARED]
    if not unknown:
        return None
    name = unknown[0] + ":"
    line = next(
        (
            n
            for n, row in enumerate(text.splitlines(), 1)
            if re.search(rf"(?<![\w.-]){re.escape(name)}", row)
        ),
        None,
    )
    where = f" (line {line})" if line else ""
    return (
        f"Unknown prefix '{name}'{where}: declare it (PREFIX {name} <...>) or use one of the "
        f"predeclared prefixes ({', '.join(sorted(PREDECLARED))})"
    )


def prefix_description(endpoint: ox.NamedNode) -> list[ox.Triple]:
    """The predeclared prefixes as the service description states them: SHACL's prefix
    declarations (sh:declare, sh:prefix, sh:namespace) of the endpoint, one node per prefix."""
    triples = []
    for name, namespace in sorted(PREDECLARED.items()):
        node = ox.NamedNode(f"{endpoint.value}#prefix-{name}")
        triples += [
            ox.Triple(endpoint, ox.NamedNode(SH + "declare"), node),
            ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(SH + "PrefixDeclaration")),
            ox.Triple(node, ox.NamedNode(SH + "prefix"), ox.Literal(name)),
            ox.Triple(
                node,
                ox.NamedNode(SH + "namespace"),
                ox.Literal(namespace, datatype=ox.NamedNode(XSD_ANY_URI)),
            ),
        ]
    return triples


XSD_ANY_URI = XSD + "anyURI"


# An IRI reference with no scheme (`<s>`, `<#x>`, `<../y>`): relative, resolved against a base.
RELATIVE_IRI = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*:)[^<>\"{}|^`\\\x00-\x20]*>")


def with_base(text: str, base: str | None) -> str:
    """A query or update as an engine must see it to resolve its relative IRIs against the base
    the endpoint resolves them against: a BASE declaration first, when it has any (a BASE of its
    own then resolves against this one, as the grammar says)."""
    if not base or not RELATIVE_IRI.search(text):
        return text
    return f"BASE <{base}>\n{text}"


class RemoteStore:
    """An external SPARQL 1.1 engine behind the part of pyoxigraph's Store API the service uses.

    Queries go over the SPARQL 1.1 Protocol (POST, form-encoded), asking for SPARQL JSON results
    or N-Triples, and come back as pyoxigraph objects. Parameters are bound by a VALUES block.
    The engine's default graph must be the union of its named graphs (Oxigraph server:
    `--union-default-graph`; Fuseki: `tdb2:unionDefaultGraph true`; see the README).
    """

    def __init__(self, config: StoreConfig, timeout: float):
        self.config = config
        self.timeout = timeout
        self.client = httpx.Client(
            auth=config.auth(), timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0))
        )

    @property
    def query_url(self) -> str:
        return self.config.location

    @property
    def update_url(self) -> str:
        return self.config.update_url or self.config.location

    def close(self) -> None:
        self.client.close()

    # -- the protocol ---------------------------------------------------------------------------

    def post(self, url: str, data: Mapping[str, str] | Sequence[tuple[str, str]], accept: str):
        """POST a form to the engine; its failures become StoreUnavailable or StoreTimeout."""
        return self.send("POST", url, content=urlencode(data), headers=form_headers(accept))

    def send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise transport_failure(error, self.timeout) from None
        refused = engine_refusal(response.status_code, response.text)
        if refused is not None:
            raise refused
        if response.status_code >= 400:
            raise EngineRefused(
                response.status_code,
                f"the SPARQL engine refused the request: {response.text[:500]}",
            )
        return response

    # -- pyoxigraph's Store API -----------------------------------------------------------------

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        substitutions: Mapping[ox.Variable, object] | None = None,
        default_graph: ox.NamedNode | Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a query on the engine; the answer as pyoxigraph would give it.

        `use_default_graph_as_union` is accepted for the Store API's sake: the engine's default
        graph is already the union. `prefixes`, too: the predeclared prefixes a query uses and
        does not declare are always sent as PREFIX lines.
        """
        text = with_base(with_prefixes(bind_values(query, substitutions)), base_iri)
        form: list[tuple[str, str]] = [("query", text)]
        if default_graph is not None:
            graphs = [default_graph] if isinstance(default_graph, ox.NamedNode) else default_graph
            form += [("default-graph-uri", g.value) for g in graphs]
        form += [("named-graph-uri", g.value) for g in named_graphs or ()]
        shape = query_shape(text)
        if shape.form in ("CONSTRUCT", "DESCRIBE"):
            response = self.post(self.query_url, form, N_TRIPLES)
            return as_query_triples(response.content)
        response = self.post(self.query_url, form, RESULTS_JSON)
        return as_query_results(response.content)

    def update(self, update: str, base_iri: str | None = None) -> None:
        """Run an update on the engine. Its 400 says the update is malformed (the SPARQL 1.1
        Protocol's MalformedQuery): a SyntaxError, as pyoxigraph's parser raises in process."""
        try:
            self.post(self.update_url, {"update": with_base(update, base_iri)}, "*/*")
        except EngineRefused as error:
            if error.status == 400:
                raise SyntaxError(str(error)) from None
            raise

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        for row in self.query(service_query("graph-names")):
            yield row["g"]

    def graph_counts(self) -> dict[str, int]:
        """The number of triples of each named graph."""
        return graph_counts(self)

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None) -> Iterator[ox.Quad]:
        """Every quad of the named graphs (the dumps' one use: the pattern must be all None)."""
        if any(term is not None for term in (subject, predicate, obj, graph_name)):
            raise NotImplementedError("the remote store gives every quad or none")
        for row in self.query(service_query("all-quads")):
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])

    def __len__(self) -> int:
        return sum(self.graph_counts().values())

    # -- the upkeep of `dakg load` --------------------------------------------------------------

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad], size: int) -> None:
        """Replace one named graph: a Graph Store Protocol PUT, else DROP and INSERT DATA."""
        quads = list(quads)
        if self.config.gsp_url:
            self.put_graph(graph, ntriples(quads))
            return
        node = str(ox.NamedNode(graph))
        self.update(service_update("drop-graph", graph=node))
        # Blank nodes are scoped to one request: a graph that has any is sent in one piece.
        has_blank = any(
            isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads
        )
        step = len(quads) if has_blank else INSERT_CHUNK
        name = "insert-blank-nodes" if has_blank else "insert-data"
        for start in range(0, len(quads), max(1, step)):
            body = ntriples(quads[start : start + step]).decode("utf-8")
            self.update(service_update(name, graph=node, triples=body))

    def put_graph(self, graph: str, body: bytes) -> None:
        """PUT N-Triples as one named graph through the Graph Store Protocol."""
        self.send(
            "PUT",
            self.config.gsp_url,
            params={"graph": graph},
            content=body,
            headers={"content-type": N_TRIPLES},
        )

    def drop_graph(self, graph: str) -> None:
        self.update(service_update("drop-graph", graph=str(ox.NamedNode(graph))))

    def mark_load(self) -> None:
        """The mark is a graph of its own, written as the load writes (GSP, else SPARQL Update)."""
        graph = ox.NamedNode(LOAD_MARKER_GRAPH)
        since = ox.Literal(
            datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            datatype=ox.NamedNode(XSD + "dateTime"),
        )
        if self.config.gsp_url:
            triple = f"{graph} <http://purl.org/dc/terms/created> {since} .\n"
            self.put_graph(LOAD_MARKER_GRAPH, triple.encode("utf-8"))
        else:
            self.update(service_update("mark-load", graph=str(graph), since=str(since)))

    def unmark_load(self) -> None:
        if self.config.gsp_url:
            self.send("DELETE", self.config.gsp_url, params={"graph": LOAD_MARKER_GRAPH})
        else:
            self.drop_graph(LOAD_MARKER_GRAPH)

    def load_incomplete(self) -> bool:
        """An engine that does not answer is not known to hold one: /health says it is down."""
        try:
            return bool(self.query(service_query("load-incomplete")))
        except StoreError:
            return False

    def ping(self) -> None:
        self.query(service_query("ping"))

    def flush(self) -> None:
        """The engine writes as it takes each request: nothing is buffered here."""


def transport_failure(error: httpx.TransportError, timeout: float) -> StoreError:
    """What a request to the engine that got no answer means: too slow (504) or down (503)."""
    if isinstance(error, httpx.TimeoutException):
        return StoreTimeout(f"The SPARQL engine did not answer within {timeout:g} s")
    return StoreUnavailable(f"The SPARQL engine cannot be reached: {error}")


def engine_refusal(status: int, text: str) -> StoreUnavailable | None:
    """An engine's answer that means it cannot serve now (a server error), or will not serve this
    service (its credentials are refused): the service is unavailable, whatever was asked."""
    if status in (401, 403):
        return StoreUnavailable(
            f"The SPARQL engine refused the service's credentials ({status}): "
            "check DAKG_SPARQL_USER, DAKG_SPARQL_PASSWORD or DAKG_SPARQL_TOKEN"
        )
    if status >= 500:
        return StoreUnavailable(f"The SPARQL engine answered {status}: {text[:300]}")
    return None


def ntriples(quads: Iterable[ox.Quad]) -> bytes:
    return ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)


def form_headers(accept: str) -> dict[str, str]:
    return {"accept": accept, "content-type": "application/x-www-form-urlencoded"}


def as_query_results(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """SPARQL JSON results from an engine as pyoxigraph's. A blank node label N-Triples would not
    take (Virtuoso's `nodeID://b10142`) is renamed, the same label to the same name, and
    Virtuoso's booleans `1` and `0` are written `true` and `false`."""
    data = json.loads(body)
    for row in data.get("results", {}).get("bindings", ()):
        for cell in row.values():
            if cell.get("type") == "bnode" and not BNODE_LABEL.fullmatch(cell["value"]):
                cell["value"] = "b" + hashlib.sha256(cell["value"].encode()).hexdigest()[:32]
            elif cell.get("datatype") == XSD_BOOLEAN and cell.get("value") in ("0", "1"):
                cell["value"] = "true" if cell["value"] == "1" else "false"
    return ox.parse_query_results(json.dumps(data).encode(), format=ox.QueryResultsFormat.JSON)


def as_query_triples(body: bytes) -> ox.QueryTriples:
    """N-Triples from an engine as the QueryTriples pyoxigraph's own CONSTRUCT gives."""
    scratch = ox.Store()
    scratch.bulk_extend(
        ox.Quad(t.subject, t.predicate, t.object)
        for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
    )
    return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")


def open_store(
    config: StoreConfig, timeout: float, read_only: bool = False
) -> ox.Store | RemoteStore:
    """The store a setting names (an empty one for `memory`; the caller loads it).

    An on-disk store opened read-only takes no lock, so several processes may read one folder;
    one opened for writing (`dakg load`, a service that takes updates) has it to itself.
    """
    if config.kind.remote:
        return RemoteStore(config, timeout)
    if config.folder is None:
        return ox.Store()
    if read_only:
        if not config.folder.is_dir():
            raise StoreSettingError(
                f"store {config.describe()}: no such folder (fill it with `dakg load`)"
            )
        return ox.Store.read_only(config.location)
    return ox.Store(config.location)


def as_store(store: ox.Store | RemoteStore, config: StoreConfig) -> Store:
    """The store with every operation of `Store`: an engine has them, pyoxigraph's Store gets
    them from its adapter (with the folder its load mark is written in)."""
    if config.kind.remote:
        return store
    return EmbeddedStore(store, config.folder)
