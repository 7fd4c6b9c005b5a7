"""What the service says about itself: the VoID/DCAT description, the SPARQL service description
and the dumps at /download/, each built once per dataset version."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from dakg.rdf import formats
from dakg.rdf.namespaces import (
    DCAT,
    DCTERMS,
    ENTAILMENT,
    EU_AUTHORITY,
    FOAF,
    FORMATS,
    IANA,
    ID,
    OWL,
    PROV,
    RDF,
    SD,
    SKOS,
    VOID,
    XSD,
    canonical_prefixes,
)
from dakg.sparql.library import query_texts
from dakg.store.backends import prefix_description
from dakg.store.dataset import Dataset
from dakg.web import caching, conneg, deps
from dakg.web.deps import BuildsDep, DatasetDep
from dakg.web.linked_data import views as pages
from dakg.web.publicurl import base_url
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

router = APIRouter()

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = {
    "en": "Digital Agency activity knowledge graph",
    "ja": "デジタル庁活動報告ナレッジグラフ",
}
DESCRIPTION = {
    "en": "The Digital Agency's activity report (September 2021 – August 2022) as linked data: "
    "initiatives, agencies, standards, laws, milestones and figures.",
    "ja": "デジタル庁の活動報告（2021年9月〜2022年8月）を Linked Data として公開したもの。"
    "施策・組織・標準・法令・マイルストーン・数値を含む。",
}

LANGUAGES = ("JPN", "ENG")  # the report's own words are Japanese; every entity has an English label
FILE_TYPES = {
    "turtle": "RDF_TURTLE",
    "ntriples": "RDF_N_TRIPLES",
    "nquads": "RDF_N_QUADS",
    "trig": "RDF_TRIG",
    "jsonld": "JSON_LD",
}
# The publisher: this project, which makes the graph from the Digital Agency's report (the report
# is the agency's; the graph, an edited work made from it, is not: prov:wasDerivedFrom names the
# report, whose own dcterms:publisher is the agency).
PUBLISHER_KEY = ".well-known/void#publisher"
PUBLISHER_NAME = {
    "en": "dakg, the Digital Agency activity knowledge graph project",
    "ja": "dakg（デジタル庁活動報告書ナレッジグラフ）",
}
REPORT_KEY = "id/document/activity-report-2021-2022"
CATALOG_TITLE = {"en": "dakg catalogue", "ja": "dakg カタログ"}
CATALOG_DESCRIPTION = {
    "en": "The Digital Agency activity knowledge graph and the SPARQL endpoint that serves it.",
    "ja": "デジタル庁活動報告ナレッジグラフと、それを提供する SPARQL エンドポイント。",
}
# Dumps use the graph's canonical prefixes; descriptions only the vocabularies they use.
PREFIXES = canonical_prefixes()
DESCRIPTION_PREFIXES = {
    "rdf": RDF,
    "xsd": XSD,
    "owl": OWL,
    "void": VOID,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "sd": SD,
    "formats": FORMATS,
    "entailment": ENTAILMENT,
    "foaf": FOAF,
    "skos": SKOS,
    "prov": PROV,
}

# The W3C name (http://www.w3.org/ns/formats/) of each answer format, for the service description.
W3C_FORMAT_NAMES = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}


@dataclass(frozen=True)
class Dump:
    """One file of /download/."""

    format: formats.Format
    description: str
    named_graphs: bool = False

    @property
    def filename(self) -> str:
        return f"dakg.{self.format.extension}"


DUMPS = (
    Dump(formats.TURTLE, "the whole graph (the union of the named graphs) in Turtle"),
    Dump(formats.NTRIPLES, "the whole graph in N-Triples, one triple a line"),
    Dump(formats.NQUADS, "every source file in its named graph, in N-Quads", named_graphs=True),
    Dump(formats.TRIG, "every source file in its named graph, in TriG", named_graphs=True),
    Dump(formats.JSONLD, "the whole graph in JSON-LD"),
)


class Builds:
    """What is built once per dataset version (dumps, statistics, descriptions), by name.

    Concurrent requests for the same thing share one build; a new version drops the old builds.
    """

    def __init__(self) -> None:
        self._version: str | None = None
        self._items: dict[Any, asyncio.Future] = {}

    async def get(self, request: Request, name: Any, build: Callable[[], Any]) -> Any:
        """The built value for the current dataset version, built in the query thread pool."""
        version = deps.dataset(request).version
        if version != self._version:
            self._version, self._items = version, {}
        future = self._items.get(name)
        if future is None:
            future = deps.threads(request).submit(build)
            self._items[name] = future
        try:
            return await asyncio.shield(future)
        except Exception:
            if self._items.get(name) is future:
                del self._items[name]
            raise


# ---- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statistics:
    """The VoID numbers of the dataset, from the queries of queries/service/."""

    triples: int
    subjects: int
    objects: int
    properties: int
    classes: tuple[tuple[str, int], ...]
    property_partitions: tuple[tuple[str, int], ...]
    graphs: tuple[tuple[str, int], ...]


SERVICE_QUERIES = ("void-dataset", "void-classes", "void-properties", "void-graphs")


def load_service_queries(directory: Path) -> dict[str, str]:
    """The internal queries the service runs (queries/service/*.rq), read once at start-up."""
    texts = query_texts(directory)
    missing = [name for name in SERVICE_QUERIES if name not in texts]
    if missing:
        raise FileNotFoundError(f"{directory}: missing service queries {', '.join(missing)}")
    return texts


def _rows(store: ox.Store, text: str) -> list[dict[str, Any]]:
    result = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{name: _value(solution[name]) for name in names} for solution in result]


def _value(term: Any) -> Any:
    if isinstance(term, ox.Literal) and term.datatype.value == XSD + "integer":
        return int(term.value)
    return term.value if term is not None else None


def compute_statistics(store: ox.Store, queries: dict[str, str]) -> Statistics:
    """Run the statistics queries (blocking: call it from the thread pool)."""
    totals = _rows(store, queries["void-dataset"])[0]
    return Statistics(
        triples=totals["triples"],
        subjects=totals["distinctSubjects"],
        properties=totals["properties"],
        objects=totals["distinctObjects"],
        classes=tuple((r["class"], r["entities"]) for r in _rows(store, queries["void-classes"])),
        property_partitions=tuple(
            (r["property"], r["triples"]) for r in _rows(store, queries["void-properties"])
        ),
        graphs=tuple((r["graph"], r["triples"]) for r in _rows(store, queries["void-graphs"])),
    )


async def statistics(request: Request) -> Statistics:
    """The statistics of the current dataset version (computed once per version)."""
    store, queries = deps.dataset(request).store, deps.service_queries(request)
    return await deps.builds(request).get(
        request, "statistics", lambda: compute_statistics(store, queries)
    )


# ---- descriptions -----------------------------------------------------------------------------


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def _text(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


class Graph:
    """A small list of triples with helpers to add them."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, subject: Any, predicate: str, *objects: Any) -> None:
        for obj in objects:
            self.triples.append(ox.Triple(subject, ox.NamedNode(predicate), obj))

    def node(self) -> ox.BlankNode:
        return ox.BlankNode()


@dataclass(frozen=True)
class Where:
    """The public IRIs (from settings) and the addresses of this server (from the request)."""

    base_iri: str
    base_url: str
    version: str
    update: bool

    @property
    def dataset(self) -> ox.NamedNode:
        return _iri(self.base_iri + ".well-known/void#dataset")

    @property
    def catalog(self) -> ox.NamedNode:
        return _iri(self.base_iri + ".well-known/void#catalog")

    @property
    def publisher(self) -> ox.NamedNode:
        return _iri(self.base_iri + PUBLISHER_KEY)

    @property
    def report(self) -> ox.NamedNode:
        return _iri(self.base_iri + REPORT_KEY)

    @property
    def homepage(self) -> ox.NamedNode:
        return _iri(self.base_url)

    @property
    def service(self) -> ox.NamedNode:
        return _iri(self.base_iri + ".well-known/void#sparql-service")

    @property
    def endpoint(self) -> ox.NamedNode:
        return _iri(self.base_url + "sparql")

    def dump(self, dump: Dump) -> ox.NamedNode:
        return _iri(self.base_url + "download/" + dump.filename)


def where(request: Request) -> Where:
    settings = deps.settings(request)
    return Where(
        base_iri=settings.base_iri,
        base_url=base_url(request),
        version=deps.dataset(request).version,
        update=bool(settings.update_token),
    )


def _describe_statistics(g: Graph, subject: Any, stats: Statistics) -> None:
    g.add(subject, VOID + "triples", _int(stats.triples))
    g.add(subject, VOID + "distinctSubjects", _int(stats.subjects))
    g.add(subject, VOID + "distinctObjects", _int(stats.objects))
    g.add(subject, VOID + "properties", _int(stats.properties))
    g.add(subject, VOID + "classes", _int(len(stats.classes)))


def void_description(stats: Statistics, at: Where) -> list[ox.Triple]:
    """VoID and DCAT: the dataset, its partitions, its dumps, its SPARQL endpoint, its licence."""
    g = Graph()
    ds = at.dataset
    g.add(ds, RDF + "type", _iri(VOID + "Dataset"), _iri(DCAT + "Dataset"))
    for lang in ("en", "ja"):
        g.add(ds, DCTERMS + "title", _text(TITLE[lang], lang))
        g.add(ds, DCTERMS + "description", _text(DESCRIPTION[lang], lang))
    g.add(ds, DCTERMS + "license", _iri(LICENSE))
    g.add(
        ds, DCTERMS + "language", *(_iri(EU_AUTHORITY + "language/" + code) for code in LANGUAGES)
    )
    g.add(ds, DCTERMS + "publisher", at.publisher)
    g.add(ds, PROV + "wasDerivedFrom", at.report)
    g.add(ds, OWL + "versionInfo", _text(at.version))
    g.add(ds, DCAT + "version", _text(at.version))
    g.add(ds, VOID + "uriSpace", _text(ID))
    g.add(ds, VOID + "vocabulary", _iri(at.base_iri + "def/"))
    g.add(ds, VOID + "sparqlEndpoint", at.endpoint)
    g.add(ds, VOID + "rootResource", _iri(at.base_iri + "id/"))
    _describe_statistics(g, ds, stats)
    for cls, entities in stats.classes:
        part = g.node()
        g.add(ds, VOID + "classPartition", part)
        g.add(part, VOID + "class", _iri(cls))
        g.add(part, VOID + "entities", _int(entities))
    for prop, triples in stats.property_partitions:
        part = g.node()
        g.add(ds, VOID + "propertyPartition", part)
        g.add(part, VOID + "property", _iri(prop))
        g.add(part, VOID + "triples", _int(triples))
    for graph, triples in stats.graphs:
        g.add(ds, VOID + "subset", _iri(graph))
        g.add(_iri(graph), RDF + "type", _iri(VOID + "Dataset"))
        g.add(_iri(graph), VOID + "triples", _int(triples))
    for dump in DUMPS:
        url = at.dump(dump)
        dist = _iri(f"{at.base_iri}.well-known/void#dump-{dump.format.extension}")
        g.add(ds, VOID + "dataDump", url)
        g.add(ds, DCAT + "distribution", dist)
        g.add(dist, RDF + "type", _iri(DCAT + "Distribution"))
        g.add(dist, DCTERMS + "title", _text(f"dakg in {dump.format.label}", "en"))
        g.add(dist, DCTERMS + "description", _text(dump.description, "en"))
        g.add(dist, DCAT + "downloadURL", url)
        g.add(dist, DCAT + "accessURL", url)
        g.add(dist, DCAT + "mediaType", _iri(IANA + dump.format.media_type))
        g.add(
            dist,
            DCTERMS + "format",
            _iri(EU_AUTHORITY + "file-type/" + FILE_TYPES[dump.format.name]),
        )
        g.add(dist, DCTERMS + "license", _iri(LICENSE))
    svc = at.service
    g.add(svc, RDF + "type", _iri(DCAT + "DataService"))
    g.add(svc, DCTERMS + "title", _text("dakg SPARQL endpoint", "en"))
    g.add(svc, DCAT + "endpointURL", at.endpoint)
    g.add(svc, DCAT + "endpointDescription", at.endpoint)
    g.add(svc, DCAT + "servesDataset", ds)
    g.add(svc, DCTERMS + "conformsTo", _iri(SPARQL_PROTOCOL))
    g.add(svc, DCTERMS + "license", _iri(LICENSE))
    g.add(svc, DCTERMS + "publisher", at.publisher)
    _describe_catalog(g, at)
    _describe_terms(g, at)
    return g.triples


SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"


def _describe_catalog(g: Graph, at: Where) -> None:
    """The DCAT catalogue of the dataset and its service, and who publishes them."""
    cat = at.catalog
    g.add(cat, RDF + "type", _iri(DCAT + "Catalog"))
    for lang in ("en", "ja"):
        g.add(cat, DCTERMS + "title", _text(CATALOG_TITLE[lang], lang))
        g.add(cat, DCTERMS + "description", _text(CATALOG_DESCRIPTION[lang], lang))
    g.add(cat, DCTERMS + "publisher", at.publisher)
    g.add(cat, DCTERMS + "license", _iri(LICENSE))
    g.add(
        cat, DCTERMS + "language", *(_iri(EU_AUTHORITY + "language/" + code) for code in LANGUAGES)
    )
    g.add(cat, FOAF + "homepage", at.homepage)
    g.add(cat, DCAT + "dataset", at.dataset)
    g.add(cat, DCAT + "service", at.service)
    agent = at.publisher
    g.add(agent, RDF + "type", _iri(FOAF + "Agent"))
    for lang in ("en", "ja"):
        g.add(agent, FOAF + "name", _text(PUBLISHER_NAME[lang], lang))


def _describe_terms(g: Graph, at: Where) -> None:
    """What the objects of the description are, as DCAT-AP asks: the licence, the languages, the
    media types and file types, the standard the service follows, the catalogue's home page."""
    g.add(_iri(LICENSE), RDF + "type", _iri(DCTERMS + "LicenseDocument"))
    for code in LANGUAGES:
        language = _iri(EU_AUTHORITY + "language/" + code)
        g.add(language, RDF + "type", _iri(DCTERMS + "LinguisticSystem"))
        g.add(language, SKOS + "inScheme", _iri(EU_AUTHORITY + "language"))
    for dump in DUMPS:
        g.add(_iri(IANA + dump.format.media_type), RDF + "type", _iri(DCTERMS + "MediaType"))
        file_type = _iri(EU_AUTHORITY + "file-type/" + FILE_TYPES[dump.format.name])
        g.add(file_type, RDF + "type", _iri(DCTERMS + "MediaTypeOrExtent"))
        g.add(file_type, SKOS + "inScheme", _iri(EU_AUTHORITY + "file-type"))
    g.add(_iri(SPARQL_PROTOCOL), RDF + "type", _iri(DCTERMS + "Standard"))
    g.add(at.homepage, RDF + "type", _iri(FOAF + "Document"))


def service_description(stats: Statistics, at: Where) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of /sparql, with the default dataset and its statistics."""
    g = Graph()
    svc = at.endpoint
    g.add(svc, RDF + "type", _iri(SD + "Service"))
    g.add(svc, SD + "endpoint", svc)
    languages = [_iri(SD + "SPARQL10Query"), _iri(SD + "SPARQL11Query")]
    if at.update:
        languages.append(_iri(SD + "SPARQL11Update"))
    g.add(svc, SD + "supportedLanguage", *languages)
    g.add(svc, SD + "feature", _iri(SD + "UnionDefaultGraph"))
    g.add(svc, SD + "defaultEntailmentRegime", _iri(ENTAILMENT + "Simple"))
    names = [W3C_FORMAT_NAMES[f.name] for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)]
    g.add(svc, SD + "resultFormat", *(_iri(FORMATS + name) for name in names))
    ds = at.dataset
    g.add(svc, SD + "defaultDataset", ds)
    g.add(ds, RDF + "type", _iri(SD + "Dataset"), _iri(VOID + "Dataset"))
    g.add(ds, DCTERMS + "title", _text(TITLE["en"], "en"), _text(TITLE["ja"], "ja"))
    g.add(ds, DCTERMS + "license", _iri(LICENSE))
    g.add(ds, OWL + "versionInfo", _text(at.version))
    g.add(ds, VOID + "sparqlEndpoint", svc)
    _describe_statistics(g, ds, stats)
    default = g.node()
    g.add(ds, SD + "defaultGraph", default)
    g.add(default, RDF + "type", _iri(SD + "Graph"))
    g.add(default, DCTERMS + "description", _text("the union of the named graphs", "en"))
    _describe_statistics(g, default, stats)
    for graph, triples in stats.graphs:
        named, inner = g.node(), g.node()
        g.add(ds, SD + "namedGraph", named)
        g.add(named, RDF + "type", _iri(SD + "NamedGraph"))
        g.add(named, SD + "name", _iri(graph))
        g.add(named, SD + "graph", inner)
        g.add(inner, RDF + "type", _iri(SD + "Graph"))
        g.add(inner, VOID + "triples", _int(triples))
    # The prefixes a query may use undeclared, as SHACL prefix declarations.
    return [*g.triples, *prefix_description(at.endpoint)]


def serialize(triples: Iterable[ox.Triple], fmt: formats.Format) -> bytes:
    """A description in a format; each subject's triples together (named nodes first)."""
    grouped = sorted(triples, key=lambda t: (isinstance(t.subject, ox.BlankNode), str(t.subject)))
    return ox.serialize(grouped, format=fmt.rdf, prefixes=DESCRIPTION_PREFIXES)


def rdf_response(
    request: Request, body: bytes, fmt: formats.Format, etag: str, **headers: str
) -> Response:
    """An RDF answer with its validators and the caching headers of a dataset that changes on deploy."""
    return Response(
        content=body,
        headers={
            "content-type": fmt.content_type,
            **caching.validators(request, etag),
            "vary": "Accept",
            **headers,
        },
    )


async def describe(request: Request, fmt: formats.Format, kind: str) -> Response:
    """The VoID description (kind "void") or the service description (kind "sd") in a format."""
    at = where(request)
    etag = caching.etag_for(kind, at, fmt.name)
    cached = caching.not_modified(request, etag, {"vary": "Accept"})
    if cached is not None:
        return cached
    stats = await statistics(request)
    describe_fn = void_description if kind == "void" else service_description

    def build() -> bytes:
        return serialize(describe_fn(stats, at), fmt)

    body = await deps.builds(request).get(request, (kind, at, fmt.name), build)
    return rdf_response(request, body, fmt, etag)


def negotiate_rdf(request: Request) -> formats.Format | Response:
    """The graph format asked for by `format` or Accept, or a 406 response."""
    try:
        return conneg.negotiate(
            formats.GRAPH_FORMATS,
            request.headers.get("accept"),
            request.query_params.getlist("format"),
        )
    except conneg.NotAcceptable as error:
        return conneg.refusal(error)
    except conneg.UnknownFormat as error:
        return Response(str(error) + "\n", status_code=400, media_type="text/plain")


@router.get("/.well-known/void", summary="VoID and DCAT description of the dataset")
@router.head("/.well-known/void", include_in_schema=False)
async def well_known_void(request: Request) -> Response:
    """The dataset's VoID/DCAT description: Turtle by default, any RDF format by Accept."""
    fmt = negotiate_rdf(request)
    if isinstance(fmt, Response):
        return fmt
    return await describe(request, fmt, "void")


# ---- dumps ------------------------------------------------------------------------------------


def union_triples(store: ox.Store) -> list[ox.Triple]:
    """Every distinct triple of every graph, sorted so that dumps are stable and grouped."""
    triples = {quad.triple for quad in store.quads_for_pattern(None, None, None, None)}
    return sorted(triples, key=_triple_key)


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return (str(triple.subject), str(triple.predicate), str(triple.object))


def build_dump(store: ox.Store, dump: Dump) -> bytes:
    """A dump's bytes (blocking: call it from the thread pool)."""
    if dump.named_graphs:
        quads = sorted(
            store.quads_for_pattern(None, None, None, None),
            key=lambda q: (str(q.graph_name), *_triple_key(q.triple)),
        )
        return ox.serialize(quads, format=dump.format.rdf, prefixes=PREFIXES)
    return ox.serialize(union_triples(store), format=dump.format.rdf, prefixes=PREFIXES)


@router.get("/download", include_in_schema=False)
async def download_redirect() -> RedirectResponse:
    return RedirectResponse("/download/", status_code=301)


@router.get("/download/", summary="The dumps of the dataset")
@router.head("/download/", include_in_schema=False)
async def download_index(request: Request, dataset: DatasetDep, builds: BuildsDep) -> Response:
    """The list of dumps, each with its size and SHA-256: HTML for people, JSON when asked."""
    entries = []
    for dump in DUMPS:
        size, digest = await dump_facts(request, builds, dataset, dump)
        entries.append(
            {
                "file": dump.filename,
                "url": base_url(request) + "download/" + dump.filename,
                "mediaType": dump.format.media_type,
                "format": dump.format.label,
                "description": dump.description,
                "size": size,
                "sha256": digest,
            }
        )
    offers = (formats.HTML, formats.PLAIN_JSON)
    try:
        fmt = conneg.negotiate(offers, request.headers.get("accept"))
    except conneg.NotAcceptable:
        fmt = formats.HTML
    version = dataset.version
    if fmt is formats.PLAIN_JSON:
        return JSONResponse({"version": version, "dumps": entries})
    page = pages.downloads_page(request, entries, version)
    return Response(page, media_type="text/html; charset=utf-8", headers={"vary": "Accept"})


async def dump_facts(
    request: Request, builds: Any, dataset: Dataset, dump: Dump
) -> tuple[int, str]:
    """A dump's size in bytes and SHA-256 (hex), from the dump built for this dataset version."""
    store = dataset.store
    body = await builds.get(request, dump.filename, lambda: build_dump(store, dump))
    digest = await builds.get(
        request, dump.filename + "#sha256", lambda: hashlib.sha256(body).hexdigest()
    )
    return len(body), digest


FILENAME = re.compile(r"^dakg\.(?P<ext>[a-z]+)$")


@router.get("/download/{filename}", summary="One dump of the dataset")
@router.head("/download/{filename}", include_in_schema=False)
async def download(
    filename: str, request: Request, dataset: DatasetDep, builds: BuildsDep
) -> Response:
    """A dump, built once per dataset version, served as an attachment."""
    match = FILENAME.match(filename)
    dump = next((d for d in DUMPS if match and d.format.extension == match["ext"]), None)
    if dump is None:
        names = ", ".join(d.filename for d in DUMPS)
        return Response(
            f"No dump {filename!r}: {names}\n", status_code=404, media_type="text/plain"
        )
    etag = caching.etag_for(dataset.version, dump.filename)
    headers = {"content-disposition": f'attachment; filename="{dump.filename}"'}
    cached = caching.not_modified(request, etag, {"vary": "Accept", **headers})
    if cached is not None:
        return cached
    store = dataset.store
    body = await builds.get(request, dump.filename, lambda: build_dump(store, dump))
    return rdf_response(request, body, dump.format, etag, **headers)
