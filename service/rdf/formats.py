"""The formats answers are written in: SPARQL results (JSON, XML, CSV, TSV), RDF graphs (Turtle,
N-Triples, JSON-LD, RDF/XML, N-Quads, TriG) and HTML, with the media types and names clients ask
for them by, and which query forms answer in which."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    """A serialisation the service can answer in, with the names clients ask for it by."""

    name: str
    media_type: str
    content_type: str
    extension: str
    aliases: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None
    label: str = ""

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


JSON = Format(
    "json",
    "application/sparql-results+json",
    "application/sparql-results+json",
    "srj",
    aliases=("application/json", "text/javascript", "application/javascript"),
    tokens=("json", "srj", "sparql-json"),
    results=ox.QueryResultsFormat.JSON,
    label="SPARQL Results JSON",
)
XML = Format(
    "xml",
    "application/sparql-results+xml",
    "application/sparql-results+xml",
    "srx",
    aliases=("application/xml", "text/xml"),
    tokens=("xml", "srx"),
    results=ox.QueryResultsFormat.XML,
    label="SPARQL Results XML",
)
CSV = Format(
    "csv",
    "text/csv",
    "text/csv; charset=utf-8",
    "csv",
    tokens=("csv",),
    results=ox.QueryResultsFormat.CSV,
    label="SPARQL Results CSV",
)
TSV = Format(
    "tsv",
    "text/tab-separated-values",
    "text/tab-separated-values; charset=utf-8",
    "tsv",
    aliases=("text/tsv",),
    tokens=("tsv",),
    results=ox.QueryResultsFormat.TSV,
    label="SPARQL Results TSV",
)
TURTLE = Format(
    "turtle",
    "text/turtle",
    "text/turtle; charset=utf-8",
    "ttl",
    aliases=("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3"),
    tokens=("turtle", "ttl", "n3"),
    rdf=ox.RdfFormat.TURTLE,
    label="Turtle",
)
NTRIPLES = Format(
    "ntriples",
    "application/n-triples",
    "application/n-triples",
    "nt",
    tokens=("ntriples", "nt", "n-triples"),
    rdf=ox.RdfFormat.N_TRIPLES,
    label="N-Triples",
)
JSONLD = Format(
    "jsonld",
    "application/ld+json",
    "application/ld+json",
    "jsonld",
    aliases=("application/x-json+ld", "application/json"),
    tokens=("jsonld", "json-ld", "json"),
    rdf=ox.RdfFormat.JSON_LD,
    label="JSON-LD",
)
RDFXML = Format(
    "rdfxml",
    "application/rdf+xml",
    "application/rdf+xml",
    "rdf",
    aliases=("application/xml", "text/xml"),
    tokens=("rdfxml", "rdf+xml", "rdf", "xml", "owl"),
    rdf=ox.RdfFormat.RDF_XML,
    label="RDF/XML",
)
NQUADS = Format(
    "nquads",
    "application/n-quads",
    "application/n-quads",
    "nq",
    tokens=("nquads", "nq"),
    rdf=ox.RdfFormat.N_QUADS,
    label="N-Quads",
)
TRIG = Format(
    "trig",
    "application/trig",
    "application/trig; charset=utf-8",
    "trig",
    tokens=("trig",),
    rdf=ox.RdfFormat.TRIG,
    label="TriG",
)
HTML = Format(
    "html",
    "text/html",
    "text/html; charset=utf-8",
    "html",
    aliases=("application/xhtml+xml",),
    tokens=("html",),
    label="HTML",
)
# JSON of the service's own shape (the indexes, the search, the REST API, the downloads list).
PLAIN_JSON = Format("json", "application/json", "application/json", "json", tokens=("json",))

# In the server's order of preference: the first is the default when any type will do.
RESULT_FORMATS = (JSON, XML, CSV, TSV)
GRAPH_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML)
ALL_TOKENS = frozenset(t for f in (*RESULT_FORMATS, *GRAPH_FORMATS) for t in f.tokens)

# The query forms and the formats their answers come in.
RESULTS, GRAPH = "results", "graph"
FORMS = {"SELECT": RESULTS, "ASK": RESULTS, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}
