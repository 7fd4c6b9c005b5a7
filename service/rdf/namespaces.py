"""The namespaces of the graph and the canonical prefixes every Turtle file uses."""

import re
from collections.abc import Mapping

DEF = "https://w3id.org/dakg/def/"
ID = "https://w3id.org/dakg/id/"
GRAPH = "https://w3id.org/dakg/graph/"
PUBLIC_BASE = "https://w3id.org/dakg/"

# Instance types of the IRI contract: https://w3id.org/dakg/id/{type}/{key}
ID_TYPES = (
    "agency",
    "agreement",
    "country",
    "date-qualifier",
    "document",
    "event",
    "fiscal-year",
    "identifier",
    "indicator",
    "initiative",
    "instant",
    "international-organisation",
    "law",
    "milestone",
    "month",
    "observation",
    "observation-kind",
    "period",
    "pillar",
    "principle",
    "programme",
    "scheme",
    "section",
    "standard",
    "system",
    "unit",
    "org-unit",
    "org-programme",
    "value-qualifier",
    "year",
)

# The vocabularies the graph uses, each namespace IRI named once: every module takes its
# constants from here, so that a prefix and the IRI written in code can never disagree.
DAKG = DEF
ADMS = "http://www.w3.org/ns/adms#"
CPSV = "http://purl.org/vocab/cpsv#"
CV = "http://data.europa.eu/m8g/"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"
IC = "http://imi.go.jp/ns/core/rdf#"
ORG = "http://www.w3.org/ns/org#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
QB = "http://purl.org/linked-data/cube#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SCHEMA = "https://schema.org/"
SH = "http://www.w3.org/ns/shacl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIME = "http://www.w3.org/2006/time#"
VANN = "http://purl.org/vocab/vann/"
VOID = "http://rdfs.org/ns/void#"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Namespaces the service's description of itself names, which the graph does not use.
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
ENTAILMENT = "http://www.w3.org/ns/entailment/"
FOAF = "http://xmlns.com/foaf/0.1/"
IANA = "https://www.iana.org/assignments/media-types/"
# The EU Publications Office's authority tables that DCAT-AP asks for: languages and file types.
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"

VOCABULARY_PREFIXES = {
    "dakg": DAKG,
    "adms": ADMS,
    "cpsv": CPSV,
    "cv": CV,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "eli": ELI,
    "ic": IC,
    "org": ORG,
    "owl": OWL,
    "prov": PROV,
    "qb": QB,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "sh": SH,
    "skos": SKOS,
    "time": TIME,
    "vann": VANN,
    "void": VOID,
    "xsd": XSD,
}

# Terms named in code.
RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"


def canonical_prefixes() -> dict[str, str]:
    """Vocabulary prefixes plus one prefix per instance type (`initiative:` for .../id/initiative/)."""
    prefixes = dict(VOCABULARY_PREFIXES)
    prefixes["id"] = ID
    for kind in ID_TYPES:
        prefixes[kind.replace("-", "")] = f"{ID}{kind}/"
    return prefixes


def curie(
    iri: str, prefixes: Mapping[str, str] | None = None, local: re.Pattern[str] | None = None
) -> str | None:
    """The prefixed name of an IRI: the longest namespace of `prefixes` (the canonical ones
    when None) that it extends, with a local part that `local` matches in full if given (a
    name a parser reads back); None when no namespace fits. The one way an IRI is shortened."""
    best = None
    for prefix, namespace in (canonical_prefixes() if prefixes is None else prefixes).items():
        rest = iri[len(namespace) :]
        if not iri.startswith(namespace) or not rest or (local and not local.fullmatch(rest)):
            continue
        if best is None or len(namespace) > len(best[1]):
            best = (prefix, namespace)
    return f"{best[0]}:{iri[len(best[1]) :]}" if best else None


# The XSD datatypes whose values are numbers (as JSON numbers in the API, formatted on the pages).
NUMERIC_DATATYPES = frozenset(
    XSD + t
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "positiveInteger",
        "nonNegativeInteger",
    )
)
